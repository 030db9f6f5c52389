"""Meeting pages: a group's calendar, a meeting (details, agenda, documents, attendance), and the forms of the
chairs and the secretariat. Each handler parses, calls one service function, and renders or redirects."""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.core.errors import N_, InvalidInput
from app.core.pagination import MAX_PAGE_SIZE, PageRequest
from app.core.routing import page_router
from app.countries.service import QUAD_COUNTRY_CODES
from app.documents import redline
from app.meetings import service
from app.meetings.deps import (
    AgendaEditable,
    AgendaItemForm,
    AgendaItemFormData,
    CalendarGroup,
    EditableMeeting,
    FormAnswer,
    FormAttended,
    FormDirection,
    FormItemIds,
    FormNote,
    FormText,
    MeetingFormData,
    MeetingItem,
    MeetingsReader,
    MeetingsWriter,
    ReadableMeeting,
    answer_choice,
)
from app.meetings.models import AgendaItem, AttendanceAnswer, Meeting, MeetingMode, MeetingStatus
from app.meetings.permissions import CalendarAction, MeetingAction, calendar_rules, rules
from app.meetings.service import MeetingFilters
from app.meetings.timezones import capitals_strip
from app.web.deps import MAX_ID, DbSession, Page
from app.web.forms import NO_ERRORS, form_page, parse_id
from app.web.page_cache import cached_response
from app.web.templating import TIME_ZONE_CHOICES, flash, negotiate_language, render, time_zone_of
from app.web.urls import see_other

pages = page_router()

When = Annotated[str, Query(max_length=10)]
Month = Annotated[str, Query(max_length=7, description="YYYY-MM")]


@pages.get("/groups/{slug}/meetings", response_class=HTMLResponse, name="meetings.calendar")
def calendar(
    request: Request,
    group: CalendarGroup,
    db: DbSession,
    page: Page,
    principal: MeetingsReader,
    when: When = "",
    month: Month = "",
) -> HTMLResponse:
    """The list of upcoming (or `?when=past`) meetings; `?month=YYYY-MM` shows that month as a grid instead, on
    the viewer's clock."""
    context: dict[str, Any] = {
        "group": group,
        "can_schedule": calendar_rules.allows(principal, CalendarAction.schedule, group),
    }
    if month:
        shown = month_grid(month, ZoneInfo(time_zone_of(principal)))
        filters = MeetingFilters(group_id=group.id, starts_from=shown.starts_at, starts_to=shown.ends_at)
        found = service.list_meetings(db, principal, filters, PageRequest(size=MAX_PAGE_SIZE))
        locale = Locale.parse(negotiate_language(request))
        context.update(
            month=shown,
            days=shown.place(found.items),
            more=found.has_next,
            month_title=format_date(shown.first, "LLLL y", locale=locale),
            weekdays=[locale.days["format"]["abbreviated"][n] for n in range(7)],
            weekday_names=[locale.days["format"]["wide"][n] for n in range(7)],
        )
        return render(request, "meetings/month.html", context)
    past = when == "past"
    found = service.list_meetings(db, principal, MeetingFilters(group_id=group.id, past=past), page)
    context.update(
        meetings=found, past=past, this_month=datetime.now(ZoneInfo(time_zone_of(principal))).strftime("%Y-%m")
    )
    return render(request, "meetings/calendar.html", context)


@dataclass(frozen=True)
class MonthGrid:
    """A month as weeks of days (Monday first; 0 for the days of other months), and its bounds in UTC."""

    first: date
    weeks: list[list[int]]
    zone: ZoneInfo
    starts_at: datetime
    ends_at: datetime
    previous: str
    next: str

    def place(self, meetings: Sequence[Meeting]) -> dict[int, list[Meeting]]:
        """The meetings by the day of the month they start on, on the viewer's clock."""
        days: dict[int, list[Meeting]] = {}
        for meeting in meetings:
            local = meeting.starts_at.astimezone(self.zone)
            if (local.year, local.month) == (self.first.year, self.first.month):
                days.setdefault(local.day, []).append(meeting)
        return days


def month_grid(month: str, zone: ZoneInfo) -> MonthGrid:
    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput(N_("give the month as YYYY-MM, such as 2027-03"), field="month") from None
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    before = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    return MonthGrid(
        first=first,
        weeks=stdlib_calendar.Calendar().monthdayscalendar(first.year, first.month),
        zone=zone,
        starts_at=datetime.combine(first, time(), zone).astimezone(UTC),
        ends_at=datetime.combine(following, time(), zone).astimezone(UTC),
        previous=before.strftime("%Y-%m"),
        next=following.strftime("%Y-%m"),
    )


