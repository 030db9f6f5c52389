"""Domain errors, and their translation into problem+json (API) or a readable page (people).

Services raise these; they never know about HTTP. The handlers below are the only place that maps them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("app.errors")

PROBLEM_JSON = "application/problem+json"


def N_(message: str) -> str:
    """Marks a message for extraction into the translation catalog, and returns it unchanged.

    Services raise errors in English (the JSON API keeps English, which API clients expect). Wrapping a
    static detail in N_() puts it in the catalog, so an HTML page translates it when it is shown (see
    app.templating.render_error_page and the `translated` filter). A message built with an f-string
    cannot be found in the catalog and stays English.
    """
    return message


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"


class NotAuthenticated(DomainError):
    status = 401
    title = "Sign-in required"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class RefusalRecorded(Forbidden):
    """A refusal that must stay on the audit trail although the request's own writes are rolled back."""

    def __init__(
        self, detail: str, *, actor_id: int | None, action: str, target_type: str, target_id: object, **data: Any
    ) -> None:
        super().__init__(detail)
        self.audit = {
            "actor_id": actor_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            **data,
        }


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str = "") -> None:
        super().__init__(detail or N_("Too many requests; try again later."))
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service unavailable"


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
    **extra: Any,
) -> Response:
    if wants_problem_json(request):
        return problem_response(request, status, detail, title=title, headers=headers, **extra)
    from app.templating import render_error_page  # late: templating imports the auth layer

    return render_error_page(request, status, detail, headers=headers)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if isinstance(exc, NotAuthenticated):
        if not wants_problem_json(request):
            from app.auth.web import redirect_to_login

            return redirect_to_login(request)
        headers = {"WWW-Authenticate": 'Bearer realm="quad-dialogue"'}
    return error_response(request, exc.status, exc.detail, title=exc.title, headers=headers, **exc.extra)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_response(request, exc.status_code, detail, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]
    summary = "; ".join(f"{'.'.join(e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in errors)
    return error_response(request, 422, summary or "Invalid input", title="Invalid input", errors=errors)


async def _data_error(request: Request, exc: Exception) -> Response:
    # The database refused a value the request carried (a NUL character PostgreSQL cannot store, a number
    # out of range): the caller's input, not a server fault.
    log.info("database refused input on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return error_response(
        request, 422, N_("The request contains a value the database cannot store."), title="Invalid input"
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Logged for operators with the stack; the client only learns that something failed.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    response = error_response(request, 500, N_("An unexpected error occurred. It has been logged."))
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
    app.add_exception_handler(Exception, _unexpected_error)
