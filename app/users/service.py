"""People: creating, finding and listing accounts. The rules on roles and countries live here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.core import text
from app.core.db import paged, utcnow, write_if_possible
from app.core.errors import N_, Conflict, InvalidInput, NotFound
from app.countries import service as countries
from app.countries.service import QUAD_COUNTRY_CODES
from app.groups import service as groups
from app.groups.models import WorkingGroup
from app.users import permissions
from app.users.events import ACCOUNT_HISTORY, DECISIONS, UserEvent
from app.users.models import COUNTRY_ROLES, Role, User, UserStatus
from app.users.permissions import UserAction

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
    display_name = text.one_line(display_name, N_("a name"), 120)
    organisation = text.one_line(organisation or "", N_("the organisation"), 160, required=False) or None
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
    audit.record(session, actor_id, UserEvent.create, "user", user.id, role=role.value, country=country)
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
    audit.record(session, user.id, UserEvent.preferences, "user", user.id, language=language, time_zone=time_zone)


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
    """Accounts waiting for the secretariat: industry registrations, and any account an operator created pending."""
    query = select(User).where(User.status == UserStatus.pending)
    return paged(session, query, order_by=(User.created_at, User.id), offset=offset, limit=limit)


def pending_count(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(User.status == UserStatus.pending)) or 0


@dataclass(frozen=True)
class UserFilters:
    """The console's search: text in the name or email, and exact role, country and status."""

    q: str = ""
    role: Role | None = None
    country: str | None = None
    status: UserStatus | None = None


def parse_filters(q: str = "", role: str = "", country: str = "", status: str = "") -> UserFilters:
    """One parser for the API's query and the page's form: unknown values are refused, not ignored."""
    q = q.strip()
    if len(q) > 200:
        raise InvalidInput(N_("the search text is too long (at most 200 characters)"))
    try:
        parsed_role = Role(role) if role else None
        parsed_status = UserStatus(status) if status else None
    except ValueError:
        raise InvalidInput(N_("choose a role and a status from the lists")) from None
    if country and country not in QUAD_COUNTRY_CODES:
        raise InvalidInput(N_("choose a country from the list"))
    return UserFilters(q=q, role=parsed_role, country=country or None, status=parsed_status)


def search_users(
    session: Session, principal: Principal, filters: UserFilters, *, offset: int = 0, limit: int = 20
) -> tuple[Sequence[User], int]:
    permissions.require(principal, UserAction.list)
    query = select(User)
    if filters.q:
        # Escaped, so a "%" or "_" typed in the box is looked for as itself.
        pattern = "%" + filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(func.lower(User.display_name).like(pattern, escape="\\"), User.email_key.like(pattern, escape="\\"))
        )
    if filters.role is not None:
        query = query.where(User.role == filters.role)
    if filters.country is not None:
        query = query.where(User.country_code == filters.country)
    if filters.status is not None:
        query = query.where(User.status == filters.status)
    return paged(session, query, order_by=(User.display_name, User.id), offset=offset, limit=limit)


def get_account(session: Session, principal: Principal, user_id: int) -> User:
    permissions.require(principal, UserAction.list)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such user"))
    return user


@dataclass(frozen=True)
class AccountEvent:
    """One line of an account's history: who did what, when, and why."""

    action: str
    created_at: datetime
    actor_name: str | None
    subject_id: int | None
    subject_name: str | None
    data: dict[str, Any]


