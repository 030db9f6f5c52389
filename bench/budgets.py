"""A time budget per list service: each list the pages and the API show, timed in this process as the service call
alone (no HTTP, no serialisation, no template), against the issue's budget for it.

Timed on the bench database as the benchmark delegate (the rows' caller), before the server starts, so nothing else
loads the machine from this run. Each call gets a fresh session, as a request does, rolled back afterwards (the
home page's data records the visit). The median of the timed calls is judged; the first calls warm the caches.
Kept here, never in the unit tests: a timing there would fail on a busy machine and pass on a fast one.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import Principal
from app.auth.service import principal_for
from app.core.db import build_engine, build_sessionmaker
from app.core.pagination import PageRequest
from app.documents.queries import DocumentFilters, list_documents
from app.groups.models import WorkingGroup
from app.groups.service import list_groups
from app.home.service import dashboard
from app.users.models import Role, User
from bench.seed import SEARCH_WORD, BenchUsers

LIST_BUDGET_MS = 5.0
SEARCH_BUDGET_MS = 20.0
WARM_CALLS = 3
TIMED_CALLS = 30
MAX_TIMING_SECONDS = 3.0  # a slow service gets fewer calls, never fewer than TIMED_CALLS_AT_LEAST
TIMED_CALLS_AT_LEAST = 5


@dataclass(frozen=True)
class Budget:
    name: str  # `--only` matches it like an endpoint's label
    budget_ms: float
    call: Callable[[Session, Principal, int], Any]  # (session, principal, the delegate's group id)


BUDGETS: list[Budget] = [
    Budget("service: working groups list", LIST_BUDGET_MS, lambda s, p, _: list_groups(s, p, PageRequest())),
    Budget(
        "service: documents list",
        LIST_BUDGET_MS,
        lambda s, p, _: list_documents(s, p, DocumentFilters(), PageRequest()),
    ),
    Budget(
        "service: group documents",
        LIST_BUDGET_MS,
        lambda s, p, g: list_documents(s, p, DocumentFilters(group_id=g), PageRequest()),
    ),
    Budget("service: home page data", LIST_BUDGET_MS, lambda s, p, _: dashboard(s, p, PageRequest())),
    Budget(
        f"service: search ({SEARCH_WORD})",
        SEARCH_BUDGET_MS,
        lambda s, p, _: list_documents(s, p, DocumentFilters(query=SEARCH_WORD), PageRequest()),
    ),
]


@dataclass(frozen=True)
class Timing:
    budget: Budget
    calls: int
    median_ms: float
    fastest_ms: float
    # CPU time of this thread per call (SQLite works in it; a PostgreSQL server's work is not counted): next to
    # the wall time it tells a loaded machine (wall far above CPU) from a costly service.
    cpu_median_ms: float

    @property
    def met(self) -> bool:
        return self.median_ms <= self.budget.budget_ms

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.budget.name,
            "budget_ms": self.budget.budget_ms,
            "calls": self.calls,
            "median_ms": round(self.median_ms, 2),
            "fastest_ms": round(self.fastest_ms, 2),
            "cpu_median_ms": round(self.cpu_median_ms, 2),
            "met": self.met,
        }


def selected_budgets(only: list[str]) -> list[Budget]:
    return [b for b in BUDGETS if not only or any(o in b.name for o in only)]


def time_services(url: str, users: BenchUsers, budgets: list[Budget]) -> list[Timing]:
    engine = build_engine(url)
    sessions = build_sessionmaker(engine)
    try:
        with sessions() as session:
            delegate = session.get_one(User, users.users[Role.delegate][0])
            principal = principal_for(session, delegate)
            group_id = session.scalars(select(WorkingGroup.id).where(WorkingGroup.slug == users.group_slug)).one()
        return [_time(sessions, principal, group_id, budget) for budget in budgets]
    finally:
        engine.dispose()


def _time(sessions: Callable[[], Session], principal: Principal, group_id: int, budget: Budget) -> Timing:
    times: list[float] = []
    cpu_times: list[float] = []
    started = time.perf_counter()
    for n in range(WARM_CALLS + TIMED_CALLS):
        session = sessions()
        try:
            before, cpu_before = time.perf_counter(), time.thread_time()
            budget.call(session, principal, group_id)
            took, cpu = time.perf_counter() - before, time.thread_time() - cpu_before
        finally:
            session.rollback()
            session.close()
        if n >= WARM_CALLS:
            times.append(took)
            cpu_times.append(cpu)
            if len(times) >= TIMED_CALLS_AT_LEAST and time.perf_counter() - started > MAX_TIMING_SECONDS:
                break
    median, fastest, cpu = statistics.median(times), min(times), statistics.median(cpu_times)
    return Timing(budget, len(times), median * 1000, fastest * 1000, cpu * 1000)


def format_timings(timings: list[Timing]) -> tuple[str, bool]:
    """The lines people read under the table, and whether every budget was met."""
    if not timings:
        return "", True
    width = max(len(t.budget.name) for t in timings)
    lines = ["time per list service (in-process, the service call alone; the median wall time is judged):"]
    for t in timings:
        verdict = "PASS" if t.met else "FAIL"
        lines.append(
            f"  {t.budget.name.ljust(width)}  {t.median_ms:7.2f} ms (fastest {t.fastest_ms:.2f}, "
            f"CPU {t.cpu_median_ms:.2f}, {t.calls} calls); "
            f"budget ≤{t.budget.budget_ms:g} ms  {verdict}"
        )
    return "\n".join(lines), all(t.met for t in timings)
