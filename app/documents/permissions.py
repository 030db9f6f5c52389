"""Who may see, add, change, mark and read the content of documents: the one place these rules live.

A document has metadata (title, description, tags, type, owner, the marking banner, version numbers and dates)
and content (the bytes of every version, the extracted text, and everything derived from them: redlines, text
search matches, hashes and sizes). Metadata follows the content visibility and the group's own readability;
the content of a marked document follows the release rule as well. Each rule exists as an object check and,
where lists need it, as the SQL filter that agrees with it.

Everything beyond reading metadata is a `DocumentAction` checked by `rules` (one refusal message per action):
services start each write with `rules.require(...)`, pages show their buttons by `rules.allowed(...)`. Creating
a document is an action on the place it is filed (`Shelf`: a group and an owner), checked by `shelf_rules`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, String, cast, exists, not_, or_, select, true

from app.access.principal import Principal
from app.access.rules import Rules
from app.audit.models import AuditEvent
from app.core.db import utcnow
from app.core.errors import N_
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


# Actions -------------------------------------------------------------------------------------------------------


class DocumentAction(StrEnum):
    """Everything a person may do to one document beyond reading its metadata. Whether the document's state allows
    it (a withdrawn document takes no new version) is the service's rule and answers 409, not 403."""

    add_version = "add_version"
    edit = "edit"  # title, description, type, visibility, tags
    give_to_other_owner = "give_to_other_owner"  # change the owning country (or to or from the secretariat)
    mark = "mark"  # put a marking on an unmarked document, or send an unchanged one
    change_marking = "change_marking"  # change or lift an existing marking: needs export clearance
    withdraw = "withdraw"
    reinstate = "reinstate"  # bring a withdrawn document back into the lists
    read_content = "read_content"  # files, text, redlines, screening findings, hashes and sizes


def _check(principal: Principal, action: DocumentAction, document: Document) -> bool:
    match action:
        case DocumentAction.read_content:
            return can_read_content(principal, document)
        case DocumentAction.give_to_other_owner | DocumentAction.reinstate:
            return principal.is_staff
        case DocumentAction.change_marking:
            # Anyone who may edit may mark an unmarked document. Changing an existing marking (removing it,
            # narrowing or widening its release list, adding one's own country, changing its category or code)
            # needs an editor with export clearance, given by an admin: nobody lifts a marking to read what it
            # guards.
            return _may_file(principal, document.group_id, document.owner_country) and (
                not document.controlled or principal.export_cleared
            )
        case DocumentAction.add_version | DocumentAction.edit | DocumentAction.mark | DocumentAction.withdraw:
            return _may_file(principal, document.group_id, document.owner_country)


rules: Rules[DocumentAction, Document] = Rules(
    _check,
    denied={
        DocumentAction.add_version: N_(
            "Only the owner's delegates in this group, or the secretariat, may add versions."
        ),
        DocumentAction.edit: N_(
            "Only the owner's delegates in this group, or the secretariat, may edit this document."
        ),
        DocumentAction.give_to_other_owner: N_("Only the secretariat may give a document to another owner."),
        DocumentAction.mark: N_(
            "Only the owner's delegates in this group, or the secretariat, may mark this document as export-controlled."
        ),
        DocumentAction.change_marking: N_(
            "Changing or removing an existing export-control marking needs export clearance. Ask an "
            "administrator, or a cleared colleague, to make the change."
        ),
        DocumentAction.withdraw: N_(
            "Only the owner's delegates in this group, or the secretariat, may withdraw this document."
        ),
        DocumentAction.reinstate: N_("Only the secretariat may reinstate a withdrawn document."),
        DocumentAction.read_content: N_("You may not read the content of this document."),
    },
)


# Creation: an action on the place a new document goes, not on a document ----------------------------------------


@dataclass(frozen=True)
class Shelf:
    """Where a new document is filed: a working group, and the country it is filed for (None: the secretariat)."""

    group_id: int
    owner_country: str | None


class ShelfAction(StrEnum):
    create = "create"


def _check_shelf(principal: Principal, action: ShelfAction, shelf: Shelf) -> bool:
    match action:
        case ShelfAction.create:
            return _may_file(principal, shelf.group_id, shelf.owner_country)


shelf_rules: Rules[ShelfAction, Shelf] = Rules(
    _check_shelf,
    denied={
        ShelfAction.create: N_("Delegates add documents for their own country, in working groups they belong to."),
    },
)


def owners_for(principal: Principal, group_id: int, candidates: Sequence[str | None]) -> list[str | None]:
    """The owners (country codes, None for the secretariat) the principal may file new documents for."""
    return [owner for owner in candidates if shelf_rules.allows(principal, ShelfAction.create, Shelf(group_id, owner))]


def _may_file(principal: Principal, group_id: int, owner_country: str | None) -> bool:
    """The owner's delegates who are members of the group, and the secretariat for any owner."""
    if principal.is_staff:
        return True
    return (
        principal.is_delegate
        and owner_country is not None
        and owner_country == principal.country
        and principal.is_member_of(group_id)
    )


# The secretariat's screening list ------------------------------------------------------------------------------

SCREENING_REFUSED = N_("Only the secretariat sees the screening list's findings.")


def can_review_screening(principal: Principal) -> bool:
    """The list of unmarked documents, in every group, whose text matches the export-control screening terms."""
    return principal.is_staff


def visible_news(principal: Principal) -> ColumnElement[bool]:
    """Activity-feed events about a document appear only to those who may read that document."""
    readable_ids = select(cast(Document.id, String)).where(readable_documents(principal))
    return or_(AuditEvent.target_type != "document", AuditEvent.target_id.in_(readable_ids))
