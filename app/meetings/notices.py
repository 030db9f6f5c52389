"""The notifications meetings send to the group's members: the agenda published or changed, the meeting
cancelled, the minutes published. Only members who may read the meeting hear of it (a `country` meeting is not
announced, not even its title, to the other delegations), and never the person who acted."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import service as auth_service
from app.core.errors import N_
from app.groups.models import Membership
from app.meetings.models import Meeting
from app.notifications import service as notifications
from app.notifications.kinds import Channel, NotificationKind
from app.users.models import User, UserStatus


class MeetingNotice(NotificationKind):
    agenda_published = "meeting.agenda_published"
    agenda_changed = "meeting.agenda_changed"
    cancelled = "meeting.cancelled"
    minutes_published = "meeting.minutes_published"

    __labels__ = {
        "meeting.agenda_published": N_("The agenda of a meeting of my working groups is published"),
        "meeting.agenda_changed": N_("A published agenda of a meeting of my working groups changes"),
        "meeting.cancelled": N_("A meeting of my working groups is cancelled"),
        "meeting.minutes_published": N_("The minutes of a meeting of my working groups are published"),
    }
    __defaults__ = {
        "meeting.agenda_published": Channel.in_app,
        "meeting.agenda_changed": Channel.in_app,
        # A cancellation changes people's plans: by email unless they choose otherwise.
        "meeting.cancelled": Channel.email,
        "meeting.minutes_published": Channel.in_app,
    }


SUBJECTS = {
    MeetingNotice.agenda_published: N_("Agenda published for %(title)s (%(group)s)"),
    MeetingNotice.agenda_changed: N_("The agenda of %(title)s (%(group)s) changed"),
    MeetingNotice.cancelled: N_("Meeting cancelled: %(title)s (%(group)s)"),
    MeetingNotice.minutes_published: N_("Minutes published for %(title)s (%(group)s)"),
}


def meeting_path(meeting_id: int) -> str:
    """The meeting's page (the route `meetings.detail`; tests/meetings checks the two agree)."""
    return f"/meetings/{meeting_id}"


def tell_members(session: Session, meeting: Meeting, kind: MeetingNotice, actor_id: int | None) -> None:
    """One notification per member who may read the meeting, except `actor_id`. Recorded in the caller's
    transaction: a request that rolls back sends nothing."""
    members = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == meeting.group_id, User.status == UserStatus.active)
        .order_by(User.id)
    ).all()
    readers = [
        member
        for member in members
        if member.id != actor_id and meeting.is_readable_by(auth_service.principal_for(session, member))
    ]
    group = meeting.group
    notifications.notify(
        session,
        recipients=readers,
        kind=kind,
        subject=SUBJECTS[kind],
        params={"group": {"en": group.name, "ja": group.name_in("ja")}, "title": meeting.title},
        link=meeting_path(meeting.id),
    )