# Scheduling -------------------------------------------------------------------------------------------------------


def _meeting_form_context(principal: Principal, **extra: Any) -> dict[str, Any]:
    zones = list(TIME_ZONE_CHOICES)
    if time_zone_of(principal) not in zones:
        zones.insert(0, time_zone_of(principal))
    return {
        "countries": QUAD_COUNTRY_CODES,
        "modes": list(MeetingMode),
        "statuses": list(MeetingStatus),
        "visibilities": list(Visibility),
        "time_zones": zones,
        **extra,
    }


@pages.get("/groups/{slug}/meetings/new", response_class=HTMLResponse, name="meetings.new")
def new_meeting_page(request: Request, group: CalendarGroup, principal: MeetingsWriter) -> HTMLResponse:
    calendar_rules.require(principal, CalendarAction.schedule, group)
    values = {
        "time_zone": time_zone_of(principal),
        "host_country": principal.country or "",
        "mode": MeetingMode.virtual.value,
        "visibility": Visibility.group.value,
        "status": MeetingStatus.scheduled.value,
    }
    context = _meeting_form_context(principal, group=group, errors=NO_ERRORS, values=values)
    return render(request, "meetings/new.html", context)


@pages.post("/groups/{slug}/meetings/new", response_class=HTMLResponse, name="meetings.create")
def create_meeting(
    request: Request, group: CalendarGroup, db: DbSession, principal: MeetingsWriter, form: MeetingFormData
) -> Response:
    def create() -> Response:
        meeting = service.create_meeting(db, principal, group, form.details())
        flash(request, N_("Meeting %(title)s scheduled."), title=meeting.title)
        return see_other(request, "meetings.detail", meeting_id=meeting.id)

    context = partial(_meeting_form_context, principal, group=group)
    return form_page(request, "meetings/new.html", context, create, values=form.values())


def _meeting_values(meeting: Meeting, zone_name: str) -> dict[str, str]:
    zone = ZoneInfo(zone_name)
    starts, ends = meeting.starts_at.astimezone(zone), meeting.ends_at.astimezone(zone)
    return {
        "title": meeting.title,
        "start_date": starts.date().isoformat(),
        "start_time": starts.strftime("%H:%M"),
        "end_date": ends.date().isoformat(),
        "end_time": ends.strftime("%H:%M"),
        "time_zone": zone_name,
        "host_country": meeting.host_country,
        "mode": meeting.mode.value,
        "venue": meeting.venue or "",
        "join_link": meeting.join_link or "",
        "visibility": meeting.visibility.value,
        "status": meeting.status.value,
    }


@pages.get("/meetings/{meeting_id}/edit", response_class=HTMLResponse, name="meetings.edit")
def edit_meeting_page(request: Request, meeting: EditableMeeting, principal: MeetingsWriter) -> HTMLResponse:
    values = _meeting_values(meeting, time_zone_of(principal))
    context = _meeting_form_context(principal, meeting=meeting, errors=NO_ERRORS, values=values)
    return render(request, "meetings/edit.html", context)


@pages.post("/meetings/{meeting_id}/edit", response_class=HTMLResponse, name="meetings.save")
def save_meeting(
    request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter, form: MeetingFormData
) -> Response:
    def save() -> Response:
        service.update_meeting(db, principal, meeting, form.details())
        flash(request, N_("The meeting was saved."))
        return see_other(request, "meetings.detail", meeting_id=meeting.id)

    context = partial(_meeting_form_context, principal, meeting=meeting)
    return form_page(request, "meetings/edit.html", context, save, values=form.values())


# The meeting page -------------------------------------------------------------------------------------------------


def _detail_context(db: DbSession, principal: Principal, meeting: Meeting, *, remember: bool = False) -> dict[str, Any]:
    view = service.meeting_view(db, principal, meeting, remember=remember)
    context: dict[str, Any] = {
        "view": view,
        "meeting": meeting,
        "group": meeting.group,
        "answers": list(AttendanceAnswer),
        "capitals": capitals_strip(meeting.starts_at, meeting.ends_at, time_zone_of(principal)),
        "minutes": service.minutes_shown(db, principal, meeting),
    }
    if "record_attendance" in view.can:
        context["candidates"] = service.attendance_candidates(db, meeting)
    return context


@pages.get("/meetings/{meeting_id}", response_class=HTMLResponse, name="meetings.detail")
@cached_response
def meeting_page(request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsReader) -> HTMLResponse:
    context = _detail_context(db, principal, meeting, remember=True)
    return render(request, "meetings/detail.html", {**context, "errors": NO_ERRORS, "values": {}})


