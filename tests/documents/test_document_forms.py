"""The document forms over HTTP, as a browser sends them: errors summarised at the top and shown beside their fields
(in the reader's language), every value kept, the size limit stated, oversized uploads sent back to the form, the
withdraw and reinstate confirmations, and the success banners."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.audit.models import AuditEvent
from app.core.db import build_sessionmaker
from app.documents.models import Document
from app.groups.models import MembershipRole
from app.main import create_app
from app.users.models import Role, User
from tests.conftest import SECRET_KEY, make_settings
from tests.support.databases import committed_delegate_token, migrated_scratch_database
from tests.support.documents import make_document
from tests.support.server import serve
from tests.support.sessions import CSRF_TOKEN, sign_in

DOCS = "/api/v1/documents"
FORM = {
    "csrf_token": CSRF_TOKEN,
    "title": "Fab map",
    "doc_type": "technical_report",
    "visibility": "group",
    "owner": "US",
}


@pytest.fixture
def semis(make_user, make_group):
    us = make_user(Role.delegate, "US", name="Una States")
    jp = make_user(Role.delegate, "JP", name="Jun Japan")
    group = make_group("semis", (us, MembershipRole.chair), (jp, MembershipRole.member))
    return group, us, jp


def documents_titled(db: Session, title: str) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(Document).where(Document.title == title)) or 0


def summary_links(html: str) -> dict[str, str]:
    """The error summary's links: field id -> message."""
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary is not None, "no error summary"
    return dict(re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary.group(0)))


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<span id="{field}-error" class="field-error">.*?</span>\s*(.*?)\s*</span>', html, re.S)
    assert found is not None, f"no error beside {field}"
    return found.group(1)


def input_tag(html: str, field: str) -> str:
    found = re.search(rf'<(?:input|select|textarea|fieldset)[^>]*\bid="{field}"[^>]*>', html)
    assert found is not None, f"no input {field}"
    return found.group(0)


def banner(http: httpx.Client, location: str) -> str:
    page = http.get(location)
    assert page.status_code == 200
    found = re.search(r'<div class="success-banner" role="status"><p>(.*?)</p>', page.text)
    assert found is not None, "no success banner"
    return found.group(1)


def test_a_refused_upload_form_comes_back_with_a_summary_errors_beside_fields_and_every_value(
    browser_as, semis, db: Session
) -> None:
    group, us, _ = semis
    http = browser_as(us)
    sent = {
        **FORM,
        "title": "Kept title",
        "description": "Kept *description*",
        "tags": "fabs, euv",
        "note": "first cut",
        "controlled": "yes",
        "control_code": "3B001",
        "release": ["JP", "AU"],
    }
    answer = http.post(f"/groups/{group.slug}/documents/new", data=sent, files={"file": ("m.txt", b"Map.\n")})
    assert answer.status_code == 422
    html = answer.text
    assert summary_links(html) == {"category": "a controlled document needs a category from the joint framework"}
    assert field_error(html, "category") == "a controlled document needs a category from the joint framework"
    category = input_tag(html, "category")
    assert 'aria-invalid="true"' in category and 'aria-describedby="category-error"' in category
    assert "aria-invalid" not in input_tag(html, "title")
    # What was sent is what the form shows again, the checkboxes too.
    assert 'value="Kept title"' in input_tag(html, "title")
    assert "Kept *description*</textarea>" in html
    assert 'value="fabs, euv"' in input_tag(html, "tags")
    assert 'value="first cut"' in input_tag(html, "note")
    assert 'value="3B001"' in input_tag(html, "control_code")
    assert "checked" in input_tag(html, "controlled")
    assert "checked" in input_tag(html, "release-JP") and "checked" in input_tag(html, "release-AU")
    assert "checked" not in input_tag(html, "release-US")
    assert re.search(r'<option value="technical_report" selected>', html)
    assert documents_titled(db, "Kept title") == 0


def test_choices_that_are_not_on_offer_and_a_missing_file_are_all_reported_at_once(browser_as, semis, db) -> None:
    group, us, _ = semis
    sent = {**FORM, "title": "Odd", "doc_type": "memo", "visibility": "everyone", "owner": "FR"}
    # No file chosen: the browser sends the field empty, without a file name.
    answer = browser_as(us).post(
        f"/groups/{group.slug}/documents/new", data=sent, files={"file": ("", b"", "application/octet-stream")}
    )
    assert answer.status_code == 422, answer.text[:300]
    assert set(summary_links(answer.text)) == {"file", "owner", "doc_type", "visibility"}
    assert field_error(answer.text, "file") == "choose a file to upload"
    assert field_error(answer.text, "doc_type") == "choose a document type"
    assert documents_titled(db, "Odd") == 0