def display_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    """People's names by id, in one query (none when there are no ids)."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {row.id: row.display_name for row in rows}


def _events_with_names(session: Session, events: Sequence[AuditEvent]) -> list[AccountEvent]:
    ids = {e.actor_id for e in events if e.actor_id is not None}
    ids |= {int(e.target_id) for e in events if e.target_id and e.target_id.isdigit()}
    names = display_names(session, ids)
    result = []
    for event in events:
        subject = int(event.target_id) if event.target_id and event.target_id.isdigit() else None
        result.append(
            AccountEvent(
                action=event.action,
                created_at=event.created_at,
                actor_name=names.get(event.actor_id) if event.actor_id is not None else None,
                subject_id=subject,
                subject_name=names.get(subject) if subject is not None else None,
                data=dict(event.data or {}),
            )
        )
    return result


ACCOUNT_ACTIONS = (UserEvent.create, "user.registration", "user.approve", "user.reject", UserEvent.change)


def decision_history(session: Session, principal: Principal, limit: int = 20) -> list[AccountEvent]:
    """Who decided which registration, and when (from the audit trail), newest first."""
    permissions.require(principal, UserAction.decide_registration)
    return _events_with_names(session, audit.recent_by_action(session, DECISIONS, "user", limit))


def account_history(session: Session, principal: Principal, user: User, limit: int = 30) -> list[AccountEvent]:
    permissions.require(principal, UserAction.list)
    events = [e for e in audit.events_for(session, "user", user.id, limit * 2) if e.action in ACCOUNT_HISTORY]
    return _events_with_names(session, events[:limit])


def decide_registration(
    session: Session,
    principal: Principal,
    user_id: int,
    *,
    approve: bool,
    group: WorkingGroup | None = None,
    reason: str = "",
) -> User:
    """The secretariat approves (active) or rejects (disabled) a pending account; an approval may add the person
    to a working group in the same step (all or nothing: a refused membership leaves the account pending)."""
    permissions.require(principal, UserAction.decide_registration)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such registration"))
    if user.status is not UserStatus.pending:
        raise Conflict(f"this registration was already decided ({user.status.value})")
    if group is not None and not approve:
        raise InvalidInput(N_("a rejected registration cannot be added to a working group"))
    reason = text.one_line(reason, N_("the reason"), 500, required=False)
    data: dict[str, Any] = {"reason": reason} if reason else {}
    if group is not None:
        # First, so a refused membership raises before the account has changed at all.
        groups.add_member(session, principal.user_id, group, user)
        data["group"] = group.slug
    user.status = UserStatus.active if approve else UserStatus.disabled
    audit.record(
        session, principal.user_id, UserEvent.approve if approve else UserEvent.reject, "user", user.id, **data
    )
    if not approve:
        auth_service.account_disabled(session, principal.user_id, user.id)
    return user


@dataclass(frozen=True)
class AccountChange:
    role: Role | None = None
    country: str | None = None
    status: UserStatus | None = None
    export_cleared: bool | None = None


def needs_confirmation(user: User, change: AccountChange) -> bool:
    """Disabling an account and revoking export clearance ask "are you sure?" first: both cut someone off."""
    disabling = change.status is UserStatus.disabled and user.status is not UserStatus.disabled
    revoking = change.export_cleared is False and user.export_cleared
    return disabling or revoking


def change_account(session: Session, principal: Principal, user_id: int, change: AccountChange, *, reason: str) -> User:
    """Role (delegate to observer or back), country, status (active or disabled) and export clearance (staff),
    each checked by users.permissions and audited with the reason given. Everything is checked before anything
    changes, so a refused part leaves the account as it was."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such user"))
    reason = text.one_line(reason, N_("the reason"), 500, required=False)
    if not reason:
        raise InvalidInput(N_("give a reason for the change; it is kept on the audit trail"))
    changes: dict[str, dict[str, object]] = {}
    if change.role is not None and change.role is not user.role:
        permissions.require(principal, UserAction.change_role, user)
        if {change.role, user.role} - {Role.delegate, Role.observer}:
            raise InvalidInput(N_("only a change between delegate and observer is allowed"))
        changes["role"] = {"from": user.role.value, "to": change.role.value}
    if change.country is not None and change.country != user.country_code:
        permissions.require(principal, UserAction.change_country, user)
        if user.role not in COUNTRY_ROLES:
            raise InvalidInput(N_("secretariat staff and administrators do not belong to one country"))
        changes["country"] = {"from": user.country_code, "to": countries.require(session, change.country).code}
    if change.status is not None and change.status is not user.status:
        permissions.require(principal, UserAction.change_status, user)
        if change.status is UserStatus.pending:
            raise InvalidInput(N_("an account can be made active or disabled, not pending again"))
        changes["status"] = {"from": user.status.value, "to": change.status.value}
    if change.export_cleared is not None and change.export_cleared is not user.export_cleared:
        permissions.require(principal, UserAction.change_clearance, user)
        if change.export_cleared and user.role not in (Role.secretariat, Role.admin):
            raise InvalidInput(N_("export clearance is for secretariat staff; delegates follow the release list"))
        changes["export_cleared"] = {"from": user.export_cleared, "to": change.export_cleared}
    if not changes:
        return user
    if "role" in changes:
        user.role = Role(str(changes["role"]["to"]))
    if "country" in changes:
        user.country_code = str(changes["country"]["to"])
    if "export_cleared" in changes:
        user.export_cleared = bool(changes["export_cleared"]["to"])
    if "status" in changes:
        user.status = UserStatus(str(changes["status"]["to"]))
        if user.status is UserStatus.disabled:
            auth_service.account_disabled(session, principal.user_id, user.id)
    audit.record(session, principal.user_id, UserEvent.change, "user", user.id, changes=changes, reason=reason)
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
