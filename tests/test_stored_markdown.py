"""Markdown is rendered when saved and stored sanitised; pages show the stored HTML, which follows every save."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.documents.models import Document
from app.groups.models import MembershipRole, WorkingGroup
from app.users.models import Role, User
from tests.support.documents import make_document

SCRIPT = "<script>alert('owned')</script>"
HOSTILE = f"Mapping **chokepoints**.\n\n{SCRIPT}\n\n<img src=x onerror=alert(1)> [link](javascript:alert(2))"


def _assert_harmless(html: str) -> None:
    """The hostile markup arrives as text at most (escaped), never as an element or a link."""
    assert SCRIPT not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)" in html or "&lt;script&gt;alert('owned')" in html


def test_a_script_saved_in_a_charter_through_the_api_never_reaches_the_page(
    api_as: Callable[[User], httpx.Client],
    browser_as: Callable[[User], httpx.Client],
    client: httpx.Client,
    make_user: Callable[..., User],
    make_group: Callable[..., WorkingGroup],
    db: Session,
) -> None:
    make_group("stored-md")
    staff = api_as(make_user(Role.secretariat))
    saved = staff.patch(
        "/api/v1/working-groups/stored-md", json={"charter": HOSTILE, "charter_ja": f"**輸出** {SCRIPT}"}
    )
    assert saved.status_code == 200 and saved.json()["charter"] == HOSTILE  # the API keeps the source as written
    stored = db.scalars(select(WorkingGroup).where(WorkingGroup.slug == "stored-md")).one()
    db.refresh(stored)
    assert "<strong>chokepoints</strong>" in stored.charter_html and "<strong>輸出</strong>" in (
        stored.charter_ja_html or ""
    )
    _assert_harmless(stored.charter_html)
    for reader in (client, browser_as(make_user(Role.delegate, "JP"))):
        for language in ("en", "ja"):
            page = reader.get("/groups/stored-md", headers={"accept-language": language})
            assert page.status_code == 200
            _assert_harmless(page.text)
        english = reader.get("/groups/stored-md", headers={"accept-language": "en"})
        assert "<strong>chokepoints</strong>" in english.text
    # Every save renders again: the page follows the new text.
    staff.patch("/api/v1/working-groups/stored-md", json={"charter": "Now about *wafers*."})
    assert "<em>wafers</em>" in client.get("/groups/stored-md", headers={"accept-language": "en"}).text
    assert "chokepoints" not in client.get("/groups/stored-md", headers={"accept-language": "en"}).text


def test_a_script_saved_in_a_document_description_through_the_api_never_reaches_the_page(
    api_as: Callable[[User], httpx.Client],
    browser_as: Callable[[User], httpx.Client],
    make_user: Callable[..., User],
    make_group: Callable[..., WorkingGroup],
    app: FastAPI,
    db: Session,
) -> None:
    author = make_user(Role.delegate, "US")
    group = make_group("stored-md-docs", (author, MembershipRole.member))
    document = make_document(db, app, author, group)
    saved = api_as(author).patch(f"/api/v1/documents/{document.id}", json={"description": HOSTILE})
    assert saved.status_code == 200 and saved.json()["description"] == HOSTILE
    db.refresh(document)
    stored = db.scalars(select(Document.description_html).where(Document.id == document.id)).one()
    assert "<strong>chokepoints</strong>" in stored
    _assert_harmless(stored)
    page = browser_as(author).get(f"/documents/{document.id}")
    assert page.status_code == 200 and "<strong>chokepoints</strong>" in page.text
    _assert_harmless(page.text)
