"""Resolving who a request comes from (token or session), browser sessions and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.audit import service as audit
from app.auth.events import AuthEvent
from app.auth.models import ApiToken, SessionEnd, UserSession
from app.core import text
from app.core.db import paged, utcnow, write_if_possible
from app.core.errors import N_, InvalidInput, NotAuthenticated, NotFound
from app.groups import service as groups
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
    )


def principal_from_bearer(session: Session, authorization: str, now: datetime | None = None) -> Principal:
    scheme, _, raw = authorization.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw or " " in raw:
        raise NotAuthenticated(N_("malformed Authorization header; expected 'Bearer <token>'"))
    if not raw.startswith(TOKEN_PREFIX):
        raise NotAuthenticated(N_("invalid API token"))
    now = now or utcnow()
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None:
        raise NotAuthenticated(N_("invalid API token"))
    if token.revoked_at is not None:
        raise NotAuthenticated(N_("this API token has been revoked"))
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated(N_("this API token has expired"))
    user = token.user
    if user.status is UserStatus.disabled:
        raise NotAuthenticated(N_("this account is disabled"))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        write_if_possible(session, lambda: setattr(token, "last_used_at", now), f"last use of token {token.id}")
    return principal_for(session, user, via_token=True)


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
    record = session_record(session, raw)
    if record is None or record.ended_at is not None:
        return None
    # Timeouts need no write: time alone ends the session. (Disabling ends the rows themselves.)
    if now - record.created_at > absolute or now - record.last_seen_at > idle:
        return None
    if record.user.status is UserStatus.disabled:
        return None
    if now - record.last_seen_at >= LAST_SEEN_RESOLUTION:
        write_if_possible(session, lambda: setattr(record, "last_seen_at", now), f"last use of session {record.id}")
    return principal_for(session, record.user)


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


def revoke_tokens_of(session: Session, actor_id: int | None, user_id: int, *, why: str) -> int:
    """Revokes every live token of a person, audited as one event; returns how many there were."""
    live = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).all()
    if not live:
        return 0
    now = utcnow()
    for token in live:
        token.revoked_at = now
    audit.record(
        session, actor_id, AuthEvent.token_revoke_all, "user", user_id, tokens=[t.id for t in live], reason=why
    )
    return len(live)


def sign_out_everywhere(session: Session, principal: Principal, *, revoke_tokens: bool = False) -> None:
    """Ends all of the person's browser sessions, this one included, and, if asked, their API tokens too."""
    assert principal.user_id is not None
    sessions = end_sessions_of(session, principal.user_id, SessionEnd.sign_out_everywhere)
    tokens = (
        revoke_tokens_of(session, principal.user_id, principal.user_id, why="sign_out_everywhere")
        if revoke_tokens
        else 0
    )
    audit.record(
        session,
        principal.user_id,
        AuthEvent.sign_out_everywhere,
        "user",
        principal.user_id,
        sessions=sessions,
        tokens_revoked=tokens,
    )


def account_disabled(session: Session, actor_id: int | None, user_id: int) -> None:
    """A disabled account keeps nothing that works: sessions end and tokens are revoked for good, so
    re-enabling it later starts from a fresh sign-in and new tokens."""
    end_sessions_of(session, user_id, SessionEnd.disabled)
    revoke_tokens_of(session, actor_id, user_id, why="account_disabled")


def create_token(
    session: Session,
    actor: Principal | None,
    user: User,
    *,
    name: str,
    expires_days: int | None = DEFAULT_TOKEN_DAYS,
) -> tuple[ApiToken, str]:
    """Makes a token and returns it with its only plain-text copy. `expires_days=None` makes a token that never
    expires: only the admin CLI (`quad tokens create --no-expiry`) asks for one."""
    name = text.one_line(name, N_("a token's name"), 80)
    if expires_days is not None and not 1 <= expires_days <= MAX_TOKEN_DAYS:
        raise InvalidInput(f"expires_days must be between 1 and {MAX_TOKEN_DAYS}")
    if user.status is UserStatus.disabled:
        raise InvalidInput(N_("a disabled user cannot have tokens"))
    prefix = TOKEN_PREFIX + secrets.token_hex(4)
    raw = f"{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = utcnow() + timedelta(days=expires_days) if expires_days else None
    token = ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=hash_token(raw), expires_at=expires_at)
    session.add(token)
    session.flush()
    actor_id = actor.user_id if actor else None
    audit.record(session, actor_id, AuthEvent.token_create, "api_token", token.id, user_id=user.id, name=name)
    return token, raw


def tokens_of(session: Session, user_id: int, *, offset: int = 0, limit: int = 100) -> tuple[Sequence[ApiToken], int]:
    """A person's tokens, newest first, one page at a time."""
    query = select(ApiToken).where(ApiToken.user_id == user_id)
    return paged(session, query, order_by=(ApiToken.id.desc(),), offset=offset, limit=limit)


def revoke_token(session: Session, actor: Principal, token_id: int, *, owner_id: int | None = None) -> ApiToken:
    """Revokes a token of the actor's own, or (admin) of the given owner."""
    token = session.get(ApiToken, token_id)
    owner = actor.user_id if owner_id is None else owner_id
    # Someone else's token is "not found" to a non-admin, so ids reveal nothing.
    if token is None or token.user_id != owner or (owner != actor.user_id and not actor.is_admin):
        raise NotFound(N_("no such token"))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(session, actor.user_id, AuthEvent.token_revoke, "api_token", token.id, user_id=token.user_id)
    return token
