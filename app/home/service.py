"""What the home page tells each person: what is new in their groups (only what they may read, naming the
document, who acted and the version), what waits on them, and what is open to industry."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.audit import service as audit
from app.core.pagination import PageRequest, Paginated
from app.documents import permissions as document_permissions
from app.documents import queries as documents
from app.documents.models import Document, DocumentVersion, ExtractionStatus, ScreeningFinding, VersionText
from app.groups import service as groups
from app.groups.permissions import GroupAction
from app.groups.permissions import rules as group_rules
from app.groups.service import GroupLine, GroupName
from app.meetings import service as meetings
from app.meetings.models import Meeting
from app.users import registrations
from app.users import service as users
from app.users.models import Role, UserStatus


@dataclass(frozen=True)
class NewsItem:
    action: str
    created_at: datetime
    group_id: int | None
    actor_name: str | None
    document_id: int | None
    document_title: str | None
    version: int | None = None


def whats_new(session: Session, principal: Principal, group_ids: Sequence[int], limit: int = 10) -> list[NewsItem]:
    """An event about a document is shown only to those who may read that document (the documents' own rule)."""
    events = audit.recent_in_groups(session, group_ids, limit, visible=document_permissions.visible_news(principal))
    document_ids = {int(e.target_id) for e in events if e.target_type == "document" and e.target_id}
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    titles: dict[int, str] = {}
    versions: dict[int, int] = {}
    if document_ids:
        query = select(Document.id, Document.title, Document.version_count).where(Document.id.in_(document_ids))
        for row in session.execute(query):
            titles[row.id], versions[row.id] = row.title, row.version_count
    names = users.display_names(session, actor_ids)
    items = []
    for event in events:
        document_id = int(event.target_id) if event.target_type == "document" and event.target_id else None
        items.append(
            NewsItem(
                action=event.action,
                created_at=event.created_at,
                group_id=event.group_id,
                actor_name=names.get(event.actor_id) if event.actor_id is not None else None,
                document_id=document_id,
                document_title=titles.get(document_id) if document_id is not None else None,
                # The version the event made (an upload), else the document's newest.
                version=_event_version(event.data, versions.get(document_id)) if document_id is not None else None,
            )
        )
    return items


def _event_version(data: dict[str, object] | None, newest: int | None) -> int | None:
    value = (data or {}).get("version")
    return value if isinstance(value, int) else newest


@dataclass(frozen=True)
class DocumentLine:
    document_id: int
    title: str
    version: int
    group_id: int


def _not_withdrawn() -> ColumnElement[bool]:
    return Document.withdrawn_at.is_(None)


def text_still_extracting(session: Session, principal: Principal, limit: int = 10) -> list[DocumentLine]:
    """Documents in the person's groups whose newest upload is still being read (search and redlines wait)."""
    if not principal.group_ids:
        return []
    query = (
        select(Document.id, Document.title, DocumentVersion.number, Document.group_id)
        .join(DocumentVersion, DocumentVersion.document_id == Document.id)
        .join(VersionText, VersionText.version_id == DocumentVersion.id)
        .where(
            Document.group_id.in_(sorted(principal.group_ids)),
            VersionText.status.in_((ExtractionStatus.queued, ExtractionStatus.running)),
            document_permissions.readable_documents(principal),
            _not_withdrawn(),
        )
        .order_by(DocumentVersion.id.desc())
        .limit(limit)
    )
    return [DocumentLine(*row) for row in session.execute(query)]


def flagged_unmarked(session: Session, principal: Principal, limit: int = 10) -> list[DocumentLine]:
    """The delegation's own unmarked documents whose text matched the export-control screening list: the owner's
    delegates are the ones who should mark them (or know why not). The secretariat has the whole list."""
    if not principal.is_delegate or principal.country is None or not principal.group_ids:
        return []
    flagged = select(ScreeningFinding.document_id).where(ScreeningFinding.document_id == Document.id).exists()
    query = (
        select(Document.id, Document.title, Document.version_count, Document.group_id)
        .where(
            Document.owner_country == principal.country,
            Document.group_id.in_(sorted(principal.group_ids)),
            Document.controlled.is_(False),
            _not_withdrawn(),
            flagged,
            # The one metadata rule, so an archived group's titles stay hidden here as everywhere else.
            document_permissions.readable_documents(principal),
        )
        .order_by(Document.updated_at.desc(), Document.id.desc())
        .limit(limit)
    )
    return [DocumentLine(*row) for row in session.execute(query)]


def public_documents(session: Session, principal: Principal, limit: int = 10) -> list[DocumentLine]:
    """What is open to approved industry today: the public documents of the working groups, newest first."""
    query = (
        select(Document.id, Document.title, Document.version_count, Document.group_id)
        .where(Document.visibility == Visibility.public, document_permissions.readable_documents(principal))
        .where(_not_withdrawn())
        .order_by(Document.updated_at.desc(), Document.id.desc())
        .limit(limit)
    )
    return [DocumentLine(*row) for row in session.execute(query)]


@dataclass(frozen=True)
class SecretariatToday:
    pending: int  # registrations waiting for approval
    screening: int  # unmarked documents that matched the export-control screening list


@dataclass(frozen=True)
class Dashboard:
    """Everything the home page shows one person."""

    groups: Paginated[GroupLine]
    my_groups: Sequence[GroupName]
    group_names: Mapping[int, GroupName]  # the groups that news and document lines name
    recent: list[NewsItem]
    since: datetime | None  # the previous visit: news after it is marked new
    can_create_group: bool
    extracting: list[DocumentLine]
    flagged: list[DocumentLine]
    waiting_since: datetime | None  # a pending account's registration
    open_to_industry: list[DocumentLine] | None  # None: not approved industry
    console: SecretariatToday | None
    upcoming: Sequence[Meeting]  # the next meetings of the person's groups (one query; never a join link)


def dashboard(session: Session, principal: Principal, page: PageRequest) -> Dashboard:
    listing = groups.group_lines(session, principal, page)
    recent: list[NewsItem] = []
    if group_rules.allows(principal, GroupAction.see_members, None):
        watched = sorted(principal.group_ids) or [line.id for line in listing.items]
        recent = whats_new(session, principal, watched, limit=10)
    since = waiting_since = None
    if principal.is_authenticated:
        account, since = users.record_home_visit(session, principal)
        waiting_since = account.created_at if account.status is UserStatus.pending else None
    industry = principal.is_active and principal.role is Role.industry
    open_to_industry = public_documents(session, principal) if industry else None
    console = None
    if principal.is_staff:
        screening = documents.screening_matches(session, principal, PageRequest(size=1)).counted_total
        console = SecretariatToday(registrations.pending_count(session, principal), screening)
    named = {item.group_id for item in recent} | {line.group_id for line in open_to_industry or []}
    return Dashboard(
        groups=listing,
        my_groups=groups.names_of_my_groups(session, principal),
        group_names=groups.group_names(session, principal, named),
        recent=recent,
        since=since,
        can_create_group=group_rules.allows(principal, GroupAction.create, None),
        extracting=text_still_extracting(session, principal),
        flagged=flagged_unmarked(session, principal),
        waiting_since=waiting_since,
        open_to_industry=open_to_industry,
        console=console,
        upcoming=meetings.upcoming_for(session, principal),
    )
