"""How errors reach people and API clients: problem+json for the API, a readable page (in the reader's language,
with the signed-in header) for people, and a sign-in redirect where signing in may help."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from markupsafe import Markup
from sqlalchemy.exc import DataError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.access import policy
from app.access.principal import ANONYMOUS, Principal
from app.core.errors import N_, Busy, DomainError, Forbidden, NotAuthenticated, NotFound, RateLimited
from app.core.threads import ThreadsBusy
from app.web.templating import gettext_for, negotiate_language, render_error_page
from app.web.urls import redirect_to_login

log = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"


def wants_problem_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def error_response(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    problems: list[str] | None = None,
    **extra: Any,
) -> Response:
    if wants_problem_json(request):
        return problem_response(request, status, detail, title=title, headers=headers, **extra)
    return render_error_page(request, status, detail, headers=headers, problems=problems)


async def _page_error(
    request: Request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    problems: list[str] | None = None,
    **extra: Any,
) -> Response:
    """error_response, after finding out who is asking, so an error page keeps the signed-in header."""
    if not wants_problem_json(request):
        await resolve_principal_for_page(request)
    return error_response(request, status, detail, title=title, headers=headers, problems=problems, **extra)


async def resolve_principal_for_page(request: Request) -> Principal:
    """Who is asking, for an error page whose route never ran (an unknown address, a refused method, a form
    that failed validation before the handler). Looked up in a session of its own that writes nothing; on any
    failure (the database itself may be what failed) the page is shown as to a signed-out person."""
    if getattr(request.state, "principal", None) is not None:
        return request.state.principal
    if "session" not in request.scope:
        return ANONYMOUS

    def look_up() -> Principal:
        previous = getattr(request.state, "db", None)
        request.state.db = None
        try:
            return policy.resolve_principal(request)
        finally:
            session = getattr(request.state, "db", None)
            request.state.db = previous
            if session is not None:
                session.rollback()
                session.close()

    try:
        if policy.SESSION_KEY not in request.session and "authorization" not in request.headers:
            principal = ANONYMOUS
        else:
            principal = await run_in_threadpool(look_up)
    except Exception:
        log.warning("could not tell who is asking for the error page of %s", request.url.path, exc_info=True)
        principal = ANONYMOUS
    request.state.principal = principal
    return principal


# Paths of the sign-in flow itself: a refusal there is final, not a reason to sign in again.
SIGN_IN_FLOW = ("/login", "/auth/", "/logout")


def _sign_in_may_help(request: Request, exc: DomainError) -> bool:
    """A signed-out person on a page that is hidden (404) or closed (403) to the public may see it once
    signed in; the answer is the same whether or not the object exists, so nothing is revealed."""
    principal = getattr(request.state, "principal", None)
    return (
        isinstance(exc, NotFound | Forbidden)
        and principal is not None
        and not principal.is_authenticated
        and not request.url.path.startswith(SIGN_IN_FLOW)
    )


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] | None = None
    if isinstance(exc, RateLimited | Busy):
        headers = {"Retry-After": str(exc.retry_after)}
        if isinstance(exc, Busy):
            headers["Cache-Control"] = "no-store"  # a refusal for now, not an answer to keep
    if not wants_problem_json(request) and (isinstance(exc, NotAuthenticated) or _sign_in_may_help(request, exc)):
        return redirect_to_login(request)
    if isinstance(exc, NotAuthenticated):
        headers = {"WWW-Authenticate": 'Bearer realm="quad-dialogue"'}
    detail = exc.detail if wants_problem_json(request) else exc.translated(gettext_for(negotiate_language(request)))
    return await _page_error(request, exc.status, detail, title=exc.title, headers=headers)


# What a person reads instead of the framework's own words ("Not Found", "Method Not Allowed").
HTTP_STATUS_MESSAGES = {
    400: N_("The request could not be understood. Go back and try again."),
    404: N_("There is no page at this address. Check the address, or start again from the home page."),
    405: N_("This address cannot be used that way. Go back to the page you came from and try again."),
    413: N_("What you sent is too large."),
    415: N_("This kind of content is not accepted here."),
}


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if not wants_problem_json(request) and detail == HTTPStatus(exc.status_code).phrase:
        detail = HTTP_STATUS_MESSAGES.get(exc.status_code, N_("Something is wrong with this request."))
    return await _page_error(request, exc.status_code, detail, headers=exc.headers)


# pydantic's messages ("Field required", "Input should be a valid integer") rewritten for people; %(field)s is
# the name of the form field or query parameter.
VALIDATION_MESSAGES = {
    "missing": N_("%(field)s is required."),
    "int_parsing": N_("%(field)s must be a whole number."),
    "int_type": N_("%(field)s must be a whole number."),
    "float_parsing": N_("%(field)s must be a number."),
    "bool_parsing": N_("%(field)s must be yes or no."),
    "greater_than": N_("%(field)s is too small."),
    "greater_than_equal": N_("%(field)s is too small."),
    "less_than": N_("%(field)s is too large."),
    "less_than_equal": N_("%(field)s is too large."),
    "string_too_long": N_("%(field)s is too long."),
    "string_too_short": N_("%(field)s is too short."),
    "enum": N_("%(field)s is not one of the choices offered."),
    "literal_error": N_("%(field)s is not one of the choices offered."),
}
UNKNOWN_VALIDATION_MESSAGE = N_("%(field)s is not valid.")


def _field_name(loc: list[str]) -> str:
    # ("body", "title") -> "title"; ("query", "from") -> "from"; a path parameter -> its name.
    return loc[-1] if len(loc) > 1 else (loc[0] if loc else "")


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]
    if wants_problem_json(request):
        summary = "; ".join(f"{'.'.join(e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in errors)
        return problem_response(request, 422, summary or "Invalid input", title="Invalid input", errors=errors)
    await resolve_principal_for_page(request)
    gettext = gettext_for(negotiate_language(request))
    # The parameter's name is shown as code: it is the name in the address or the form, in any language.
    problems: list[str] = [
        Markup(gettext(VALIDATION_MESSAGES.get(str(e["type"]), UNKNOWN_VALIDATION_MESSAGE)))  # noqa: S704
        % {"field": Markup("<code>{}</code>").format(_field_name(e["loc"]))}
        for e in errors
    ]
    detail = N_("Some of what was sent is missing or not valid. Go back, correct it and try again.")
    return error_response(request, 422, detail, title="Invalid input", problems=problems)


async def _data_error(request: Request, exc: Exception) -> Response:
    # The database refused a value the request carried (a NUL character PostgreSQL cannot store, a number
    # out of range): the caller's input, not a server fault.
    log.info("database refused input on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return await _page_error(
        request, 422, N_("The request contains a value the database cannot store."), title="Invalid input"
    )


# Seconds a client is asked to wait when every database connection stayed busy for QUAD_DB_POOL_TIMEOUT.
BUSY_RETRY_AFTER = 2


async def _busy(request: Request, exc: Exception) -> Response:
    # No thread or no connection came free in time: answer at once rather than queue. The page is shown as to a
    # signed-out person, since finding out who is asking would wait for a thread and a connection again.
    log.warning("no %s free for %s %s", _what_was_busy(exc), request.method, request.url.path)
    detail = N_("The service is busy. Please try again in a moment.")
    if not wants_problem_json(request):
        detail = gettext_for(negotiate_language(request))(detail)
    headers = {"Retry-After": str(BUSY_RETRY_AFTER), "Cache-Control": "no-store"}
    return error_response(request, 503, detail, headers=headers)


def _what_was_busy(exc: Exception) -> str:
    return "worker thread" if isinstance(exc, ThreadsBusy) else "database connection"


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Logged for operators with the stack; the client only learns that something failed.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    response = await _page_error(request, 500, N_("An unexpected error occurred. It has been logged."))
    # Starlette answers a crash outside the middleware stack, so the security headers are added here.
    for name, value in getattr(request.app.state, "security_headers", {}).items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(PoolTimeout, _busy)
    app.add_exception_handler(ThreadsBusy, _busy)
    app.add_exception_handler(Exception, _unexpected_error)
