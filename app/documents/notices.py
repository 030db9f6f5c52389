"""The notifications documents send: a new document is announced to its group's members who may read it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.core.errors import N_
from app.documents.models import Document
from app.documents.permissions import can_read_content
from app.groups.models import Membership
from app.notifications import service as notifications
from app.notifications.kinds import Channel, NotificationKind
from app.users.models import User, UserStatus


class DocumentNotice(NotificationKind):
    added = "document.added"

    __labels__ = {"document.added": N_("A document is added to one of my working groups")}
    __defaults__ = {"document.added": Channel.in_app}


ADDED = N_("New document in %(group)s: %(title)s")


def document_path(document_id: int) -> str:
    """The document's page (the route `documents.detail`; tests/notifications checks the two agree)."""
    return f"/documents/{document_id}"


def announce_new_document(session: Session, document: Document) -> None:
    """Tells the group's members, except its author, of a new document: only those who may read its content, so
    an export-controlled document is never announced (not even its title) to someone its marking refuses."""
    members = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == document.group_id, User.status == UserStatus.active)
    ).all()
    readers = [
        member
        for member in members
        if member.id != document.created_by and can_read_content(auth_service.principal_for(session, member), document)
    ]
    group = document.group
    notifications.notify(
        session,
        recipients=readers,
        kind=DocumentNotice.added,
        subject=ADDED,
        params={"group": {"en": group.name, "ja": group.name_in("ja")}, "title": document.title},
        link=document_path(document.id),
    )
