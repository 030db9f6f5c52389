"""The benchmark's verdicts on its own rows (bench/report.py): the overload row is judged on answering, not speed."""

from __future__ import annotations

from dataclasses import replace

from bench.endpoints import ENDPOINTS, OVERLOAD_CONNECTIONS
from bench.load import LoadResult
from bench.report import Row

OVERLOAD = next(e for e in ENDPOINTS if e.overload)
HEALTHY = LoadResult(
    requests=2000,
    requests_per_s=200.0,
    p50_ms=900.0,
    p90_ms=1500.0,
    p99_ms=2500.0,  # far over the usual 100 ms: not a target of this row
    max_ms=3100.0,
    status_errors=0,
    socket_errors=0,
    timeouts=0,
    busy_answers=0,
    other_status_errors=0,
)


def verdict(load: LoadResult) -> list[str]:
    return Row(OVERLOAD, load, statements=3, check_status=200).failures(baseline=5000.0)


def test_the_overload_row_has_256_connections_and_runs_long_enough_to_see_a_late_answer() -> None:
    assert OVERLOAD.connections == OVERLOAD_CONNECTIONS == 256
    assert "[256 conn]" in OVERLOAD.label
    assert OVERLOAD.min_seconds is not None and OVERLOAD.min_seconds > 5


def test_slow_answers_and_a_low_ratio_pass_when_every_answer_came_within_5_s() -> None:
    assert verdict(HEALTHY) == []
    line = Row(OVERLOAD, HEALTHY, 3, 200).overload_line()
    assert "max 3100.0 ms, 0 over 5 s, 503: 0, other errors: 0" in line and line.endswith("PASS")


def test_503_answers_are_allowed_but_every_other_error_is_not() -> None:
    busy = replace(HEALTHY, status_errors=40, busy_answers=40)
    assert verdict(busy) == []
    failing = replace(HEALTHY, status_errors=41, busy_answers=40, other_status_errors=1)
    assert verdict(failing) == ["errors other than 503"]
    reset = replace(HEALTHY, socket_errors=2)  # connections reset or refused
    assert verdict(reset) == ["errors other than 503"]


def test_an_answer_after_5_s_fails_the_row_and_shows_as_such() -> None:
    late = replace(HEALTHY, socket_errors=3, timeouts=3)
    assert verdict(late) == ["3 over 5 s"]
    line = Row(OVERLOAD, late, 3, 200).overload_line()
    assert "max > 5000 ms, 3 over 5 s" in line and line.endswith("FAIL")


def test_no_answer_at_all_fails_the_row() -> None:
    stalled = replace(HEALTHY, requests=0, requests_per_s=0.0, max_ms=0.0)
    assert verdict(stalled) == ["no request completed"]
