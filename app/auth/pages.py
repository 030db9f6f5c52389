"""Sign-in pages: the provider list, the OpenID Connect flow, industry onboarding, sign-out, profile."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.access.policy import ActivePrincipal, AnyPrincipal, SignedInPrincipal
from app.auth import service as auth_service
from app.auth import sessions, signin
from app.auth.events import AuthEvent
from app.auth.oidc import OidcClients
from app.auth.ratelimit import SignInLimit, TokenLimit
from app.auth.signin import NeedsOnboarding, SignInRefused, VerifiedIdentity
from app.core.errors import N_, DomainError, InvalidInput, NotFound, RefusalRecorded
from app.core.routing import page_router
from app.countries.service import QUAD_COUNTRY_CODES
from app.groups import service as groups
from app.users import service as users
from app.users.models import User, UserStatus
from app.web.deps import DbSession, FormId, ObjectId
from app.web.templating import CAPITAL_TIME_ZONES, DEFAULT_TIME_ZONE, TIME_ZONE_CHOICES, render
from app.web.urls import safe_next

pages = page_router()

ONBOARDING_KEY = "onboarding"
NEXT_KEY = "login_next"


def _oidc(request: Request) -> OidcClients:
    clients: OidcClients = request.app.state.oidc
    return clients


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


@pages.get("/auth/login/{name}", dependencies=[SignInLimit])
async def start_login(request: Request, name: str, _: AnyPrincipal, next: str | None = None) -> Response:
    redirect_uri = f"{request.app.state.settings.base_url}/auth/callback/{name}"
    request.session[NEXT_KEY] = safe_next(next)
    return await _oidc(request).start(request, name, redirect_uri)


@pages.get("/auth/callback/{name}", dependencies=[SignInLimit])
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
        return RedirectResponse("/auth/onboarding", status_code=303)
    return _signed_in(request, db, outcome, name, id_token)


def _signed_in(request: Request, db: DbSession, user: User, provider_name: str, id_token: str | None) -> Response:
    signin.record_sign_in(db, user, provider_name)
    target = request.session.get(NEXT_KEY)
    sessions.start_session(request, db, user, provider_name=provider_name, id_token=id_token)
    destination = "/profile" if user.status is UserStatus.pending else safe_next(target)
    return RedirectResponse(destination, status_code=303)


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


@pages.get("/auth/onboarding", response_class=HTMLResponse)
def onboarding_page(request: Request, _: AnyPrincipal) -> HTMLResponse:
    identity, needs_country = _pending_identity(request)
    return render(
        request,
        "auth/onboarding.html",
        {"identity": identity, "needs_country": needs_country, "countries": QUAD_COUNTRY_CODES, "error": None},
    )


@pages.post("/auth/onboarding", response_class=HTMLResponse)
def finish_onboarding(
    request: Request,
    db: DbSession,
    _: AnyPrincipal,
    organisation: Annotated[str, Form(max_length=160)] = "",
    country: Annotated[str | None, Form()] = None,
) -> Response:
    identity, needs_country = _pending_identity(request)
    chosen_country = country if needs_country else identity.provider.country
    try:
        user = signin.create_industry_account(db, identity, organisation, chosen_country or "")
    except InvalidInput as exc:
        context = {
            "identity": identity,
            "needs_country": needs_country,
            "countries": QUAD_COUNTRY_CODES,
            "error": exc.detail,
            "organisation": organisation,
        }
        return render(request, "auth/onboarding.html", context, status_code=422)
    request.session.pop(ONBOARDING_KEY, None)
    return _signed_in(request, db, user, identity.provider.name, None)


@pages.post("/auth/dev-login", dependencies=[SignInLimit])
def dev_login(
    request: Request,
    db: DbSession,
    _: AnyPrincipal,
    user_id: FormId,
    next: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    if not request.app.state.settings.dev_login_enabled:
        raise NotFound(N_("development sign-in is not available"))
    user = users.get(db, user_id)
    if user is None or user.status is UserStatus.disabled:
        raise InvalidInput(N_("pick one of the listed users"))
    sessions.start_session(request, db, user)
    return RedirectResponse(safe_next(next), status_code=303)


@pages.post("/logout")
async def logout(request: Request, db: DbSession, _: AnyPrincipal) -> RedirectResponse:
    ended = await run_in_threadpool(sessions.end_session, request, db)
    home = f"{request.app.state.settings.base_url}/"
    if ended is not None and ended.provider_name:
        url = await _oidc(request).logout_url(ended.provider_name, ended.id_token, home)
        if url:
            return RedirectResponse(url, status_code=303)
    return RedirectResponse("/", status_code=303)


def _profile(request: Request, db: DbSession, principal: SignedInPrincipal, **extra: object) -> HTMLResponse:
    assert principal.user_id is not None
    context = {
        "groups": groups.groups_of(db, principal),
        "tokens": auth_service.tokens_of(db, principal.user_id)[0],
        "new_token": None,
        "default_token_days": auth_service.DEFAULT_TOKEN_DAYS,
        "error": None,
        "time_zone_choices": TIME_ZONE_CHOICES,
        "default_time_zone": CAPITAL_TIME_ZONES.get(principal.country or "", DEFAULT_TIME_ZONE),
        **extra,
    }
    return render(request, "auth/profile.html", context, status_code=422 if extra.get("error") else 200)


@pages.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, db: DbSession, principal: SignedInPrincipal) -> HTMLResponse:
    return _profile(request, db, principal)


@pages.post("/profile/preferences")
def save_preferences(
    request: Request,
    db: DbSession,
    principal: SignedInPrincipal,
    language: Annotated[str, Form()],
    time_zone: Annotated[str, Form()] = "",
) -> Response:
    assert principal.user_id is not None
    user = users.get(db, principal.user_id)
    assert user is not None
    try:
        users.set_preferences(db, user, language=language, time_zone=time_zone)
    except InvalidInput as exc:
        return _profile(request, db, principal, error=exc.detail)
    request.session["lang"] = language
    return RedirectResponse("/profile", status_code=303)


@pages.post("/profile/tokens", response_class=HTMLResponse, dependencies=[TokenLimit])
def create_token_form(
    request: Request,
    db: DbSession,
    principal: ActivePrincipal,
    name: Annotated[str, Form()],
    expires_days: Annotated[str, Form()] = "",
) -> Response:
    """Shows the new token on the page (not a redirect): it is displayed this once and never again."""
    assert principal.user_id is not None
    user = users.get(db, principal.user_id)
    assert user is not None
    try:
        days = int(expires_days) if expires_days.strip() else auth_service.DEFAULT_TOKEN_DAYS
        _, raw = auth_service.create_token(db, principal, user, name=name, expires_days=days)
    except ValueError:
        return _profile(request, db, principal, error=N_("expiry must be a whole number of days"))
    except DomainError as exc:
        return _profile(request, db, principal, error=exc.detail)
    # A command to paste into a terminal, at the configured public address (code, not text to translate).
    curl_example = f'curl -H "Authorization: Bearer {raw}" {request.app.state.settings.base_url}/api/v1/me'
    return _profile(request, db, principal, new_token=raw, curl_example=curl_example)


@pages.post("/profile/tokens/{token_id}/revoke")
def revoke_token_form(token_id: ObjectId, db: DbSession, principal: SignedInPrincipal) -> RedirectResponse:
    auth_service.revoke_token(db, principal, token_id)
    return RedirectResponse("/profile", status_code=303)


@pages.post("/profile/sign-out-everywhere")
def sign_out_everywhere(
    request: Request,
    db: DbSession,
    principal: SignedInPrincipal,
    revoke_tokens: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    auth_service.sign_out_everywhere(db, principal, revoke_tokens=revoke_tokens)
    sessions.forget_session(request)
    return RedirectResponse("/", status_code=303)
