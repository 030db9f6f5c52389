"""The JSON shapes of meetings. A join link appears only in one meeting's detail, and only for invitees: no list
shape has the field at all."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.access.visibility import Visibility
from app.core.schemas import Out
from app.documents.schemas import MarkingOut
from app.meetings import service
from app.meetings.models import AgendaState, AttendanceAnswer, Meeting, MeetingMode, MeetingStatus, MinutesRevision
from app.meetings.permissions import MeetingAction
from app.web.deps import MAX_ID

TIMES = "With a UTC offset (2027-03-14T09:30:00+09:00), or local to `time_zone` when without one"


class MeetingSummary(Out):
    id: int
    group: str = Field(description="The working group's slug")
    title: str
    starts_at: datetime = Field(description="UTC")
    ends_at: datetime = Field(description="UTC")
    host_country: str
    mode: MeetingMode
    venue: str | None
    status: MeetingStatus
    visibility: Visibility
    agenda_state: AgendaState
    agenda_version: int
    sequence: int = Field(description="Goes up on every change of the meeting or its agenda")

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingSummary:
        return cls(
            id=meeting.id,
            group=meeting.group.slug,
            title=meeting.title,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            host_country=meeting.host_country,
            mode=meeting.mode,
            venue=meeting.venue,
            status=meeting.status,
            visibility=meeting.visibility,
            agenda_state=meeting.agenda_state,
            agenda_version=meeting.agenda_version,
            sequence=meeting.sequence,
        )


class LinkedDocumentOut(BaseModel):
    id: int
    title: str
    marking: MarkingOut
    content_readable: bool = Field(description="Whether the caller may open its files (the release rule)")


class AgendaItemOut(BaseModel):
    id: int
    position: int
    title: str
    description: str = Field(description="Markdown")
    presenter_id: int | None
    presenter_name: str | None
    presenter_country: str | None = Field(description="A delegation presents (country code)")
    minutes: int
    outcome: str = Field(description="Markdown")
    changed_in_version: int
    changed_since_seen: bool = Field(description="Changed since the caller last opened the meeting page")
    documents: list[LinkedDocumentOut] = Field(description="Only the linked documents the caller may read")

    @classmethod
    def of(cls, view: service.ItemView) -> AgendaItemOut:
        item = view.item
        return cls(
            id=item.id,
            position=item.position,
            title=item.title,
            description=item.description,
            presenter_id=item.presenter_id,
            presenter_name=view.presenter_name,
            presenter_country=item.presenter_country,
            minutes=item.minutes,
            outcome=item.outcome,
            changed_in_version=item.changed_in_version,
            changed_since_seen=view.changed_since_seen,
            documents=[
                LinkedDocumentOut(
                    id=linked.document.id,
                    title=linked.document.title,
                    marking=MarkingOut(
                        controlled=linked.document.controlled,
                        category=linked.document.control_category,
                        control_code=linked.document.control_code,
                        release=linked.document.release_countries,
                    ),
                    content_readable=linked.content_readable,
                )
                for linked in view.documents
            ],
        )


class AttendanceOut(BaseModel):
    user_id: int
    display_name: str
    answer: AttendanceAnswer | None
    attended: bool | None


class CountryAttendanceOut(BaseModel):
    country_code: str | None = Field(description="null: the secretariat")
    people: list[AttendanceOut]


class MeetingDetail(MeetingSummary):
    join_link: str | None = Field(description="Only for the people invited (the group's members, the secretariat)")
    agenda: list[AgendaItemOut] | None = Field(description="null while the agenda is a draft the caller may not see")
    agenda_minutes: int
    agenda_overruns: bool = Field(description="The items' minutes add up to more than the meeting's length")
    attendance: list[CountryAttendanceOut]
    my_answer: AttendanceAnswer | None
    actions: list[MeetingAction] = Field(description="What the caller may do")

    @classmethod
    def of_view(cls, view: service.MeetingView) -> MeetingDetail:
        return cls(
            **MeetingSummary.of(view.meeting).model_dump(),
            join_link=view.join_link,
            agenda=[AgendaItemOut.of(item) for item in view.items] if view.agenda_shown else None,
            agenda_minutes=view.total_minutes,
            agenda_overruns=view.overruns,
            attendance=[
                CountryAttendanceOut(
                    country_code=row.country,
                    people=[
                        AttendanceOut(
                            user_id=a.user_id, display_name=a.user.display_name, answer=a.answer, attended=a.attended
                        )
                        for a in row.people
                    ],
                )
                for row in view.attendance
            ],
            my_answer=view.my_answer,
            actions=sorted(view.can),
        )


class MeetingIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime = Field(description=TIMES)
    ends_at: datetime = Field(description=TIMES)
    time_zone: str | None = Field(None, max_length=64, description="IANA name, for times given without an offset")
    host_country: str = Field(min_length=2, max_length=2)
    mode: MeetingMode
    venue: str = Field("", max_length=300, description="Required in person and hybrid")
    join_link: str = Field("", max_length=500, description="https://..., required online and hybrid")
    visibility: Visibility = Visibility.group
    status: MeetingStatus = MeetingStatus.scheduled

    def details(self) -> service.MeetingDetails:
        return service.MeetingDetails(
            title=self.title,
            starts_at=service.in_utc(self.starts_at, self.time_zone, field="starts_at"),
            ends_at=service.in_utc(self.ends_at, self.time_zone, field="ends_at"),
            host_country=self.host_country,
            mode=self.mode,
            visibility=self.visibility,
            venue=self.venue,
            join_link=self.join_link,
            status=self.status,
        )


class NewMeetingIn(MeetingIn):
    group: str = Field(min_length=1, max_length=64, description="The working group's slug")


class MeetingPatch(BaseModel):
    title: str | None = Field(None, min_length=1, max_length=200)
    starts_at: datetime | None = Field(None, description=TIMES)
    ends_at: datetime | None = Field(None, description=TIMES)
    time_zone: str | None = Field(None, max_length=64)
    host_country: str | None = Field(None, min_length=2, max_length=2)
    mode: MeetingMode | None = None
    venue: str | None = Field(None, max_length=300)
    join_link: str | None = Field(None, max_length=500)
    visibility: Visibility | None = None
    status: MeetingStatus | None = None

    def applied_to(self, meeting: Meeting) -> service.MeetingDetails:
        if self.time_zone is not None:
            service.zone_named(self.time_zone)  # an unknown zone is refused even when no time needs it
        return service.MeetingDetails(
            title=self.title if self.title is not None else meeting.title,
            starts_at=service.in_utc(self.starts_at, self.time_zone, field="starts_at")
            if self.starts_at is not None
            else meeting.starts_at,
            ends_at=service.in_utc(self.ends_at, self.time_zone, field="ends_at")
            if self.ends_at is not None
            else meeting.ends_at,
            host_country=self.host_country or meeting.host_country,
            mode=self.mode or meeting.mode,
            visibility=self.visibility or meeting.visibility,
            venue=self.venue if self.venue is not None else meeting.venue or "",
            join_link=self.join_link if self.join_link is not None else meeting.join_link or "",
            status=self.status or meeting.status,
        )


class AgendaItemIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=20_000, description="Markdown")
    presenter_id: int | None = Field(None, ge=1, le=MAX_ID, description="A member of the group")
    presenter_country: str | None = Field(None, min_length=2, max_length=2, description="Or a delegation")
    minutes: int = Field(0, ge=0, le=1440)
    outcome: str = Field("", max_length=20_000, description="Markdown")
    document_ids: list[int] = Field(default_factory=list, max_length=20, description="Documents of the group")

    def fields(self) -> service.ItemFields:
        return service.ItemFields(
            title=self.title,
            description=self.description,
            presenter_id=self.presenter_id,
            presenter_country=self.presenter_country,
            minutes=self.minutes,
            outcome=self.outcome,
            document_ids=tuple(self.document_ids),
        )


class AgendaOrderIn(BaseModel):
    item_ids: list[int] = Field(max_length=500, description="Every item of the agenda, in the new order")


class AnswerIn(BaseModel):
    answer: AttendanceAnswer


class AttendedIn(BaseModel):
    attended: list[int] = Field(max_length=2000, description="The ids of the people who attended")


class MinutesRevisionOut(BaseModel):
    number: int
    text: str = Field(description="Markdown as written")
    html: str = Field(description="The Markdown rendered and sanitised")
    author: str | None = Field(description="Who wrote it (None once their account is gone)")
    note: str
    created_at: datetime
    published: bool = Field(description="False: a draft, listed only to the group's chairs and the secretariat")

    @classmethod
    def of(cls, revision: MinutesRevision, published: bool) -> MinutesRevisionOut:
        return cls(
            number=revision.number,
            text=revision.text,
            html=revision.html,
            author=revision.author.display_name if revision.author is not None else None,
            note=revision.note,
            created_at=revision.created_at,
            published=published,
        )


class MinutesOut(BaseModel):
    published_number: int | None = Field(description="The revision that is the published minutes, if any")
    revisions: list[MinutesRevisionOut] = Field(description="The revisions the caller may read, newest first")

    @classmethod
    def of(cls, history: service.MinutesHistory) -> MinutesOut:
        return cls(
            published_number=history.current,
            revisions=[MinutesRevisionOut.of(r, r.number in history.publications) for r in history.revisions],
        )


class MinutesIn(BaseModel):
    text: str = Field(max_length=service.MINUTES_MAX, description="Markdown; not empty")
    note: str = Field("", max_length=service.NOTE_MAX, description="What this revision changes, in a line")
