"""Request bodies are counted as they arrive and stopped at a limit decided before any byte is read.

FastAPI reads (and spools to disk) File() and Form() bodies before a route's dependencies run, so a route
Policy cannot protect the body: this pure ASGI middleware does. Its limit per request:

- the upload routes (UPLOAD_ROUTES), for a caller who may upload (an active delegate, secretariat or
  admin, resolved the way app/auth/policy.py does, on a short session of its own): QUAD_MAX_UPLOAD_MB plus
  room for the form fields;
- everything else, and every caller who may not upload (anonymous, pending, industry, observer...): a small
  limit (SMALL_BODY_BYTES).

A declared Content-Length over the limit is answered at once; a chunked body is cut off as soon as it passes the
limit. The answer is 413 problem+json under /api. A browser's upload form over the limit, from someone who may
upload, goes back to the form (303 to its address with `?error=too_large`), where the message stands beside the
file field; other pages get a readable 413 page.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access.policy import SESSION_KEY, resolve_principal
from app.core.errors import N_, DomainError
from app.web.error_pages import error_response

log = logging.getLogger("app.uploads")

SMALL_BODY_BYTES = 256 * 1024
# Multipart framing and the metadata fields (title, 20,000-character description, tags, note) around a file.
FORM_OVERHEAD_BYTES = 1024 * 1024
# The marker a form page turns into "the file is larger than the limit" beside its file field.
TOO_LARGE = "too_large"


@dataclass(frozen=True)
class UploadRoute:
    method: str
    path: re.Pattern[str]
    # A browser form's page: the named route of its GET address, filled from the path's named groups.
    form: str | None = None


# The routes that take a file. A new route with a File() field must be added here, or its bodies are small.
UPLOAD_ROUTES: tuple[UploadRoute, ...] = (
    UploadRoute("POST", re.compile(r"/api/v1/documents")),
    UploadRoute("POST", re.compile(r"/api/v1/documents/\d+/versions")),
    UploadRoute("POST", re.compile(r"/groups/(?P<slug>[^/]+)/documents/new"), form="documents.new_form"),
    UploadRoute("POST", re.compile(r"/documents/(?P<document_id>\d+)/versions"), form="documents.detail"),
)


def upload_route(method: str, path: str) -> UploadRoute | None:
    return next((r for r in UPLOAD_ROUTES if r.method == method and r.path.fullmatch(path)), None)


def is_upload_route(method: str, path: str) -> bool:
    return upload_route(method, path) is not None


def _may_upload(scope: Scope) -> bool:
    """Whether the caller could upload at all, decided from the credentials alone (no body read)."""
    headers = dict(scope.get("headers") or [])
    session = scope.get("session") or {}
    if b"authorization" not in headers and SESSION_KEY not in session:
        return False  # no credentials: no database needed to say no
    # A copy of the scope with its own state: the lookup's database session is this function's, closed
    # here, and never becomes the request's (which would hold SQLite's write lock while the body arrives).
    request = Request({**scope, "state": {}, "method": "GET"})
    try:
        principal = resolve_principal(request)
    except DomainError:
        return False
    finally:
        db = getattr(request.state, "db", None)
        if db is not None:
            db.close()
    return principal.is_active and (principal.is_staff or principal.is_delegate)


class UploadGuardMiddleware:
    def __init__(self, app: ASGIApp, *, max_upload_bytes: int, small_bytes: int = SMALL_BODY_BYTES) -> None:
        self.app = app
        self.upload_limit = max_upload_bytes + FORM_OVERHEAD_BYTES
        self.small_limit = small_bytes

    async def _limit_for(self, scope: Scope) -> int:
        if is_upload_route(scope["method"], scope["path"]) and await run_in_threadpool(_may_upload, scope):
            return self.upload_limit
        return self.small_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if not declared and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body at all
            return
        limit = await self._limit_for(scope)
        if declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, send, limit)
            return

        received = 0
        answered = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        await self._too_large(scope, send, limit)
                    answered = True
                    # The app sees a client that went away, and stops reading; nothing more is read.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return  # the 413 went out instead of whatever the app says about the cut-off body
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not answered:
                raise
            log.debug("request body cut off at %s bytes on %s", limit, scope["path"], exc_info=True)

    async def _too_large(self, scope: Scope, send: Send, limit: int) -> None:
        log.info("refused a request body over %s bytes on %s %s", limit, scope["method"], scope["path"])
        request = Request(scope)
        route = upload_route(scope["method"], scope["path"])
        response: Response
        if limit > self.small_limit and route is not None and route.form is not None:
            response = _back_to_form(request, route)
        else:
            if limit > self.small_limit:
                detail = N_("The file is larger than the upload limit.")
            elif route is not None:
                detail = N_("Sign in with an account that may add documents before uploading a file.")
            else:
                detail = N_("The request is larger than this page accepts.")
            response = error_response(request, 413, detail, title="Payload too large", headers={"Connection": "close"})

        async def no_body() -> Message:
            return {"type": "http.disconnect"}

        await response(scope, no_body, send)  # the security headers are added by the middleware around this one


def _back_to_form(request: Request, route: UploadRoute) -> Response:
    """The form page again, never JSON: a person chose a file too large, and reads why beside the file field."""
    assert route.form is not None
    match = route.path.fullmatch(request.url.path)
    assert match is not None
    address = request.url_for(route.form, **match.groupdict()).include_query_params(error=TOO_LARGE)
    return RedirectResponse(f"{address.path}?{address.query}", status_code=303, headers={"Connection": "close"})
