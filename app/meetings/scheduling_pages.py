"""Find a time for a working group's meetings: the page and its JSON twin.

Both ask the same question (a date range, a meeting length, working hours, the number of meetings in a series)
and get the same answer from `app.meetings.timezones.find_time`; nothing is stored. The dates are days in the
viewer's own zone (their profile's, else their country capital's, else UTC), as the page shows them.

Who may ask: a signed-in government participant or the secretariat (`QuadReader`), about a group they may read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from app.access.policy import QuadReader
from app.access.principal import Principal
from app.core.errors import N_, InvalidInput
from app.core.routing import api_router, page_router
from app.groups.deps import ReadableGroup
from app.groups.models import WorkingGroup
from app.meetings.timezones import (
    CAPITALS,
    DEFAULT_WORKING_HOURS,
    MAX_LENGTH_MINUTES,
    MAX_RANGE_DAYS,
    MAX_SERIES,
    MIN_LENGTH_MINUTES,
    CapitalTime,
    FindTimeQuery,
    FindTimeResult,
    SlotTimes,
    find_time,
    find_time_errors,
    find_time_query,
    validate_time_zone,
    viewer_time_zone,
)
from app.web.forms import NO_ERRORS, FormReader, InvalidForm, form_page
from app.web.openapi import problems
from app.web.templating import render

pages = page_router()
api = api_router(prefix="/api/v1/working-groups", tags=["meetings"])

TEMPLATE = "meetings/find_time.html"
FIELDS = ("date_from", "date_to", "length", "hours_from", "hours_to", "meetings")
DEFAULT_LENGTH_MINUTES = 60
DEFAULT_SERIES = 4
DEFAULT_RANGE = timedelta(days=13)  # two weeks, the first day included
T = TypeVar("T")


def _viewer_zone(principal: Principal) -> str:
    return viewer_time_zone(principal.time_zone, principal.country)


def _first_day(zone: str) -> date:
    """Tomorrow in the viewer's zone: the earliest day a meeting can still be called."""
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date() + timedelta(days=1)


# The page's form -------------------------------------------------------------------------------------------------


def _parsed(value: str, parse: Callable[[str], T], *, field: str, message: str) -> T:
    try:
        return parse(value.strip())
    except ValueError:
        raise InvalidInput(message, field=field) from None


@dataclass(frozen=True)
class FindTimeForm:
    """The GET form as typed (strings): an empty field takes its default, a bad one is shown beside the field."""

    date_from: str = ""
    date_to: str = ""
    length: str = ""
    hours_from: str = ""
    hours_to: str = ""
    meetings: str = ""

    @classmethod
    def from_query(
        cls,
        date_from: Annotated[str, Query(max_length=40)] = "",
        date_to: Annotated[str, Query(max_length=40)] = "",
        length: Annotated[str, Query(max_length=40)] = "",
        hours_from: Annotated[str, Query(max_length=40)] = "",
        hours_to: Annotated[str, Query(max_length=40)] = "",
        meetings: Annotated[str, Query(max_length=40)] = "",
    ) -> FindTimeForm:
        return cls(date_from, date_to, length, hours_from, hours_to, meetings)

    def with_defaults(self, zone: str) -> FindTimeForm:
        first = self.date_from or _first_day(zone).isoformat()
        last = self.date_to
        if not last:
            try:
                last = (date.fromisoformat(first.strip()) + DEFAULT_RANGE).isoformat()
            except ValueError:
                last = ""  # the first day's own error is enough
        return FindTimeForm(
            date_from=first,
            date_to=last,
            length=self.length or str(DEFAULT_LENGTH_MINUTES),
            hours_from=self.hours_from or DEFAULT_WORKING_HOURS.start.strftime("%H:%M"),
            hours_to=self.hours_to or DEFAULT_WORKING_HOURS.end.strftime("%H:%M"),
            meetings=self.meetings or str(DEFAULT_SERIES),
        )

    def query(self, zone: str) -> FindTimeQuery:
        """Every field's error at once (formats first, then the rules between fields), in the form's order."""
        reader = FormReader(order=FIELDS)
        day = N_("enter a date such as 2026-03-09")
        clock = N_("enter a time such as 08:00")
        whole = N_("enter a whole number")
        first = reader.read(lambda: _parsed(self.date_from, date.fromisoformat, field="date_from", message=day), None)
        # An empty last day means the first day's default could not be worked out: its error says enough.
        last = (
            reader.read(lambda: _parsed(self.date_to, date.fromisoformat, field="date_to", message=day), None)
            if self.date_to
            else None
        )
        length = reader.read(lambda: _parsed(self.length, int, field="length", message=whole), None)
        opens = reader.read(
            lambda: _parsed(self.hours_from, time.fromisoformat, field="hours_from", message=clock), None
        )
        closes = reader.read(lambda: _parsed(self.hours_to, time.fromisoformat, field="hours_to", message=clock), None)
        meetings = reader.read(lambda: _parsed(self.meetings, int, field="meetings", message=whole), None)
        reader.done()
        assert first and last and length is not None and opens and closes and meetings is not None
        found = find_time_errors(
            day_from=first, day_to=last, length_minutes=length, hours_from=opens, hours_to=closes, meetings=meetings
        )
        if found:
            raise InvalidForm(found)
        return find_time_query(
            day_from=first,
            day_to=last,
            length_minutes=length,
            hours_from=opens,
            hours_to=closes,
            meetings=meetings,
            zone=zone,
        )

    def values(self) -> dict[str, str]:
        return asdict(self)


FindTimeFormData = Annotated[FindTimeForm, Depends(FindTimeForm.from_query)]