def test_a_missing_title_is_reported_with_the_missing_file(browser_as, semis) -> None:
    group, us, _ = semis
    answer = browser_as(us).post(
        f"/groups/{group.slug}/documents/new",
        data={**FORM, "title": "  "},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert answer.status_code == 422
    # In the form's order, top to bottom, like the page.
    assert list(summary_links(answer.text).items()) == [
        ("title", "a title is required"),
        ("file", "choose a file to upload"),
    ]
    assert field_error(answer.text, "title") == "a title is required"


def test_a_japanese_page_shows_the_errors_in_japanese_and_the_api_keeps_english(browser_as, api_as, semis) -> None:
    group, us, _ = semis
    http = browser_as(us)
    http.headers["Accept-Language"] = "ja"
    sent = {**FORM, "controlled": "yes", "release": ["US"]}
    page = http.post(f"/groups/{group.slug}/documents/new", data=sent, files={"file": ("m.txt", b"Map.\n")})
    assert page.status_code == 422
    assert "入力内容に問題があります" in page.text
    assert summary_links(page.text) == {"category": "管理対象の文書には、共同枠組みに基づく区分が必要です。"}
    assert field_error(page.text, "category") == "管理対象の文書には、共同枠組みに基づく区分が必要です。"
    api = api_as(us)
    api.headers["Accept-Language"] = "ja"
    data = {**sent, "group": group.slug, "controlled": "true"}
    refused = api.post(DOCS, data=data, files={"file": ("m.txt", b"Map.\n")})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "a controlled document needs a category from the joint framework"


def test_the_edit_form_keeps_what_was_sent_and_names_the_field(browser_as, semis, app, db: Session) -> None:
    group, us, _ = semis
    document = make_document(db, app, us, group, title="Principles")
    sent = {**FORM, "title": "  ", "tags": "ok, bad#tag", "release": ["IN"]}
    answer = browser_as(us).post(f"/documents/{document.id}/edit", data=sent)
    assert answer.status_code == 422
    assert summary_links(answer.text) == {"title": "a title is required"}
    assert 'aria-invalid="true"' in input_tag(answer.text, "title")
    assert 'value="ok, bad#tag"' in input_tag(answer.text, "tags")
    assert "checked" in input_tag(answer.text, "release-IN")
    db.expire_all()
    assert db.get(Document, document.id).title == "Principles"


def test_the_upload_forms_state_the_size_limit(browser_as, semis, app, db: Session) -> None:
    group, us, _ = semis
    limit = f"Files up to {app.state.settings.max_upload_mb} MB."
    http = browser_as(us)
    assert limit in http.get(f"/groups/{group.slug}/documents/new").text
    document = make_document(db, app, us, group)
    assert limit in http.get(f"/documents/{document.id}").text


@dataclass
class SmallApp:
    base: str
    http: httpx.Client  # a delegate signed in with a browser session (the guard decides from its cookie)
    data_dir: Path
    maker: sessionmaker[Session]

    def documents(self) -> int:
        with self.maker() as session:
            return session.scalar(select(func.count()).select_from(Document)) or 0

    def stored_files(self) -> int:
        return sum(1 for p in (self.data_dir / "files" / "objects").rglob("*") if p.is_file())


@pytest.fixture
def small_app(tmp_path: Path) -> Iterator[SmallApp]:
    """A served app on a committed database whose upload limit is 1 MB."""
    with migrated_scratch_database() as url:
        committed_delegate_token(url, group_slug="small")
        app = create_app(make_settings(url, tmp_path / "data", "http://127.0.0.1:1", QUAD_MAX_UPLOAD_MB="1"))
        maker = build_sessionmaker(app.state.engine)
        with serve(app) as base, httpx.Client(base_url=base, timeout=30) as http:
            with maker() as session:
                user = session.scalar(select(User).where(User.email == "small@gov.example"))
                assert user is not None
                sign_in(http, SECRET_KEY, user, db=session)
            yield SmallApp(base, http, Path(app.state.settings.data_dir), maker)
        app.state.engine.dispose()


def test_an_oversized_browser_upload_comes_back_to_the_form_with_the_message_on_the_file(small_app: SmallApp) -> None:
    http = small_app.http
    big = {"file": ("big.txt", b"A line of the report.\n" * (3 * 1024 * 1024 // 22), "text/plain")}
    answer = http.post("/groups/small/documents/new", data={**FORM, "title": "Too big"}, files=big)
    # Past the guard's limit (the file limit and room for the fields): back to the form's address, never JSON.
    assert answer.status_code == 303
    assert answer.headers["location"] == "/groups/small/documents/new?error=too_large"
    form = http.get(answer.headers["location"])
    assert form.status_code == 200 and form.headers["content-type"].startswith("text/html")
    assert summary_links(form.text) == {"file": "The file is larger than the 1 MB limit."}
    assert 'aria-invalid="true"' in input_tag(form.text, "file")
    assert "Files up to 1 MB." in form.text
    # Under the guard's limit but over the file limit: the service refuses it, and the form comes back at once.
    over = {"file": ("over.txt", b"A line of the report.\n" * (1536 * 1024 // 22), "text/plain")}
    answer = http.post("/groups/small/documents/new", data={**FORM, "title": "A bit too big"}, files=over)
    assert answer.status_code == 413 and answer.headers["content-type"].startswith("text/html")
    assert field_error(answer.text, "file") == "The file is larger than the 1 MB limit."
    assert 'value="A bit too big"' in input_tag(answer.text, "title")
    assert small_app.documents() == 0 and small_app.stored_files() == 0


def test_an_oversized_new_version_goes_back_to_the_document_page(small_app: SmallApp) -> None:
    http = small_app.http
    created = http.post("/groups/small/documents/new", data=FORM, files={"file": ("v1.txt", b"One.\n")})
    assert created.status_code == 303
    document_page = created.headers["location"]
    big = {"file": ("big.txt", b"x" * (3 * 1024 * 1024), "text/plain")}
    answer = http.post(f"{document_page}/versions", data={"csrf_token": CSRF_TOKEN}, files=big)
    assert answer.status_code == 303 and answer.headers["location"] == f"{document_page}?error=too_large"
    page = http.get(answer.headers["location"])
    assert field_error(page.text, "file") == "The file is larger than the 1 MB limit."
    # The API keeps its problem+json answer, for the same person with the same session.
    document_id = document_page.rsplit("/", 1)[1]
    api = http.post(f"{DOCS}/{document_id}/versions", files=big, headers={"x-csrf-token": CSRF_TOKEN})
    assert api.status_code == 413 and api.headers["content-type"].startswith("application/problem+json")
    assert small_app.stored_files() == 1  # the first version's file only
    with small_app.maker() as session:
        document = session.get(Document, int(document_id))
        assert document is not None and document.version_count == 1


def test_withdraw_asks_first_and_keeps_the_reason_on_the_audit_trail(browser_as, semis, app, db: Session) -> None:
    group, us, jp = semis
    document = make_document(db, app, us, group, title="Old position")
    http = browser_as(us)
    page = http.get(f"/documents/{document.id}")
    assert f'href="/documents/{document.id}/withdraw"' in page.text
    confirm = http.get(f"/documents/{document.id}/withdraw")
    assert confirm.status_code == 200
    assert "<h1>Withdraw “Old position”?</h1>" in confirm.text
    assert 'name="reason"' in confirm.text
    assert browser_as(jp).get(f"/documents/{document.id}/withdraw").status_code == 403
    too_long = http.post(f"/documents/{document.id}/withdraw", data={"csrf_token": CSRF_TOKEN, "reason": "x" * 2001})
    assert too_long.status_code == 422 and set(summary_links(too_long.text)) == {"reason"}
    assert "x" * 2001 + "</textarea>" in too_long.text
    db.expire_all()
    assert db.get(Document, document.id).withdrawn_at is None  # asking (or a refused answer) changes nothing
    done = http.post(
        f"/documents/{document.id}/withdraw", data={"csrf_token": CSRF_TOKEN, "reason": "Superseded by v2"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/documents/{document.id}"
    assert banner(http, done.headers["location"]) == "The document “Old position” was withdrawn."
    db.expire_all()
    assert db.get(Document, document.id).withdrawn_at is not None
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.withdraw")).all()[-1]
    assert event.target_id == str(document.id) and event.data["reason"] == "Superseded by v2"


def test_the_secretariat_reinstates_and_the_owner_delegate_may_not(
    browser_as, api_as, semis, app, make_user, db: Session
) -> None:
    group, us, _ = semis
    officer = make_user(Role.secretariat, None)
    document = make_document(db, app, us, group, title="Mistaken withdrawal")
    owner_api = api_as(us)
    assert owner_api.post(f"{DOCS}/{document.id}/withdraw", json={"reason": "by mistake"}).status_code == 200
    # The owner's delegate: refused on the API and on both steps of the page, and offered no button.
    refused = owner_api.post(f"{DOCS}/{document.id}/reinstate", json={"reason": "undo"})
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("application/problem+json")
    owner = browser_as(us)
    assert "Reinstate this document" not in owner.get(f"/documents/{document.id}").text
    assert owner.get(f"/documents/{document.id}/reinstate").status_code == 403
    assert owner.post(f"/documents/{document.id}/reinstate", data={"csrf_token": CSRF_TOKEN}).status_code == 403
    db.expire_all()
    assert db.get(Document, document.id).withdrawn_at is not None
    # The secretariat: a button on the withdrawn document's page, a confirmation, then the change and a banner.
    staff = browser_as(officer)
    assert f'href="/documents/{document.id}/reinstate"' in staff.get(f"/documents/{document.id}").text
    confirm = staff.get(f"/documents/{document.id}/reinstate")
    assert confirm.status_code == 200 and "Reinstate “Mistaken withdrawal”?" in confirm.text
    done = staff.post(f"/documents/{document.id}/reinstate", data={"csrf_token": CSRF_TOKEN, "reason": "Owner asked"})
    assert done.status_code == 303
    assert banner(staff, done.headers["location"]) == "The document “Mistaken withdrawal” was reinstated."
    db.expire_all()
    assert db.get(Document, document.id).withdrawn_at is None
    listed = {d["id"] for d in owner_api.get(DOCS, params={"group": group.slug}).json()["items"]}
    assert document.id in listed
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.reinstate")).all()[-1]
    assert event.actor_id == officer.id and event.data["reason"] == "Owner asked"
    # Through the API as well; a document that is not withdrawn cannot be reinstated.
    assert api_as(officer).post(f"{DOCS}/{document.id}/reinstate").status_code == 409
    assert owner_api.post(f"{DOCS}/{document.id}/withdraw").status_code == 200
    again = api_as(officer).post(f"{DOCS}/{document.id}/reinstate", json={"reason": "again"})
    assert again.status_code == 200 and again.json()["withdrawn_at"] is None


def test_each_change_is_confirmed_by_a_banner(browser_as, semis, db: Session) -> None:
    group, us, _ = semis
    http = browser_as(us)
    created = http.post(f"/groups/{group.slug}/documents/new", data=FORM, files={"file": ("m.txt", b"Fabs.\n")})
    assert created.status_code == 303
    page = created.headers["location"]
    assert banner(http, page) == "The document “Fab map” was added."
    assert "success-banner" not in http.get(page).text  # shown once
    version = http.post(
        f"{page}/versions", data={"csrf_token": CSRF_TOKEN, "note": "more"}, files={"file": ("m.txt", b"More.\n")}
    )
    assert version.status_code == 303 and banner(http, version.headers["location"]) == "Version 2 was uploaded."
    edited = http.post(f"{page}/edit", data={**FORM, "title": "Fab map 2"})
    assert edited.status_code == 303 and banner(http, edited.headers["location"]) == "The changes were saved."
    http.headers["Accept-Language"] = "ja"
    edited = http.post(f"{page}/edit", data={**FORM, "title": "Fab map 3"})
    assert banner(http, edited.headers["location"]) == "変更を保存しました。"


def test_a_version_form_error_is_shown_on_the_document_page(browser_as, semis, app, db: Session) -> None:
    group, us, _ = semis
    document = make_document(db, app, us, group)
    answer = browser_as(us).post(
        f"/documents/{document.id}/versions",
        data={"csrf_token": CSRF_TOKEN, "note": "kept note"},
        files={"file": ("prog.exe", b"MZ\x90\x00" + b"\x00" * 64)},
    )
    assert answer.status_code == 415
    message = summary_links(answer.text)["file"]
    assert message.startswith("This looks like a Windows program. Upload PDF, Word (.docx)")
    assert 'value="kept note"' in input_tag(answer.text, "note")
    assert "<h1>Supply chain mapping</h1>" in answer.text
