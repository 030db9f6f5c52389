"""app.core.capacity.Slots: at most `limit` holders, `queue` waiting at most `wait_seconds` each, Busy past that."""

from __future__ import annotations

import threading
import time

import pytest

from app.core.capacity import Slots
from app.core.errors import Busy


def slots(limit: int = 1, queue: int = 1, wait_seconds: float = 5.0) -> Slots:
    return Slots(limit, queue, wait_seconds, refusal="busy stamping", retry_after=3)


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_past_the_slots_and_the_queue_the_caller_is_refused_at_once_with_retry_after() -> None:
    bound = slots(limit=2, queue=0)
    with bound.hold(), bound.hold():
        assert bound.active == 2
        started = time.monotonic()
        with pytest.raises(Busy) as refused, bound.hold():
            pass
        assert time.monotonic() - started < 0.5
    assert refused.value.status == 503 and refused.value.retry_after == 3
    assert refused.value.detail == "busy stamping"
    assert bound.active == 0
    with bound.hold():  # released slots are usable again
        assert bound.active == 1


def test_a_waiter_gets_the_slot_a_holder_releases() -> None:
    bound = slots(limit=1, queue=1)
    got: list[bool] = []

    def waiter() -> None:
        with bound.hold():
            got.append(True)

    with bound.hold():
        thread = threading.Thread(target=waiter)
        thread.start()
        wait_until(lambda: bound.waiting == 1)
        assert not got
        # The queue is full: a third caller is refused without waiting.
        with pytest.raises(Busy), bound.hold():
            pass
    thread.join(5)
    assert got == [True] and bound.active == 0 and bound.waiting == 0


def test_a_waiter_is_refused_after_the_wait_and_leaves_the_queue() -> None:
    bound = slots(limit=1, queue=1, wait_seconds=0.1)
    with bound.hold():
        started = time.monotonic()
        with pytest.raises(Busy), bound.hold():
            pass
        waited = time.monotonic() - started
        assert 0.09 <= waited < 2
        assert bound.waiting == 0 and bound.active == 1


def test_a_newcomer_never_overtakes_a_waiter() -> None:
    bound = slots(limit=1, queue=2)
    order: list[str] = []

    def waiter() -> None:
        with bound.hold():
            order.append("waiter")

    holding = bound.hold()
    holding.__enter__()
    thread = threading.Thread(target=waiter)
    thread.start()
    wait_until(lambda: bound.waiting == 1)
    holding.__exit__(None, None, None)
    # The slot is free for an instant, but it is the waiter's: this caller queues behind it.
    with bound.hold():
        order.append("newcomer")
    thread.join(5)
    assert order == ["waiter", "newcomer"]


def test_an_error_inside_the_block_releases_the_slot() -> None:
    bound = slots(limit=1, queue=0)
    with pytest.raises(RuntimeError), bound.hold():
        raise RuntimeError("stamping failed")
    assert bound.active == 0
    with bound.hold():
        assert bound.active == 1


@pytest.mark.parametrize(("limit", "queue", "wait"), [(0, 1, 1.0), (1, -1, 1.0), (1, 1, -0.5)])
def test_a_bound_that_cannot_work_is_refused(limit: int, queue: int, wait: float) -> None:
    with pytest.raises(ValueError, match="limit"):
        Slots(limit, queue, wait, refusal="busy", retry_after=1)
