"""The account rules (app/users/permissions.py) and the token rules (app/auth/permissions.py) at service level: each
action, for each kind of person, called on the service directly."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM, Principal
from app.audit.models import AuditEvent
from app.auth import permissions as token_permissions
from app.auth import service as auth_service
from app.auth.permissions import TokenAction
from app.core.errors import Forbidden, InvalidInput, NotFound
from app.core.pagination import PageRequest
from app.users import registrations, service
from app.users.models import Role, User, UserStatus
from app.users.permissions import UserAction, rules
from tests.support.people import KINDS, STAFF, People, attempt, make_people

WHO_MAY = {
    UserAction.create: {"admin"},
    UserAction.look_up: STAFF,
    UserAction.approve: STAFF,
    UserAction.reject: STAFF,
    UserAction.change_role: {"admin"},
    UserAction.change_country: {"admin"},
    UserAction.change_status: {"admin"},
    UserAction.change_clearance: {"admin"},
}


@pytest.fixture
def people(db: Session, make_user, make_group) -> People:
    return make_people(db, make_user, make_group)


def test_every_action_has_a_refusal_message_and_an_expectation() -> None:
    for rule_set, actions in ((rules, UserAction), (token_permissions.rules, TokenAction)):
        assert set(rule_set.denied) == set(actions)
        assert all(message.strip() for message in rule_set.denied.values())
    assert set(WHO_MAY) == set(UserAction)


@pytest.mark.parametrize("kind", KINDS)
def test_allowed_account_actions_for_each_kind_of_person(kind: str, people: People, make_user) -> None:
    target = make_user(Role.delegate, "IN")
    expected = frozenset(action for action, kinds in WHO_MAY.items() if kind in kinds)
    assert rules.allowed(people.principals[kind], target) == expected


def test_an_admin_neither_disables_nor_demotes_themselves(db: Session, people: People) -> None:
    me, admin = people.users["admin"], people.principals["admin"]
    assert rules.allowed(admin, me) == frozenset(WHO_MAY) - {UserAction.change_status, UserAction.change_role}
    with pytest.raises(Forbidden, match="never their own"):
        service.change_account(db, admin, me.id, service.AccountChange(status=UserStatus.disabled), reason="oops")
    db.rollback()
    assert db.get(User, me.id).status is UserStatus.active  # type: ignore[union-attr]


def _account_calls(db: Session, make_user: Callable[..., User]) -> dict[str, Callable[[Principal], object]]:
    target = make_user(Role.delegate, "IN")
    pending = make_user(Role.industry, "AU", status=UserStatus.pending)
    page = PageRequest()
    change = partial(service.change_account, db, user_id=target.id, reason="rules")
    return {
        "create_user": lambda p: service.create_user(
            db, p, email="new@example.org", display_name="New", role=Role.admin
        ),
        "list_users": lambda p: service.list_users(db, p, page),
        "search_users": lambda p: service.search_users(db, p, service.UserFilters(), page),
        "get_account": lambda p: service.get_account(db, p, target.id),
        "pending_registrations": lambda p: registrations.pending_registrations(db, p, page),
        "approve": lambda p: registrations.decide_registration(db, p, pending.id, approve=True),
        "reject": lambda p: registrations.decide_registration(db, p, pending.id, approve=False, reason="no"),
        "change_role": lambda p: change(p, change=service.AccountChange(role=Role.observer)),
        "change_country": lambda p: change(p, change=service.AccountChange(country="JP")),
        "change_status": lambda p: change(p, change=service.AccountChange(status=UserStatus.disabled)),
    }


STAFF_CALLS = {"list_users", "search_users", "get_account", "pending_registrations", "approve", "reject"}


@pytest.mark.parametrize("kind", KINDS)
def test_every_account_service_refuses_by_itself(kind: str, people: People, db: Session, make_user) -> None:
    principal = people.principals[kind]
    for name, call in _account_calls(db, make_user).items():
        allowed = kind in (STAFF if name in STAFF_CALLS else {"admin"})
        assert attempt(db, partial(call, principal), Forbidden) is allowed, f"{name} as {kind}"


def test_clearance_is_changed_by_admins_only(people: People, db: Session) -> None:
    officer = people.users["secretariat"]
    grant = service.AccountChange(export_cleared=True)
    for kind in KINDS:
        call = partial(service.change_account, db, people.principals[kind], officer.id, grant, reason="cleared")
        assert attempt(db, call, Forbidden) is (kind == "admin"), kind


def test_the_secretariat_is_refused_a_change_by_the_service_itself(db: Session, people: People) -> None:
    target = people.users["delegate"]
    with pytest.raises(Forbidden):
        service.change_account(
            db,
            people.principals["secretariat"],
            target.id,
            service.AccountChange(status=UserStatus.disabled),
            reason="x",
        )
    with pytest.raises(Forbidden):
        service.search_users(db, people.principals["delegate"], service.UserFilters(), PageRequest())


def test_every_change_needs_a_reason_and_records_it(db: Session, make_user) -> None:
    target = make_user(Role.delegate, "US")
    admin_user = make_user(Role.admin, None)
    admin = auth_service.principal_for(db, admin_user)
    with pytest.raises(InvalidInput) as refused:
        service.change_account(db, admin, target.id, service.AccountChange(country="JP"), reason="  ")
    assert refused.value.field == "reason"
    service.change_account(db, admin, target.id, service.AccountChange(country="JP"), reason="moved to Tokyo")
    db.commit()
    event = db.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.change", AuditEvent.target_id == str(target.id))
    )
    assert event is not None and event.actor_id == admin_user.id
    assert event.data == {"changes": {"country": {"from": "US", "to": "JP"}}, "reason": "moved to Tokyo"}


def test_a_refused_part_leaves_the_whole_account_unchanged(db: Session, make_user) -> None:
    target = make_user(Role.delegate, "US")
    admin = auth_service.principal_for(db, make_user(Role.admin, None))
    change = service.AccountChange(role=Role.observer, export_cleared=True)  # clearance is for staff only
    with pytest.raises(InvalidInput):
        service.change_account(db, admin, target.id, change, reason="mixed")
    assert target.role is Role.delegate and not target.export_cleared


def test_a_change_that_cuts_someone_off_waits_for_confirmation(db: Session, make_user) -> None:
    target = make_user(Role.delegate, "US")
    admin = auth_service.principal_for(db, make_user(Role.admin, None))
    off = service.AccountChange(status=UserStatus.disabled)
    waiting = service.change_account(db, admin, target.id, off, reason="left", confirmed=False)
    assert not waiting.applied and target.status is UserStatus.active
    done = service.change_account(db, admin, target.id, off, reason="left", confirmed=True)
    assert done.applied and target.status is UserStatus.disabled


def test_disabling_and_revoking_clearance_ask_for_confirmation(make_user) -> None:
    delegate = make_user(Role.delegate, "US")
    officer = make_user(Role.secretariat, None)
    officer.export_cleared = True
    assert service.needs_confirmation(delegate, service.AccountChange(status=UserStatus.disabled))
    assert service.needs_confirmation(officer, service.AccountChange(export_cleared=False))
    assert not service.needs_confirmation(delegate, service.AccountChange(role=Role.observer))
    assert not service.needs_confirmation(officer, service.AccountChange(export_cleared=True))


# API tokens ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_own_tokens_for_each_kind_of_person(kind: str, people: People, db: Session) -> None:
    """People manage their own tokens (a pending account waits before it may create one)."""
    principal = people.principals[kind]
    own = principal.user_id
    if own is None:  # the public has no account, so no tokens of its own
        assert attempt(db, partial(auth_service.tokens_of, db, principal, PageRequest()), NotFound) is False
        return
    assert token_permissions.rules.allows(principal, TokenAction.create, own) is (kind != "pending")
    assert token_permissions.rules.allows(principal, TokenAction.see, own)
    assert token_permissions.rules.allows(principal, TokenAction.revoke, own)


@pytest.mark.parametrize("kind", KINDS)
def test_someone_elses_tokens_are_for_admins_only(kind: str, people: People, db: Session, make_user) -> None:
    owner = make_user(Role.delegate, "IN")
    token, _ = auth_service.create_token(db, SYSTEM, owner, name="theirs")
    principal = people.principals[kind]
    admin = kind == "admin"
    create = partial(auth_service.create_token, db, principal, owner, name="mine now")
    assert attempt(db, create, Forbidden) is admin
    see = partial(auth_service.tokens_of, db, principal, PageRequest(), owner_id=owner.id)
    assert attempt(db, see, Forbidden) is admin
    # Someone else's token is "not found" to everyone but an administrator, so ids reveal nothing.
    revoke = partial(auth_service.revoke_token, db, principal, token.id, owner_id=owner.id, reason="rules")
    assert attempt(db, revoke, NotFound) is admin
    assert attempt(db, partial(auth_service.revoke_token, db, principal, token.id), NotFound) is False


def test_a_revocation_keeps_its_reason(db: Session, people: People) -> None:
    owner = people.users["delegate"]
    token, _ = auth_service.create_token(db, SYSTEM, owner, name="laptop")
    auth_service.revoke_token(db, people.principals["delegate"], token.id, reason="lost the laptop")
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "token.revoke"))
    assert event is not None and event.data == {"user_id": owner.id, "reason": "lost the laptop"}
    assert token.revoked_at is not None