def _on_meeting_page(
    request: Request, db: DbSession, principal: Principal, meeting: Meeting, action: Any, message: str
) -> Response:
    """A button of the meeting page: on success back to it with a banner; on a refusal the page with the error."""

    def run() -> Response:
        action()
        flash(request, message)
        return see_other(request, "meetings.detail", meeting_id=meeting.id)

    return form_page(request, "meetings/detail.html", partial(_detail_context, db, principal, meeting), run)


@pages.post("/meetings/{meeting_id}/agenda/publish", response_class=HTMLResponse, name="meetings.publish")
def publish(request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> Response:
    action = partial(service.publish_agenda, db, principal, meeting)
    return _on_meeting_page(request, db, principal, meeting, action, N_("The agenda was published."))


@pages.post("/meetings/{meeting_id}/agenda/lock", response_class=HTMLResponse, name="meetings.lock")
def lock(request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> Response:
    action = partial(service.lock_agenda, db, principal, meeting)
    return _on_meeting_page(request, db, principal, meeting, action, N_("The agenda was locked."))


@pages.post("/meetings/{meeting_id}/attendance", response_class=HTMLResponse, name="meetings.answer")
def answer(
    request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter, answer: FormAnswer = ""
) -> Response:
    def run() -> None:
        service.answer_invitation(db, principal, meeting, answer_choice(answer))

    return _on_meeting_page(request, db, principal, meeting, run, N_("Your answer was saved."))


@pages.post("/meetings/{meeting_id}/attendance/record", response_class=HTMLResponse, name="meetings.record_attendance")
def record_attendance(
    request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter, attended: FormAttended = None
) -> Response:
    def run() -> None:
        ids = {parse_id(raw, field="attended") for raw in attended or ()}
        service.record_attendance(db, principal, meeting, ids)

    return _on_meeting_page(request, db, principal, meeting, run, N_("Attendance was recorded."))


# Agenda items -----------------------------------------------------------------------------------------------------


def _item_form_context(
    db: DbSession, principal: Principal, meeting: Meeting, item: AgendaItem | None = None
) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "group": meeting.group,
        "item": item,
        "members": service.presenter_choices(db, meeting),
        "countries": QUAD_COUNTRY_CODES,
        "documents": service.linkable_documents(db, principal, meeting),
    }


@pages.get("/meetings/{meeting_id}/agenda/new", response_class=HTMLResponse, name="meetings.new_item")
def new_item_page(request: Request, meeting: AgendaEditable, db: DbSession, principal: MeetingsWriter) -> HTMLResponse:
    context = _item_form_context(db, principal, meeting)
    return render(request, "meetings/item.html", {**context, "errors": NO_ERRORS, "values": {"minutes": "15"}})


@pages.post("/meetings/{meeting_id}/agenda/new", response_class=HTMLResponse, name="meetings.add_item")
def add_item(
    request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter, form: AgendaItemFormData
) -> Response:
    def add() -> Response:
        item = service.add_item(db, principal, meeting, form.fields())
        flash(request, N_("Agenda item %(title)s added."), title=item.title)
        return see_other(request, "meetings.detail", meeting_id=meeting.id)

    context = partial(_item_form_context, db, principal, meeting)
    return form_page(request, "meetings/item.html", context, add, values=form.values())


@pages.get("/meetings/{meeting_id}/agenda/{item_id}/edit", response_class=HTMLResponse, name="meetings.edit_item")
def edit_item_page(
    request: Request, meeting: AgendaEditable, item: MeetingItem, db: DbSession, principal: MeetingsWriter
) -> HTMLResponse:
    context = _item_form_context(db, principal, meeting, item)
    return render(
        request, "meetings/item.html", {**context, "errors": NO_ERRORS, "values": AgendaItemForm.of_item(item)}
    )


@pages.post("/meetings/{meeting_id}/agenda/{item_id}/edit", response_class=HTMLResponse, name="meetings.save_item")
def save_item(
    request: Request,
    meeting: ReadableMeeting,
    item: MeetingItem,
    db: DbSession,
    principal: MeetingsWriter,
    form: AgendaItemFormData,
) -> Response:
    def save() -> Response:
        service.update_item(db, principal, meeting, item, form.fields())
        flash(request, N_("Agenda item %(title)s saved."), title=item.title)
        return see_other(request, "meetings.detail", meeting_id=meeting.id)

    context = partial(_item_form_context, db, principal, meeting, item)
    return form_page(request, "meetings/item.html", context, save, values=form.values())


@pages.post("/meetings/{meeting_id}/agenda/{item_id}/remove", response_class=HTMLResponse, name="meetings.remove_item")
def remove_item(
    request: Request, meeting: ReadableMeeting, item: MeetingItem, db: DbSession, principal: MeetingsWriter
) -> Response:
    action = partial(service.remove_item, db, principal, meeting, item)
    return _on_meeting_page(request, db, principal, meeting, action, N_("The agenda item was removed."))


STEPS = {"up": -1, "down": 1}


@pages.post("/meetings/{meeting_id}/agenda/{item_id}/move", response_class=HTMLResponse, name="meetings.move_item")
def move_item(
    request: Request,
    meeting: ReadableMeeting,
    item: MeetingItem,
    db: DbSession,
    principal: MeetingsWriter,
    direction: FormDirection = "",
) -> Response:
    """The up and down buttons (no JavaScript needed); static/agenda.js sends the same form in the background."""
    action = partial(service.move_item, db, principal, meeting, item, STEPS.get(direction, 0))
    return _on_meeting_page(request, db, principal, meeting, action, N_("The agenda was reordered."))


@pages.post("/meetings/{meeting_id}/agenda/order", response_class=HTMLResponse, name="meetings.reorder")
def reorder(
    request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter, item_ids: FormItemIds = None
) -> Response:
    def run() -> None:
        service.reorder(db, principal, meeting, [parse_id(raw, field="item_ids") for raw in item_ids or ()])

    return _on_meeting_page(request, db, principal, meeting, run, N_("The agenda was reordered."))


# Minutes ----------------------------------------------------------------------------------------------------------


def _minutes_context(db: DbSession, principal: Principal, meeting: Meeting) -> dict[str, Any]:
    history = service.minutes_history(db, principal, meeting)
    latest = history.revisions[0] if history.revisions else None
    return {
        "meeting": meeting,
        "group": meeting.group,
        "history": history,
        "can_write": rules.allows(principal, MeetingAction.write_minutes, meeting),
        "latest": latest,
    }


@pages.get("/meetings/{meeting_id}/minutes", response_class=HTMLResponse, name="meetings.minutes")
def minutes_page(request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsReader) -> HTMLResponse:
    """The revisions the reader may read; for the chairs and the secretariat also the form that appends one (it
    starts from the latest text) and the publish button."""
    context = _minutes_context(db, principal, meeting)
    latest = context["latest"]
    values = {"text": latest.text if latest is not None else ""}
    return render(request, "meetings/minutes.html", {**context, "errors": NO_ERRORS, "values": values})


@pages.post("/meetings/{meeting_id}/minutes", response_class=HTMLResponse, name="meetings.append_minutes")
def append_minutes(
    request: Request,
    meeting: ReadableMeeting,
    db: DbSession,
    principal: MeetingsWriter,
    text: FormText = "",
    note: FormNote = "",
) -> Response:
    def save() -> Response:
        revision = service.append_minutes(db, principal, meeting, text, note)
        flash(request, N_("Revision %(number)d of the minutes was saved as a draft."), number=revision.number)
        return see_other(request, "meetings.minutes", meeting_id=meeting.id)

    context = partial(_minutes_context, db, principal, meeting)
    return form_page(request, "meetings/minutes.html", context, save, values={"text": text, "note": note})


@pages.post("/meetings/{meeting_id}/minutes/publish", response_class=HTMLResponse, name="meetings.publish_minutes")
def publish_minutes(request: Request, meeting: ReadableMeeting, db: DbSession, principal: MeetingsWriter) -> Response:
    def publish() -> Response:
        revision = service.publish_minutes(db, principal, meeting)
        flash(request, N_("Revision %(number)d of the minutes was published."), number=revision.number)
        return see_other(request, "meetings.minutes", meeting_id=meeting.id)

    return form_page(request, "meetings/minutes.html", partial(_minutes_context, db, principal, meeting), publish)


@pages.get("/meetings/{meeting_id}/minutes/diff", response_class=HTMLResponse, name="meetings.minutes_diff")
def minutes_diff_page(
    request: Request,
    meeting: ReadableMeeting,
    db: DbSession,
    principal: MeetingsReader,
    old: Annotated[int, Query(alias="from", ge=1, le=MAX_ID)],
    new: Annotated[int, Query(alias="to", ge=1, le=MAX_ID)],
) -> HTMLResponse:
    before, after, result = service.minutes_diff(db, principal, meeting, old, new)
    context = {
        "meeting": meeting,
        "group": meeting.group,
        "before": before,
        "after": after,
        "redline": result,
        "blocks": redline.collapse(result),
    }
    return render(request, "meetings/minutes_diff.html", context)
