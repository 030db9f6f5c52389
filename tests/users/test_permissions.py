"""The account rules (app/users/permissions.py) at service level: who may look people up and change what."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core.errors import Forbidden, InvalidInput
from app.users import permissions, service
from app.users.models import Role, UserStatus
from app.users.permissions import UserAction


def test_only_staff_look_people_up_and_decide_registrations(db: Session, make_user) -> None:
    for role, country, expected in [
        (Role.secretariat, None, True),
        (Role.admin, None, True),
        (Role.delegate, "US", False),
        (Role.observer, "JP", False),
        (Role.industry, "AU", False),
    ]:
        principal = auth_service.principal_for(db, make_user(role, country))
        assert permissions.allowed(principal, UserAction.list) is expected, role
        assert permissions.allowed(principal, UserAction.decide_registration) is expected, role


def test_account_changes_stay_with_admins(db: Session, make_user) -> None:
    target = make_user(Role.delegate, "IN")
    secretariat = auth_service.principal_for(db, make_user(Role.secretariat, None))
    admin = auth_service.principal_for(db, make_user(Role.admin, None))
    for action in (
        UserAction.change_role,
        UserAction.change_country,
        UserAction.change_status,
        UserAction.change_clearance,
    ):
        assert permissions.allowed(admin, action, target)
        assert not permissions.allowed(secretariat, action, target)


def test_an_admin_neither_disables_nor_demotes_themselves(db: Session, make_user) -> None:
    me = make_user(Role.admin, None)
    principal = auth_service.principal_for(db, me)
    assert not permissions.allowed(principal, UserAction.change_status, me)
    with pytest.raises(Forbidden):
        service.change_account(db, principal, me.id, service.AccountChange(status=UserStatus.disabled), reason="oops")
    db.rollback()
    assert db.get(type(me), me.id).status is UserStatus.active


def test_the_secretariat_is_refused_a_change_by_the_service_itself(db: Session, make_user) -> None:
    target = make_user(Role.delegate, "US")
    officer = auth_service.principal_for(db, make_user(Role.secretariat, None))
    with pytest.raises(Forbidden):
        service.change_account(db, officer, target.id, service.AccountChange(status=UserStatus.disabled), reason="x")
    with pytest.raises(Forbidden):
        service.search_users(db, auth_service.principal_for(db, target), service.UserFilters())


def test_every_change_needs_a_reason_and_records_it(db: Session, make_user) -> None:
    target = make_user(Role.delegate, "US")
    admin_user = make_user(Role.admin, None)
    admin = auth_service.principal_for(db, admin_user)
    with pytest.raises(InvalidInput):
        service.change_account(db, admin, target.id, service.AccountChange(country="JP"), reason="  ")
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


def test_disabling_and_revoking_clearance_ask_for_confirmation(make_user) -> None:
    delegate = make_user(Role.delegate, "US")
    officer = make_user(Role.secretariat, None)
    officer.export_cleared = True
    assert service.needs_confirmation(delegate, service.AccountChange(status=UserStatus.disabled))
    assert service.needs_confirmation(officer, service.AccountChange(export_cleared=False))
    assert not service.needs_confirmation(delegate, service.AccountChange(role=Role.observer))
    assert not service.needs_confirmation(officer, service.AccountChange(export_cleared=True))
