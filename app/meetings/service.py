"""Meetings, their agendas and attendance. Every write starts with `permissions.rules.require` (or
`calendar_rules` for a new meeting) and is audited in the same transaction."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, joinedload, selectinload

from app.access.principal import Principal
from app.access.visibility import Visibility
from app.audit import service as audit
from app.core import text
from app.core.db import utcnow
from app.core.errors import N_, Conflict, Forbidden, InvalidInput, NotFound
from app.core.markdown import to_html
from app.core.pagination import PageRequest, Paginated, paginate
from app.countries.service import QUAD_COUNTRY_CODES
from app.documents import permissions as document_permissions
from app.documents import redline
from app.documents.models import Document
from app.groups.models import Membership, WorkingGroup
from app.meetings import notices
from app.meetings.events import MeetingEvent
from app.meetings.models import (
    AgendaDocument,
    AgendaItem,
    AgendaState,
    AgendaView,
    Attendance,
    AttendanceAnswer,
    Meeting,
    MeetingMode,
    MeetingStatus,
    MinutesPublication,
    MinutesRevision,
)
from app.meetings.notices import MeetingNotice
from app.meetings.permissions import CalendarAction, MeetingAction, calendar_rules, rules
from app.users.models import User

log = logging.getLogger("app.meetings.service")

TITLE_MAX, PLACE_MAX, LINK_MAX, TEXT_MAX = 200, 300, 500, 20_000
MAX_MINUTES = 24 * 60
MAX_LINKED_DOCUMENTS = 20
MAX_MEETING_DAYS = 14


# Times -----------------------------------------------------------------------------------------------------------


def zone_named(name: str, *, field: str = "time_zone") -> ZoneInfo:
    """An IANA time zone named in input; an unknown one is the field's error (422)."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInput(N_("“%(zone)s” is not a time zone we know"), zone=name[:64], field=field) from None


def in_utc(value: datetime, zone_name: str | None, *, field: str) -> datetime:
    """A time from the API: with its offset, or local to `zone_name` when it has none."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    if not zone_name:
        raise InvalidInput(N_("give the time with its UTC offset, or a time zone"), field=field)
    return value.replace(tzinfo=zone_named(zone_name)).astimezone(UTC)


def local_to_utc(day: str, clock: str, zone: ZoneInfo, *, field: str) -> datetime:
    """A date and a time of day typed in a form, on the clock of `zone`."""
    try:
        moment = datetime.combine(date.fromisoformat(day.strip()), time.fromisoformat(clock.strip()))
    except ValueError:
        raise InvalidInput(N_("give a date and a time, such as 2027-03-14 and 09:30"), field=field) from None
    return moment.replace(tzinfo=zone).astimezone(UTC)


# Reading ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingFilters:
    group_id: int | None = None
    starts_from: datetime | None = None  # meetings that end at or after this
    starts_to: datetime | None = None  # meetings that start before this
    status: MeetingStatus | None = None
    past: bool | None = None  # True: ended, newest first; False: not ended yet, soonest first


def _listing(principal: Principal, filters: MeetingFilters, now: datetime) -> Select[Any]:
    query = select(Meeting).where(Meeting.readable_by(principal))
    if filters.group_id is not None:
        query = query.where(Meeting.group_id == filters.group_id)
    if filters.starts_from is not None:
        query = query.where(Meeting.ends_at >= filters.starts_from)
    if filters.starts_to is not None:
        query = query.where(Meeting.starts_at < filters.starts_to)
    if filters.status is not None:
        query = query.where(Meeting.status == filters.status)
    if filters.past is True:
        query = query.where(Meeting.ends_at < now)
    elif filters.past is False:
        query = query.where(Meeting.ends_at >= now)
    return query


def list_meetings(
    session: Session, principal: Principal, filters: MeetingFilters, page: PageRequest
) -> Paginated[Meeting]:
    """The meetings the principal may read; soonest first, or newest first for past ones."""
    order = (Meeting.starts_at.desc(), Meeting.id.desc()) if filters.past else (Meeting.starts_at, Meeting.id)
    return paginate(
        session, _listing(principal, filters, utcnow()), page, order_by=order, options=(joinedload(Meeting.group),)
    )


def get_meeting(session: Session, principal: Principal, meeting_id: int) -> Meeting:
    """One meeting with its group; 404 when it does not exist or the principal may not read it."""
    meeting = session.scalar(select(Meeting).where(Meeting.id == meeting_id).options(joinedload(Meeting.group)))
    if meeting is None or not meeting.is_readable_by(principal):
        raise NotFound(N_("no such meeting"))
    return meeting


def get_item(session: Session, meeting: Meeting, item_id: int) -> AgendaItem:
    item = session.scalar(
        select(AgendaItem)
        .where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting.id)
        .options(selectinload(AgendaItem.document_links))
    )
    if item is None:
        raise NotFound(N_("this meeting has no such agenda item"))
    return item


def upcoming_for(session: Session, principal: Principal, limit: int = 5) -> Sequence[Meeting]:
    """The next scheduled meetings of the person's groups (every group for the secretariat): one query."""
    if not principal.is_staff and not principal.group_ids:
        return []
    query = (
        select(Meeting)
        .options(joinedload(Meeting.group))
        .where(Meeting.readable_by(principal), Meeting.ends_at >= utcnow(), Meeting.status == MeetingStatus.scheduled)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(limit)
    )
    if not principal.is_staff:
        query = query.where(Meeting.group_id.in_(sorted(principal.group_ids)))
    return session.scalars(query).all()


