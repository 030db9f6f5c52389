"""Request bodies are counted as they arrive (issue #8, finding 5): a chunked upload cannot get past the limit,
and a caller who may not upload cannot make the server read (or spool to disk) more than a little."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.documents.models import Document
from app.groups.models import MembershipRole
from app.main import create_app
from app.users.models import Role
from tests.conftest import make_settings
from tests.support.databases import committed_delegate_token, migrated_scratch_database
from tests.support.server import serve

DOCS = "/api/v1/documents"
MIB = 1024 * 1024
BOUNDARY = "quad-test-boundary"


class ChunkedForm:
    """A multipart form sent chunked (a generator body: no Content-Length), counting the bytes taken from it."""

    def __init__(self, fields: dict[str, str], file_bytes: int, *, chunk: int = 64 * 1024) -> None:
        self.fields, self.file_bytes, self.chunk, self.sent = fields, file_bytes, chunk, 0

    def __iter__(self) -> Iterator[bytes]:
        head = "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in self.fields.items()
        )
        head += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n'
        head += "Content-Type: text/plain\r\n\r\n"
        yield self._count(head.encode())
        left = self.file_bytes
        line = b"Supply chains should be resilient, diverse and secure.\n"
        block = (line * (self.chunk // len(line) + 1))[: self.chunk]
        while left > 0:
            yield self._count(block[: min(left, self.chunk)])
            left -= self.chunk
        yield self._count(f"\r\n--{BOUNDARY}--\r\n".encode())

    def _count(self, data: bytes) -> bytes:
        self.sent += len(data)
        return data


def post_chunked(http: httpx.Client, path: str, form: ChunkedForm) -> httpx.Response | None:
    """The response, or None when the server closed the connection before the client could read one."""
    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    try:
        return http.post(path, content=iter(form), headers=headers)
    except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
        return None


def staged_bytes(data_dir: Path) -> int:
    """Bytes in the app's temporary folders (staging) under the data folder."""
    return sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file() and "tmp" in p.relative_to(data_dir).parts)


def document_fields(group: str = "g") -> dict[str, str]:
    return {"group": group, "title": "Big", "doc_type": "other", "visibility": "quad", "owner": "US"}


def test_anonymous_chunked_upload_is_cut_off_after_a_small_cap(client: httpx.Client, settings) -> None:
    form = ChunkedForm(document_fields(), 200 * MIB)
    started = time.monotonic()
    response = post_chunked(client, DOCS, form)
    elapsed = time.monotonic() - started
    # The server stopped reading at its small cap: the client could push only what socket buffers hold.
    assert form.sent < 16 * MIB, f"the server read {form.sent // MIB} MiB of an anonymous upload"
    assert elapsed < 10
    if response is not None:
        assert response.status_code in (401, 413)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert staged_bytes(Path(settings.data_dir)) < MIB


def test_declared_length_over_the_cap_is_refused_without_reading(client: httpx.Client) -> None:
    response = client.post("/api/v1/me", content=b"x" * (300 * 1024), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["status"] == 413
    page = client.post(
        "/groups/semis/documents/new",
        content=b"x" * (300 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text.lower()


def test_observer_may_not_push_a_big_body_either(api_as, make_user, make_group) -> None:
    observer = make_user(Role.observer, "US")
    make_group("obs-group", (observer, MembershipRole.member))
    form = ChunkedForm(document_fields("obs-group"), 20 * MIB)
    response = post_chunked(api_as(observer), DOCS, form)
    assert form.sent < 16 * MIB
    assert response is None or response.status_code == 413


@pytest.fixture
def small_limit_server(tmp_path: Path) -> Iterator[tuple[FastAPI, str, str]]:
    """A committed database and an app whose upload limit is 1 MB."""
    with migrated_scratch_database() as url:
        token = committed_delegate_token(url, group_slug=f"g{uuid.uuid4().hex[:4]}")
        app = create_app(make_settings(url, tmp_path / "data", "http://127.0.0.1:1", QUAD_MAX_UPLOAD_MB="1"))
        with serve(app) as base:
            yield app, base, token
        app.state.engine.dispose()


def test_delegate_chunked_upload_over_the_limit_gets_413_and_leaves_nothing(small_limit_server) -> None:
    app, base, token = small_limit_server
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as api:
        slug = api.get("/api/v1/working-groups").json()["items"][0]["slug"]
        form = ChunkedForm(document_fields(slug), 64 * MIB)
        response = post_chunked(api, DOCS, form)
        assert response is None or response.status_code == 413
        if response is not None:
            assert response.json()["status"] == 413
        # Cut off at the 2 MB limit: only what loopback socket buffers hold got past it.
        assert form.sent < 32 * MIB
        # Under the limit, the same chunked upload is stored.
        fine = post_chunked(api, DOCS, ChunkedForm(document_fields(slug), 512 * 1024))
        assert fine is not None and fine.status_code == 201, fine and fine.text
    with app.state.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Document)) == 1
    objects = Path(app.state.settings.data_dir) / "files" / "objects"
    assert sum(1 for p in objects.rglob("*") if p.is_file()) == 1
    assert staged_bytes(Path(app.state.settings.data_dir)) == 0


def test_a_signed_in_delegate_uploads_a_large_file_through_the_page(browser_as, make_user, make_group) -> None:
    """The browser's session (not only a token) lifts the small cap for someone who may upload."""
    from tests.support.sessions import CSRF_TOKEN

    delegate = make_user(Role.delegate, "US")
    make_group("page-group", (delegate, MembershipRole.member))
    page = browser_as(delegate)
    big = b"A long paragraph of the report.\n" * (2 * MIB // 32)
    answer = page.post(
        "/groups/page-group/documents/new",
        data={
            "csrf_token": CSRF_TOKEN,
            "title": "Big report",
            "doc_type": "contribution",
            "visibility": "group",
            "owner": "US",
        },
        files={"file": ("big.txt", big, "text/plain")},
    )
    assert answer.status_code == 303, answer.text[:500]
