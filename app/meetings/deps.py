"""What meeting routes take from a request: the meeting (and agenda item) in the path, loaded once (404 when it
does not exist or may not be read), the list filters, and the forms of the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import Depends, Form, Query

from app.access.policy import AnyPrincipal, CurrentPrincipal, QuadReader
from app.access.visibility import Visibility
from app.core.errors import N_, InvalidInput, NotFound
from app.groups import service as groups
from app.groups.models import WorkingGroup
from app.meetings import service
from app.meetings.models import AgendaItem, AttendanceAnswer, Meeting, MeetingMode, MeetingStatus
from app.meetings.permissions import MeetingAction, rules
from app.meetings.service import MeetingFilters
from app.web.deps import DbSession, ObjectId
from app.web.forms import FormReader, parse_choice, parse_id

# Route gates, the same on the API and the pages. Reading is open (visibility decides); changes need a
# government participant or the secretariat (the service's rules decide who among them: chairs, invitees).
MeetingsReader = AnyPrincipal
MeetingsWriter = QuadReader


def readable_meeting(meeting_id: ObjectId, db: DbSession, principal: CurrentPrincipal) -> Meeting:
    return service.get_meeting(db, principal, meeting_id)


ReadableMeeting = Annotated[Meeting, Depends(readable_meeting)]


def meeting_item(item_id: ObjectId, meeting: ReadableMeeting, db: DbSession) -> AgendaItem:
    return service.get_item(db, meeting, item_id)


MeetingItem = Annotated[AgendaItem, Depends(meeting_item)]


def page_group(slug: str, db: DbSession, principal: CurrentPrincipal) -> WorkingGroup:
    return groups.readable_group(db, principal, slug=slug)


CalendarGroup = Annotated[WorkingGroup, Depends(page_group)]


# List filters ------------------------------------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    """A filter time without an offset is read as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def api_filters(
    db: DbSession,
    principal: CurrentPrincipal,
    group: Annotated[str | None, Query(max_length=64, description="working group slug")] = None,
    starts_from: Annotated[
        datetime | None, Query(alias="from", description="meetings still running at or after this time (UTC)")
    ] = None,
    starts_to: Annotated[datetime | None, Query(alias="to", description="meetings starting before this time")] = None,
    status: Annotated[MeetingStatus | None, Query(description="scheduled, held or cancelled")] = None,
) -> MeetingFilters:
    group_id = None
    if group:
        try:
            group_id = groups.readable_group(db, principal, slug=group).id
        except NotFound:
            raise InvalidInput(N_("there is no working group “%(slug)s”"), slug=group, field="group") from None
    return MeetingFilters(group_id=group_id, starts_from=_utc(starts_from), starts_to=_utc(starts_to), status=status)


ApiFilters = Annotated[MeetingFilters, Depends(api_filters)]


# Forms -------------------------------------------------------------------------------------------------------------

MEETING_FIELDS = (
    "title",
    "start_date",
    "start_time",
    "end_date",
    "end_time",
    "time_zone",
    "host_country",
    "mode",
    "venue",
    "join_link",
    "visibility",
    "status",
)


@dataclass(frozen=True)
class MeetingForm:
    """The meeting form: dates and times on the clock of the zone chosen (the viewer's by default)."""

    title: str = ""
    start_date: str = ""
    start_time: str = ""
    end_date: str = ""
    end_time: str = ""
    time_zone: str = ""
    host_country: str = ""
    mode: str = ""
    venue: str = ""
    join_link: str = ""
    visibility: str = Visibility.group.value
    status: str = MeetingStatus.scheduled.value

    @classmethod
    def from_form(
        cls,
        title: Annotated[str, Form()] = "",
        start_date: Annotated[str, Form()] = "",
        start_time: Annotated[str, Form()] = "",
        end_date: Annotated[str, Form()] = "",
        end_time: Annotated[str, Form()] = "",
        time_zone: Annotated[str, Form()] = "",
        host_country: Annotated[str, Form()] = "",
        mode: Annotated[str, Form()] = "",
        venue: Annotated[str, Form()] = "",
        join_link: Annotated[str, Form()] = "",
        visibility: Annotated[str, Form()] = Visibility.group.value,
        status: Annotated[str, Form()] = MeetingStatus.scheduled.value,
    ) -> MeetingForm:
        return cls(
            title, start_date, start_time, end_date, end_time, time_zone, host_country, mode, venue, join_link,
            visibility, status,
        )  # fmt: skip

    def details(self) -> service.MeetingDetails:
        """Every field's error at once for the parts read here; the service checks the rest."""
        reader = FormReader(MEETING_FIELDS)
        zone = reader.read(lambda: service.zone_named(self.time_zone or "UTC"), None)
        starts = ends = None
        if zone is not None:
            starts = reader.read(
                lambda: service.local_to_utc(self.start_date, self.start_time, zone, field="start_date"), None
            )
            ends = reader.read(lambda: service.local_to_utc(self.end_date, self.end_time, zone, field="end_date"), None)
        mode = reader.choice(MeetingMode, self.mode, field="mode", message=N_("choose how the meeting is held"))
        visibility = reader.choice(Visibility, self.visibility, field="visibility", message=N_("choose who may see it"))
        status = reader.choice(MeetingStatus, self.status, field="status", message=N_("choose a status"))
        reader.done()
        assert starts is not None and ends is not None and mode and visibility and status
        try:
            return service.checked(
                service.MeetingDetails(
                    self.title, starts, ends, self.host_country, mode, visibility, self.venue, self.join_link, status
                )
            )
        except InvalidInput as error:
            # The form has no ends_at field: the end is its date and time.
            if error.field in ("ends_at", "starts_at"):
                error.field = "end_date" if error.field == "ends_at" else "start_date"
            raise

    def values(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in MEETING_FIELDS}


