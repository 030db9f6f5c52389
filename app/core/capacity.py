"""Costly work bounded per worker process: at most `limit` at once, a short queue, and a quick 503 past it.

A request that holds a slot keeps its thread (and its database connection) while it works, so unbounded costly
work (stamping a marked PDF loads pypdf and reportlab and spools the file) would take every thread and the memory
with it. Past the queue, or after waiting `wait_seconds` in it, the caller gets `Busy` at once: the answer is a
503 with Retry-After, never a stall.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from app.core.errors import Busy


class _Waiter:
    __slots__ = ("granted",)

    def __init__(self) -> None:
        self.granted = False


class Slots:
    def __init__(self, limit: int, queue: int, wait_seconds: float, *, refusal: str, retry_after: int) -> None:
        if limit < 1 or queue < 0 or wait_seconds < 0:
            raise ValueError("a limit of at least 1, a queue and a wait of at least 0")
        self.limit, self.queue, self.wait_seconds = limit, queue, wait_seconds
        self.refusal, self.retry_after = refusal, retry_after
        self._changed = threading.Condition()
        self._active = 0
        self._waiters: deque[_Waiter] = deque()  # first come, first served

    @property
    def active(self) -> int:
        return self._active

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """One slot for the duration of the block; raises Busy when none comes free in time."""
        self._acquire()
        try:
            yield
        finally:
            self._release()

    def _acquire(self) -> None:
        with self._changed:
            # A newcomer never overtakes those already waiting: a freed slot is handed to the first of them.
            if self._active < self.limit and not self._waiters:
                self._active += 1
                return
            if len(self._waiters) >= self.queue:
                raise Busy(self.retry_after, self.refusal)
            me = _Waiter()
            self._waiters.append(me)
            deadline = time.monotonic() + self.wait_seconds
            while not me.granted:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._waiters.remove(me)
                    raise Busy(self.retry_after, self.refusal)
                self._changed.wait(left)

    def _release(self) -> None:
        with self._changed:
            if self._waiters:
                self._waiters.popleft().granted = True  # the slot passes on: `_active` stays
                self._changed.notify_all()
            else:
                self._active -= 1
