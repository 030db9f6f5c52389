"""Text extraction in a limited child process, and durable jobs that survive a crashed instance (issue #8, finding 8)."""

from __future__ import annotations

import io
import random
import time
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.documents import extraction
from app.documents.models import DocumentVersion, ExtractionJob, ExtractionStatus, JobState, VersionText
from app.groups.models import MembershipRole
from app.main import create_app
from app.users.models import Role
from tests.conftest import make_settings
from tests.documents.samples import write_docx
from tests.support.databases import committed_delegate_token, migrated_scratch_database
from tests.support.documents import make_document
from tests.support.server import serve

DOCS = "/api/v1/documents"


def docx_with_body(tmp_path: Path, body: bytes) -> bytes:
    """A real DOCX (made by python-docx) whose document body is replaced by `body`."""
    base = write_docx(tmp_path / f"base-{uuid.uuid4().hex[:6]}.docx", ["x"])
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + body)
            dst.writestr(item, data)
    return out.getvalue()


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def upload(http: httpx.Client, group: str, content: bytes, filename: str) -> httpx.Response:
    data = {"group": group, "title": "Paper", "doc_type": "position_paper", "visibility": "quad", "owner": "US"}
    return http.post(DOCS, data=data, files={"file": (filename, content, "application/octet-stream")})


def semis(make_user, make_group):
    us = make_user(Role.delegate, "US", name="Una States")
    return make_group("semis", (us, MembershipRole.chair)), us


def test_docx_bomb_is_refused_quickly_without_the_web_process_growing(api_as, make_user, make_group, tmp_path) -> None:
    group, us = semis(make_user, make_group)
    bomb = docx_with_body(tmp_path, b"<w:p><w:r><w:t>export control</w:t></w:r></w:p>" * 900_000)  # ~40 MiB of XML
    assert len(bomb) < 300_000
    before, started = rss_bytes(), time.monotonic()
    response = upload(api_as(us), group.slug, bomb, "bomb.docx")
    elapsed, grown = time.monotonic() - started, rss_bytes() - before
    assert response.status_code == 415 or response.json()["versions"][0]["text_status"] == "failed"
    assert elapsed < 5, f"took {elapsed:.1f} s"
    assert grown < 64 * 1024 * 1024, f"the server process grew by {grown // 2**20} MiB"


def test_extractor_over_its_memory_limit_is_recorded_as_failed(tmp_path) -> None:
    """A DOCX within the archive limits whose XML needs more memory than the child may have: the upload
    succeeds, the text is 'failed' with the reason, and the web process is untouched."""
    rng = random.Random(8)
    words = [b"export", b"control", b"semiconductor", b"supply", b"chain", b"resilient", b"secure", b"quad"]
    body = b"".join(
        b"<w:p><w:r><w:t>" + b" ".join(rng.choices(words, k=12)) + b" %d</w:t></w:r></w:p>" % i for i in range(60_000)
    )
    heavy = docx_with_body(tmp_path, body)
    with migrated_scratch_database() as url:
        token = committed_delegate_token(url)
        settings = make_settings(
            url,
            tmp_path / "data",
            "http://127.0.0.1:1",
            QUAD_EXTRACTION_MEMORY_MB="64",
            QUAD_INLINE_EXTRACTION_KB="4096",
        )
        app = create_app(settings)
        with serve(app) as base, httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as api:
            created = upload(api, "g", heavy, "heavy.docx")
            assert created.status_code == 201, created.text
            assert created.json()["versions"][0]["text_status"] == "failed"
            with app.state.sessionmaker() as session:
                row = session.scalars(select(VersionText)).one()
            assert row.error is not None and "64 MB memory limit" in row.error
        app.state.engine.dispose()


def _queue_again(db: Session, version: DocumentVersion, **job: object) -> ExtractionJob:
    """The state a job is in when an instance died: written directly, as the crash left it."""
    text = db.get(VersionText, version.id)
    assert text is not None
    text.status, text.content, text.error = ExtractionStatus.running, "", None
    row = ExtractionJob(version_id=version.id, **job)
    db.add(row)
    db.commit()
    return row