# The meeting page ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkedDocument:
    document: Document
    content_readable: bool  # the release rule: a marked document's files only for its release list


@dataclass(frozen=True)
class ItemView:
    item: AgendaItem
    documents: list[LinkedDocument]
    changed_since_seen: bool
    presenter_name: str | None  # a person; None when a delegation (or nobody) presents


@dataclass(frozen=True)
class CountryAttendance:
    country: str | None  # None: the secretariat
    people: list[Attendance]


@dataclass(frozen=True)
class MeetingView:
    meeting: Meeting
    can: frozenset[MeetingAction]
    agenda_shown: bool  # a draft agenda is shown only to its editors
    items: list[ItemView]
    total_minutes: int
    overruns: bool
    seen_version: int | None  # the agenda version the viewer saw last time (None: never, or not signed in)
    attendance: list[CountryAttendance]
    my_answer: AttendanceAnswer | None

    @property
    def join_link(self) -> str | None:
        return self.meeting.join_link if MeetingAction.see_join_link in self.can else None


def meeting_view(session: Session, principal: Principal, meeting: Meeting, *, remember: bool = False) -> MeetingView:
    """Everything the meeting page (and the API's meeting) shows this reader, in a fixed number of queries
    whatever the number of items and documents. `remember`: record the agenda version the reader now sees."""
    can = rules.allowed(principal, meeting)
    agenda_shown = meeting.agenda_state is not AgendaState.draft or MeetingAction.see_draft_agenda in can
    items: Sequence[AgendaItem] = []
    if agenda_shown:
        items = session.scalars(
            select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .options(joinedload(AgendaItem.presenter), selectinload(AgendaItem.document_links))
            .order_by(AgendaItem.position, AgendaItem.id)
        ).all()
    readable = _readable_documents(session, principal, {i for item in items for i in item.document_ids})
    seen = _seen_version(session, principal, meeting) if agenda_shown else None
    views = [
        ItemView(
            item=item,
            documents=[readable[i] for i in item.document_ids if i in readable],
            changed_since_seen=seen is not None
            and meeting.agenda_state is not AgendaState.draft
            and item.changed_in_version > seen,
            presenter_name=item.presenter.display_name if item.presenter is not None else None,
        )
        for item in items
    ]
    published = meeting.agenda_state is not AgendaState.draft
    unseen = seen is None or seen < meeting.agenda_version
    if remember and agenda_shown and published and unseen and principal.user_id is not None:
        _remember_seen(session, principal.user_id, meeting, exists=seen is not None)
    answers = session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id).options(joinedload(Attendance.user))
    ).all()
    total = sum(item.minutes for item in items)
    return MeetingView(
        meeting=meeting,
        can=can,
        agenda_shown=agenda_shown,
        items=views,
        total_minutes=total,
        overruns=total > meeting.length_minutes,
        seen_version=seen,
        attendance=_by_country(answers),
        my_answer=next((a.answer for a in answers if a.user_id == principal.user_id), None),
    )


