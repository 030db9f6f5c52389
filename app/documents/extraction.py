"""Text extraction that cannot take a web worker down, and that is never lost.

- The extractor runs in a child process (`python -m app.documents.readers`) limited in memory (RLIMIT_AS),
  CPU time and wall time; a killed or timed-out child is a failed extraction with a clear reason.
- `record_result` is the one place an extraction result is written into a version's VersionText row.
- Large files get an `ExtractionJob` in the upload's own transaction. Each app instance runs an
  `ExtractionWorker` thread that claims queued jobs, and jobs whose lease ran out (their instance died), with a
  conditional UPDATE that exactly one instance wins on PostgreSQL and on SQLite; failures that may pass
  (storage unreachable, extractor killed or timed out) are retried with backoff up to a number of attempts.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.audit import service as audit
from app.core.db import utcnow
from app.documents import formats, readers, screening
from app.documents.events import DocumentEvent
from app.documents.models import (
    DocumentVersion,
    ExtractionJob,
    ExtractionStatus,
    JobState,
    ScreeningFinding,
    VersionText,
)
from app.storage.base import CHUNK_SIZE, FileMissing, Storage

if TYPE_CHECKING:
    from app.core.config import Settings

log = logging.getLogger("app.documents.extraction")

# The folder that holds the `app` package: the child imports the extractor from the same code.
CODE_ROOT = Path(__file__).resolve().parent.parent.parent
# A small file extracted during its upload gets at most this long; if it needs more it becomes a job.
INLINE_TIMEOUT_SECONDS = 15
MAX_ERROR = 300


@dataclass(frozen=True)
class ExtractionLimits:
    memory_bytes: int = 512 * 1024 * 1024
    timeout_seconds: int = 60
    max_chars: int = readers.MAX_TEXT_CHARS
    attempts: int = 3
    retry_seconds: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractionLimits:
        return cls(
            memory_bytes=settings.extraction_memory_mb * 1024 * 1024,
            timeout_seconds=settings.extraction_timeout_seconds,
            attempts=settings.extraction_attempts,
            retry_seconds=settings.extraction_retry_seconds,
        )

    @property
    def wall_seconds(self) -> float:
        # CPU time is limited inside the child; this also stops a child that blocks without using CPU.
        return self.timeout_seconds * 2 + 5

    @property
    def lease(self) -> timedelta:
        # Longer than any one attempt can take, so a live instance never loses its job to another.
        return timedelta(seconds=self.wall_seconds + 60)

    def backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.retry_seconds * 2 ** max(attempts - 1, 0))


@dataclass(frozen=True)
class ExtractionResult:
    status: ExtractionStatus  # done or failed
    content: str = ""
    error: str | None = None
    retryable: bool = False  # a failure another attempt may not have (killed for time, storage unreachable)


def _failed(reason: str, *, retryable: bool = False) -> ExtractionResult:
    return ExtractionResult(ExtractionStatus.failed, error=reason[:MAX_ERROR], retryable=retryable)


# The sandbox ---------------------------------------------------------------------------------------------------


def extract_in_sandbox(path: Path, kind: formats.FileKind, limits: ExtractionLimits) -> ExtractionResult:
    """The text of the file at `path`, extracted by a limited child process; never raises for a bad file."""
    command = [
        sys.executable,
        "-m",
        "app.documents.readers",
        kind.value,
        str(path),
        str(limits.max_chars),
        str(limits.memory_bytes),
        str(limits.timeout_seconds),
    ]
    # A bare environment: the child needs no setting, and no secret from ours should reach a parser.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(CODE_ROOT), "LANG": "C.UTF-8"}
    started = time.monotonic()
    try:
        done = subprocess.run(  # noqa: S603  (our own interpreter and module; the file is only a path)
            command,
            env=env,
            cwd=path.parent,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=limits.wall_seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return _failed(
            f"Text extraction took longer than {limits.wall_seconds:g} seconds and was stopped.", retryable=True
        )
    elapsed = time.monotonic() - started
    memory_mb = limits.memory_bytes // (1024 * 1024)
    out_of_memory = f"Text extraction needed more than its {memory_mb} MB memory limit and was stopped."
    if done.returncode == readers.EXIT_OUT_OF_MEMORY or b"MemoryError" in done.stderr[-2000:]:
        return _failed(out_of_memory)
    if done.returncode in (-24, -9) and elapsed < limits.wall_seconds:  # SIGXCPU, then SIGKILL: the CPU limit
        return _failed(f"Text extraction used more than {limits.timeout_seconds} seconds of CPU and was stopped.")
    if done.returncode != 0:
        log.warning("text extractor exited with %s: %s", done.returncode, done.stderr[-500:].decode(errors="replace"))
        return _failed(f"Text extraction stopped unexpectedly (exit status {done.returncode}).", retryable=True)
    try:
        answer: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        return _failed("Text extraction gave an unreadable answer.", retryable=True)
    if "error" in answer:
        return _failed(str(answer["error"]))
    return ExtractionResult(ExtractionStatus.done, content=str(answer["text"]))


# Recording -----------------------------------------------------------------------------------------------------


def record_result(session: Session, version: DocumentVersion, result: ExtractionResult) -> VersionText:
    """THE one place where an extraction result is written into the version's VersionText row.

    Every path comes through here: small files during their upload, large ones from the job worker, and
    jobs that end failed. Screening of the text (export-control terms) belongs here, before it is stored.
    """
    row = session.get(VersionText, version.id)
    if row is None:
        row = VersionText(version_id=version.id)
        session.add(row)
    row.status = result.status
    row.content = result.content if result.status is ExtractionStatus.done else ""
    row.error = result.error
    row.updated_at = utcnow()
    version.text = row
    if result.status is ExtractionStatus.done:
        _screen(session, version, row.content)
    return row


def _screen(session: Session, version: DocumentVersion, content: str) -> None:
    """Matches the text against the export-control screening list and keeps what it found (an unmarked
    document with findings warns its uploader and appears on the secretariat's screening list)."""
    matches = screening.as_record(screening.screen(content, screening.active_list()))
    if not matches:
        return
    session.merge(ScreeningFinding(version_id=version.id, document_id=version.document_id, matches=matches))
    audit.record(
        session,
        None,
        DocumentEvent.screening_match,
        "document",
        version.document_id,
        version=version.number,
        categories=[m["category"] for m in matches],
    )


def _mark_waiting(session: Session, version_id: int, status: ExtractionStatus, note: str | None) -> None:
    """queued / running: not a result, only where the job is (shown on the page and in the API)."""
    session.execute(
        update(VersionText)
        .where(VersionText.version_id == version_id)
        .values(status=status, error=note, updated_at=utcnow())
    )


def enqueue(session: Session, version: DocumentVersion, note: str | None = None) -> VersionText:
    """A job for the workers, in the caller's transaction: committed with the upload or not at all."""
    row = session.get(VersionText, version.id)
    if row is None:
        row = VersionText(version_id=version.id, content="")
        session.add(row)
    row.status, row.error, row.updated_at = ExtractionStatus.queued, note, utcnow()
    version.text = row
    session.add(ExtractionJob(version_id=version.id, state=JobState.queued, attempts=0, run_after=utcnow()))
    return row


def extract_during_upload(
    session: Session, version: DocumentVersion, path: Path, kind: formats.FileKind, limits: ExtractionLimits
) -> VersionText:
    """Small files: extracted at once (in the sandbox, with a short time limit), so their text is there with
    the upload. One that needs longer, or whose extractor was killed, becomes a job with the full limits."""
    quick = replace(limits, timeout_seconds=min(limits.timeout_seconds, INLINE_TIMEOUT_SECONDS))
    result = extract_in_sandbox(path, kind, quick)
    if result.status is ExtractionStatus.failed and result.retryable:
        return enqueue(session, version, note=f"First attempt: {result.error}")
    return record_result(session, version, result)


# Jobs ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    job_id: int
    version_id: int
    attempts: int


def _claimable(now: datetime) -> Any:
    return or_(
        and_(ExtractionJob.state == JobState.queued, ExtractionJob.run_after <= now),
        and_(ExtractionJob.state == JobState.running, ExtractionJob.lease_until < now),
    )


def _claim(maker: sessionmaker[Session], owner: str, limits: ExtractionLimits, now: datetime) -> Claimed | None:
    # A read first, so idle polling never takes SQLite's write lock.
    with maker() as session:
        candidates = session.execute(
            select(ExtractionJob.id, ExtractionJob.version_id, ExtractionJob.attempts)
            .where(_claimable(now))
            .order_by(ExtractionJob.run_after, ExtractionJob.id)
            .limit(8)
        ).all()
    if not candidates:
        return None
    with maker() as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        for job_id, version_id, attempts in candidates:
            if attempts >= limits.attempts:
                # Its lease ran out as often as it may run: each attempt took its instance down with it.
                won = session.execute(
                    update(ExtractionJob)
                    .where(ExtractionJob.id == job_id, _claimable(now))
                    .values(state=JobState.failed, lease_owner=None, lease_until=None, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                if won.rowcount == 1:  # type: ignore[attr-defined]
                    version = session.get(DocumentVersion, version_id)
                    reason = f"Text extraction was interrupted {attempts} times and was given up."
                    if version is not None:
                        record_result(session, version, _failed(reason))
                continue
            # The WHERE repeats the claim condition: of several instances, only one changes the row.
            won = session.execute(
                update(ExtractionJob)
                .where(ExtractionJob.id == job_id, _claimable(now))
                .values(
                    state=JobState.running,
                    lease_owner=owner,
                    lease_until=now + limits.lease,
                    attempts=ExtractionJob.attempts + 1,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if won.rowcount == 1:  # type: ignore[attr-defined]
                _mark_waiting(session, version_id, ExtractionStatus.running, None)
                return Claimed(job_id, version_id, attempts + 1)
    return None


def _extract_stored(storage: Storage, version: DocumentVersion, limits: ExtractionLimits) -> ExtractionResult:
    temp_dir: Path = getattr(storage, "temp_dir", None) or Path(tempfile.gettempdir())
    temp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=temp_dir, prefix="extract-")
    path = Path(name)
    try:
        with open(fd, "wb") as target, storage.open(version.sha256) as source:
            while chunk := source.read(CHUNK_SIZE):
                target.write(chunk)
        return extract_in_sandbox(path, formats.FileKind(version.kind), limits)
    except FileMissing:
        return _failed("The stored file of this version is missing.", retryable=True)
    except Exception as exc:  # storage unreachable and the like: worth another attempt
        log.warning("reading stored file %s for extraction failed: %s", version.sha256, type(exc).__name__)
        return _failed(f"The stored file could not be read ({type(exc).__name__}).", retryable=True)
    finally:
        path.unlink(missing_ok=True)


def _run(
    maker: sessionmaker[Session], storage: Storage, limits: ExtractionLimits, owner: str, claimed: Claimed
) -> ExtractionResult | None:
    with maker() as session:
        version = session.get(DocumentVersion, claimed.version_id)
    if version is None:
        return None
    # No transaction is open while the child works: it may take a while.
    result = _extract_stored(storage, version, limits)
    now = utcnow()
    with maker() as session, session.begin():
        if session.get_bind().dialect.name == "sqlite":
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        job = session.get(ExtractionJob, claimed.job_id, with_for_update=True)
        if job is None or job.state is not JobState.running or job.lease_owner != owner:
            return None  # another instance took it over; its result counts
        version = session.get(DocumentVersion, claimed.version_id)
        assert version is not None
        job.last_error = result.error
        job.lease_owner, job.lease_until, job.updated_at = None, None, now
        if result.status is ExtractionStatus.failed and result.retryable and job.attempts < limits.attempts:
            job.state = JobState.queued
            job.run_after = now + limits.backoff(job.attempts)
            note = f"Attempt {job.attempts} of {limits.attempts} failed: {result.error} It will be tried again."
            _mark_waiting(session, version.id, ExtractionStatus.queued, note[:MAX_ERROR])
        else:
            if result.status is ExtractionStatus.failed and result.retryable:
                result = _failed(f"{result.error} (gave up after {job.attempts} attempts)")
            job.state = JobState.done if result.status is ExtractionStatus.done else JobState.failed
            record_result(session, version, result)
    log.info("extraction job %s (version %s): %s", claimed.job_id, claimed.version_id, result.status.value)
    return result


def run_pending_jobs(
    maker: sessionmaker[Session],
    storage: Storage,
    limits: ExtractionLimits,
    *,
    owner: str | None = None,
    now: Callable[[], datetime] = utcnow,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Runs every job that may run now (queued and due, or with an expired lease), one after another, until
    none is left; returns how many attempts were made. The worker thread calls it; so may tests."""
    owner = owner or default_owner()
    ran = 0
    while not should_stop():
        claimed = _claim(maker, owner, limits, now())
        if claimed is None:
            break
        _run(maker, storage, limits, owner, claimed)
        ran += 1
    return ran


def default_owner() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


class ExtractionWorker:
    """A thread per app instance: runs due jobs, then sleeps until woken (an upload) or the poll interval."""

    def __init__(
        self,
        maker: sessionmaker[Session],
        storage: Storage,
        limits: ExtractionLimits,
        *,
        poll_seconds: float = 10.0,
        housekeeping: Callable[[], object] | None = None,
    ) -> None:
        self.maker = maker
        self.storage = storage
        self.limits = limits
        self.poll_seconds = poll_seconds
        self.housekeeping = housekeeping
        self.owner = f"{default_owner()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="quad-extraction", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stops after the current job; a job cut off by the process ending is taken over when its lease ends."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_pending_jobs(self.maker, self.storage, self.limits, owner=self.owner, should_stop=self._stop.is_set)
                if self.housekeeping is not None:
                    self.housekeeping()
            except Exception:  # the database may be away for a while: try again at the next tick
                log.exception("extraction worker: a round failed")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()


def wake_worker(worker: ExtractionWorker | None) -> None:
    """After an upload committed a job: start on it now rather than at the next poll."""
    if worker is not None:
        worker.wake()
