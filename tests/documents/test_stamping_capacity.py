"""Stamping marked files is bounded per worker (QUAD_WATERMARK_CONCURRENCY slots, QUAD_WATERMARK_QUEUE waiting):
past it a marked download is answered 503 with Retry-After at once, and is not recorded as delivered.

The slots are taken by this test's own threads through the limiter the app uses (app.state.stamp_slots), so the
download meets exactly what it would meet behind other readers' stamping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.core.capacity import Slots
from app.core.errors import Busy
from app.documents.models import Document
from app.groups.models import MembershipRole
from app.users.models import Role, User
from tests.documents.test_content_access import pdf_bytes
from tests.support.documents import make_document

REFUSAL = "Export-controlled files are being stamped for other readers right now"


@dataclass
class Marked:
    reader: User
    document: Document

    @property
    def api_path(self) -> str:
        return f"/api/v1/documents/{self.document.id}/versions/1/file"

    @property
    def page_path(self) -> str:
        return f"/documents/{self.document.id}/versions/1/file"


@pytest.fixture
def marked(db: Session, app, make_user, make_group) -> Marked:
    chair = make_user(Role.delegate, "US", name="Una States")
    group = make_group("stamping", (chair, MembershipRole.chair))
    document = make_document(
        db, app, chair, group, content=pdf_bytes("Plan"), filename="plan.pdf", controlled=True, release=("US",)
    )
    return Marked(chair, document)


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


@contextmanager
def occupied(slots: Slots, *, holders: int, waiters: int = 0) -> Iterator[threading.Event]:
    """`holders` threads stamping (holding a slot each) and `waiters` more in the queue behind them, until the
    yielded event is set. A waiter that reaches the end of its wait queues again, so its place stays taken."""
    release = threading.Event()

    def occupant() -> None:
        while not release.is_set():
            try:
                with slots.hold():
                    release.wait(30)
                return
            except Busy:
                continue

    threads = [threading.Thread(target=occupant, daemon=True) for _ in range(holders + waiters)]
    try:
        for thread in threads[:holders]:
            thread.start()
        wait_until(lambda: slots.active == holders)
        for thread in threads[holders:]:
            thread.start()
        wait_until(lambda: slots.waiting == waiters)
        yield release
    finally:
        release.set()
        for thread in threads:
            thread.join(10)
    assert slots.active == 0 and slots.waiting == 0


def delivered(db: Session, document: Document) -> int:
    db.expire_all()
    query = select(AuditEvent).where(
        AuditEvent.target_type == "document",
        AuditEvent.target_id == str(document.id),
        AuditEvent.action == "document.content_read",
    )
    return len(db.scalars(query).all())


def test_the_app_bounds_stamping_as_its_settings_say(app) -> None:
    slots: Slots = app.state.stamp_slots
    settings = app.state.settings
    assert (slots.limit, slots.queue, slots.wait_seconds) == (
        settings.watermark_concurrency,
        settings.watermark_queue,
        settings.watermark_wait_seconds,
    )
    assert (settings.watermark_concurrency, settings.watermark_queue) == (2, 8)  # the documented defaults


def test_a_marked_download_past_the_queue_is_answered_503_at_once_and_not_recorded(
    marked: Marked, db: Session, app, api_as
) -> None:
    slots: Slots = app.state.stamp_slots
    api = api_as(marked.reader)
    before = delivered(db, marked.document)
    with occupied(slots, holders=slots.limit, waiters=slots.queue):
        started = time.monotonic()
        answer = api.get(marked.api_path)
        took = time.monotonic() - started
    assert answer.status_code == 503, answer.text
    assert took < slots.wait_seconds  # refused, not queued: the queue was full
    assert answer.headers["retry-after"] == "2"
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["cache-control"] == "no-store"
    assert REFUSAL in answer.json()["detail"]
    assert delivered(db, marked.document) == before

    # Once the slots are free, the same download is served stamped, and recorded once.
    again = api.get(marked.api_path)
    assert again.status_code == 200 and again.content.startswith(b"%PDF")
    assert delivered(db, marked.document) == before + 1


def test_a_person_gets_a_readable_busy_page_with_retry_after(marked: Marked, db: Session, app, browser_as) -> None:
    slots: Slots = app.state.stamp_slots
    browser = browser_as(marked.reader)
    with occupied(slots, holders=slots.limit, waiters=slots.queue):
        english = browser.get(marked.page_path)
        japanese = browser.get(marked.page_path, headers={"Accept-Language": "ja"})
    assert english.status_code == 503 and english.headers["retry-after"] == "2"
    assert english.headers["content-type"].startswith("text/html")
    assert REFUSAL in english.text
    assert japanese.status_code == 503 and "刻印しているため" in japanese.text
    assert delivered(db, marked.document) == 0


def test_a_queued_download_is_served_when_a_slot_frees(marked: Marked, db: Session, app, api_as) -> None:
    slots: Slots = app.state.stamp_slots
    api = api_as(marked.reader)
    with ThreadPoolExecutor(1) as pool, occupied(slots, holders=slots.limit) as release:
        download = pool.submit(api.get, marked.api_path)
        wait_until(lambda: slots.waiting == 1)  # it waits in the queue, holding no slot
        assert not download.done()
        release.set()
        answer = download.result(timeout=30)
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert delivered(db, marked.document) == 1


def test_unmarked_downloads_never_wait_for_stamping(marked: Marked, db: Session, app, make_group, api_as) -> None:
    slots: Slots = app.state.stamp_slots
    plain = make_document(db, app, marked.reader, marked.document.group, content=b"Plain text.\n")
    with occupied(slots, holders=slots.limit, waiters=slots.queue):
        answer = api_as(marked.reader).get(f"/api/v1/documents/{plain.id}/versions/1/file")
    assert answer.status_code == 200 and answer.content == b"Plain text.\n"