def _readable_documents(session: Session, principal: Principal, ids: set[int]) -> dict[int, LinkedDocument]:
    """The linked documents this reader may see (the documents' own rule): the others are not listed at all."""
    if not ids:
        return {}
    documents = session.scalars(
        select(Document)
        .where(Document.id.in_(sorted(ids)), document_permissions.readable_documents(principal))
        .options(selectinload(Document.releases))
    ).all()
    # The documents' group is the meeting's, already loaded: no query per document for the content rule.
    return {d.id: LinkedDocument(d, document_permissions.can_read_content(principal, d)) for d in documents}


def _seen_version(session: Session, principal: Principal, meeting: Meeting) -> int | None:
    if principal.user_id is None:
        return None
    return session.scalar(
        select(AgendaView.seen_version).where(
            AgendaView.meeting_id == meeting.id, AgendaView.user_id == principal.user_id
        )
    )


def _remember_seen(session: Session, user_id: int, meeting: Meeting, *, exists: bool) -> None:
    """A convenience write of a read request: skipped (logged) when the database is busy or another tab won."""
    try:
        with session.begin_nested():
            if exists:
                view = session.get_one(AgendaView, (meeting.id, user_id))
                view.seen_version, view.seen_at = meeting.agenda_version, utcnow()
            else:
                session.add(AgendaView(meeting_id=meeting.id, user_id=user_id, seen_version=meeting.agenda_version))
            session.flush()
    except (OperationalError, IntegrityError):
        log.info("agenda view of meeting %s by user %s not recorded", meeting.id, user_id)


COUNTRY_ORDER = (*QUAD_COUNTRY_CODES, None)


def _by_country(answers: Sequence[Attendance]) -> list[CountryAttendance]:
    grouped: dict[str | None, list[Attendance]] = defaultdict(list)
    for answer in answers:
        grouped[answer.user.country_code].append(answer)
    return [
        CountryAttendance(code, sorted(grouped[code], key=lambda a: a.user.display_name))
        for code in COUNTRY_ORDER
        if code in grouped
    ]


# Scheduling ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingDetails:
    title: str
    starts_at: datetime
    ends_at: datetime
    host_country: str
    mode: MeetingMode
    visibility: Visibility
    venue: str = ""
    join_link: str = ""
    status: MeetingStatus = MeetingStatus.scheduled


def checked(details: MeetingDetails) -> MeetingDetails:
    """The details as stored: trimmed, in UTC, and consistent (the end after the start, a place for the mode)."""
    title = text.one_line(details.title, N_("the title"), TITLE_MAX, field="title")
    if details.starts_at.tzinfo is None or details.ends_at.tzinfo is None:
        raise InvalidInput(N_("give the time with its UTC offset, or a time zone"), field="starts_at")
    starts, ends = details.starts_at.astimezone(UTC), details.ends_at.astimezone(UTC)
    if ends <= starts:
        raise InvalidInput(N_("the meeting must end after it starts"), field="ends_at")
    if (ends - starts).days >= MAX_MEETING_DAYS:
        raise InvalidInput(N_("a meeting lasts at most %(days)d days"), days=MAX_MEETING_DAYS, field="ends_at")
    if details.host_country not in QUAD_COUNTRY_CODES:
        raise InvalidInput(N_("choose the host country from the list"), field="host_country")
    venue = text.one_line(details.venue, N_("the venue"), PLACE_MAX, required=details.mode.has_venue, field="venue")
    link = text.one_line(
        details.join_link, N_("the link to join"), LINK_MAX, required=details.mode.has_join_link, field="join_link"
    )
    if link and not link.startswith("https://"):
        raise InvalidInput(N_("the link to join must start with https://"), field="join_link")
    return replace(
        details,
        title=title,
        starts_at=starts,
        ends_at=ends,
        venue=venue if details.mode.has_venue else "",
        join_link=link if details.mode.has_join_link else "",
    )