MeetingFormData = Annotated[MeetingForm, Depends(MeetingForm.from_form)]

ITEM_FIELDS = ("title", "presenter", "minutes", "description", "documents", "outcome")


@dataclass(frozen=True)
class AgendaItemForm:
    """`presenter`: "" (nobody named), "user:<id>" (a member) or "country:<code>" (a delegation)."""

    title: str = ""
    description: str = ""
    presenter: str = ""
    minutes: str = "0"
    outcome: str = ""
    documents: tuple[str, ...] = ()

    @classmethod
    def from_form(
        cls,
        title: Annotated[str, Form()] = "",
        description: Annotated[str, Form()] = "",
        presenter: Annotated[str, Form()] = "",
        minutes: Annotated[str, Form()] = "0",
        outcome: Annotated[str, Form()] = "",
        documents: Annotated[list[str] | None, Form()] = None,
    ) -> AgendaItemForm:
        return cls(title, description, presenter, minutes, outcome, tuple(documents or ()))

    def fields(self) -> service.ItemFields:
        reader = FormReader(ITEM_FIELDS)
        kind, _, value = self.presenter.partition(":")
        presenter_id: int | None = None
        presenter_country: str | None = None
        if kind == "user":
            presenter_id = reader.read(lambda: parse_id(value, field="presenter"), None)
        elif kind == "country":
            presenter_country = value
        elif self.presenter:
            reader.errors.append(InvalidInput(N_("choose a presenter from the list"), field="presenter"))
        minutes = reader.read(lambda: _minutes(self.minutes), 0)
        documents = tuple(reader.read(partial(parse_id, raw, field="documents"), 0) for raw in self.documents)
        reader.done()
        return service.ItemFields(
            self.title, self.description, presenter_id, presenter_country, minutes, self.outcome, documents
        )

    def values(self) -> dict[str, object]:
        return {
            "title": self.title,
            "description": self.description,
            "presenter": self.presenter,
            "minutes": self.minutes,
            "outcome": self.outcome,
            "documents": [int(d) for d in self.documents if d.isdigit()],
        }

    @classmethod
    def of_item(cls, item: AgendaItem) -> dict[str, object]:
        presenter = ""
        if item.presenter_id is not None:
            presenter = f"user:{item.presenter_id}"
        elif item.presenter_country:
            presenter = f"country:{item.presenter_country}"
        return {
            "title": item.title,
            "description": item.description,
            "presenter": presenter,
            "minutes": str(item.minutes),
            "outcome": item.outcome,
            "documents": item.document_ids,
        }


def _minutes(raw: str) -> int:
    value = raw.strip()
    if not value.isdigit() or int(value) > service.MAX_MINUTES:
        raise InvalidInput(
            N_("give the minutes as a number from 0 to %(max)d"), max=service.MAX_MINUTES, field="minutes"
        )
    return int(value)


AgendaItemFormData = Annotated[AgendaItemForm, Depends(AgendaItemForm.from_form)]


def answer_choice(answer: Annotated[str, Form()] = "") -> AttendanceAnswer:
    return parse_choice(AttendanceAnswer, answer, field="answer", message=N_("choose your answer"))


FormAnswer = Annotated[str, Form()]
FormAttended = Annotated[list[str] | None, Form()]
FormItemIds = Annotated[list[str] | None, Form()]
FormDirection = Annotated[str, Form()]


class MeetingFor:
    """The path's meeting for a page that offers one action (its form): 404 when it may not be read, 403 with the
    action's refusal when the caller may not take it."""

    def __init__(self, action: MeetingAction) -> None:
        self.action = action

    def __call__(self, meeting: ReadableMeeting, principal: CurrentPrincipal) -> Meeting:
        rules.require(principal, self.action, meeting)
        return meeting


EditableMeeting = Annotated[Meeting, Depends(MeetingFor(MeetingAction.edit))]
AgendaEditable = Annotated[Meeting, Depends(MeetingFor(MeetingAction.edit_agenda))]


FormText = Annotated[str, Form()]
FormNote = Annotated[str, Form()]
