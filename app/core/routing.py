"""One database transaction per request, committed only when the handler succeeded.

Routers use `TransactionalRoute` (through `api_router()` / `page_router()`), so a 2xx means the data is
committed, and any error or 4xx/5xx answer rolls back everything the request wrote. A sync endpoint runs whole
(dependencies, handler, commit) on one worker thread: see app.core.threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _effective_route_context_var
from sqlalchemy.orm import Session

from app.core.db import ROLLBACK_CALLBACKS
from app.core.errors import RefusalRecorded
from app.core.threads import inline_sync_calls, is_blocking, on_one_thread, run_blocking

log = logging.getLogger("app.core.routing")


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# An endpoint attribute (set by app.web.page_cache.cached_response): its GET answers may come from the response
# cache installed as `app.state.response_cache` (lookup before the handler, store after it, same transaction).
CACHED_RESPONSE = "cached_response"


def mark_personal(request: Request) -> None:
    """This answer holds something of one browser session (a CSRF token, a flash message): never cache it."""
    request.state.personal_answer = True


def request_session(request: Request) -> Session:
    """The request's session, opened on first use."""
    session: Session | None = getattr(request.state, "db", None)
    if session is None:
        session = request.app.state.sessionmaker()
        writes = request.method in UNSAFE_METHODS or getattr(request.state, "writes", False)
        if writes and session.get_bind().dialect.name == "sqlite":
            # SQLite: a write request takes the write lock when it begins, so two concurrent writers queue
            # (busy_timeout) instead of one failing on a stale snapshot.
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        request.state.db = session
    return session


def writes_audit(request: Request) -> None:
    """Route dependency for reads that append to the audit trail (content of marked documents): the request's
    own transaction records the access, and on SQLite it takes the write lock up front like any write, so the
    record cannot fail on a stale read snapshot. Declare it in the route's `dependencies` (they run first)."""
    request.state.writes = True


# Writes the audit event of a refusal after the rollback: `app.audit.service.record`, installed by main.py as
# `app.state.record_refusal`, so this transaction layer depends on no domain.
RefusalRecorder = Callable[..., object]


def _finish(
    session: Session, commit: bool, refusal: RefusalRecorded | None, record_refusal: RefusalRecorder | None
) -> None:
    try:
        if commit:
            session.commit()
            return
        session.rollback()
        for callback in session.info.get(ROLLBACK_CALLBACKS, []):
            try:
                callback()
            except Exception:
                log.exception("cleanup after rollback failed")
        if refusal is not None and record_refusal is not None:
            record_refusal(session, **refusal.audit)
            session.commit()
    finally:
        session.info.pop(ROLLBACK_CALLBACKS, None)
        session.close()


async def finish_request_transaction(request: Request, *, commit: bool, refusal: RefusalRecorded | None = None) -> None:
    session: Session | None = getattr(request.state, "db", None)
    if session is None and refusal is not None:
        session = request_session(request)
    if session is not None:
        request.state.db = None
        record_refusal = getattr(request.app.state, "record_refusal", None)
        await run_blocking(_finish, session, commit, refusal, record_refusal)


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        # A sync endpoint runs whole on one worker thread. An async one (it awaits I/O: an identity provider)
        # stays on the server's loop, with FastAPI's own hops for its sync dependencies.
        one_thread = is_blocking(self.endpoint)
        if one_thread:
            # FastAPI builds the handler once per inclusion, from that inclusion's dependant when there is one
            # (it names wrapping dependant.call here as the way integrations change how calls run).
            context = _effective_route_context_var.get()
            included = getattr(context, "dependant", None) if getattr(context, "original_route", None) is self else None
            inline_sync_calls(included if isinstance(included, Dependant) else self.dependant)
        handler = super().get_route_handler()
        # Only a sync endpoint: the cache's database calls then run on the request's own thread.
        cacheable = one_thread and getattr(self.endpoint, CACHED_RESPONSE, False) and self.methods == {"GET"}

        async def run_in_transaction(request: Request) -> Response:
            cache = getattr(request.app.state, "response_cache", None) if cacheable else None
            try:
                if cache is not None:
                    hit: Response | None = await cache.lookup(request)
                    if hit is not None:
                        await finish_request_transaction(request, commit=True)
                        return hit
                response = await handler(request)
                if cache is not None:
                    cache.store(request, response)
            except RefusalRecorded as refusal:
                await finish_request_transaction(request, commit=False, refusal=refusal)
                raise
            except BaseException:
                await finish_request_transaction(request, commit=False)
                raise
            await finish_request_transaction(request, commit=response.status_code < 400)
            return response

        if not one_thread:
            return run_in_transaction

        async def run_on_one_thread(request: Request) -> Response:
            return await on_one_thread(run_in_transaction, request)

        return run_on_one_thread


def api_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=TransactionalRoute, **kwargs)


def page_router(**kwargs: Any) -> APIRouter:
    """HTML routes: same transaction rule, kept out of the OpenAPI description."""
    return APIRouter(route_class=TransactionalRoute, include_in_schema=False, **kwargs)
