"""Sign-in pages: the provider list, development sign-in and sign-out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import policy
from app.auth.policy import AnyPrincipal
from app.deps import DbSession
from app.errors import InvalidInput, NotFound
from app.routing import page_router
from app.templating import render
from app.users import service as users
from app.users.models import UserStatus

pages = page_router()


def safe_next(target: str | None) -> str:
    """Only paths on this site, so a sign-in link cannot send people elsewhere afterwards."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def redirect_to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request, db: DbSession, principal: AnyPrincipal, next: str | None = None) -> HTMLResponse:
    settings = request.app.state.settings
    demo_users = users.list_users(db, limit=100)[0] if settings.dev_login_enabled else []
    return render(
        request,
        "auth/login.html",
        {
            "providers": request.app.state.identity_providers.listed(),
            "dev_login": settings.dev_login_enabled,
            "demo_users": [u for u in demo_users if u.status is not UserStatus.disabled],
            "next": safe_next(next),
        },
    )


@pages.post("/auth/dev-login")
def dev_login(
    request: Request,
    db: DbSession,
    _: AnyPrincipal,
    user_id: Annotated[int, Form()],
    next: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    if not request.app.state.settings.dev_login_enabled:
        raise NotFound("development sign-in is not available")
    user = users.get(db, user_id)
    if user is None or user.status is UserStatus.disabled:
        raise InvalidInput("pick one of the listed users")
    policy.start_session(request, user.id, user.session_version)
    return RedirectResponse(safe_next(next), status_code=303)


@pages.post("/logout")
def logout(request: Request, _: AnyPrincipal) -> RedirectResponse:
    policy.end_session(request)
    return RedirectResponse("/", status_code=303)
