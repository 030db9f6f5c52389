"""Sessions in the browser: the cookie holds only the id of a server-side `user_session` row.

`resolve_principal` is installed by main.py as the way `app.access.policy` finds out who is asking.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from sqlalchemy.orm import Session

from app.access.policy import SESSION_KEY
from app.access.principal import ANONYMOUS, Principal
from app.auth import service as auth_service
from app.auth.models import SessionEnd, UserSession
from app.core.db import utcnow
from app.core.routing import request_session
from app.users.models import User


def resolve_principal(request: Request) -> Principal:
    authorization = request.headers.get("authorization")
    if authorization is not None:
        return auth_service.principal_from_bearer(request_session(request), authorization)
    raw = request.session.get(SESSION_KEY)
    if not isinstance(raw, str):
        return ANONYMOUS
    settings = request.app.state.settings
    principal = auth_service.principal_from_session(
        request_session(request),
        raw,
        utcnow(),
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )
    if principal is None:
        forget_session(request)
        return ANONYMOUS
    return principal


def start_session(
    request: Request, db: Session, user: User, *, provider_name: str | None = None, id_token: str | None = None
) -> None:
    """A fresh session at sign-in, so nothing from before (a fixated id, an old CSRF token) survives.

    The session lives in the database; the cookie gets only its random id. The id_token stays server-side.
    """
    previous = request.session.get(SESSION_KEY)
    if isinstance(previous, str):
        auth_service.end_session(db, previous, SessionEnd.replaced)
    raw = auth_service.open_session(db, user, provider_name=provider_name, id_token=id_token)
    forget_session(request)
    request.session[SESSION_KEY] = raw
    request.state.principal = None


def end_session(request: Request, db: Session) -> UserSession | None:
    """Sign-out: ends the server-side session (every copy of the cookie stops working) and clears the cookie.
    Returns the ended session's provider and id_token, for the provider's logout."""
    raw = request.session.get(SESSION_KEY)
    ended = auth_service.end_session(db, raw) if isinstance(raw, str) else None
    forget_session(request)
    return ended


def forget_session(request: Request) -> None:
    """Clears the cookie's contents (all but the language), whatever the server-side state."""
    language = request.session.get("lang")
    request.session.clear()
    if language:
        request.session["lang"] = language
