"""Changing documents: new documents and versions, details, export-control markings, withdrawal and reinstatement.

Every write starts with the permission check (`permissions.rules` / `shelf_rules`), then the state rules (409),
then validates and records an audit event in the caller's transaction. Reading lives in `queries`, content leaving
the platform in `content`, receiving files in `uploads`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.audit import service as audit
from app.core import markdown, text
from app.core.db import utcnow
from app.core.errors import N_, Conflict, InvalidInput, RefusalRecorded
from app.countries.service import QUAD_COUNTRY_CODES
from app.documents.events import DocumentEvent
from app.documents.models import ControlCategory, Document, DocumentRelease, DocumentTag, DocumentType, DocumentVersion
from app.documents.notices import announce_new_document
from app.documents.permissions import DocumentAction, Shelf, ShelfAction, rules, shelf_rules
from app.documents.queries import SECRETARIAT
from app.documents.uploads import Upload, UploadLimits, append_version
from app.groups.models import WorkingGroup
from app.storage.base import Storage

__all__ = [
    "SECRETARIAT",
    "DocumentFields",
    "Marking",
    "Upload",
    "UploadLimits",
    "add_version",
    "create_document",
    "edit_document",
    "parse_owner",
    "reinstate",
    "set_marking",
    "update_metadata",
    "withdraw",
]

TAG_PATTERN = re.compile(r"^[\w][\w .\-/+]{0,39}$")
MAX_TAGS = 12
MAX_REASON = 2000
COUNTRY_LIST = ", ".join(QUAD_COUNTRY_CODES)
T = TypeVar("T")

TITLE_MAX = 200


@dataclass(frozen=True)
class DocumentFields:
    title: str
    description: str
    owner_country: str | None
    doc_type: DocumentType
    visibility: Visibility
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Marking:
    controlled: bool
    category: ControlCategory | None = None
    control_code: str | None = None
    release: tuple[str, ...] = ()


# Validation ------------------------------------------------------------------------------------------------------


def parse_owner(value: str, *, field: str = "owner") -> str | None:
    """An owner as forms, filters and the API spell it: a country code, or 'secretariat' (stored as no country).
    The one place an owner code is checked."""
    if value == SECRETARIAT:
        return None
    if value not in QUAD_COUNTRY_CODES:
        raise InvalidInput(
            N_("the owner must be one of %(countries)s or 'secretariat'"), countries=COUNTRY_LIST, field=field
        )
    return value


def clean_tags(raw: Sequence[str]) -> tuple[str, ...]:
    tags = sorted({t.strip().lower() for t in raw if t.strip()})
    if len(tags) > MAX_TAGS:
        raise InvalidInput(N_("at most %(max)d tags"), max=MAX_TAGS, field="tags")
    for tag in tags:
        if not TAG_PATTERN.fullmatch(tag):
            raise InvalidInput(
                N_("tag “%(tag)s”: letters, digits, spaces and . - / + only, up to 40 characters"),
                tag=tag,
                field="tags",
            )
    return tuple(tags)


def _validated(fields: DocumentFields) -> DocumentFields:
    title = text.one_line(fields.title, N_("a title"), TITLE_MAX, field="title")
    description = text.paragraphs(fields.description, N_("the description"), 20_000, field="description")
    owner = parse_owner(fields.owner_country) if fields.owner_country is not None else None
    if fields.visibility is Visibility.country and owner is None:
        raise InvalidInput(
            N_("a secretariat document cannot be limited to one country; choose another visibility"),
            field="visibility",
        )
    return DocumentFields(title, description, owner, fields.doc_type, fields.visibility, clean_tags(fields.tags))


def _validated_marking(marking: Marking) -> Marking:
    if not marking.controlled:
        return Marking(controlled=False)
    release = tuple(sorted(set(marking.release)))
    if marking.category is None:
        raise InvalidInput(N_("a controlled document needs a category from the joint framework"), field="category")
    if not release:
        raise InvalidInput(N_("a controlled document needs at least one country on its release list"), field="release")
    if any(code not in QUAD_COUNTRY_CODES for code in release):
        raise InvalidInput(
            N_("release list countries must be among %(countries)s"), countries=COUNTRY_LIST, field="release"
        )
    code = text.one_line(marking.control_code or "", N_("the control code"), 64, required=False, field="control_code")
    return Marking(True, marking.category, code or None, release)


def _reason(value: str) -> str:
    return text.paragraphs(value, N_("the reason"), MAX_REASON, field="reason")


# New documents and versions ------------------------------------------------------------------------------------


def create_document(
    session: Session,
    principal: Principal,
    storage: Storage,
    group: WorkingGroup,
    fields: DocumentFields,
    upload: Upload,
    limits: UploadLimits,
    marking: Marking | None = None,
) -> Document:
    """A new document and its first version. A marking given here is on the document before its first byte is
    stored, so a controlled file never exists unmarked, not even inside the transaction."""
    shelf_rules.require(principal, ShelfAction.create, Shelf(group.id, fields.owner_country))
    fields = _validated(fields)
    checked = _validated_marking(marking) if marking is not None else None
    document = Document(
        group_id=group.id,
        group=group,
        title=fields.title,
        description=fields.description,
        description_html=markdown.to_html(fields.description),
        owner_country=fields.owner_country,
        doc_type=fields.doc_type,
        visibility=fields.visibility,
        created_by=principal.user_id,
        tags=[DocumentTag(tag=t) for t in fields.tags],
    )
    if checked is not None and checked.controlled:
        _apply_marking(document, checked)
    session.add(document)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        DocumentEvent.create,
        "document",
        document.id,
        group_id=group.id,
        title=document.title,
        owner=document.owner_country or SECRETARIAT,
        marking=_marking_snapshot(document),
    )
    append_version(session, storage, principal, document, upload, limits)
    announce_new_document(session, document)
    return document


def add_version(
    session: Session,
    principal: Principal,
    storage: Storage,
    document: Document,
    upload: Upload,
    limits: UploadLimits,
) -> DocumentVersion:
    rules.require(principal, DocumentAction.add_version, document)
    if document.withdrawn_at is not None:
        raise Conflict(N_("this document was withdrawn; it takes no new versions"))
    # Concurrent uploads to one document queue on this row lock (PostgreSQL; SQLite serialises writers),
    # so version numbers stay in order and none is lost.
    session.refresh(document, with_for_update=True)
    return append_version(session, storage, principal, document, upload, limits)


# Details and marking -------------------------------------------------------------------------------------------


def edit_document(
    session: Session, principal: Principal, document: Document, fields: DocumentFields, marking: Marking
) -> Document:
    """The edit form: details and marking in one change (each audited as its own event when it changed)."""
    update_metadata(session, principal, document, fields)
    return set_marking(session, principal, document, marking)


def update_metadata(session: Session, principal: Principal, document: Document, fields: DocumentFields) -> Document:
    rules.require(principal, DocumentAction.edit, document)
    fields = _validated(fields)
    if fields.owner_country != document.owner_country:
        rules.require(principal, DocumentAction.give_to_other_owner, document)
    before = _metadata_snapshot(document)
    document.title = fields.title
    document.description = fields.description
    document.description_html = markdown.to_html(fields.description)  # rendered once here, shown on every view
    document.owner_country = fields.owner_country
    document.doc_type = fields.doc_type
    document.visibility = fields.visibility
    document.tags = [DocumentTag(tag=t) for t in fields.tags]
    document.updated_at = utcnow()
    after = _metadata_snapshot(document)
    changed = {key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]}
    if changed:
        audit.record(
            session,
            principal.user_id,
            DocumentEvent.update,
            "document",
            document.id,
            group_id=document.group_id,
            changes=changed,
        )
    return document


def _metadata_snapshot(document: Document) -> dict[str, object]:
    return {
        "title": document.title,
        "description": document.description,
        "owner": document.owner_country or SECRETARIAT,
        "type": document.doc_type.value,
        "visibility": document.visibility.value,
        "tags": sorted(t.tag for t in document.tags),
    }


def _apply_marking(document: Document, marking: Marking) -> None:
    document.controlled = marking.controlled
    document.control_category = marking.category
    document.control_code = marking.control_code
    document.releases = [DocumentRelease(country_code=c) for c in marking.release]


def set_marking(session: Session, principal: Principal, document: Document, marking: Marking) -> Document:
    rules.require(principal, DocumentAction.mark, document)
    wanted = _validated_marking(marking)
    before = _marking_snapshot(document)
    after = {
        "controlled": wanted.controlled,
        "category": wanted.category.value if wanted.category else None,
        "code": wanted.control_code,
        "release": list(wanted.release),
    }
    if after == before:
        return document
    if not rules.allows(principal, DocumentAction.change_marking, document):
        raise RefusalRecorded(
            rules.denied[DocumentAction.change_marking],
            actor_id=principal.user_id,
            action=DocumentEvent.marking_refused,
            target_type="document",
            target_id=document.id,
            group_id=document.group_id,
            before=before,
            wanted=after,
        )
    lifted = document.controlled and not wanted.controlled
    _apply_marking(document, wanted)
    if lifted:
        document.unmarked_at = utcnow()
    document.updated_at = utcnow()
    audit.record(
        session,
        principal.user_id,
        DocumentEvent.marking,
        "document",
        document.id,
        group_id=document.group_id,
        before=before,
        after=_marking_snapshot(document),
    )
    return document


def _marking_snapshot(document: Document) -> dict[str, object]:
    return {
        "controlled": document.controlled,
        "category": document.control_category.value if document.control_category else None,
        "code": document.control_code,
        "release": sorted(r.country_code for r in document.releases),
    }


# Withdrawal ----------------------------------------------------------------------------------------------------


def withdraw(session: Session, principal: Principal, document: Document, reason: str = "") -> Document:
    """Hidden from lists, kept with its history. Withdrawing a withdrawn document changes nothing."""
    rules.require(principal, DocumentAction.withdraw, document)
    reason = _reason(reason)
    if document.withdrawn_at is None:
        document.withdrawn_at = utcnow()
        audit.record(
            session,
            principal.user_id,
            DocumentEvent.withdraw,
            "document",
            document.id,
            group_id=document.group_id,
            reason=reason,
        )
    return document


def reinstate(session: Session, principal: Principal, document: Document, reason: str = "") -> Document:
    """A withdrawn document back in the lists, as it was (the secretariat's correction of a withdrawal)."""
    rules.require(principal, DocumentAction.reinstate, document)
    if document.withdrawn_at is None:
        raise Conflict(N_("this document is not withdrawn"))
    reason = _reason(reason)
    withdrawn_at = document.withdrawn_at
    document.withdrawn_at = None
    audit.record(
        session,
        principal.user_id,
        DocumentEvent.reinstate,
        "document",
        document.id,
        group_id=document.group_id,
        reason=reason,
        withdrawn_at=withdrawn_at.isoformat(),
    )
    return document
