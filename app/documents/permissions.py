"""Who may see, add, change, mark and read the content of documents: the one place these rules live.

A document has metadata (title, description, tags, type, owner, the marking banner, version numbers and dates)
and content (the bytes of every version, the extracted text, and everything derived from them: redlines, text
search matches, hashes and sizes). Metadata follows the content visibility and the group's own readability;
the content of a marked document follows the release rule as well. Each rule exists as an object check and,
where lists need it, as the SQL filter that agrees with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, cast, exists, not_, or_, select, true

from app.access.principal import Principal
from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.documents.models import Document, DocumentRelease

# After a marking is removed, reading the content stays audited for this long (the marking may have been lifted
# by mistake or to read the file; the trail must still show who read it).
AUDIT_AFTER_UNMARKING = timedelta(days=30)


# Metadata ------------------------------------------------------------------------------------------------------


def readable_documents(principal: Principal) -> ColumnElement[bool]:
    """SQL twin of `can_read`: the protection `Document` declares (its visibility, and a readable group)."""
    return Document.readable_by(principal)


def can_read(principal: Principal, document: Document) -> bool:
    """Metadata. Needs `document.group` loaded (the service's loaders do)."""
    return document.is_readable_by(principal)


# Content -------------------------------------------------------------------------------------------------------


def _released_to(principal: Principal, release_countries: list[str]) -> bool:
    """The release rule of a marked file: delegates of a released country, and cleared secretariat staff."""
    if principal.is_staff:
        return principal.export_cleared
    return principal.is_delegate and principal.country in release_countries


def can_read_content(principal: Principal, document: Document) -> bool:
    """Files, extracted text, redlines, text-search matches, hashes and sizes of every version."""
    if not can_read(principal, document):
        return False
    return not document.controlled or _released_to(principal, document.release_countries)


def content_readable_documents(principal: Principal) -> ColumnElement[bool]:
    """SQL twin of `can_read_content` (to be combined with `readable_documents`)."""
    if principal.is_staff:
        return true() if principal.export_cleared else not_(Document.controlled)
    if not principal.is_delegate or principal.country is None:
        return not_(Document.controlled)
    released = exists(
        select(DocumentRelease.document_id).where(
            DocumentRelease.document_id == Document.id, DocumentRelease.country_code == principal.country
        )
    )
    return or_(not_(Document.controlled), released)


def content_access_audited(document: Document, now: datetime | None = None) -> bool:
    """Every access to a marked document's content is audited, and for a while after its marking was removed."""
    if document.controlled:
        return True
    return document.unmarked_at is not None and (now or utcnow()) - document.unmarked_at < AUDIT_AFTER_UNMARKING


# Changes -------------------------------------------------------------------------------------------------------


def can_add_for(principal: Principal, group_id: int, owner_country: str | None) -> bool:
    """Delegates add documents for their own country in their groups; the secretariat for anyone."""
    if principal.is_staff:
        return True
    return (
        principal.is_delegate
        and owner_country is not None
        and owner_country == principal.country
        and principal.is_member_of(group_id)
    )


def can_edit(principal: Principal, document: Document) -> bool:
    """New versions, metadata, marking and withdrawal: the owner's delegates in the group, or the secretariat."""
    return can_add_for(principal, document.group_id, document.owner_country)


def can_change_marking(principal: Principal, document: Document) -> bool:
    """Anyone who may edit may put a marking on an unmarked document. Changing an existing marking (removing it,
    narrowing or widening its release list, adding one's own country, changing its category or code) needs an
    editor with export clearance, given by an admin: nobody lifts a marking to read what it guards."""
    if not can_edit(principal, document):
        return False
    return not document.controlled or principal.export_cleared


def can_see_screening(principal: Principal) -> bool:
    """The list of unmarked documents whose text matches the export-control screening terms."""
    return principal.is_staff


def visible_news(principal: Principal) -> ColumnElement[bool]:
    """Activity-feed events about a document appear only to those who may read that document."""
    readable_ids = select(cast(Document.id, String)).where(readable_documents(principal))
    return or_(AuditEvent.target_type != "document", AuditEvent.target_id.in_(readable_ids))
