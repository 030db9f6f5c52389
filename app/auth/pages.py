"""Sign-in pages: the provider list, the OpenID Connect flow, industry onboarding, development sign-in, sign-out.

The signed-in person's own pages (profile, preferences, API tokens) are in app/auth/profile.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.access.policy import AnyPrincipal
from app.auth import sessions, signin
from app.auth.events import AuthEvent
from app.auth.oidc import OidcClients
from app.auth.ratelimit import SignInLimit
from app.auth.signin import NeedsOnboarding, SignInRefused, VerifiedIdentity
from app.core.errors import N_, NotFound, RefusalRecorded
from app.core.routing import page_router
from app.core.threads import run_blocking
from app.countries.service import QUAD_COUNTRY_CODES
from app.users.models import User, UserStatus
from app.web.deps import DbSession, FormId
from app.web.forms import NO_ERRORS, form_page
from app.web.templating import render
from app.web.urls import safe_next, see_other

pages = page_router()

ONBOARDING_KEY = "onboarding"
NEXT_KEY = "login_next"


def _oidc(request: Request) -> OidcClients:
    clients: OidcClients = request.app.state.oidc
    return clients


@pages.get("/login", response_class=HTMLResponse, name="auth.login")
def login_page(request: Request, db: DbSession, principal: AnyPrincipal, next: str | None = None) -> HTMLResponse:
    settings = request.app.state.settings
    return render(
        request,
        "auth/login.html",
        {
            "providers": request.app.state.identity_providers.listed(),
            "dev_login": settings.dev_login_enabled,
            "demo_users": signin.dev_sign_in_choices(db) if settings.dev_login_enabled else [],
            "next": safe_next(next),
        },
    )


@pages.get("/auth/login/{name}", dependencies=[SignInLimit], name="auth.start")
async def start_login(request: Request, name: str, _: AnyPrincipal, next: str | None = None) -> Response:
    redirect_uri = f"{request.app.state.settings.base_url}/auth/callback/{name}"
    request.session[NEXT_KEY] = safe_next(next)
    return await _oidc(request).start(request, name, redirect_uri)


@pages.get("/auth/callback/{name}", dependencies=[SignInLimit], name="auth.callback")
async def finish_login(request: Request, name: str, db: DbSession, _: AnyPrincipal) -> Response:
    try:
        identity, id_token = await _oidc(request).finish(request, name)
        outcome = signin.resolve_account(db, identity)
    except SignInRefused as exc:
        # Nothing the attempt wrote survives, but the refusal itself stays on the audit trail.
        raise RefusalRecorded(
            exc.detail,
            actor_id=None,
            action=AuthEvent.refused,
            target_type="provider",
            target_id=name,
            reason=exc.detail,
        ) from exc
    if isinstance(outcome, NeedsOnboarding):
        request.session[ONBOARDING_KEY] = _remember(outcome)
        return see_other(request, "auth.onboarding")
    return _signed_in(request, db, outcome, name, id_token)


def _signed_in(request: Request, db: DbSession, user: User, provider_name: str, id_token: str | None) -> Response:
    signin.record_sign_in(db, user, provider_name)
    target = request.session.get(NEXT_KEY)
    sessions.start_session(request, db, user, provider_name=provider_name, id_token=id_token)
    if user.status is UserStatus.pending:
        return see_other(request, "auth.profile")
    return RedirectResponse(safe_next(target), status_code=303)


def _remember(onboarding: NeedsOnboarding) -> dict[str, object]:
    identity = onboarding.identity
    return {
        "provider": identity.provider.name,
        "issuer": identity.issuer,
        "subject": identity.subject,
        "email": identity.email,
        "name": identity.name,
        "organisation": identity.organisation,
        "needs_country": onboarding.needs_country,
    }


def _pending_identity(request: Request) -> tuple[VerifiedIdentity, bool]:
    data = request.session.get(ONBOARDING_KEY)
    provider = request.app.state.identity_providers.get(data.get("provider", "")) if isinstance(data, dict) else None
    if not isinstance(data, dict) or provider is None:
        raise NotFound(N_("there is no sign-in waiting for your organisation details"))
    identity = VerifiedIdentity(
        provider=provider,
        issuer=data["issuer"],
        subject=data["subject"],
        email=data["email"],
        name=data["name"],
        organisation=data["organisation"],
    )
    return identity, bool(data["needs_country"])


def _onboarding_context(request: Request) -> dict[str, object]:
    identity, needs_country = _pending_identity(request)
    return {"identity": identity, "needs_country": needs_country, "countries": QUAD_COUNTRY_CODES}


@pages.get("/auth/onboarding", response_class=HTMLResponse, name="auth.onboarding")
def onboarding_page(request: Request, _: AnyPrincipal) -> HTMLResponse:
    context = {**_onboarding_context(request), "errors": NO_ERRORS, "values": {}}
    return render(request, "auth/onboarding.html", context)


@pages.post("/auth/onboarding", response_class=HTMLResponse, name="auth.finish_onboarding")
def finish_onboarding(
    request: Request,
    db: DbSession,
    _: AnyPrincipal,
    organisation: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
) -> Response:
    identity, needs_country = _pending_identity(request)

    def register() -> Response:
        chosen_country = country if needs_country else identity.provider.country or ""
        user = signin.create_industry_account(db, identity, organisation, chosen_country)
        request.session.pop(ONBOARDING_KEY, None)
        return _signed_in(request, db, user, identity.provider.name, None)

    values = {"organisation": organisation, "country": country}
    return form_page(request, "auth/onboarding.html", lambda: _onboarding_context(request), register, values=values)


@pages.post("/auth/dev-login", dependencies=[SignInLimit], name="auth.dev_login")
def dev_login(
    request: Request,
    db: DbSession,
    _: AnyPrincipal,
    user_id: FormId,
    next: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    if not request.app.state.settings.dev_login_enabled:
        raise NotFound(N_("development sign-in is not available"))
    sessions.start_session(request, db, signin.dev_sign_in_user(db, user_id))
    return RedirectResponse(safe_next(next), status_code=303)


@pages.post("/logout", name="auth.logout")
async def logout(request: Request, db: DbSession, _: AnyPrincipal) -> RedirectResponse:
    ended = await run_blocking(sessions.end_session, request, db)
    home = f"{request.app.state.settings.base_url}/"
    if ended is not None and ended.provider_name:
        url = await _oidc(request).logout_url(ended.provider_name, ended.id_token, home)
        if url:
            return RedirectResponse(url, status_code=303)
    return see_other(request, "home")
