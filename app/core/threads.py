"""Running a request whole on one worker thread: its sync dependencies, handler and commit in one hop.

FastAPI alone takes a thread-pool hop for each sync dependency, the endpoint, its serialisation and the commit
(3-6 per request). Besides the cost (threads contending for the GIL), a request holding a database connection
then waited for a thread token for its next hop while the threads waited for connections: under load the
server hung. Here a request holds one thread token and at most one connection from start to end.

`TransactionalRoute` (app.core.routing) uses this for every sync endpoint: the sync calls of its dependency
tree become inline coroutines, and the whole FastAPI handler runs in the worker thread's own event loop.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from starlette.concurrency import run_in_threadpool
from starlette.types import Message, Receive

T = TypeVar("T")


class _WorkerThread(threading.local):
    """The event loop a worker thread runs requests in (made once per thread), and whether one runs now."""

    loop: asyncio.AbstractEventLoop | None = None
    serving: bool = False


_worker = _WorkerThread()


async def run_blocking(func: Callable[..., T], *args: Any) -> T:
    """Blocking work from async code: inline when the request already runs on its worker thread, otherwise in
    the thread pool (one hop)."""
    if _worker.serving:
        return func(*args)
    return await run_in_threadpool(func, *args)


def serve_on_this_thread(handler: Callable[[Request], Awaitable[Response]], request: Request) -> Response:
    loop = _worker.loop
    if loop is None:
        loop = _worker.loop = asyncio.new_event_loop()
        weakref.finalize(threading.current_thread(), loop.close)  # an idle pool thread ends after a while
    _worker.serving = True
    try:
        return loop.run_until_complete(handler(request))
    finally:
        _worker.serving = False


def receive_through(server_loop: asyncio.AbstractEventLoop, receive: Receive) -> Receive:
    """The request body still arrives on the server's loop: each chunk is fetched there, as it streams."""

    async def receive_on_server_loop() -> Message:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_call(receive), server_loop))

    return receive_on_server_loop


async def _call(receive: Receive) -> Message:
    return await receive()


_INLINE: dict[Callable[..., Any], Callable[..., Any]] = {}


def _inline(call: Callable[..., Any]) -> Callable[..., Any]:
    """The same sync callable as a coroutine function, so FastAPI calls it directly instead of in the pool.
    One wrapper per callable: FastAPI's per-request dependency cache is keyed by it."""
    wrapper = _INLINE.get(call)
    if wrapper is None:

        async def wrapper(**values: Any) -> Any:
            return call(**values)

        wrapper.__name__ = getattr(call, "__name__", type(call).__name__)
        wrapper.__qualname__ = getattr(call, "__qualname__", wrapper.__name__)
        _INLINE[call] = wrapper
    return wrapper


def is_blocking(call: Any) -> bool:
    if inspect.isroutine(call) or inspect.isclass(call):
        return not inspect.iscoroutinefunction(call)
    return not inspect.iscoroutinefunction(type(call).__call__)  # a callable object such as a Policy


def inline_sync_calls(dependant: Dependant) -> None:
    """Turns every sync dependency of the tree, and the endpoint, into inline calls."""
    for sub in dependant.dependencies:
        inline_sync_calls(sub)
    if dependant.call is not None and is_blocking(dependant.call):
        if inspect.isgeneratorfunction(dependant.call):
            raise TypeError(f"{dependant.call!r}: dependencies with yield do not run on the request's thread")
        dependant.call = _inline(dependant.call)


class ThreadsBusy(Exception):
    """Every worker thread stayed busy for the admission wait: the request is answered 503 at once instead of
    queueing without bound (at 256 connections the queue would otherwise grow to many seconds)."""


# Seconds a request may wait for a worker thread before it is turned away (the bench's overload row: no answer
# takes over 5 s). Set by main.py from QUAD_THREAD_WAIT_SECONDS.
admission_wait_seconds = 2.0
# Requests admitted hold a token of the default limiter (QUAD_THREADS); the thread itself is then taken from
# this roomier one, so the call never waits a second time.
_ADMITTED = anyio.CapacityLimiter(1024)


async def on_one_thread(handler: Callable[[Request], Awaitable[Response]], request: Request) -> Response:
    """Runs `handler(request)` on a worker thread (one thread-pool hop), reading the body through this loop."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    admitted = False
    with anyio.move_on_after(admission_wait_seconds):
        await limiter.acquire()
        admitted = True  # no await between: a timeout cannot fall after the token and before this line
    if not admitted:
        raise ThreadsBusy
    receive = request._receive
    request._receive = receive_through(asyncio.get_running_loop(), receive)
    try:
        return await anyio.to_thread.run_sync(serve_on_this_thread, handler, request, limiter=_ADMITTED)
    finally:
        request._receive = receive
        limiter.release()
