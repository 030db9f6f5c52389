"""Targets, the printed table, and the results files (latest.json and a short history)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.endpoints import MAX_WORKER_RSS_MB, MIN_RATIO, OVERLOAD_MAX_SECONDS, Endpoint, Kind
from bench.load import LoadResult

RESULTS_DIR = Path(__file__).resolve().parent / "results"
HISTORY_KEPT = 20


@dataclass(frozen=True)
class Row:
    endpoint: Endpoint
    load: LoadResult
    statements: int
    check_status: int  # the status of one request made before the load: must be 200

    def ratio(self, baseline: float) -> float:
        return self.load.requests_per_s / baseline if baseline else 0.0

    def failures(self, baseline: float) -> list[str]:
        """The targets this row misses; empty means PASS."""
        missed = []
        if self.check_status != 200:
            missed.append(f"answered {self.check_status}, not 200")
        if self.load.requests == 0:
            # Every request outlasted the run: wrk has no latencies, and 0 ms must not pass for fast.
            missed.append("no request completed")
            return [*missed, "errors"] if self.load.errors else missed
        if self.endpoint.overload:
            return missed + self.overload_failures()
        minimum = MIN_RATIO.get(self.endpoint.kind)
        if minimum is not None and self.ratio(baseline) < minimum:
            missed.append(f"ratio < {minimum:.0%}")
        if self.endpoint.max_p50_ms is not None and not self.load.p50_ms < self.endpoint.max_p50_ms:
            missed.append(f"p50 ≥ {self.endpoint.max_p50_ms:.0f} ms")
        if self.endpoint.max_p99_ms is not None and self.load.p99_ms > self.endpoint.max_p99_ms:
            missed.append(f"p99 > {self.endpoint.max_p99_ms:.0f} ms")
        if self.load.errors:
            missed.append("errors")
        return missed

    @property
    def errors_but_busy(self) -> int:
        """Every error except a 503 (and except late answers, counted apart): statuses and socket errors."""
        other_statuses = self.load.other_status_errors
        if other_statuses is None:  # statuses not counted apart: every status error counts
            other_statuses = self.load.status_errors
        return other_statuses + self.load.socket_errors - self.load.timeouts

    def overload_failures(self) -> list[str]:
        missed = []
        if self.load.timeouts:
            missed.append(f"{self.load.timeouts} over {OVERLOAD_MAX_SECONDS:g} s")
        if self.errors_but_busy:
            missed.append("errors other than 503")
        return missed

    def overload_line(self) -> str:
        """The overload row's own report: slowest answer, answers over 5 s, 503s and every other error."""
        load = self.load
        slowest = f"> {OVERLOAD_MAX_SECONDS * 1000:.0f}" if load.timeouts else f"{load.max_ms:.1f}"
        busy = "?" if load.busy_answers is None else str(load.busy_answers)
        verdict = "PASS" if not self.overload_failures() and load.requests else "FAIL"
        return (
            f"{self.endpoint.label}: max {slowest} ms, {load.timeouts} over {OVERLOAD_MAX_SECONDS:g} s, "
            f"503: {busy}, other errors: {self.errors_but_busy}; "
            f"target no request over {OVERLOAD_MAX_SECONDS:g} s and no error but 503  {verdict}"
        )

    def as_json(self, baseline: float) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint.label,
            "kind": self.endpoint.kind.value,
            "connections": self.endpoint.connections,  # null: the run's connections
            "max_p50_ms": self.endpoint.max_p50_ms,
            "max_p99_ms": self.endpoint.max_p99_ms,
            "requests": self.load.requests,
            "requests_per_s": self.load.requests_per_s,
            "p50_ms": self.load.p50_ms,
            "p90_ms": self.load.p90_ms,
            "p99_ms": self.load.p99_ms,
            "max_ms": self.load.max_ms,
            "status_errors": self.load.status_errors,
            "socket_errors": self.load.socket_errors,
            "timeouts": self.load.timeouts,
            "busy_answers": self.load.busy_answers,  # 503s, counted on the rows that count statuses apart
            "other_status_errors": self.load.other_status_errors,
            "overload": self.endpoint.overload,
            "sql_statements": self.statements,
            "check_status": self.check_status,
            "ratio": round(self.ratio(baseline), 3),
            "failures": self.failures(baseline),
        }


