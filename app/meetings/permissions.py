"""Who may organise meetings, see their join links, answer and record attendance: the one place these rules live.

Reading a meeting is its declared visibility (`Meeting.readable_by` / `is_readable_by`). Everything else is a
`MeetingAction` checked by `rules`; scheduling a new meeting is an action on the group's calendar
(`calendar_rules`). Whether the meeting's state allows an action (a locked agenda, a cancelled meeting) is the
service's rule and answers 409, not 403.
"""

from __future__ import annotations

from enum import StrEnum

from app.access.principal import Principal
from app.access.rules import Rules
from app.core.errors import N_
from app.groups.models import WorkingGroup
from app.meetings.models import Meeting


def organises(principal: Principal, group_id: int) -> bool:
    """The secretariat and the group's chairs schedule meetings and write their agendas."""
    return principal.is_staff or principal.chairs(group_id)


def invited(principal: Principal, group_id: int) -> bool:
    """Invitees: the group's members (government participants) and the secretariat."""
    return principal.is_staff or (principal.reads_quad_content and principal.is_member_of(group_id))


class MeetingAction(StrEnum):
    edit = "edit"  # title, times, host, mode, venue, link, status, visibility
    edit_agenda = "edit_agenda"  # add, change, remove and reorder items; publish; lock
    see_draft_agenda = "see_draft_agenda"
    see_join_link = "see_join_link"
    respond = "respond"  # one's own answer: in person, online, not attending
    record_attendance = "record_attendance"  # who actually came
    write_minutes = "write_minutes"  # append a revision of the minutes; publish one
    see_draft_minutes = "see_draft_minutes"  # revisions not (yet) published


def _check(principal: Principal, action: MeetingAction, meeting: Meeting) -> bool:
    if not meeting.is_readable_by(principal):
        return False
    match action:
        case MeetingAction.edit | MeetingAction.edit_agenda | MeetingAction.see_draft_agenda:
            return organises(principal, meeting.group_id)
        case MeetingAction.record_attendance:
            return organises(principal, meeting.group_id)
        case MeetingAction.write_minutes | MeetingAction.see_draft_minutes:
            return organises(principal, meeting.group_id)
        case MeetingAction.see_join_link | MeetingAction.respond:
            return invited(principal, meeting.group_id)


rules: Rules[MeetingAction, Meeting] = Rules(
    _check,
    denied={
        MeetingAction.edit: N_("Only the group's chairs and the secretariat may change this meeting."),
        MeetingAction.edit_agenda: N_("Only the group's chairs and the secretariat may change the agenda."),
        MeetingAction.see_draft_agenda: N_("The agenda is still a draft; it is shown when it is published."),
        MeetingAction.see_join_link: N_("The link to join is shown only to the people invited."),
        MeetingAction.respond: N_("Only members of the working group and the secretariat answer invitations."),
        MeetingAction.record_attendance: N_("Only the group's chairs and the secretariat may record who attended."),
        MeetingAction.write_minutes: N_(
            "Only the group's chairs and the secretariat may write and publish the minutes."
        ),
        MeetingAction.see_draft_minutes: N_("These minutes are a draft; they are shown when they are published."),
    },
)


class CalendarAction(StrEnum):
    schedule = "schedule"


def _check_calendar(principal: Principal, action: CalendarAction, group: WorkingGroup) -> bool:
    match action:
        case CalendarAction.schedule:
            return organises(principal, group.id)


calendar_rules: Rules[CalendarAction, WorkingGroup] = Rules(
    _check_calendar,
    denied={CalendarAction.schedule: N_("Only the group's chairs and the secretariat may schedule meetings.")},
)