def create_meeting(session: Session, principal: Principal, group: WorkingGroup, details: MeetingDetails) -> Meeting:
    calendar_rules.require(principal, CalendarAction.schedule, group)
    details = checked(details)
    meeting = Meeting(
        group=group,
        title=details.title,
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        host_country=details.host_country,
        mode=details.mode,
        venue=details.venue or None,
        join_link=details.join_link or None,
        status=details.status,
        visibility=details.visibility,
        agenda_state=AgendaState.draft,
        agenda_version=0,
        sequence=0,
        created_by=principal.user_id,
    )
    session.add(meeting)
    session.flush()
    audit.record(
        session, principal.user_id, MeetingEvent.create, "meeting", meeting.id, group_id=group.id, title=meeting.title
    )
    return meeting


def update_meeting(session: Session, principal: Principal, meeting: Meeting, details: MeetingDetails) -> Meeting:
    rules.require(principal, MeetingAction.edit, meeting)
    details = checked(details)
    wanted: dict[str, Any] = {
        "title": details.title,
        "starts_at": details.starts_at,
        "ends_at": details.ends_at,
        "host_country": details.host_country,
        "mode": details.mode,
        "venue": details.venue or None,
        "join_link": details.join_link or None,
        "status": details.status,
        "visibility": details.visibility,
    }
    changed = [key for key, value in wanted.items() if getattr(meeting, key) != value]
    for key in changed:
        setattr(meeting, key, wanted[key])
    if changed:
        _touch(meeting)
        audit.record(
            session,
            principal.user_id,
            MeetingEvent.update,
            "meeting",
            meeting.id,
            group_id=meeting.group_id,
            changes=changed,
        )
    if "status" in changed and meeting.status is MeetingStatus.cancelled:
        notices.tell_members(session, meeting, MeetingNotice.cancelled, principal.user_id)
    return meeting


def _touch(meeting: Meeting) -> None:
    meeting.sequence += 1
    meeting.updated_at = utcnow()


# The agenda ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFields:
    title: str
    description: str = ""
    presenter_id: int | None = None
    presenter_country: str | None = None
    minutes: int = 0
    outcome: str = ""
    document_ids: tuple[int, ...] = ()


def _open_agenda(principal: Principal, meeting: Meeting) -> None:
    rules.require(principal, MeetingAction.edit_agenda, meeting)
    if meeting.agenda_state is AgendaState.locked:
        raise Conflict(N_("The agenda is locked; it can no longer be changed."))


def _agenda_changed(session: Session, principal: Principal, meeting: Meeting, touched: Collection[AgendaItem]) -> None:
    """After publishing, each change is a new agenda version, the items it touched carry that version, and the
    group's members hear of it (once per change)."""
    if meeting.agenda_state is AgendaState.published:
        meeting.agenda_version += 1
        for item in touched:
            item.changed_in_version = meeting.agenda_version
        notices.tell_members(session, meeting, MeetingNotice.agenda_changed, principal.user_id)
    _touch(meeting)


def _checked_item(session: Session, principal: Principal, meeting: Meeting, fields: ItemFields) -> ItemFields:
    title = text.one_line(fields.title, N_("the title"), TITLE_MAX, field="title")
    description = text.paragraphs(fields.description, N_("the description"), TEXT_MAX, field="description")
    outcome = text.paragraphs(fields.outcome, N_("the outcome"), TEXT_MAX, field="outcome")
    if not 0 <= fields.minutes <= MAX_MINUTES:
        raise InvalidInput(N_("give the minutes as a number from 0 to %(max)d"), max=MAX_MINUTES, field="minutes")
    if fields.presenter_id is not None and fields.presenter_country is not None:
        raise InvalidInput(N_("choose a person or a delegation to present, not both"), field="presenter")
    if fields.presenter_country is not None and fields.presenter_country not in QUAD_COUNTRY_CODES:
        raise InvalidInput(N_("choose a delegation from the list"), field="presenter")
    if fields.presenter_id is not None:
        member = session.scalar(
            select(Membership.id).where(
                Membership.group_id == meeting.group_id, Membership.user_id == fields.presenter_id
            )
        )
        if member is None:
            raise InvalidInput(N_("the presenter must be a member of the working group"), field="presenter")
    documents = tuple(dict.fromkeys(fields.document_ids))
    if len(documents) > MAX_LINKED_DOCUMENTS:
        raise InvalidInput(
            N_("link at most %(max)d documents to one item"), max=MAX_LINKED_DOCUMENTS, field="documents"
        )
    _check_linkable(session, principal, meeting, documents)
    return ItemFields(
        title, description, fields.presenter_id, fields.presenter_country, fields.minutes, outcome, documents
    )


