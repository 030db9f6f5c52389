"""One database transaction per request, committed only when the handler succeeded.

Routers use `TransactionalRoute` (through `api_router()` / `page_router()`), so a 2xx means the data is
committed, and any error or 4xx/5xx answer rolls back everything the request wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool


def request_session(request: Request) -> Session:
    """The request's session, opened on first use."""
    session: Session | None = getattr(request.state, "db", None)
    if session is None:
        session = request.app.state.sessionmaker()
        request.state.db = session
    return session


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def finish_request_transaction(request: Request, *, commit: bool) -> None:
    session: Session | None = getattr(request.state, "db", None)
    if session is not None:
        request.state.db = None
        await run_in_threadpool(_finish, session, commit)


class TransactionalRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run_in_transaction(request: Request) -> Response:
            try:
                response = await handler(request)
            except BaseException:
                await finish_request_transaction(request, commit=False)
                raise
            await finish_request_transaction(request, commit=response.status_code < 400)
            return response

        return run_in_transaction


def api_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=TransactionalRoute, **kwargs)


def page_router(**kwargs: Any) -> APIRouter:
    """HTML routes: same transaction rule, kept out of the OpenAPI description."""
    return APIRouter(route_class=TransactionalRoute, include_in_schema=False, **kwargs)
