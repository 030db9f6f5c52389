"""`/api/v1/meetings`: meetings, their agenda and attendance. Lists never carry a join link."""

from __future__ import annotations

from fastapi import status

from app.access.principal import Principal
from app.core.errors import N_, InvalidInput, NotFound
from app.core.routing import api_router
from app.core.schemas import PageOut
from app.groups import service as groups
from app.meetings import service
from app.meetings.deps import ApiFilters, MeetingItem, MeetingsReader, MeetingsWriter, ReadableMeeting
from app.meetings.models import Meeting
from app.meetings.schemas import (
    AgendaItemIn,
    AgendaItemOut,
    AgendaOrderIn,
    AnswerIn,
    AttendedIn,
    MeetingDetail,
    MeetingPatch,
    MeetingSummary,
    MinutesIn,
    MinutesOut,
    NewMeetingIn,
)
from app.web.deps import DbSession, Page
from app.web.openapi import problems
from app.web.page_cache import cached_response

api = api_router(prefix="/api/v1/meetings", tags=["meetings"])


def _detail(db: DbSession, principal: Principal, meeting: Meeting) -> MeetingDetail:
    return MeetingDetail.of_view(service.meeting_view(db, principal, meeting))


def _item_out(db: DbSession, principal: Principal, meeting: Meeting, item_id: int) -> AgendaItemOut:
    view = service.meeting_view(db, principal, meeting)
    return AgendaItemOut.of(next(v for v in view.items if v.item.id == item_id))


@api.get("", name="meetings.api.list", summary="Meetings the caller may read, soonest first, with filters")
def list_meetings(db: DbSession, page: Page, filters: ApiFilters, principal: MeetingsReader) -> PageOut[MeetingSummary]:
    return PageOut.of(service.list_meetings(db, principal, filters, page), MeetingSummary.of)


@api.post(
    "",
    name="meetings.api.create",
    status_code=status.HTTP_201_CREATED,
    summary="Schedule a meeting (the group's chairs, the secretariat)",
)
def create_meeting(body: NewMeetingIn, db: DbSession, principal: MeetingsWriter) -> MeetingDetail:
    try:
        group = groups.readable_group(db, principal, slug=body.group)
    except NotFound:
        raise InvalidInput(N_("there is no working group “%(slug)s”"), slug=body.group, field="group") from None
    return _detail(db, principal, service.create_meeting(db, principal, group, body.details()))


@api.get("/{meeting_id}", name="meetings.api.detail", summary="One meeting with its agenda and attendance")
@cached_response
def get_meeting(meeting: ReadableMeeting, db: DbSession, principal: MeetingsReader) -> MeetingDetail:
    return _detail(db, principal, meeting)


@api.patch("/{meeting_id}", name="meetings.api.edit", summary="Change a meeting (audited)")
def patch_meeting(
    body: MeetingPatch, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter
) -> MeetingDetail:
    return _detail(db, principal, service.update_meeting(db, principal, meeting, body.applied_to(meeting)))


@api.post(
    "/{meeting_id}/agenda/items",
    name="meetings.api.add_item",
    status_code=status.HTTP_201_CREATED,
    summary="Add an agenda item at the end (refused on a locked agenda)",
    responses=problems(409),
)
def add_item(body: AgendaItemIn, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> AgendaItemOut:
    item = service.add_item(db, principal, meeting, body.fields())
    return _item_out(db, principal, meeting, item.id)


@api.patch(
    "/{meeting_id}/agenda/items/{item_id}",
    name="meetings.api.edit_item",
    summary="Replace an agenda item's fields (refused on a locked agenda)",
    responses=problems(409),
)
def edit_item(
    body: AgendaItemIn, meeting: ReadableMeeting, item: MeetingItem, db: DbSession, principal: MeetingsWriter
) -> AgendaItemOut:
    service.update_item(db, principal, meeting, item, body.fields())
    return _item_out(db, principal, meeting, item.id)


@api.delete(
    "/{meeting_id}/agenda/items/{item_id}",
    name="meetings.api.remove_item",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove an agenda item (refused on a locked agenda)",
    responses=problems(409),
)
def remove_item(meeting: ReadableMeeting, item: MeetingItem, db: DbSession, principal: MeetingsWriter) -> None:
    service.remove_item(db, principal, meeting, item)


@api.put(
    "/{meeting_id}/agenda/order",
    name="meetings.api.reorder",
    summary="Put the agenda's items in a new order",
    responses=problems(409),
)
def reorder(body: AgendaOrderIn, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> MeetingDetail:
    service.reorder(db, principal, meeting, body.item_ids)
    return _detail(db, principal, meeting)


@api.post(
    "/{meeting_id}/agenda/publish",
    name="meetings.api.publish",
    summary="Publish the agenda: shown to everyone who reads the meeting; later changes are new versions",
    responses=problems(409),
)
def publish(meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> MeetingDetail:
    return _detail(db, principal, service.publish_agenda(db, principal, meeting))


@api.post(
    "/{meeting_id}/agenda/lock",
    name="meetings.api.lock",
    summary="Lock the published agenda: no more changes",
    responses=problems(409),
)
def lock(meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> MeetingDetail:
    return _detail(db, principal, service.lock_agenda(db, principal, meeting))


@api.put(
    "/{meeting_id}/attendance",
    name="meetings.api.answer",
    summary="The caller's answer: in person, online or not attending (invitees)",
    responses=problems(409),
)
def answer(body: AnswerIn, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> MeetingDetail:
    service.answer_invitation(db, principal, meeting, body.answer)
    return _detail(db, principal, meeting)


@api.put(
    "/{meeting_id}/attendance/record",
    name="meetings.api.record_attendance",
    summary="Who actually attended (the group's chairs, the secretariat; once the meeting has started)",
    responses=problems(409),
)
def record_attendance(
    body: AttendedIn, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter
) -> MeetingDetail:
    service.record_attendance(db, principal, meeting, set(body.attended))
    return _detail(db, principal, meeting)


@api.get(
    "/{meeting_id}/minutes",
    name="meetings.api.minutes",
    summary="The revisions of the minutes the caller may read: drafts only for the group's chairs and the secretariat",
)
def minutes(meeting: ReadableMeeting, db: DbSession, principal: MeetingsReader) -> MinutesOut:
    return MinutesOut.of(service.minutes_history(db, principal, meeting))


@api.post(
    "/{meeting_id}/minutes",
    name="meetings.api.append_minutes",
    status_code=status.HTTP_201_CREATED,
    summary="Append a revision of the minutes (a draft until published); revisions are never changed",
)
def append_minutes(body: MinutesIn, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> MinutesOut:
    service.append_minutes(db, principal, meeting, body.text, body.note)
    return MinutesOut.of(service.minutes_history(db, principal, meeting))


@api.post(
    "/{meeting_id}/minutes/publish",
    name="meetings.api.publish_minutes",
    summary="Publish the latest revision of the minutes; the group's members are told",
    responses=problems(409),
)
def publish_minutes(meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> MinutesOut:
    service.publish_minutes(db, principal, meeting)
    return MinutesOut.of(service.minutes_history(db, principal, meeting))