def _check_linkable(session: Session, principal: Principal, meeting: Meeting, ids: Sequence[int]) -> None:
    """Only documents of the meeting's group that the editor may read (the documents' rule), not withdrawn. A
    document that does not exist gets the same answer as one the editor may not read."""
    if not ids:
        return
    found = {
        d.id: d
        for d in session.scalars(
            select(Document)
            .where(Document.id.in_(ids))
            .options(joinedload(Document.group), selectinload(Document.releases))
        )
    }
    for document_id in ids:
        document = found.get(document_id)
        if (
            document is None
            or document.group_id != meeting.group_id
            or document.withdrawn_at is not None
            or not document_permissions.can_read(principal, document)
        ):
            raise InvalidInput(
                N_("document %(id)d cannot be linked: link documents of this working group that you may read"),
                id=document_id,
                field="documents",
            )


def _apply(item: AgendaItem, fields: ItemFields) -> list[str]:
    wanted: dict[str, Any] = {
        "title": fields.title,
        "description": fields.description,
        "presenter_id": fields.presenter_id,
        "presenter_country": fields.presenter_country,
        "minutes": fields.minutes,
        "outcome": fields.outcome,
    }
    changed = [key for key, value in wanted.items() if getattr(item, key) != value]
    for key in changed:
        setattr(item, key, wanted[key])
    if list(item.document_ids) != sorted(fields.document_ids):
        item.document_links = [AgendaDocument(document_id=i) for i in sorted(fields.document_ids)]
        changed.append("documents")
    return changed


def _items(session: Session, meeting: Meeting) -> list[AgendaItem]:
    return list(
        session.scalars(
            select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position, AgendaItem.id)
        )
    )


def add_item(session: Session, principal: Principal, meeting: Meeting, fields: ItemFields) -> AgendaItem:
    _open_agenda(principal, meeting)
    fields = _checked_item(session, principal, meeting, fields)
    last = max((i.position for i in _items(session, meeting)), default=0)
    item = AgendaItem(meeting_id=meeting.id, position=last + 1, title=fields.title, document_links=[])
    _apply(item, fields)
    session.add(item)
    session.flush()
    _agenda_changed(session, principal, meeting, [item])
    audit.record(
        session,
        principal.user_id,
        MeetingEvent.agenda_item_add,
        "meeting",
        meeting.id,
        group_id=meeting.group_id,
        item_id=item.id,
    )
    return item


def update_item(
    session: Session, principal: Principal, meeting: Meeting, item: AgendaItem, fields: ItemFields
) -> AgendaItem:
    _open_agenda(principal, meeting)
    fields = _checked_item(session, principal, meeting, fields)
    changed = _apply(item, fields)
    if changed:
        session.flush()
        _agenda_changed(session, principal, meeting, [item])
        audit.record(
            session,
            principal.user_id,
            MeetingEvent.agenda_item_update,
            "meeting",
            meeting.id,
            group_id=meeting.group_id,
            item_id=item.id,
            changes=changed,
        )
    return item


def remove_item(session: Session, principal: Principal, meeting: Meeting, item: AgendaItem) -> None:
    _open_agenda(principal, meeting)
    session.delete(item)
    session.flush()
    _agenda_changed(session, principal, meeting, [])
    audit.record(
        session,
        principal.user_id,
        MeetingEvent.agenda_item_remove,
        "meeting",
        meeting.id,
        group_id=meeting.group_id,
        item_id=item.id,
        title=item.title,
    )


