"""Each kind of person the rules tell apart, as principals, for service-level permission tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.access.principal import ANONYMOUS, Principal
from app.auth import service as auth_service
from app.groups.models import MembershipRole, WorkingGroup
from app.users.models import Role, User, UserStatus

KINDS = ("anonymous", "pending", "industry", "observer", "delegate", "chair", "secretariat", "admin")
GOVERNMENT = frozenset({"observer", "delegate", "chair"})
STAFF = frozenset({"secretariat", "admin"})


@dataclass
class People:
    """One person of each kind; the chair chairs `group`, the delegate and the observer are its members."""

    users: dict[str, User]
    principals: dict[str, Principal]
    group: WorkingGroup


def make_people(db: Session, make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]) -> People:
    users = {
        "pending": make_user(Role.industry, "US", status=UserStatus.pending),
        "industry": make_user(Role.industry, "JP"),
        "observer": make_user(Role.observer, "AU"),
        "delegate": make_user(Role.delegate, "US"),
        "chair": make_user(Role.delegate, "JP"),
        "secretariat": make_user(Role.secretariat, None),
        "admin": make_user(Role.admin, None),
    }
    group = make_group(
        "rules-group",
        (users["chair"], MembershipRole.chair),
        (users["delegate"], MembershipRole.member),
        (users["observer"], MembershipRole.observer),
    )
    principals = {kind: auth_service.principal_for(db, user) for kind, user in users.items()}
    return People(users, {"anonymous": ANONYMOUS, **principals}, group)


def attempt(db: Session, call: Callable[[], object], refusal: type[Exception]) -> bool:
    """Runs a service call in a savepoint that is always rolled back: True when it went through, False when it
    was refused with `refusal` (any other error fails the test)."""
    savepoint = db.begin_nested()
    try:
        call()
        return True
    except refusal:
        return False
    finally:
        savepoint.rollback()