def _page_context(group: WorkingGroup, zone: str) -> dict[str, Any]:
    return {
        "group": group,
        "viewer_zone": zone,
        "capitals": CAPITALS,
        "result": None,
        "limits": {
            "days": MAX_RANGE_DAYS,
            "low": MIN_LENGTH_MINUTES,
            "high": MAX_LENGTH_MINUTES,
            "series": MAX_SERIES,
        },
        "errors": NO_ERRORS,
    }


@pages.get("/groups/{slug}/find-a-time", response_class=HTMLResponse, name="meetings.find_time")
def find_a_time_page(request: Request, group: ReadableGroup, principal: QuadReader, form: FindTimeFormData) -> Response:
    zone = _viewer_zone(principal)
    typed = form.with_defaults(zone)
    context = partial(_page_context, group, zone)

    def answer() -> Response:
        result = find_time(typed.query(zone))
        return render(request, TEMPLATE, {**context(), "result": result, "values": typed.values()})

    return form_page(request, TEMPLATE, context, answer, values=typed.values())


# The API ---------------------------------------------------------------------------------------------------------


class CapitalTimeOut(BaseModel):
    country_code: str
    city: str
    time_zone: str
    starts_at: datetime = Field(description="Local time, with its UTC offset")
    ends_at: datetime
    other_day: bool = Field(description="The local date differs from the viewer's date of the start")
    crosses_midnight: bool
    outside_working_hours: bool
    burden_minutes: int = Field(description="How far the meeting reaches outside working hours, in minutes")

    @classmethod
    def of(cls, entry: CapitalTime) -> CapitalTimeOut:
        return cls(
            country_code=entry.capital.country_code,
            city=entry.capital.city,
            time_zone=entry.capital.zone,
            starts_at=entry.starts_at,
            ends_at=entry.ends_at,
            other_day=entry.other_day,
            crosses_midnight=entry.crosses_midnight,
            outside_working_hours=entry.outside_hours,
            burden_minutes=entry.burden,
        )


class SlotOut(BaseModel):
    starts_at: datetime = Field(description="UTC")
    ends_at: datetime = Field(description="UTC")
    total_burden_minutes: int
    largest_burden_minutes: int
    capitals: list[CapitalTimeOut]

    @classmethod
    def of(cls, times: SlotTimes) -> SlotOut:
        return cls(
            starts_at=times.slot.starts_at,
            ends_at=times.slot.ends_at,
            total_burden_minutes=times.slot.total,
            largest_burden_minutes=times.slot.worst,
            capitals=[CapitalTimeOut.of(entry) for entry in times.capitals],
        )


class CapitalTotalOut(BaseModel):
    country_code: str
    burden_minutes: int


class FindTimeOut(BaseModel):
    time_zone: str = Field(description="The zone whose days date_from and date_to are")
    date_from: date
    date_to: date
    length_minutes: int
    hours_from: time
    hours_to: time
    candidates: int = Field(description="How many start times were weighed")
    best_slots: list[SlotOut] = Field(description="The best slots, one per time of day, best first")
    rotation: list[SlotOut] = Field(description="The fairest series of meetings, in time order")
    rotation_totals: list[CapitalTotalOut] = Field(description="The series' burden added up per capital")

    @classmethod
    def of(cls, result: FindTimeResult) -> FindTimeOut:
        query = result.query
        return cls(
            time_zone=query.zone,
            date_from=query.day_from,
            date_to=query.day_to,
            length_minutes=query.length_minutes,
            hours_from=query.hours.start,
            hours_to=query.hours.end,
            candidates=result.candidates,
            best_slots=[SlotOut.of(times) for times in result.options],
            rotation=[SlotOut.of(times) for times in result.rotation],
            rotation_totals=[
                CapitalTotalOut(country_code=capital.country_code, burden_minutes=total)
                for capital, total in result.totals
            ],
        )


def _as_query_error(error: InvalidInput) -> RequestValidationError:
    """A rule between parameters, reported like a parameter FastAPI refused: problem+json naming the field."""
    return RequestValidationError([{"loc": ("query", error.field), "msg": error.detail, "type": "value_error"}])


@api.get(
    "/{slug}/find-a-time",
    summary="Rank meeting slots across the four capitals and propose a fair rotation",
    responses=problems(403),
    name="meetings.api.find_time",
)
def find_a_time(
    group: ReadableGroup,
    principal: QuadReader,
    date_from: Annotated[date, Query(description="First day, in `time_zone`")],
    date_to: Annotated[date, Query(description=f"Last day, at most {MAX_RANGE_DAYS} days after the first counted in")],
    length: Annotated[int, Query(description=f"Minutes, {MIN_LENGTH_MINUTES} to {MAX_LENGTH_MINUTES}")] = 60,
    hours_from: Annotated[time, Query(description="Start of working hours, local")] = DEFAULT_WORKING_HOURS.start,
    hours_to: Annotated[time, Query(description="End of working hours, local")] = DEFAULT_WORKING_HOURS.end,
    meetings: Annotated[int, Query(description=f"Meetings in the series, 1 to {MAX_SERIES}, one a day")] = 4,
    time_zone: Annotated[
        str | None, Query(max_length=64, description="IANA zone of the days; default the caller's own")
    ] = None,
) -> FindTimeOut:
    try:
        zone = validate_time_zone(time_zone) if time_zone is not None else _viewer_zone(principal)
        query = find_time_query(
            day_from=date_from,
            day_to=date_to,
            length_minutes=length,
            hours_from=hours_from,
            hours_to=hours_to,
            meetings=meetings,
            zone=zone,
        )
    except InvalidInput as error:
        raise _as_query_error(error) from None
    return FindTimeOut.of(find_time(query))