def reorder(session: Session, principal: Principal, meeting: Meeting, item_ids: Sequence[int]) -> list[AgendaItem]:
    """Puts the items in the order given; every item of the agenda must be named exactly once."""
    _open_agenda(principal, meeting)
    items = _items(session, meeting)
    by_id = {item.id: item for item in items}
    if sorted(item_ids) != sorted(by_id):
        raise InvalidInput(N_("name every item of the agenda exactly once"), field="item_ids")
    moved = [by_id[i] for i, old in zip(item_ids, items, strict=True) if i != old.id]
    for position, item_id in enumerate(item_ids, start=1):
        by_id[item_id].position = position
    if moved:
        _agenda_changed(session, principal, meeting, moved)
        audit.record(
            session,
            principal.user_id,
            MeetingEvent.agenda_reorder,
            "meeting",
            meeting.id,
            group_id=meeting.group_id,
            order=list(item_ids),
        )
    return [by_id[i] for i in item_ids]


def move_item(session: Session, principal: Principal, meeting: Meeting, item: AgendaItem, step: int) -> None:
    """One place up (step -1) or down (+1): the buttons of the page without JavaScript."""
    _open_agenda(principal, meeting)
    order = [i.id for i in _items(session, meeting)]
    index = order.index(item.id)
    target = index + step
    if step not in (-1, 1) or not 0 <= target < len(order):
        return
    order[index], order[target] = order[target], order[index]
    reorder(session, principal, meeting, order)


def publish_agenda(session: Session, principal: Principal, meeting: Meeting) -> Meeting:
    _open_agenda(principal, meeting)
    if meeting.agenda_state is AgendaState.published:
        raise Conflict(N_("The agenda is already published."))
    meeting.agenda_state = AgendaState.published
    meeting.agenda_version = 1
    for item in _items(session, meeting):
        item.changed_in_version = 1
    _touch(meeting)
    audit.record(
        session, principal.user_id, MeetingEvent.agenda_publish, "meeting", meeting.id, group_id=meeting.group_id
    )
    notices.tell_members(session, meeting, MeetingNotice.agenda_published, principal.user_id)
    return meeting


def lock_agenda(session: Session, principal: Principal, meeting: Meeting) -> Meeting:
    _open_agenda(principal, meeting)
    if meeting.agenda_state is AgendaState.draft:
        raise Conflict(N_("Publish the agenda before locking it."))
    meeting.agenda_state = AgendaState.locked
    _touch(meeting)
    audit.record(session, principal.user_id, MeetingEvent.agenda_lock, "meeting", meeting.id, group_id=meeting.group_id)
    return meeting


def presenter_choices(session: Session, meeting: Meeting) -> Sequence[User]:
    """The group's members, who may present an item."""
    return session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id == meeting.group_id)
        .order_by(User.country_code, User.display_name)
    ).all()


def linkable_documents(
    session: Session, principal: Principal, meeting: Meeting, limit: int = 200
) -> Sequence[Document]:
    """The group's documents the editor may read and link, newest first."""
    return session.scalars(
        select(Document)
        .where(
            Document.group_id == meeting.group_id,
            Document.withdrawn_at.is_(None),
            document_permissions.readable_documents(principal),
        )
        .order_by(Document.updated_at.desc(), Document.id.desc())
        .limit(limit)
    ).all()


# Attendance ------------------------------------------------------------------------------------------------------


def answer_invitation(session: Session, principal: Principal, meeting: Meeting, answer: AttendanceAnswer) -> Attendance:
    """The person's own answer; they may change it until the meeting ends."""
    rules.require(principal, MeetingAction.respond, meeting)
    if meeting.status is MeetingStatus.cancelled:
        raise Conflict(N_("The meeting is cancelled."))
    if meeting.ends_at <= utcnow():
        raise Conflict(N_("The meeting is over; answers are closed."))
    if principal.user_id is None:  # the system acts for nobody's answer
        raise Forbidden(rules.denied[MeetingAction.respond])
    row = session.get(Attendance, (meeting.id, principal.user_id))
    if row is None:
        row = Attendance(meeting_id=meeting.id, user_id=principal.user_id)
        session.add(row)
    if row.answer is not answer:
        row.answer, row.updated_at = answer, utcnow()
        session.flush()
        audit.record(
            session,
            principal.user_id,
            MeetingEvent.answer,
            "meeting",
            meeting.id,
            group_id=meeting.group_id,
            answer=answer.value,
        )
    return row


