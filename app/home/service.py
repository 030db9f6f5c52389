"""What the home page tells each person: what is new in their groups (only what they may read, naming the
document, who acted and the version), what waits on them, and what is open to industry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.audit import service as audit
from app.documents import permissions as document_permissions
from app.documents.models import Document, DocumentVersion, ExtractionStatus, ScreeningFinding, VersionText
from app.users import service as users


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
