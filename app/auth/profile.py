"""The signed-in person's own pages: the profile, language and time-zone preferences, API tokens, signing out
everywhere."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.access.policy import SignedInPrincipal
from app.access.principal import Principal
from app.auth import service as auth_service
from app.auth import sessions
from app.auth.deps import TokenMaker, TokenOwner
from app.auth.ratelimit import TokenLimit
from app.core.errors import N_, InvalidInput
from app.core.pagination import PageRequest
from app.core.routing import page_router
from app.users import service as users
from app.web.deps import DbSession, FormReason, ObjectId, Page
from app.web.forms import NO_ERRORS, form_page
from app.web.templating import CAPITAL_TIME_ZONES, DEFAULT_TIME_ZONE, TIME_ZONE_CHOICES, flash, render
from app.web.urls import see_other

pages = page_router()


def _profile_context(db: DbSession, principal: Principal, page: PageRequest) -> dict[str, Any]:
    overview = auth_service.account_overview(db, principal, page)
    return {
        "groups": overview.groups,
        "tokens": overview.tokens,
        "new_token": None,
        "default_token_days": auth_service.DEFAULT_TOKEN_DAYS,
        "time_zone_choices": TIME_ZONE_CHOICES,
        "default_time_zone": CAPITAL_TIME_ZONES.get(principal.country or "", DEFAULT_TIME_ZONE),
        "errors": NO_ERRORS,
        "values": {},
    }


@pages.get("/profile", response_class=HTMLResponse, name="auth.profile")
def profile_page(request: Request, db: DbSession, page: Page, principal: SignedInPrincipal) -> HTMLResponse:
    return render(request, "auth/profile.html", _profile_context(db, principal, page))


@pages.post("/profile/preferences", response_class=HTMLResponse, name="auth.preferences")
def save_preferences(
    request: Request,
    db: DbSession,
    page: Page,
    principal: SignedInPrincipal,
    language: Annotated[str, Form()] = "",
    time_zone: Annotated[str, Form()] = "",
) -> Response:
    def save() -> Response:
        user = users.set_preferences(db, principal, language=language, time_zone=time_zone)
        request.session["lang"] = user.language
        flash(request, N_("Your preferences were saved."))
        return see_other(request, "auth.profile")

    values = {"language": language, "time_zone": time_zone}
    return form_page(request, "auth/profile.html", partial(_profile_context, db, principal, page), save, values=values)


def _days(text: str) -> int:
    """The expiry typed in the form; empty means the default."""
    text = text.strip()
    if not text:
        return auth_service.DEFAULT_TOKEN_DAYS
    if not text.isdigit() or len(text) > 6:
        raise InvalidInput(N_("enter the expiry as a whole number of days"), field="token-days")
    return int(text)


@pages.post("/profile/tokens", response_class=HTMLResponse, dependencies=[TokenLimit], name="auth.create_token")
def create_token_form(
    request: Request,
    db: DbSession,
    page: Page,
    principal: TokenMaker,
    name: Annotated[str, Form()] = "",
    expires_days: Annotated[str, Form()] = "",
) -> Response:
    """Shows the new token on the page (not a redirect): it is displayed this once and never again."""

    def create() -> Response:
        _, raw = auth_service.create_token(db, principal, name=name, expires_days=_days(expires_days))
        flash(request, N_("API token %(name)s created."), name=name.strip())
        # A command to paste into a terminal, at the configured public address (code, not text to translate).
        curl = f'curl -H "Authorization: Bearer {raw}" {request.app.state.settings.base_url}/api/v1/me'
        context: dict[str, Any] = {**_profile_context(db, principal, page), "new_token": raw, "curl_example": curl}
        return render(request, "auth/profile.html", context)

    values = {"token-name": name, "token-days": expires_days}
    context = partial(_profile_context, db, principal, page)
    return form_page(request, "auth/profile.html", context, create, values=values)


@pages.get("/profile/tokens/{token_id}/revoke", response_class=HTMLResponse, name="auth.revoke_token_page")
def revoke_token_page(request: Request, token_id: ObjectId, db: DbSession, principal: TokenOwner) -> HTMLResponse:
    token = auth_service.get_token(db, principal, token_id)
    context: dict[str, Any] = {"token": token, "owner": None, "errors": NO_ERRORS, "values": {}}
    return render(request, "auth/revoke_token.html", context)


@pages.post("/profile/tokens/{token_id}/revoke", response_class=HTMLResponse, name="auth.revoke_token")
def revoke_token_form(
    request: Request,
    token_id: ObjectId,
    db: DbSession,
    principal: TokenOwner,
    reason: FormReason = "",
) -> Response:
    def revoke() -> Response:
        token = auth_service.revoke_token(db, principal, token_id, reason=reason)
        flash(request, N_("API token %(name)s revoked."), name=token.name)
        return see_other(request, "auth.profile")

    def context() -> dict[str, Any]:
        return {"token": auth_service.get_token(db, principal, token_id), "owner": None}

    return form_page(request, "auth/revoke_token.html", context, revoke, values={"reason": reason})


@pages.post("/profile/sign-out-everywhere", name="auth.sign_out_everywhere")
def sign_out_everywhere(
    request: Request,
    db: DbSession,
    principal: SignedInPrincipal,
    revoke_tokens: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    auth_service.sign_out_everywhere(db, principal, revoke_tokens=revoke_tokens)
    sessions.forget_session(request)
    flash(request, N_("You were signed out on every browser and device."))
    return see_other(request, "home")
