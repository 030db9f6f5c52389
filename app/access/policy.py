"""The route-level half of the access policy.

Every route declares one `Policy` (through the aliases at the bottom); a test walks all routes and fails on
one that has none. Object-level rules (visibility, ownership, chairs) live in each domain's permissions.py.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from app.access.principal import ANONYMOUS, Principal
from app.access.roles import UserStatus
from app.core.errors import N_, Forbidden, NotAuthenticated
from app.core.routing import mark_personal
from app.core.threads import run_blocking

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FORM_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


SESSION_KEY = "sid"  # the cookie's only proof of sign-in: the id of a user_session row


def resolve_principal(request: Request) -> Principal:
    """Who is asking, from the Bearer token or the session cookie. The way to find out is the sign-in layer's
    (`app.auth.sessions.resolve_principal`), installed by main.py as `app.state.resolve_principal`."""
    resolver: Callable[[Request], Principal] = request.app.state.resolve_principal
    return resolver(request)


async def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        cookie_less = SESSION_KEY not in request.session and "authorization" not in request.headers
        principal = ANONYMOUS if cookie_less else await run_blocking(resolve_principal, request)
        request.state.principal = principal
    return principal


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
        mark_personal(request)  # the session changed with this answer: the page cache must not keep it
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
    if principal.status is UserStatus.pending:
        return N_("Your account is waiting for approval; the secretariat has not approved it yet.")
    if principal.status is UserStatus.disabled:
        return N_("Your account is disabled. Write to the secretariat if you think this is a mistake.")
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
