"""Who may see, add, change, mark and download documents."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from app.auth import visibility
from app.auth.principal import Principal
from app.documents.models import Document


def readable_documents(principal: Principal) -> ColumnElement[bool]:
    return visibility.readable_filter(principal, Document.visibility, Document.group_id, Document.owner_country)


def can_read(principal: Principal, document: Document) -> bool:
    return visibility.can_read(principal, document.visibility, document.group_id, document.owner_country)


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


def may_download(principal: Principal, document: Document) -> bool:
    """A marked file goes only to delegates of a released country and to cleared secretariat staff."""
    if not can_read(principal, document):
        return False
    if not document.controlled:
        return True
    if principal.is_staff:
        return principal.export_cleared
    return principal.is_delegate and principal.country in document.release_countries