def baseline_rps(rows: list[Row]) -> float:
    return next((r.load.requests_per_s for r in rows if r.endpoint.kind is Kind.baseline), 0.0)


def format_table(rows: list[Row], memory: dict[int, tuple[float | None, float]]) -> tuple[str, bool]:
    """The table people read, and whether every target was met."""
    baseline = baseline_rps(rows)
    header = ("endpoint", "kind", "req/s", "p50 ms", "p99 ms", "errors", "SQL/req", "vs /healthz", "target")
    lines: list[tuple[str, ...]] = [header]
    passed = True
    for row in rows:
        missed = row.failures(baseline)
        passed = passed and not missed
        minimum = MIN_RATIO.get(row.endpoint.kind)
        lines.append(
            (
                row.endpoint.label,
                row.endpoint.kind.value,
                f"{row.load.requests_per_s:,.0f}",
                f"{row.load.p50_ms:.1f}" if row.load.requests else "-",
                f"{row.load.p99_ms:.1f}" if row.load.requests else "-",
                str(row.load.errors),
                str(row.statements),
                f"{row.ratio(baseline):.0%}" + (f" (≥{minimum:.0%})" if minimum else ""),
                "PASS" if not missed else "FAIL: " + ", ".join(missed),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = {2, 3, 4, 5, 6}
    text = [
        "  ".join(
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(line)
        ).rstrip()
        for line in lines
    ]
    text.insert(1, "  ".join("-" * w for w in widths))
    text.append("")
    for row in rows:
        # A row with its own latency target (the watermarked download) says so in a line of its own.
        if row.endpoint.max_p50_ms is not None:
            met = bool(row.load.requests) and row.load.p50_ms < row.endpoint.max_p50_ms
            target = f"p50 < {row.endpoint.max_p50_ms:.0f} ms"
            text.append(f"{row.endpoint.label}: p50 {row.load.p50_ms:.1f} ms; {target}  {'PASS' if met else 'FAIL'}")
        if row.endpoint.overload:
            text.append(row.overload_line())
    if not memory:
        text.append("worker memory: no worker processes found  FAIL")
        passed = False
    for pid, (at_start, peak) in memory.items():
        ok = peak <= MAX_WORKER_RSS_MB
        passed = passed and ok
        started = f", {at_start:.1f} MB when ready" if at_start is not None else ""
        verdict = "PASS" if ok else "FAIL"
        limit = f"target ≤{MAX_WORKER_RSS_MB:.0f} MB"
        text.append(f"worker {pid}: peak RSS (VmHWM) {peak:.1f} MB{started}; {limit}  {verdict}")
    return "\n".join(text), passed


def previous_run(db_kind: str) -> dict[str, Any] | None:
    history = sorted(RESULTS_DIR.glob(f"*-{db_kind}.json"))
    return json.loads(history[-1].read_text()) if history else None


def format_comparison(current: dict[str, Any], previous: dict[str, Any]) -> str:
    before = {row["endpoint"]: row["requests_per_s"] for row in previous["rows"]}
    lines = [f"compared with the previous {previous['db']} run ({previous['started_at']}, {previous['duration_s']} s):"]
    for row in current["rows"]:
        old = before.get(row["endpoint"])
        if not old:
            lines.append(f"  {row['endpoint']}: new row")
            continue
        change = (row["requests_per_s"] - old) / old
        lines.append(f"  {row['endpoint']}: {old:,.0f} -> {row['requests_per_s']:,.0f} req/s ({change:+.0%})")
    return "\n".join(lines)


def save(result: dict[str, Any], stamp: str) -> Path:
    """latest.json plus `<UTC timestamp>-<db>.json`, keeping the newest HISTORY_KEPT history files."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    body = json.dumps(result, indent=2) + "\n"
    (RESULTS_DIR / "latest.json").write_text(body)
    path = RESULTS_DIR / f"{stamp}-{result['db']}.json"
    path.write_text(body)
    history = sorted(p for p in RESULTS_DIR.glob("*.json") if p.name != "latest.json")
    for old in history[:-HISTORY_KEPT]:
        old.unlink()
    return path
