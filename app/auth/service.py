"""Resolving who a request comes from (token or session), browser sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.audit import service as audit
from app.auth.events import AuthEvent
from app.auth.models import ApiToken, SessionEnd, UserSession
from app.auth.permissions import TokenAction, rules
from app.core import text
from app.core.db import utcnow, write_if_possible
from app.core.errors import N_, InvalidInput, NotAuthenticated, NotFound
from app.core.pagination import PageRequest, Paginated, paginate
from app.groups import service as groups
from app.groups.models import WorkingGroup
from app.users.models import User, UserStatus

TOKEN_PREFIX = "qd_"  # noqa: S105  (a public marker, not a secret)
MAX_TOKEN_DAYS = 3650
# A forgotten token should not work forever: the API, the profile form and the CLI all default to this.
DEFAULT_TOKEN_DAYS = 90
# Writing last_used_at on every call would turn each GET into a write; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The same for a session's last_seen_at: SQLite serialises writers, and the idle limit is minutes long.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def principal_for(session: Session, user: User, *, via_token: bool = False) -> Principal:
    return Principal(
        user_id=user.id,
        role=user.role,
        country=user.country_code,
        status=user.status,
        display_name=user.display_name,
        email=user.email,
        organisation=user.organisation,
        language=user.language,
        time_zone=user.time_zone,
        group_roles=MappingProxyType(dict(groups.group_roles_of(session, user.id))),
        via_token=via_token,
        export_cleared=user.export_cleared,
        access_version=user.access_version,
    )


def principal_from_bearer(session: Session, authorization: str, now: datetime | None = None) -> Principal:
    scheme, _, raw = authorization.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw or " " in raw:
        raise NotAuthenticated(N_("malformed Authorization header; expected 'Bearer <token>'"))
    if not raw.startswith(TOKEN_PREFIX):
        raise NotAuthenticated(N_("invalid API token"))
    now = now or utcnow()
    token = session.execute(
        select(ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at, *_USER_KEY)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(raw))
    ).one_or_none()
    if token is None:
        raise NotAuthenticated(N_("invalid API token"))
    if token.revoked_at is not None:
        raise NotAuthenticated(N_("this API token has been revoked"))
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated(N_("this API token has expired"))
    if token.status is UserStatus.disabled:
        raise NotAuthenticated(N_("this account is disabled"))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        _note_use(session, update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now), "token", token.id)
    return _cached_principal(session, token, via_token=True)


# The user's part of a session or token lookup: enough to refuse a disabled account and find a cached principal.
_USER_KEY = (User.id.label("user_id"), User.status, User.access_version)


class PrincipalCache:
    """Principals kept per worker by (user, access version, via token). The version comes from the database on
    every request (with the session or token row), so a cached principal is never older than the person's
    last change (app/auth/access_version.py bumps it)."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, int, bool], Principal] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, int, bool]) -> Principal | None:
        with self._lock:
            principal = self._entries.get(key)
            if principal is not None:
                self._entries.move_to_end(key)
            return principal

    def put(self, key: tuple[int, int, bool], principal: Principal) -> None:
        with self._lock:
            self._entries[key] = principal
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


principals = PrincipalCache()


def _cached_principal(session: Session, row: Any, *, via_token: bool) -> Principal:
    key = (row.user_id, row.access_version, via_token)
    principal = principals.get(key)
    if principal is None:
        user = session.get_one(User, row.user_id)
        # Built from what this transaction reads now; never older than the version in the key.
        principal = principal_for(session, user, via_token=via_token)
        principals.put((row.user_id, user.access_version, via_token), principal)
    return principal


def _note_use(session: Session, statement: Any, what: str, row_id: int) -> None:
    """A last-used time: bookkeeping that changes no page (app/core/data_version.py does not count it)."""

    def note() -> None:
        session.execute(statement, execution_options={"bookkeeping": True})

    write_if_possible(session, note, f"last use of {what} {row_id}")


