"""Load with wrk (Debian package `wrk`): a fixed number of connections for a fixed time, per endpoint."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPORT_SCRIPT = Path(__file__).resolve().parent / "wrk_report.lua"
INSTALL_COMMAND = ["apt-get", "install", "-y", "wrk"]


def ensure_wrk() -> str:
    """The path of wrk; installs it when running as root on Debian, else says how."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing; installing it: apt-get update && apt-get install -y wrk", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=False)  # noqa: S607
        subprocess.run(INSTALL_COMMAND, check=True)  # noqa: S603
        found = shutil.which("wrk")
    if not found:
        raise SystemExit("the benchmark needs wrk: sudo apt-get install -y wrk")
    return found


@dataclass(frozen=True)
class LoadResult:
    requests: int
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    status_errors: int  # responses other than 2xx/3xx
    socket_errors: int  # connect, read, write and timeout
    timeouts: int  # answers that came after wrk's --timeout (5 s): counted here, not in the latencies
    # With count_statuses: the 503 answers (capacity, Retry-After) apart from every other error status.
    busy_answers: int | None = None
    other_status_errors: int | None = None

    @property
    def errors(self) -> int:
        return self.status_errors + self.socket_errors


def run_wrk(
    wrk: str,
    url: str,
    headers: dict[str, str],
    *,
    seconds: float,
    connections: int,
    threads: int,
    count_statuses: bool = False,
) -> LoadResult:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s"]
    command += ["--latency", "-s", str(REPORT_SCRIPT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    # Arguments after `--` go to the script's init(): "statuses" makes it count 503s apart (bench/wrk_report.lua).
    script_args = ["--", "statuses"] if count_statuses else []
    done = subprocess.run([*command, url, *script_args], capture_output=True, text=True, check=False)  # noqa: S603
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed on {url} ({done.returncode}): {done.stderr.strip() or done.stdout[-500:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    return LoadResult(
        requests=raw["requests"],
        requests_per_s=round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        status_errors=raw["status"],
        socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        timeouts=raw["timeout"],
        busy_answers=raw["status_503"] if count_statuses else None,
        other_status_errors=raw["status_other"] if count_statuses else None,
    )
