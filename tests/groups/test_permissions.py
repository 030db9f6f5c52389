"""The group rules (app/groups/permissions.py) at service level: each action, for each kind of person, called on the
service directly, so a refusal does not depend on any route gate."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM, Principal
from app.audit.models import AuditEvent
from app.core.errors import Forbidden
from app.groups import service
from app.groups.models import GroupStatus, Membership, MembershipRole
from app.groups.permissions import GroupAction, rules
from app.users.models import Role, User
from tests.support.people import GOVERNMENT, KINDS, STAFF, People, attempt, make_people
from tests.support.sessions import CSRF_TOKEN

WHO_MAY = {
    GroupAction.create: STAFF,
    GroupAction.edit: STAFF,
    GroupAction.archive: STAFF,
    GroupAction.set_members: STAFF,
    GroupAction.see_members: GOVERNMENT | STAFF,
}


@pytest.fixture
def people(db: Session, make_user, make_group) -> People:
    return make_people(db, make_user, make_group)


def test_every_group_action_has_a_refusal_message_and_an_expectation() -> None:
    assert set(rules.denied) == set(GroupAction)
    assert all(message.strip() for message in rules.denied.values())
    assert set(WHO_MAY) == set(GroupAction)


@pytest.mark.parametrize("kind", KINDS)
def test_allowed_actions_for_each_kind_of_person(kind: str, people: People) -> None:
    expected = frozenset(action for action, kinds in WHO_MAY.items() if kind in kinds)
    assert rules.allowed(people.principals[kind], people.group) == expected


def _service_calls(
    db: Session, people: People, make_user: Callable[..., User]
) -> dict[str, Callable[[Principal], object]]:
    group = people.group
    newcomer = make_user(Role.delegate, "IN")
    member = people.users["delegate"]
    return {
        "create_group": lambda p: service.create_group(db, p, slug="rules-new", name="New", technology_area="ai"),
        "update_group": lambda p: service.update_group(
            db, p, group, name="Renamed", technology_area=group.technology_area, charter="", status=group.status
        ),
        "archive": lambda p: service.update_group(
            db,
            p,
            group,
            name=group.name,
            technology_area=group.technology_area,
            charter=group.charter,
            status=GroupStatus.archived,
        ),
        "add_member": lambda p: service.add_member(db, p, group, newcomer),
        "set_membership": lambda p: service.set_membership(db, p, group, newcomer.id, MembershipRole.observer),
        "set_member_role": lambda p: service.set_member_role(db, p, group, member.id, MembershipRole.observer),
        "remove_member": lambda p: service.remove_member(db, p, group, member.id, reason="rules"),
        "get_member": lambda p: service.get_member(db, p, group, member.id),
        "candidates_for": lambda p: service.candidates_for(db, p, group),
    }


@pytest.mark.parametrize("kind", KINDS)
def test_every_group_write_is_refused_by_the_service_itself_to_all_but_the_secretariat(
    kind: str, people: People, db: Session, make_user
) -> None:
    """A delegate (or a chair) calling service.add_member directly is refused: no route gate is needed for that."""
    principal = people.principals[kind]
    for name, call in _service_calls(db, people, make_user).items():
        went_through = attempt(db, partial(call, principal), Forbidden)
        assert went_through is (kind in STAFF), f"{name} as {kind}"


def test_a_refused_write_changes_nothing(people: People, db: Session) -> None:
    group, chair = people.group, people.principals["chair"]
    before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    with pytest.raises(Forbidden, match="Only the secretariat may add, change or remove members"):
        service.remove_member(db, chair, group, people.users["delegate"].id)
    db.expire_all()
    assert db.scalar(select(Membership.id).where(Membership.user_id == people.users["delegate"].id)) is not None
    assert db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == before


def test_names_of_officials_and_recent_activity_only_for_government_and_staff(people: People, db: Session) -> None:
    for kind in KINDS:
        recent = service.recent_activity(db, people.principals[kind], people.group)
        assert bool(recent) is (kind in GOVERNMENT | STAFF), kind


def test_removal_keeps_the_reason_on_the_audit_trail(people: People, db: Session) -> None:
    member = people.users["delegate"]
    removed = service.remove_member(db, people.principals["secretariat"], people.group, member.id, reason="left")
    assert removed.id == member.id and member.id not in {m.user_id for m in people.group.memberships}
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "group.member_remove"))
    assert event is not None and event.data == {"user_id": member.id, "reason": "left"}
    assert event.actor_id == people.users["secretariat"].id


def test_the_system_principal_acts_without_an_actor(db: Session) -> None:
    group = service.create_group(db, SYSTEM, slug="system-made", name="System", technology_area="x")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "group.create", AuditEvent.group_id == group.id))
    assert event is not None and event.actor_id is None


def test_the_member_form_on_the_page_still_goes_through_the_route_gate(browser_as, people: People) -> None:
    """The same refusal over HTTP, for a chair who posts the secretariat's form."""
    chair = browser_as(people.users["chair"])
    answer = chair.post(
        f"/groups/{people.group.slug}/members",
        data={"csrf_token": CSRF_TOKEN, "user_id": str(people.users["delegate"].id), "action": "remove"},
    )
    assert answer.status_code == 403


def test_group_loaded_with_members_reads_right_after_a_change(people: People, db: Session, make_user) -> None:
    staff = people.principals["secretariat"]
    group = service.get_group(db, staff, people.group.slug)
    newcomer = make_user(Role.delegate, "IN")
    done = service.set_membership(db, staff, group, newcomer.id, MembershipRole.member)
    assert done.added and newcomer.id in {m.user_id for m in group.memberships}
    again = service.set_membership(db, staff, group, newcomer.id, MembershipRole.chair)
    assert not again.added and again.membership.role is MembershipRole.chair
