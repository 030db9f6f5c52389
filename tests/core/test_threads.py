"""A sync route runs whole on one worker thread (app.core.threads): one thread-pool hop per request."""

from __future__ import annotations

import asyncio
import threading
from typing import Annotated

from fastapi import Depends, FastAPI, Form
from starlette.testclient import TestClient

from app.core.routing import api_router
from app.core.threads import run_blocking

CALLS: list[tuple[str, int]] = []
LOOPS: set[int] = set()


def record(name: str) -> None:
    """Where a call ran: its thread, and the event loop running there (FastAPI's own pool threads have none)."""
    CALLS.append((name, threading.get_ident()))
    LOOPS.add(id(asyncio.get_running_loop()))


def first() -> int:
    record("first")
    return 1


def second(value: Annotated[int, Depends(first)]) -> int:
    record("second")
    return value + 1


async def asks_blocking() -> int:
    def blocking() -> int:
        record("blocking")
        return 3

    return await run_blocking(blocking)


router = api_router()


@router.get("/probe")
def probe(
    one: Annotated[int, Depends(first)],
    two: Annotated[int, Depends(second)],
    three: Annotated[int, Depends(asks_blocking)],
) -> dict[str, int]:
    record("endpoint")
    return {"sum": one + two + three}


@router.post("/echo")
def echo(text: Annotated[str, Form()]) -> dict[str, str]:
    record("echo")
    return {"text": text}


@router.get("/loop")
async def on_loop() -> dict[str, int]:
    record("loop")
    return {"ok": 1}


def probe_app() -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    return app


def test_dependencies_and_handler_run_on_one_worker_thread_and_each_dependency_once() -> None:
    LOOPS.clear()
    with TestClient(probe_app()) as client:
        for _ in range(3):
            CALLS.clear()
            assert client.get("/probe").json() == {"sum": 6}
            # `first` is asked for twice but called once: the per-request dependency cache still works.
            assert [name for name, _ in CALLS] == ["first", "second", "blocking", "endpoint"]
            assert len({thread for _, thread in CALLS}) == 1
            assert CALLS[0][1] != threading.get_ident()
            assert len(LOOPS) == 1
            LOOPS.clear()


def test_a_form_body_is_read_on_the_worker_thread_and_an_async_route_stays_on_the_loop() -> None:
    CALLS.clear()
    with TestClient(probe_app()) as client:
        assert client.post("/echo", data={"text": "x" * 200_000}).json() == {"text": "x" * 200_000}
        assert client.get("/loop").json() == {"ok": 1}
        client.get("/probe")
    threads = dict(CALLS)
    assert threads["loop"] != threads["endpoint"]
    assert threads["loop"] != threads["echo"]