def test_job_left_running_by_a_dead_instance_is_taken_over_and_completed(
    app: FastAPI, db: Session, make_user, make_group
) -> None:
    group, us = semis(make_user, make_group)
    marker = uuid.uuid4().hex
    document = make_document(db, app, us, group, content=f"Crash survivor {marker}.\n".encode())
    version = document.versions[0]
    long_ago = utcnow() - timedelta(hours=1)
    job = _queue_again(
        db,
        version,
        state=JobState.running,
        attempts=1,
        lease_owner="dead-host:4242",
        lease_until=long_ago,
        run_after=long_ago,
    )
    limits = extraction.ExtractionLimits(attempts=3, retry_seconds=0)
    # A live lease is left alone: its instance is still working on it.
    live = extraction.run_pending_jobs(app.state.sessionmaker, app.state.storage, limits, now=lambda: long_ago)
    assert live == 0
    assert extraction.run_pending_jobs(app.state.sessionmaker, app.state.storage, limits, owner="me:1") == 1
    db.expire_all()
    job = db.get(ExtractionJob, job.id)
    text = db.get(VersionText, version.id)
    assert job is not None and text is not None
    assert (job.state, job.attempts, job.lease_owner) == (JobState.done, 2, None)
    assert text.status is ExtractionStatus.done and marker in text.content
    # Nothing is left to run.
    assert extraction.run_pending_jobs(app.state.sessionmaker, app.state.storage, limits) == 0


def test_job_that_keeps_failing_ends_failed_after_its_attempts_and_the_page_says_so(
    app: FastAPI, db: Session, make_user, make_group, browser_as
) -> None:
    group, us = semis(make_user, make_group)
    document = make_document(db, app, us, group, content=f"Soon gone {uuid.uuid4().hex}.\n".encode())
    version = document.versions[0]
    app.state.storage.delete(version.sha256)  # the object is gone: every attempt fails the same way
    job = _queue_again(db, version, state=JobState.queued, attempts=0, run_after=utcnow())
    db.expire_all()
    limits = extraction.ExtractionLimits(attempts=3, retry_seconds=60)
    maker, storage = app.state.sessionmaker, app.state.storage
    assert extraction.run_pending_jobs(maker, storage, limits) == 1
    db.expire_all()
    assert db.get(ExtractionJob, job.id).state is JobState.queued  # type: ignore[union-attr]
    waiting = browser_as(us).get(f"/documents/{document.id}")
    assert "Queued" in waiting.text and "Attempt 1 of 3 failed" in waiting.text
    api_status = browser_as(us).get(f"{DOCS}/{document.id}").json()["versions"][0]["text_status"]
    assert api_status == "queued"
    # Backoff: not due again until a minute later, then twice as long.
    assert extraction.run_pending_jobs(maker, storage, limits) == 0
    later = utcnow() + timedelta(minutes=10)
    assert extraction.run_pending_jobs(maker, storage, limits, now=lambda: later) == 2
    db.expire_all()
    final = db.get(ExtractionJob, job.id)
    text = db.get(VersionText, version.id)
    assert final is not None and text is not None
    assert (final.state, final.attempts) == (JobState.failed, 3)
    assert text.status is ExtractionStatus.failed and "missing" in (text.error or "")
    page = browser_as(us).get(f"/documents/{document.id}")
    assert "Failed" in page.text and "stored file of this version is missing" in page.text
    assert "gave up after 3 attempts" in page.text
    assert browser_as(us).get(f"{DOCS}/{document.id}").json()["versions"][0]["text_status"] == "failed"


def test_claim_is_won_by_exactly_one_instance(app: FastAPI, db: Session, make_user, make_group) -> None:
    group, us = semis(make_user, make_group)
    document = make_document(db, app, us, group, content=f"Claimed once {uuid.uuid4().hex}.\n".encode())
    job = _queue_again(db, document.versions[0], state=JobState.queued, attempts=0, run_after=utcnow())
    limits = extraction.ExtractionLimits()
    first = extraction._claim(app.state.sessionmaker, "a:1", limits, utcnow())
    second = extraction._claim(app.state.sessionmaker, "b:2", limits, utcnow())
    assert first is not None and first.job_id == job.id and second is None
    db.expire_all()
    assert db.get(ExtractionJob, job.id).lease_owner == "a:1"  # type: ignore[union-attr]
