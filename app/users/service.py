"""People: creating, finding and listing accounts. The rules on roles and countries live here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import text
from app.audit import service as audit
from app.auth import service as auth_service
from app.countries import service as countries
from app.db import paged, utcnow, write_if_possible
from app.errors import N_, Conflict, InvalidInput, NotFound
from app.users.models import COUNTRY_ROLES, Role, User, UserStatus

SUPPORTED_LANGUAGES = ("en", "ja")
HOME_VISIT_RESOLUTION = timedelta(minutes=5)


def email_key(email: str) -> str:
    return email.strip().lower()


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(f"not a valid email address: {email!r}") from exc


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(f"unknown role {value!r}; choose one of {', '.join(r.value for r in Role)}") from None


def create_user(
    session: Session,
    actor_id: int | None,
    *,
    email: str,
    display_name: str,
    role: Role,
    country: str | None = None,
    organisation: str | None = None,
    status: UserStatus = UserStatus.active,
    language: str | None = None,
) -> User:
    email = normalise_email(email)
    display_name = text.one_line(display_name, "a name", 120)
    organisation = text.one_line(organisation or "", "the organisation", 160, required=False) or None
    if role in COUNTRY_ROLES and not country:
        raise InvalidInput(f"a {role.value} must have a country (US, JP, AU or IN)")
    if role not in COUNTRY_ROLES and country:
        raise InvalidInput(f"a {role.value} does not belong to one country; leave the country out")
    if country:
        country = countries.require(session, country).code
    if language is not None and language not in SUPPORTED_LANGUAGES:
        raise InvalidInput(f"unsupported language {language!r}")
    if find_by_email(session, email) is not None:
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        email=email,
        email_key=email_key(email),
        display_name=display_name,
        role=role,
        country_code=country,
        organisation=organisation,
        status=status,
        language=language,
    )
    session.add(user)
    session.flush()
    audit.record(session, actor_id, "user.create", "user", user.id, role=role.value, country=country)
    return user


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email_key == email_key(email)))


def require_by_email(session: Session, email: str) -> User:
    user = find_by_email(session, email)
    if user is None:
        raise NotFound(f"no user with email {email}")
    return user


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def list_users(session: Session, *, offset: int = 0, limit: int = 100) -> tuple[Sequence[User], int]:
    return paged(session, select(User), order_by=(User.id,), offset=offset, limit=limit)


def set_preferences(session: Session, user: User, *, language: str | None = None, time_zone: str | None = None) -> None:
    """Language and time zone. An empty time zone goes back to the default: the capital of the person's country."""
    if language is not None:
        if language not in SUPPORTED_LANGUAGES:
            raise InvalidInput(N_("That language is not offered. Choose English or Japanese."))
        user.language = language
    if time_zone is not None:
        time_zone = time_zone.strip()
        if time_zone and not is_time_zone(time_zone):
            raise InvalidInput(N_("That time zone is unknown. Choose one from the list."))
        user.time_zone = time_zone or None
    audit.record(session, user.id, "user.preferences", "user", user.id, language=language, time_zone=time_zone)


def is_time_zone(name: str) -> bool:
    """An IANA zone name that zoneinfo can load (a relative path or other odd text is not one)."""
    if len(name) > 64 or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def pending_registrations(session: Session, *, offset: int = 0, limit: int = 50) -> tuple[Sequence[User], int]:
    query = select(User).where(User.status == UserStatus.pending, User.role == Role.industry)
    return paged(session, query, order_by=(User.created_at, User.id), offset=offset, limit=limit)


def decide_registration(session: Session, actor_id: int | None, user_id: int, *, approve: bool) -> User:
    """The secretariat approves (active) or rejects (disabled) a pending industry participant."""
    user = session.get(User, user_id)
    if user is None or user.role is not Role.industry:
        raise NotFound(N_("no such registration"))
    if user.status is not UserStatus.pending:
        raise Conflict(f"this registration was already decided ({user.status.value})")
    user.status = UserStatus.active if approve else UserStatus.disabled
    audit.record(session, actor_id, "user.approve" if approve else "user.reject", "user", user.id)
    if not approve:
        auth_service.account_disabled(session, actor_id, user.id)
    return user


def change_account(
    session: Session,
    actor_id: int | None,
    user_id: int,
    *,
    role: Role | None = None,
    status: UserStatus | None = None,
    export_cleared: bool | None = None,
) -> User:
    """Admin changes: delegate to observer (or back), disable or re-enable, export clearance for staff."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such user"))
    changes: dict[str, object] = {}
    if role is not None and role is not user.role:
        allowed = {Role.delegate, Role.observer}
        if {role, user.role} - allowed:
            raise InvalidInput(N_("only a change between delegate and observer is allowed"))
        user.role = role
        changes["role"] = role.value
    if status is not None and status is not user.status:
        user.status = status
        changes["status"] = status.value
        if status is UserStatus.disabled:
            auth_service.account_disabled(session, actor_id, user.id)
    if export_cleared is not None and export_cleared is not user.export_cleared:
        if export_cleared and user.role not in (Role.secretariat, Role.admin):
            raise InvalidInput(N_("export clearance is for secretariat staff; delegates follow the release list"))
        user.export_cleared = export_cleared
        changes["export_cleared"] = export_cleared
    if changes:
        audit.record(session, actor_id, "user.change", "user", user.id, changes=changes)
    return user


def record_home_visit(session: Session, user_id: int) -> datetime | None:
    """Returns the previous visit (where "what is new" starts) and remembers this one."""
    user = session.get(User, user_id)
    if user is None:
        return None
    previous, now = user.last_home_visit_at, utcnow()
    # A visit is remembered once per few minutes: reloading the page keeps the "new" marks, and a busy
    # home page does not turn every view into a write.
    if previous is None or now - previous > HOME_VISIT_RESOLUTION:
        write_if_possible(session, lambda: setattr(user, "last_home_visit_at", now), f"home visit of user {user.id}")
    return previous
