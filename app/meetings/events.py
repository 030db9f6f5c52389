"""The audit actions of meetings. None is news for the activity feed: that feed names no meeting and does not
filter by a meeting's visibility, so it would tell people about meetings they may not read."""

from __future__ import annotations

from app.audit.registry import AuditAction
from app.core.errors import N_


class MeetingEvent(AuditAction):
    create = "meeting.create"
    update = "meeting.update"
    agenda_item_add = "meeting.agenda_item_add"
    agenda_item_update = "meeting.agenda_item_update"
    agenda_item_remove = "meeting.agenda_item_remove"
    agenda_reorder = "meeting.agenda_reorder"
    agenda_publish = "meeting.agenda_publish"
    agenda_lock = "meeting.agenda_lock"
    answer = "meeting.answer"
    attendance_record = "meeting.attendance_record"
    minutes_revise = "meeting.minutes_revise"
    minutes_publish = "meeting.minutes_publish"

    __labels__ = {
        "meeting.create": N_("A meeting was scheduled"),
        "meeting.update": N_("A meeting was changed"),
        "meeting.agenda_item_add": N_("An agenda item was added"),
        "meeting.agenda_item_update": N_("An agenda item was changed"),
        "meeting.agenda_item_remove": N_("An agenda item was removed"),
        "meeting.agenda_reorder": N_("The agenda was reordered"),
        "meeting.agenda_publish": N_("The agenda was published"),
        "meeting.agenda_lock": N_("The agenda was locked"),
        "meeting.answer": N_("An invitation was answered"),
        "meeting.attendance_record": N_("Attendance was recorded"),
        "meeting.minutes_revise": N_("A revision of the minutes was written"),
        "meeting.minutes_publish": N_("The minutes were published"),
    }