def attendance_candidates(session: Session, meeting: Meeting) -> Sequence[User]:
    """Who may be recorded as present: the group's members and anyone who answered."""
    answered = select(Attendance.user_id).where(Attendance.meeting_id == meeting.id)
    members = select(Membership.user_id).where(Membership.group_id == meeting.group_id)
    return session.scalars(
        select(User).where(User.id.in_(members) | User.id.in_(answered)).order_by(User.country_code, User.display_name)
    ).all()


def record_attendance(
    session: Session, principal: Principal, meeting: Meeting, attended: Collection[int]
) -> list[Attendance]:
    """Who actually came: everyone listed as present, every other candidate as absent."""
    rules.require(principal, MeetingAction.record_attendance, meeting)
    if meeting.status is MeetingStatus.cancelled:
        raise Conflict(N_("The meeting is cancelled."))
    if meeting.starts_at > utcnow():
        raise Conflict(N_("Attendance is recorded once the meeting has started."))
    candidates = {user.id for user in attendance_candidates(session, meeting)}
    if set(attended) - candidates:
        raise InvalidInput(N_("only members of the group, or people who answered, can be recorded"), field="attended")
    rows = {row.user_id: row for row in session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))}
    for user_id in sorted(candidates):
        row = rows.get(user_id)
        if row is None:
            row = rows[user_id] = Attendance(meeting_id=meeting.id, user_id=user_id)
            session.add(row)
        row.attended, row.updated_at = user_id in attended, utcnow()
    session.flush()
    audit.record(
        session,
        principal.user_id,
        MeetingEvent.attendance_record,
        "meeting",
        meeting.id,
        group_id=meeting.group_id,
        attended=sorted(attended),
    )
    return list(rows.values())


# Minutes ---------------------------------------------------------------------------------------------------------

MINUTES_MAX, NOTE_MAX = 100_000, 300


@dataclass(frozen=True)
class MinutesShown:
    """The minutes on the meeting page: the latest published revision, or for editors the latest revision."""

    revision: MinutesRevision | None
    published: bool  # `revision` is published (False: an editor sees a draft)
    published_number: int | None  # the revision readers see now (None: nothing published yet)


def _published_number(session: Session, meeting: Meeting) -> int | None:
    return session.scalar(
        select(MinutesPublication.number)
        .where(MinutesPublication.meeting_id == meeting.id)
        .order_by(MinutesPublication.number.desc())
        .limit(1)
    )


def _latest_revision(session: Session, meeting: Meeting) -> MinutesRevision | None:
    return session.scalar(
        select(MinutesRevision)
        .where(MinutesRevision.meeting_id == meeting.id)
        .order_by(MinutesRevision.number.desc())
        .limit(1)
    )


def minutes_shown(session: Session, principal: Principal, meeting: Meeting) -> MinutesShown:
    """A fixed number of queries however many revisions there are (the meeting page's count must not grow)."""
    if rules.allows(principal, MeetingAction.see_draft_minutes, meeting):
        published = _published_number(session, meeting)
        latest = _latest_revision(session, meeting)
        return MinutesShown(latest, latest is not None and latest.number == published, published)
    revision = session.scalar(
        select(MinutesRevision)
        .join(
            MinutesPublication,
            (MinutesPublication.meeting_id == MinutesRevision.meeting_id)
            & (MinutesPublication.number == MinutesRevision.number),
        )
        .where(MinutesRevision.meeting_id == meeting.id)
        .order_by(MinutesRevision.number.desc())
        .limit(1)
    )
    return MinutesShown(revision, revision is not None, revision.number if revision is not None else None)


@dataclass(frozen=True)
class MinutesHistory:
    revisions: Sequence[MinutesRevision]  # those the reader may read, newest first
    publications: dict[int, MinutesPublication]  # by revision number

    @property
    def current(self) -> int | None:
        """The number of the published minutes (the latest publication)."""
        return max(self.publications, default=None)