def open_session(session: Session, user: User, *, provider_name: str | None = None, id_token: str | None = None) -> str:
    """A new server-side session; returns the random id for the cookie (only its hash is stored)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(
        user_id=user.id,
        token_hash=hash_token(raw),
        created_at=now,
        last_seen_at=now,
        provider_name=provider_name,
        id_token=id_token,
    )
    session.add(record)
    session.flush()
    return raw


def session_record(session: Session, raw: str) -> UserSession | None:
    return session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(raw)))


def _end(record: UserSession, reason: SessionEnd, now: datetime) -> None:
    record.ended_at, record.ended_reason, record.id_token = now, reason, None


def principal_from_session(
    session: Session,
    raw: str,
    now: datetime,
    *,
    idle: timedelta,
    absolute: timedelta,
) -> Principal | None:
    """The signed-in user of a session id, or None when the session is unknown, ended, stale or disabled."""
    record = session.execute(
        select(UserSession.id, UserSession.created_at, UserSession.last_seen_at, UserSession.ended_at, *_USER_KEY)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == hash_token(raw))
    ).one_or_none()
    if record is None or record.ended_at is not None:
        return None
    # Timeouts need no write: time alone ends the session. (Disabling ends the rows themselves.)
    if now - record.created_at > absolute or now - record.last_seen_at > idle:
        return None
    if record.status is UserStatus.disabled:
        return None
    if now - record.last_seen_at >= LAST_SEEN_RESOLUTION:
        seen = update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now)
        _note_use(session, seen, "session", record.id)
    return _cached_principal(session, record, via_token=False)


def end_session(session: Session, raw: str, reason: SessionEnd = SessionEnd.sign_out) -> UserSession | None:
    """Ends one session (sign-out). Returns the record as it was, with its provider and id_token, when it was
    still open; None when it was unknown or had already ended."""
    record = session_record(session, raw)
    if record is None or record.ended_at is not None:
        return None
    ended = UserSession(provider_name=record.provider_name, id_token=record.id_token)
    _end(record, reason, utcnow())
    session.flush()
    return ended


def end_sessions_of(session: Session, user_id: int, reason: SessionEnd) -> int:
    """Ends every open session of a person; returns how many there were."""
    open_sessions = session.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    ).all()
    now = utcnow()
    for record in open_sessions:
        _end(record, reason, now)
    session.flush()
    return len(open_sessions)


def _revoke_tokens_of(session: Session, principal: Principal, user_id: int, *, why: str) -> int:
    """Revokes every live token of a person, audited as one event; returns how many there were. The callers
    decided it may happen: a person signing out everywhere, or a change that disabled the account."""
    live = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).all()
    if not live:
        return 0
    now = utcnow()
    for token in live:
        token.revoked_at = now
    audit.record(
        session,
        principal.user_id,
        AuthEvent.token_revoke_all,
        "user",
        user_id,
        tokens=[t.id for t in live],
        reason=why,
    )
    return len(live)


def sign_out_everywhere(session: Session, principal: Principal, *, revoke_tokens: bool = False) -> None:
    """Ends all of the person's browser sessions, this one included, and, if asked, their API tokens too."""
    assert principal.user_id is not None
    sessions = end_sessions_of(session, principal.user_id, SessionEnd.sign_out_everywhere)
    tokens = _revoke_tokens_of(session, principal, principal.user_id, why="sign_out_everywhere") if revoke_tokens else 0
    audit.record(
        session,
        principal.user_id,
        AuthEvent.sign_out_everywhere,
        "user",
        principal.user_id,
        sessions=sessions,
        tokens_revoked=tokens,
    )


def account_disabled(session: Session, principal: Principal, user_id: int) -> None:
    """A disabled account keeps nothing that works: sessions end and tokens are revoked for good, so
    re-enabling it later starts from a fresh sign-in and new tokens. (Called by the account's changes, which
    checked that `principal` may disable it.)"""
    end_sessions_of(session, user_id, SessionEnd.disabled)
    _revoke_tokens_of(session, principal, user_id, why="account_disabled")


