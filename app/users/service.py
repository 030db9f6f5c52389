"""People: creating, finding and changing accounts, and each person's own preferences. The rules on roles and
countries live here; who may do what lives in users/permissions.py and is checked first in every write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.audit import service as audit
from app.auth import service as auth_service
from app.core import text
from app.core.db import utcnow, write_if_possible
from app.core.errors import N_, Conflict, DomainError, InvalidInput, NotFound
from app.core.pagination import PageRequest, Paginated, paginate
from app.countries import service as countries
from app.countries.service import QUAD_COUNTRY_CODES
from app.users.events import UserEvent
from app.users.models import COUNTRY_ROLES, Role, User, UserStatus
from app.users.permissions import UserAction, rules

SUPPORTED_LANGUAGES = ("en", "ja")
HOME_VISIT_RESOLUTION = timedelta(minutes=5)
REASON_MAX = 500


@contextmanager
def field(name: str) -> Iterator[None]:
    """Names the form field an input error is about, so a page shows the message beside it."""
    try:
        yield
    except DomainError as exc:
        exc.field = exc.field or name
        raise


def email_key(email: str) -> str:
    return email.strip().lower()


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(N_("That is not a valid email address."), field="email") from exc


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            N_("unknown role; choose admin, secretariat, delegate, industry or observer"), field="role"
        ) from None


def create_user(
    session: Session,
    principal: Principal,
    *,
    email: str,
    display_name: str,
    role: Role,
    country: str | None = None,
    organisation: str | None = None,
    status: UserStatus = UserStatus.active,
    language: str | None = None,
) -> User:
    """A new account. Administrators create them (the CLI acts as `SYSTEM`); so does sign-in, for a person their
    identity provider vouched for."""
    rules.require(principal, UserAction.create, None)
    email = normalise_email(email)
    with field("display_name"):
        display_name = text.one_line(display_name, N_("a name"), 120)
    with field("organisation"):
        organisation = text.one_line(organisation or "", N_("the organisation"), 160, required=False) or None
    if role in COUNTRY_ROLES and not country:
        raise InvalidInput(
            N_("a delegate, an observer or an industry participant must have a country (US, JP, AU or IN)"),
            field="country",
        )
    if role not in COUNTRY_ROLES and country:
        raise InvalidInput(
            N_("secretariat staff and administrators do not belong to one country; leave the country out"),
            field="country",
        )
    if country:
        country = countries.require(session, country).code
    if language is not None and language not in SUPPORTED_LANGUAGES:
        raise InvalidInput(N_("That language is not offered. Choose English or Japanese."), field="language")
    if find_by_email(session, email) is not None:
        raise Conflict(N_("a user with this email address already exists"), field="email")
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
    audit.record(session, principal.user_id, UserEvent.create, "user", user.id, role=role.value, country=country)
    return user


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email_key == email_key(email)))


def require_by_email(session: Session, email: str) -> User:
    user = find_by_email(session, email)
    if user is None:
        raise NotFound(N_("no user with that email address"))
    return user


def list_users(session: Session, principal: Principal, page: PageRequest) -> Paginated[User]:
    """Every account in the order they were made (the CLI's `users list`)."""
    rules.require(principal, UserAction.look_up, None)
    return paginate(session, select(User), page, order_by=(User.id,))


def own_account(session: Session, principal: Principal) -> User:
    """The signed-in person's own account."""
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    if user is None:
        raise NotFound(N_("no such user"))
    return user


def set_preferences(
    session: Session, principal: Principal, *, language: str | None = None, time_zone: str | None = None
) -> User:
    """The person's own language and time zone. An empty time zone goes back to the default: the capital of their
    country."""
    user = own_account(session, principal)
    if language is not None:
        if language not in SUPPORTED_LANGUAGES:
            raise InvalidInput(N_("That language is not offered. Choose English or Japanese."), field="language")
        user.language = language
    if time_zone is not None:
        time_zone = time_zone.strip()
        if time_zone and not is_time_zone(time_zone):
            raise InvalidInput(N_("That time zone is unknown. Choose one from the list."), field="time_zone")
        user.time_zone = time_zone or None
    audit.record(session, user.id, UserEvent.preferences, "user", user.id, language=language, time_zone=time_zone)
    return user


def is_time_zone(name: str) -> bool:
    """An IANA zone name that zoneinfo can load (a relative path or other odd text is not one)."""
    if len(name) > 64 or name != name.strip():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def record_home_visit(session: Session, principal: Principal) -> tuple[User, datetime | None]:
    """The person's account and their previous visit (where "what is new" starts); remembers this one."""
    user = own_account(session, principal)
    previous, now = user.last_home_visit_at, utcnow()
    # A visit is remembered once per few minutes: reloading the page keeps the "new" marks, and a busy
    # home page does not turn every view into a write.
    if previous is None or now - previous > HOME_VISIT_RESOLUTION:
        write_if_possible(session, lambda: setattr(user, "last_home_visit_at", now), f"home visit of user {user.id}")
    return user, previous


def display_names(session: Session, user_ids: set[int]) -> dict[int, str]:
    """People's names by id, in one query (none when there are no ids)."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {row.id: row.display_name for row in rows}


# The console: looking people up, and admins' changes ------------------------------------------------------------


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
        raise InvalidInput(N_("the search text is too long (at most 200 characters)"), field="f-q")
    try:
        parsed_role = Role(role) if role else None
    except ValueError:
        raise InvalidInput(N_("choose a role from the list"), field="f-role") from None
    try:
        parsed_status = UserStatus(status) if status else None
    except ValueError:
        raise InvalidInput(N_("choose a status from the list"), field="f-status") from None
    if country and country not in QUAD_COUNTRY_CODES:
        raise InvalidInput(N_("choose a country from the list"), field="f-country")
    return UserFilters(q=q, role=parsed_role, country=country or None, status=parsed_status)


def search_users(session: Session, principal: Principal, filters: UserFilters, page: PageRequest) -> Paginated[User]:
    rules.require(principal, UserAction.look_up, None)
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
    return paginate(session, query, page, order_by=(User.display_name, User.id))


def get_account(session: Session, principal: Principal, user_id: int) -> User:
    rules.require(principal, UserAction.look_up, None)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("no such user"))
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


@dataclass(frozen=True)
class ChangeResult:
    user: User
    # False when the change waits for "are you sure?" (confirmed=False and needs_confirmation): nothing changed.
    applied: bool


def change_account(
    session: Session, principal: Principal, user_id: int, change: AccountChange, *, reason: str, confirmed: bool = True
) -> ChangeResult:
    """Role (delegate to observer or back), country, status (active or disabled) and export clearance (staff),
    each checked by users.permissions and audited with the reason given. Everything is checked before anything
    changes, so a refused part leaves the account as it was. With `confirmed=False` a change that cuts someone
    off (needs_confirmation) is checked but not made, so the page can ask first."""
    user = get_account(session, principal, user_id)
    with field("reason"):
        reason = text.one_line(reason, N_("the reason"), REASON_MAX, required=False)
    if not reason:
        raise InvalidInput(N_("give a reason for the change; it is kept on the audit trail"), field="reason")
    changes: dict[str, dict[str, Any]] = {}
    if change.role is not None and change.role is not user.role:
        rules.require(principal, UserAction.change_role, user)
        if {change.role, user.role} - {Role.delegate, Role.observer}:
            raise InvalidInput(N_("only a change between delegate and observer is allowed"), field="role")
        changes["role"] = {"from": user.role.value, "to": change.role.value}
    if change.country is not None and change.country != user.country_code:
        rules.require(principal, UserAction.change_country, user)
        if user.role not in COUNTRY_ROLES:
            raise InvalidInput(N_("secretariat staff and administrators do not belong to one country"), field="country")
        with field("country"):
            changes["country"] = {"from": user.country_code, "to": countries.require(session, change.country).code}
    if change.status is not None and change.status is not user.status:
        rules.require(principal, UserAction.change_status, user)
        if change.status is UserStatus.pending:
            raise InvalidInput(N_("an account can be made active or disabled, not pending again"), field="status")
        changes["status"] = {"from": user.status.value, "to": change.status.value}
    if change.export_cleared is not None and change.export_cleared is not user.export_cleared:
        rules.require(principal, UserAction.change_clearance, user)
        if change.export_cleared and user.role not in (Role.secretariat, Role.admin):
            raise InvalidInput(
                N_("export clearance is for secretariat staff; delegates follow the release list"),
                field="export_cleared",
            )
        changes["export_cleared"] = {"from": user.export_cleared, "to": change.export_cleared}
    if not changes:
        return ChangeResult(user, applied=True)
    if not confirmed and needs_confirmation(user, change):
        return ChangeResult(user, applied=False)
    if "role" in changes:
        user.role = Role(changes["role"]["to"])
    if "country" in changes:
        user.country_code = str(changes["country"]["to"])
    if "export_cleared" in changes:
        user.export_cleared = bool(changes["export_cleared"]["to"])
    if "status" in changes:
        user.status = UserStatus(changes["status"]["to"])
        if user.status is UserStatus.disabled:
            auth_service.account_disabled(session, principal, user.id)
    audit.record(session, principal.user_id, UserEvent.change, "user", user.id, changes=changes, reason=reason)
    return ChangeResult(user, applied=True)