def minutes_history(session: Session, principal: Principal, meeting: Meeting) -> MinutesHistory:
    """Every revision for the editors; the published ones for everyone else who reads the meeting."""
    publications = {
        p.number: p
        for p in session.scalars(select(MinutesPublication).where(MinutesPublication.meeting_id == meeting.id))
    }
    query = (
        select(MinutesRevision)
        .where(MinutesRevision.meeting_id == meeting.id)
        .options(joinedload(MinutesRevision.author))
        .order_by(MinutesRevision.number.desc())
    )
    if not rules.allows(principal, MeetingAction.see_draft_minutes, meeting):
        query = query.where(MinutesRevision.number.in_(sorted(publications)))
    return MinutesHistory(session.scalars(query).all(), publications)


def get_revision(session: Session, principal: Principal, meeting: Meeting, number: int) -> MinutesRevision:
    """One revision; 404 when there is none, or it is a draft and the principal may not see drafts."""
    revision = session.scalar(
        select(MinutesRevision).where(MinutesRevision.meeting_id == meeting.id, MinutesRevision.number == number)
    )
    if revision is None:
        raise NotFound(N_("these minutes have no such revision"))
    if not rules.allows(principal, MeetingAction.see_draft_minutes, meeting):
        published = session.scalar(
            select(MinutesPublication.id).where(
                MinutesPublication.meeting_id == meeting.id, MinutesPublication.number == number
            )
        )
        if published is None:
            raise NotFound(N_("these minutes have no such revision"))
    return revision


def append_minutes(
    session: Session, principal: Principal, meeting: Meeting, markdown: str, note: str = ""
) -> MinutesRevision:
    """A new revision after the latest one (revisions are never changed): a draft until it is published."""
    rules.require(principal, MeetingAction.write_minutes, meeting)
    markdown = text.paragraphs(markdown, N_("the minutes"), MINUTES_MAX, field="text")
    if not markdown:
        raise InvalidInput(N_("write the minutes before saving them"), field="text")
    note = text.one_line(note, N_("the note"), NOTE_MAX, required=False, field="note")
    # Two editors saving at once: the meeting row's lock orders them (the unique number is the backstop).
    session.scalar(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update())
    latest = _latest_revision(session, meeting)
    if latest is not None and latest.text == markdown:
        raise InvalidInput(
            N_("the text is the same as revision %(number)d; change it before saving"),
            number=latest.number,
            field="text",
        )
    revision = MinutesRevision(
        meeting_id=meeting.id,
        number=(latest.number if latest else 0) + 1,
        text=markdown,
        html=to_html(markdown),
        author_id=principal.user_id,
        note=note,
        created_at=utcnow(),
    )
    session.add(revision)
    session.flush()
    audit.record(
        session,
        principal.user_id,
        MeetingEvent.minutes_revise,
        "meeting",
        meeting.id,
        group_id=meeting.group_id,
        number=revision.number,
    )
    return revision


def publish_minutes(session: Session, principal: Principal, meeting: Meeting) -> MinutesRevision:
    """Publishes the latest revision: everyone who reads the meeting reads it, and the members are told."""
    rules.require(principal, MeetingAction.write_minutes, meeting)
    latest = _latest_revision(session, meeting)
    if latest is None:
        raise Conflict(N_("There are no minutes to publish yet."))
    if _published_number(session, meeting) == latest.number:
        raise Conflict(N_("The latest revision of the minutes is already published."))
    session.add(MinutesPublication(meeting_id=meeting.id, number=latest.number, published_by=principal.user_id))
    session.flush()
    audit.record(
        session,
        principal.user_id,
        MeetingEvent.minutes_publish,
        "meeting",
        meeting.id,
        group_id=meeting.group_id,
        number=latest.number,
    )
    notices.tell_members(session, meeting, MeetingNotice.minutes_published, principal.user_id)
    return latest


def minutes_diff(
    session: Session, principal: Principal, meeting: Meeting, old: int, new: int
) -> tuple[MinutesRevision, MinutesRevision, redline.Redline]:
    """Paragraphs and words inserted and deleted from revision `old` to `new` (both readable, or 404)."""
    before, after = get_revision(session, principal, meeting, old), get_revision(session, principal, meeting, new)
    return before, after, redline.compare(before.text, after.text)
