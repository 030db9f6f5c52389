"""`make bench` / `python -m bench`: seed (or reuse) a large dataset, serve it as production does, load each
endpoint with wrk, and print requests/s, latency, errors, SQL statements per request and worker memory.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from bench.budgets import format_timings, selected_budgets, time_services
from bench.endpoints import ENDPOINTS, Endpoint, Kind, request_headers
from bench.load import ensure_wrk, run_wrk
from bench.report import Row, baseline_rps, format_comparison, format_table, previous_run, save
from bench.seed import DEFAULT_SQLITE_URL, VOLUMES, BenchUsers, db_kind, issue_credentials, prepare_database
from bench.server import Server, new_secret_key, production_environment
from bench.sqlcount import StatementCounter

WARM_UP_REQUESTS = 20


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--db",
        default=os.environ.get("BENCH_DB") or DEFAULT_SQLITE_URL,
        help="database URL (default: $BENCH_DB, else a SQLite file under bench/results/tmp/)",
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per endpoint (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 seconds per endpoint")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (rows marked [N conn] use N)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--reseed", action="store_true", help="rebuild the dataset even if it matches")
    parser.add_argument("--only", action="append", default=[], help="only endpoints containing this (repeatable)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = 3
    return args


def git_revision() -> str:
    def git(*words: str) -> str:
        done = subprocess.run(["git", *words], capture_output=True, text=True, check=False)  # noqa: S603, S607
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain") else "")


def selected(only: list[str]) -> list[Endpoint]:
    # The baseline always runs: every ratio is against it.
    return [e for e in ENDPOINTS if e.kind is Kind.baseline or not only or any(o in e.label for o in only)]


def count_statements(
    endpoints: list[Endpoint], env: dict[str, str], users: BenchUsers, secret: str
) -> dict[Endpoint, tuple[int, int]]:
    counter = StatementCounter(env)
    try:
        return {
            e: counter.measure(e.url_path(users.placeholders), request_headers(e, users, secret)) for e in endpoints
        }
    finally:
        counter.close()


def check_and_warm(url: str, headers: dict[str, str]) -> int:
    """A few requests on new connections (so each worker compiles its templates); the last status."""
    status = 0
    with httpx.Client(headers=headers, limits=httpx.Limits(max_keepalive_connections=0), timeout=10) as client:
        for _ in range(WARM_UP_REQUESTS):
            status = client.get(url).status_code
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the run through the same cleanup as Ctrl-C, so the server never outlives it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wrk = ensure_wrk()
    kind = db_kind(args.db)
    started_at = datetime.now(UTC)
    load_before, cpus = round(os.getloadavg()[0], 2), os.cpu_count() or 1
    if load_before > 0.5 * cpus:
        # Other work on the machine lowers every row (the ratios less so): say so rather than mislead.
        print(f"note: load average {load_before} on {cpus} CPUs before the run; other processes skew the numbers")
    print(f"database: {make_url(args.db).render_as_string(hide_password=True)}", flush=True)

    seeding = prepare_database(args.db, reseed=args.reseed)
    if seeding is None:
        print("dataset: reused (same volumes and schema; --reseed to rebuild)")
    else:
        steps = ", ".join(f"{name} {s['rows']:,} in {s['seconds']} s" for name, s in seeding["steps"].items())
        print(f"dataset: migrated in {seeding['migrate_seconds']} s, seeded in {seeding['seed_seconds']} s ({steps})")
    users = issue_credentials(args.db)
    secret = new_secret_key()
    endpoints = selected(args.only)
    statements = count_statements(endpoints, production_environment(args.db, secret), users, secret)
    # Before the server starts: nothing of this run loads the machine while the services are timed.
    timings = time_services(args.db, users, selected_budgets(args.only))

    rows: list[Row] = []
    print(f"load: wrk, {args.connections} connections, {args.threads} threads, {args.duration:g} s per endpoint")
    with Server(args.db, secret, workers=args.workers) as server:
        rss_at_start = server.worker_memory_mb("VmRSS")
        for endpoint in endpoints:
            headers = request_headers(endpoint, users, secret)
            url = server.url + endpoint.url_path(users.placeholders)
            live_status = check_and_warm(url, headers)
            connections = endpoint.connections or args.connections
            threads = min(args.threads, connections)  # wrk needs a connection per thread
            seconds = max(args.duration, endpoint.min_seconds or 0)
            load = run_wrk(
                wrk,
                url,
                headers,
                seconds=seconds,
                connections=connections,
                threads=threads,
                count_statuses=endpoint.overload,
            )
            local_status, count = statements[endpoint]
            rows.append(Row(endpoint, load, count, live_status if live_status != 200 else local_status))
            print(f"  {endpoint.label}: {load.requests_per_s:,.0f} req/s", flush=True)
        peaks = server.worker_memory_mb("VmHWM")
        memory = {pid: (rss_at_start.get(pid), peak) for pid, peak in peaks.items()}

    table, passed = format_table(rows, memory)
    budgets, budgets_met = format_timings(timings)
    passed = passed and budgets_met
    print()
    print(table)
    if budgets:
        print(budgets)
    baseline = baseline_rps(rows)
    result: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "db": kind,
        "database": make_url(args.db).render_as_string(hide_password=True),
        "revision": git_revision(),
        "duration_s": args.duration,
        "connections": args.connections,
        "threads": args.threads,
        "workers": args.workers,
        "cpus": cpus,
        "load_average_before": load_before,
        "volumes": VOLUMES,
        "seeding": seeding,
        "baseline_requests_per_s": baseline,
        "rows": [row.as_json(baseline) for row in rows],
        "service_budgets": [timing.as_json() for timing in timings],
        "worker_memory_mb": {str(pid): {"rss_at_start": start, "peak": peak} for pid, (start, peak) in memory.items()},
        "passed": passed,
    }
    previous = previous_run(kind)
    path = save(result, started_at.strftime("%Y%m%dT%H%M%SZ"))
    print(f"\nall targets met: {'yes' if passed else 'NO'}; results in {path.relative_to(path.parents[2])}")
    if previous is not None:
        print(format_comparison(result, previous))
    return 1 if args.strict and not passed else 0
