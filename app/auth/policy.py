"""The route-level half of the access policy.

Every route declares one `Policy` (through the aliases at the bottom); a test walks all routes and fails on
one that has none. Object-level rules (visibility, ownership, chairs) live in each domain's permissions.py.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.auth import service as auth_service
from app.auth.models import SessionEnd, UserSession
from app.auth.principal import ANONYMOUS, Principal
from app.db import utcnow
from app.errors import N_, Forbidden, NotAuthenticated
from app.routing import request_session
from app.users.models import User

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


SESSION_KEY = "sid"  # the cookie's only proof of sign-in: the id of a user_session row


def _resolve_principal(request: Request) -> Principal:
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


async def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        cookie_less = SESSION_KEY not in request.session and "authorization" not in request.headers
        principal = ANONYMOUS if cookie_less else await run_in_threadpool(_resolve_principal, request)
        request.state.principal = principal
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


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def _check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    supplied = request.headers.get(CSRF_HEADER)
    if supplied is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FORM_FIELD)
        supplied = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not supplied or not hmac.compare_digest(expected, supplied):
        raise Forbidden(N_("The form has expired or did not come from this site. Reload the page and try again."))


class Policy:
    """A route gate: who may call the route at all. Also the one place CSRF is enforced."""

    def __init__(self, name: str, allows: Callable[[Principal], bool], *, needs_sign_in: bool = True) -> None:
        self.name = name
        self.allows = allows
        self.needs_sign_in = needs_sign_in

    async def __call__(
        self, request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        if self.needs_sign_in and not principal.is_authenticated:
            raise NotAuthenticated(N_("Sign in to continue."))
        if request.method in UNSAFE_METHODS and not principal.via_token:
            await _check_csrf(request)
        if not self.allows(principal):
            raise Forbidden(_refusal(principal))
        return principal

    def __repr__(self) -> str:
        return f"Policy({self.name})"


def _refusal(principal: Principal) -> str:
    if principal.status is not None and not principal.is_active:
        return f"Your account is {principal.status.value}; the secretariat has not approved it yet."
    return N_("You do not have access to this page.")


anyone = Policy("anyone", lambda p: True, needs_sign_in=False)
signed_in = Policy("signed-in", lambda p: p.is_authenticated)
active_user = Policy("active-user", lambda p: p.is_active)
quad_reader = Policy("quad-reader", lambda p: p.reads_quad_content)
secretariat = Policy("secretariat", lambda p: p.is_staff)
admin = Policy("admin", lambda p: p.is_admin)

# For loaders of path objects only: who is asking, without being a route's policy.
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
AnyPrincipal = Annotated[Principal, Depends(anyone)]
SignedInPrincipal = Annotated[Principal, Depends(signed_in)]
ActivePrincipal = Annotated[Principal, Depends(active_user)]
QuadReader = Annotated[Principal, Depends(quad_reader)]
SecretariatPrincipal = Annotated[Principal, Depends(secretariat)]
AdminPrincipal = Annotated[Principal, Depends(admin)]