def create_token(
    session: Session,
    principal: Principal,
    owner: User | None = None,
    *,
    name: str,
    expires_days: int | None = DEFAULT_TOKEN_DAYS,
) -> tuple[ApiToken, str]:
    """Makes a token for the principal's own account (or, for an administrator, `owner`'s) and returns it with its
    only plain-text copy. `expires_days=None` makes a token that never expires: only the admin CLI
    (`quad tokens create --no-expiry`) asks for one."""
    user = owner if owner is not None else _own_account(session, principal)
    rules.require(principal, TokenAction.create, user.id)
    name = text.one_line(name, N_("a token's name"), 80, field="token-name")
    if expires_days is not None and not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise InvalidInput(N_("a token expires after 1 to %(max)d days"), max=MAX_TOKEN_DAYS, field="token-days")
    if user.status is UserStatus.disabled:
        raise InvalidInput(N_("a disabled user cannot have tokens"))
    prefix = TOKEN_PREFIX + secrets.token_hex(4)
    raw = f"{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
    token = ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=hash_token(raw), expires_at=expires_at)
    session.add(token)
    session.flush()
    audit.record(session, principal.user_id, AuthEvent.token_create, "api_token", token.id, user_id=user.id, name=name)
    return token, raw


def tokens_of(
    session: Session, principal: Principal, page: PageRequest, *, owner_id: int | None = None
) -> Paginated[ApiToken]:
    """An account's tokens (the principal's own unless `owner_id` says whose), newest first, a page at a time."""
    owner = principal.user_id if owner_id is None else owner_id
    if owner is None:
        raise NotFound(N_("no such user"))
    rules.require(principal, TokenAction.see, owner)
    query = select(ApiToken).where(ApiToken.user_id == owner)
    return paginate(session, query, page, order_by=(ApiToken.id.desc(),))


@dataclass(frozen=True)
class AccountOverview:
    """What the profile page shows besides the person's own details: their groups and their API tokens."""

    groups: Sequence[WorkingGroup]
    tokens: Paginated[ApiToken]


def account_overview(session: Session, principal: Principal, page: PageRequest) -> AccountOverview:
    return AccountOverview(groups.groups_of(session, principal), tokens_of(session, principal, page))


def get_token(session: Session, principal: Principal, token_id: int, *, owner_id: int | None = None) -> ApiToken:
    """One of the principal's own tokens, or (administrator) one of `owner_id`'s: for the page that asks "revoke
    it?". Someone else's token is "not found" to everyone else, so ids reveal nothing."""
    token = session.get(ApiToken, token_id)
    owner = principal.user_id if owner_id is None else owner_id
    if token is None or owner is None or token.user_id != owner or not rules.allows(principal, TokenAction.see, owner):
        raise NotFound(N_("no such token"))
    return token


def revoke_token(
    session: Session, principal: Principal, token_id: int, *, owner_id: int | None = None, reason: str = ""
) -> ApiToken:
    """Revokes a token of the principal's own, or (administrator) of the given owner; the reason, when given, is
    kept on the audit trail."""
    token = get_token(session, principal, token_id, owner_id=owner_id)
    rules.require(principal, TokenAction.revoke, token.user_id)
    reason = text.one_line(reason, N_("the reason"), 500, required=False, field="reason")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        data: dict[str, Any] = {"reason": reason} if reason else {}
        audit.record(
            session, principal.user_id, AuthEvent.token_revoke, "api_token", token.id, user_id=token.user_id, **data
        )
    return token


def _own_account(session: Session, principal: Principal) -> User:
    user = session.get(User, principal.user_id) if principal.user_id is not None else None
    if user is None:
        raise NotFound(N_("no such user"))
    return user
