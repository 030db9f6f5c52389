"""The platform as production runs it: `quad serve` with several worker processes, in a subprocess."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from app.core.config import PROJECT_ROOT
from bench.seed import TMP_DIR, data_dir

BASE_URL = "https://bench.invalid"  # prod insists on https; cookies get the Secure flag, so bench builds its own


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_environment(database_url: str, secret_key: str) -> dict[str, str]:
    """The settings `QUAD_ENV=prod` requires, pointing at the bench database and a provider file with none."""
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    idp_file = TMP_DIR / "idp.toml"
    idp_file.write_text("providers = []\n")
    return {
        "QUAD_ENV": "prod",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secret_key,
        "QUAD_BASE_URL": BASE_URL,
        "QUAD_IDP_FILE": str(idp_file),
        "QUAD_DATA_DIR": str(data_dir(database_url)),  # where the seed stored the document files
        "QUAD_LOG_LEVEL": "INFO",  # the default; the start-up lines tell when every worker is serving
    }


def new_secret_key() -> str:
    return secrets.token_urlsafe(48)


def _quad_command() -> list[str]:
    script = Path(sys.executable).parent / "quad"
    return [str(script)] if script.exists() else [sys.executable, "-m", "app"]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Server:
    database_url: str
    secret_key: str
    workers: int = 2
    log_path: Path = TMP_DIR / "server.log"

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [*_quad_command(), "serve", "--workers", str(self.workers), "--host", "127.0.0.1"]
        command += ["--port", str(self.port)]
        env = {**os.environ, **production_environment(self.database_url, self.secret_key)}
        env.pop("QUAD_DEV_LOGIN", None)  # would make prod refuse to start
        # Serve this checkout's app: the `quad` script imports `app` through the venv's editable install, which
        # points at the checkout it was installed from (another git worktree would otherwise be measured).
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        # Access logs stay on, as in production, but go to a file rather than the terminal.
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603  (our own command line, no shell)
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def _wait_ready(self, timeout: float = 60) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"quad serve exited ({self.process.returncode}):\n{self.log_tail()}")
            # Each worker logs this once it accepts connections; load before then would hit fewer workers.
            started = self.log_path.read_text(errors="replace").count("Application startup complete")
            try:
                if started >= self.workers and httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"/readyz did not answer 200 within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """The worker processes: children of `quad serve` started by multiprocessing (not its resource tracker)."""
        assert self.process is not None
        pids = []
        for pid in _children(self.process.pid):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"resource_tracker" not in cmdline:
                pids.append(pid)
        return sorted(pids)

    def worker_memory_mb(self, field: str = "VmHWM") -> dict[int, float]:
        """A memory figure of each worker from /proc/<pid>/status, in MB: VmHWM is the peak resident set."""
        sizes = {pid: _status_kb(pid, field) for pid in self.worker_pids()}
        return {pid: round(kb / 1024, 1) for pid, kb in sizes.items() if kb is not None}

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # uvicorn's supervisor stops its workers on SIGTERM
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the session started for it: only its own processes
            self.process.wait()
