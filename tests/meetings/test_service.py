"""The meetings' rules at the service level: who may do what, what the states allow, what input is refused, and
what the audit trail keeps. Principals are made from real accounts, as a request makes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM, Principal
from app.access.visibility import Visibility
from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core.errors import Conflict, Forbidden, InvalidInput
from app.demo import GROUPS, seed_demo
from app.groups.models import MembershipRole, WorkingGroup
from app.meetings import service
from app.meetings.models import AgendaState, AttendanceAnswer, Meeting, MeetingMode, MeetingStatus
from app.meetings.permissions import MeetingAction, rules
from app.users.models import Role, User
from tests.meetings.helpers import JOIN_LINK, make_meeting


@pytest.fixture
def cast(db: Session, make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]) -> dict[str, Any]:
    chair, member, observer = (
        make_user(Role.delegate, "AU"),
        make_user(Role.delegate, "IN"),
        make_user(Role.observer, "JP"),
    )
    outsider, staff = make_user(Role.delegate, "US"), make_user(Role.secretariat)
    group = make_group(
        "svc-meet", (chair, MembershipRole.chair), (member, MembershipRole.member), (observer, MembershipRole.observer)
    )
    people = {name: auth_service.principal_for(db, user) for name, user in {
        "chair": chair, "member": member, "observer": observer, "outsider": outsider, "staff": staff,
    }.items()}  # fmt: skip
    return {"group": group, **people}


def _details(**overrides: Any) -> service.MeetingDetails:
    starts = datetime(2027, 10, 4, 22, 0, tzinfo=UTC)
    values: dict[str, Any] = {
        "title": "Critical minerals",
        "starts_at": starts,
        "ends_at": starts + timedelta(hours=2),
        "host_country": "AU",
        "mode": MeetingMode.virtual,
        "visibility": Visibility.group,
        "join_link": JOIN_LINK,
    }
    return service.MeetingDetails(**{**values, **overrides})


def test_who_may_do_what(db: Session, cast: dict[str, Any]) -> None:
    meeting = make_meeting(db, cast["group"], visibility=Visibility.group)
    allowed = {
        name: rules.allowed(cast[name], meeting) for name in ("chair", "member", "observer", "outsider", "staff")
    }
    everything = frozenset(MeetingAction)
    assert allowed["chair"] == everything and allowed["staff"] == everything
    assert allowed["member"] == allowed["observer"] == {MeetingAction.see_join_link, MeetingAction.respond}
    assert allowed["outsider"] == frozenset()  # a group meeting: not even readable


def test_only_organisers_schedule_and_change(db: Session, cast: dict[str, Any]) -> None:
    with pytest.raises(Forbidden):
        service.create_meeting(db, cast["member"], cast["group"], _details())
    meeting = service.create_meeting(db, cast["chair"], cast["group"], _details())
    with pytest.raises(Forbidden):
        service.update_meeting(db, cast["member"], meeting, _details(title="Mine now"))
    service.update_meeting(db, cast["staff"], meeting, _details(title="Renamed", status=MeetingStatus.cancelled))
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "meeting", AuditEvent.target_id == str(meeting.id))
    ).all()
    assert actions == ["meeting.create", "meeting.update"]
    assert meeting.sequence == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_at": datetime(2027, 10, 4, 21, 0, tzinfo=UTC)}, "ends_at"),
        ({"ends_at": datetime(2027, 10, 4, 22, 0, tzinfo=UTC)}, "ends_at"),
        ({"ends_at": datetime(2027, 11, 4, 22, 0, tzinfo=UTC)}, "ends_at"),
        ({"title": "  "}, "title"),
        ({"title": "Line\nbreak"}, "title"),
        ({"mode": MeetingMode.hybrid}, "venue"),
        ({"join_link": "javascript:alert(1)"}, "join_link"),
        ({"host_country": "CN"}, "host_country"),
    ],
)
def test_bad_details_name_their_field(db: Session, cast: dict[str, Any], overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        service.create_meeting(db, cast["chair"], cast["group"], _details(**overrides))
    assert refused.value.field == field
    assert db.scalar(select(Meeting.id).where(Meeting.group_id == cast["group"].id)) is None


def test_times_and_zones() -> None:
    with pytest.raises(InvalidInput) as unknown:
        service.zone_named("Europe/Atlantis")
    assert unknown.value.field == "time_zone"
    with pytest.raises(InvalidInput):
        service.zone_named("../../etc/passwd")
    # Canberra's clocks go forward on 3 October 2027: 09:00 on the 4th is AEDT (UTC+11), the 2nd AEST (UTC+10).
    sydney = service.zone_named("Australia/Sydney")
    assert service.local_to_utc("2027-10-04", "09:00", sydney, field="start_date") == datetime(
        2027, 10, 3, 22, 0, tzinfo=UTC
    )
    assert service.local_to_utc("2027-10-02", "09:00", sydney, field="start_date") == datetime(
        2027, 10, 1, 23, 0, tzinfo=UTC
    )
    naive = datetime(2027, 3, 14, 9, 30)
    assert service.in_utc(naive, "Asia/Kolkata", field="starts_at") == datetime(2027, 3, 14, 4, 0, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        service.in_utc(naive, None, field="starts_at")
    with pytest.raises(InvalidInput):
        service.local_to_utc("14/03/2027", "9am", sydney, field="start_date")


def test_the_agenda_states_and_versions(db: Session, cast: dict[str, Any]) -> None:
    meeting = make_meeting(db, cast["group"], items=2)
    chair, member = cast["chair"], cast["member"]
    with pytest.raises(Forbidden):
        service.add_item(db, member, meeting, service.ItemFields(title="Mine"))
    with pytest.raises(Conflict):
        service.lock_agenda(db, chair, meeting)  # not published yet
    service.publish_agenda(db, chair, meeting)
    assert (meeting.agenda_state, meeting.agenda_version) == (AgendaState.published, 1)
    with pytest.raises(Conflict):
        service.publish_agenda(db, chair, meeting)
    added = service.add_item(db, chair, meeting, service.ItemFields(title="New", minutes=5))
    assert (meeting.agenda_version, added.changed_in_version) == (2, 2)
    first, second = meeting.items[0], meeting.items[1]
    service.move_item(db, chair, meeting, first, 1)
    assert meeting.agenda_version == 3 and {first.changed_in_version, second.changed_in_version} == {3}
    service.move_item(db, chair, meeting, added, 1)  # already last: nothing changes
    assert meeting.agenda_version == 3
    service.lock_agenda(db, chair, meeting)
    for change in (
        lambda: service.add_item(db, chair, meeting, service.ItemFields(title="Late")),
        lambda: service.update_item(db, chair, meeting, first, service.ItemFields(title="Late")),
        lambda: service.remove_item(db, chair, meeting, first),
        lambda: service.reorder(db, chair, meeting, [i.id for i in meeting.items]),
        lambda: service.lock_agenda(db, chair, meeting),
    ):
        with pytest.raises(Conflict):
            change()


def test_a_draft_is_the_editors_only(db: Session, cast: dict[str, Any]) -> None:
    meeting = make_meeting(db, cast["group"], items=1)
    member_view = service.meeting_view(db, cast["member"], meeting)
    assert not member_view.agenda_shown and member_view.items == []
    assert service.meeting_view(db, cast["chair"], meeting).items
    assert member_view.join_link == JOIN_LINK
    assert (
        service.meeting_view(
            db, auth_service.principal_for(db, db.get_one(User, cast["outsider"].user_id)), meeting
        ).join_link
        is None
    )


def test_presenters_and_items_are_checked(db: Session, cast: dict[str, Any]) -> None:
    meeting = make_meeting(db, cast["group"])
    chair = cast["chair"]
    bad = [
        (service.ItemFields(title="x", presenter_id=cast["outsider"].user_id), "presenter"),
        (service.ItemFields(title="x", presenter_id=cast["member"].user_id, presenter_country="IN"), "presenter"),
        (service.ItemFields(title="x", presenter_country="XX"), "presenter"),
        (service.ItemFields(title="x", minutes=-5), "minutes"),
        (service.ItemFields(title="x", minutes=24 * 60 + 1), "minutes"),
        (service.ItemFields(title="x", document_ids=(2_000_000_000,)), "documents"),
        (service.ItemFields(title=""), "title"),
    ]
    for fields, field in bad:
        with pytest.raises(InvalidInput) as refused:
            service.add_item(db, chair, meeting, fields)
        assert refused.value.field == field, fields
    item = service.add_item(db, chair, meeting, service.ItemFields(title="Report", presenter_id=cast["member"].user_id))
    assert item.presenter_id == cast["member"].user_id
    with pytest.raises(InvalidInput):
        service.reorder(db, chair, meeting, [item.id, item.id])


def test_answers_and_attendance(db: Session, cast: dict[str, Any]) -> None:
    meeting = make_meeting(db, cast["group"])
    with pytest.raises(Forbidden):
        service.answer_invitation(db, cast["outsider"], meeting, AttendanceAnswer.online)
    service.answer_invitation(db, cast["observer"], meeting, AttendanceAnswer.online)
    service.answer_invitation(db, cast["observer"], meeting, AttendanceAnswer.in_person)
    view = service.meeting_view(db, cast["observer"], meeting)
    assert view.my_answer is AttendanceAnswer.in_person
    assert [row.country for row in view.attendance] == ["JP"]
    with pytest.raises(Conflict):
        service.record_attendance(db, cast["chair"], meeting, set())  # not started
    cancelled = make_meeting(db, cast["group"])
    service.update_meeting(db, SYSTEM, cancelled, _cancelled(cancelled))
    with pytest.raises(Conflict):
        service.answer_invitation(db, cast["member"], cancelled, AttendanceAnswer.online)


def _cancelled(meeting: Meeting) -> service.MeetingDetails:
    return service.MeetingDetails(
        meeting.title, meeting.starts_at, meeting.ends_at, meeting.host_country, meeting.mode, meeting.visibility,
        meeting.venue or "", meeting.join_link or "", MeetingStatus.cancelled,
    )  # fmt: skip


def test_upcoming_meetings_are_the_persons_groups_only(db: Session, cast: dict[str, Any], make_group: Any) -> None:
    mine = make_meeting(db, cast["group"], title="Ours", visibility=Visibility.quad)
    other_group = make_group("svc-other")
    make_meeting(db, other_group, title="Theirs", visibility=Visibility.quad)
    make_meeting(db, cast["group"], title="Over", starts_at=datetime.now(UTC) - timedelta(days=3))
    titles = [m.title for m in service.upcoming_for(db, cast["member"])]
    assert "Ours" in titles and "Theirs" not in titles and "Over" not in titles
    assert service.upcoming_for(db, Principal()) == []
    assert mine.id in [m.id for m in service.upcoming_for(db, cast["staff"], limit=100)]


def test_the_demo_has_a_past_and_an_upcoming_meeting_in_each_group(db: Session) -> None:
    added = seed_demo(db)
    assert added["meetings"] == 2 * len(GROUPS)
    now = datetime.now(UTC)
    for spec in GROUPS:
        found = db.scalars(select(Meeting).join(WorkingGroup).where(WorkingGroup.slug == spec.slug)).all()
        past = [m for m in found if m.ends_at < now]
        upcoming = [m for m in found if m.starts_at > now]
        assert len(past) == 1 and past[0].status is MeetingStatus.held and past[0].agenda_state is AgendaState.locked
        view = service.meeting_view(db, SYSTEM, past[0])
        assert any(a.attended for row in view.attendance for a in row.people)
        assert len(upcoming) == 1 and upcoming[0].agenda_state is AgendaState.published
        assert len(service.meeting_view(db, SYSTEM, upcoming[0]).items) == 4
    assert seed_demo(db)["meetings"] == 0
