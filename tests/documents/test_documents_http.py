"""Documents through HTTP, the database and the local storage: upload, versions, filters, redlines, markings."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pypdf import PdfReader
from reportlab.pdfgen import canvas
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.documents.models import Document, DocumentVersion, ExtractionStatus, VersionText
from app.groups.models import MembershipRole
from app.main import create_app
from app.users.models import Role
from tests.conftest import make_settings
from tests.support.databases import committed_delegate_token, migrated_scratch_database
from tests.support.documents import make_document
from tests.support.s3 import make_s3_client
from tests.support.server import serve
from tests.support.sessions import CSRF_TOKEN

DOCS = "/api/v1/documents"


def pdf_bytes(*pages: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    for text in pages:
        page.drawString(72, 720, text)
        page.showPage()
    page.save()
    return buffer.getvalue()


@pytest.fixture
def semis(make_user, make_group):
    """A group with a US chair, a JP member, and an Indian delegate outside it."""
    us = make_user(Role.delegate, "US", name="Una States")
    jp = make_user(Role.delegate, "JP", name="Jun Japan")
    outsider = make_user(Role.delegate, "IN")
    group = make_group("semis", (us, MembershipRole.chair), (jp, MembershipRole.member))
    return group, us, jp, outsider


def upload(
    http: httpx.Client, group: str, content: bytes, filename: str = "paper.txt", **fields: str
) -> httpx.Response:
    data = {"group": group, "title": "Paper", "doc_type": "position_paper", "visibility": "quad", "owner": "US"}
    data.update(fields)
    return http.post(DOCS, data=data, files={"file": (filename, content, "application/octet-stream")})


def stored_files(app: FastAPI) -> int:
    root = Path(app.state.settings.data_dir) / "files" / "objects"
    return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def count(db: Session, model: type) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_upload_new_version_history_and_download(api_as, semis, db: Session) -> None:
    group, us, *_ = semis
    api = api_as(us)
    first = upload(
        api, group.slug, b"# Semiconductor supply\n\nFoundries in four countries.\n", "plan.md", tags="fabs, EDA"
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["versions"][0]["content_type"].startswith("text/markdown")
    assert body["versions"][0]["text_status"] == "done"
    assert body["tags"] == ["eda", "fabs"]
    doc_id = body["id"]
    second = api.post(
        f"{DOCS}/{doc_id}/versions",
        files={"file": ("plan.md", b"# Semiconductor supply\n\nFoundries in five countries.\n")},
        data={"note": "adds Korea"},
    )
    assert second.status_code == 201 and second.json()["number"] == 2
    versions = api.get(f"{DOCS}/{doc_id}/versions").json()
    assert [v["number"] for v in versions] == [1, 2]
    assert versions[1]["note"] == "adds Korea"
    old = api.get(f"{DOCS}/{doc_id}/versions/1/file")
    assert old.status_code == 200 and b"four countries" in old.content
    assert old.headers["etag"] == f'"{versions[0]["sha256"]}"'
    assert (
        api.get(f"{DOCS}/{doc_id}/versions/1/file", headers={"if-none-match": old.headers["etag"]}).status_code == 304
    )
    assert b"five countries" in api.get(f"{DOCS}/{doc_id}/versions/2/file").content
    assert api.get(f"{DOCS}/{doc_id}/versions/3/file").status_code == 404
    redline = api.get(f"{DOCS}/{doc_id}/compare", params={"from": 1, "to": 2}).json()
    assert redline["changed_paragraphs"] == 1
    words = [(s["kind"], s["text"]) for b in redline["blocks"] for s in b["segments"]]
    assert ("removed", "four") in words and ("added", "five") in words


def test_filters_and_text_search(api_as, semis, app, db: Session) -> None:
    group, us, jp, _ = semis
    make_document(
        db, app, us, group, title="Lithography controls", tags=("euv",), content=b"Extreme ultraviolet tools."
    )
    make_document(db, app, jp, group, title="Japanese position", owner="JP", content=b"Photoresist supply.")
    make_document(db, app, us, group, title="Marked list", controlled=True, release=("US", "JP"), content=b"ECCN 3B001")
    api = api_as(us)

    def titles(**params: str) -> set[str]:
        response = api.get(DOCS, params={"group": group.slug, **params})
        assert response.status_code == 200, response.text
        return {d["title"] for d in response.json()["items"]}

    assert titles() == {"Lithography controls", "Japanese position", "Marked list"}
    assert titles(owner="JP") == {"Japanese position"}
    assert titles(tag="euv") == {"Lithography controls"}
    assert titles(controlled="true") == {"Marked list"}
    assert titles(q="photoresist") == {"Japanese position"}  # found in the extracted text
    assert titles(q="lithography") == {"Lithography controls"}
    assert api.get(DOCS, params={"owner": "FR"}).status_code == 422
    # The page runs the same filter (and a token signs in there too).
    page = api.get(f"/groups/{group.slug}/documents", params={"q": "photoresist"})
    assert page.status_code == 200 and "Japanese position" in page.text and "Lithography controls" not in page.text


def test_group_documents_page_lists_and_filters(browser_as, semis, app, db: Session) -> None:
    group, us, jp, _ = semis
    make_document(db, app, jp, group, title="Japanese position", owner="JP", content=b"Photoresist supply.")
    make_document(db, app, us, group, title="US paper", content=b"Other text.")
    http = browser_as(us)
    page = http.get(f"/groups/{group.slug}/documents", params={"q": "photoresist"})
    assert page.status_code == 200
    assert "Japanese position" in page.text and "US paper" not in page.text


def test_visibility_rules_apply_to_lists_and_pages(api_as, client, semis, app, make_user, db: Session) -> None:
    group, us, jp, outsider = semis
    country_only = make_document(db, app, us, group, title="US eyes only", visibility="country")
    group_only = make_document(db, app, us, group, title="Members only", visibility="group")
    public = make_document(db, app, us, group, title="Public note", visibility="public")
    industry = make_user(Role.industry, "US")

    def visible(http: httpx.Client) -> set[str]:
        return {d["title"] for d in http.get(DOCS, params={"per_page": 100}).json()["items"]}

    assert visible(api_as(us)) >= {"US eyes only", "Members only", "Public note"}
    assert visible(api_as(jp)) & {"US eyes only"} == set()
    assert "Members only" in visible(api_as(jp))
    assert visible(api_as(outsider)) & {"US eyes only", "Members only"} == set()
    assert visible(api_as(industry)) == {"Public note"}
    assert visible(client) == {"Public note"}
    assert api_as(jp).get(f"{DOCS}/{country_only.id}").status_code == 404
    assert api_as(outsider).get(f"/documents/{group_only.id}").status_code == 404
    assert client.get(f"/documents/{public.id}").status_code == 200


def test_export_controlled_download_rules_audit_and_watermark(api_as, semis, app, make_user, db: Session) -> None:
    group, us, jp, _ = semis
    original_pdf = pdf_bytes("Page one", "Page two")
    marked = make_document(
        db,
        app,
        us,
        group,
        title="Controlled EDA list",
        visibility="quad",
        content=original_pdf,
        filename="eda.pdf",
        controlled=True,
        release=("US",),
    )
    url = f"{DOCS}/{marked.id}/versions/1/file"
    before = count(db, AuditEvent)
    refused = api_as(jp).get(url)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "export-controlled" in refused.json()["detail"]
    assert api_as(jp).get(f"{DOCS}/{marked.id}").json()["marking"]["release"] == ["US"]  # sees the marking
    allowed = api_as(us).get(url)
    assert allowed.status_code == 200 and allowed.headers["cache-control"] == "no-store"
    stamped = PdfReader(io.BytesIO(allowed.content))
    assert len(stamped.pages) == 2
    for page in stamped.pages:
        assert "Una States" in page.extract_text() and us.email in page.extract_text()
    original = db.scalar(select(DocumentVersion).where(DocumentVersion.document_id == marked.id))
    assert original is not None
    assert app.state.storage.open(original.sha256).read() == original_pdf  # the stored original is unchanged
    uncleared = make_user(Role.secretariat, None)
    assert api_as(uncleared).get(url).status_code == 403
    cleared = make_user(Role.secretariat, None)
    cleared.export_cleared = True
    db.commit()
    assert api_as(cleared).get(url).status_code == 200
    db.expire_all()
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "document", AuditEvent.target_id == str(marked.id))
    ).all()
    assert actions.count("document.content_refused") == 2
    assert actions.count("document.content_read") == 2
    assert count(db, AuditEvent) >= before + 4


def test_marking_is_changed_only_by_owner_delegates_or_secretariat(api_as, semis, app, make_user, db: Session) -> None:
    group, us, jp, _ = semis
    doc = make_document(db, app, us, group)
    body = {"controlled": True, "category": "spyware", "control_code": "5A004", "release": ["US", "AU"]}
    assert api_as(jp).put(f"{DOCS}/{doc.id}/marking", json=body).status_code == 403
    changed = api_as(us).put(f"{DOCS}/{doc.id}/marking", json=body)
    assert changed.status_code == 200 and changed.json()["marking"]["release"] == ["AU", "US"]
    assert (
        api_as(us).put(f"{DOCS}/{doc.id}/marking", json={"controlled": True, "category": "spyware"}).status_code == 422
    )
    # Lifting a marking needs export clearance (tests/documents/test_content_access.py tries the uncleared paths).
    cleared = make_user(Role.secretariat, None)
    cleared.export_cleared = True
    db.commit()
    assert api_as(cleared).put(f"{DOCS}/{doc.id}/marking", json={"controlled": False}).status_code == 200
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.marking")).all()
    assert events[-1].data["before"]["controlled"] is True and events[-1].data["after"]["controlled"] is False


def test_metadata_edits_are_audited_and_withdrawal_hides(api_as, browser_as, semis, app, db: Session) -> None:
    group, us, *_ = semis
    doc = make_document(db, app, us, group, title="Draft principles")
    api = api_as(us)
    edited = api.patch(f"{DOCS}/{doc.id}", json={"title": "Principles v2", "tags": ["trusted", "supply"]})
    assert edited.status_code == 200 and edited.json()["title"] == "Principles v2"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.update")).all()[-1]
    assert event.data["changes"]["title"] == {"from": "Draft principles", "to": "Principles v2"}
    assert api.patch(f"{DOCS}/{doc.id}", json={"owner_country": "JP"}).status_code == 403  # only the secretariat
    assert api.post(f"{DOCS}/{doc.id}/withdraw").status_code == 200
    listed = {d["id"] for d in api.get(DOCS, params={"group": group.slug}).json()["items"]}
    assert doc.id not in listed
    page = browser_as(us).get(f"/documents/{doc.id}")
    assert page.status_code == 200 and "Withdrawn" in page.text
    assert api.post(f"{DOCS}/{doc.id}/versions", files={"file": ("x.txt", b"more")}).status_code == 409


def test_bad_uploads_are_refused_and_leave_nothing(api_as, semis, app, db: Session) -> None:
    group, us, *_ = semis
    api = api_as(us)
    files_before, docs_before = stored_files(app), count(db, Document)
    program = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
    assert upload(api, group.slug, program, "report.pdf").status_code == 415
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 100
    assert upload(api, group.slug, elf, "notes.txt").status_code == 415
    assert upload(api, group.slug, b"", "empty.txt").status_code == 422
    assert upload(api, group.slug, b"text", "x.txt", owner="JP").status_code == 403  # not their country
    assert upload(api, group.slug, b"text", "x.txt", title="").status_code == 422
    assert stored_files(app) == files_before
    assert count(db, Document) == docs_before


def test_oversize_upload_gets_413_and_stores_nothing(database_url, tmp_path) -> None:
    small = create_app(make_settings(database_url, tmp_path, "http://127.0.0.1:1", QUAD_MAX_UPLOAD_MB="1"))
    with serve(small) as base:
        response = httpx.post(f"{base}{DOCS}", files={"file": ("big.txt", b"a" * (3 * 1024 * 1024))})
    assert response.status_code == 413
    assert not (tmp_path / "files" / "objects").exists()
    small.state.engine.dispose()


def test_dangerous_filename_is_stored_under_a_safe_name(api_as, semis) -> None:
    group, us, *_ = semis
    response = upload(api_as(us), group.slug, b"root:x:0:0", "../../etc/passwd")
    assert response.status_code == 201
    assert response.json()["versions"][0]["filename"] == "passwd"


def test_japanese_filename_downloads_with_a_safe_header(api_as, semis) -> None:
    group, us, *_ = semis
    api = api_as(us)
    created = upload(api, group.slug, "半導体の報告書".encode(), "報告書 v2.txt").json()
    response = api.get(f"{DOCS}/{created['id']}/versions/1/file")
    disposition = response.headers["content-disposition"]
    assert "filename*=UTF-8''" in disposition and "%E5%A0%B1" in disposition
    assert disposition.isascii()


def test_corrupt_pdf_is_kept_with_extraction_failed(api_as, browser_as, semis) -> None:
    group, us, *_ = semis
    broken = b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\ngarbage without xref\n"
    created = upload(api_as(us), group.slug, broken, "broken.pdf")
    assert created.status_code == 201
    assert created.json()["versions"][0]["text_status"] == "failed"
    page = browser_as(us).get(f"/documents/{created.json()['id']}")
    assert page.status_code == 200 and "Failed" in page.text


def test_redline_pages_inline_and_side_by_side(browser_as, semis, app, db: Session) -> None:
    group, us, *_ = semis
    doc = make_document(
        db, app, us, group, content=b"Keep this.\n\nThe quick fox.\n", versions=(b"Keep this.\n\nThe slow fox.\n",)
    )
    http = browser_as(us)
    inline = http.get(f"/documents/{doc.id}/compare", params={"from": 1, "to": 2})
    assert inline.status_code == 200
    assert re.search(r"<del><span class=\"visually-hidden\">\[deleted: </span>quick", inline.text)
    assert re.search(r"<ins><span class=\"visually-hidden\">\[inserted: </span>slow", inline.text)
    side = http.get(f"/documents/{doc.id}/compare", params={"from": 1, "to": 2, "view": "side"})
    assert side.status_code == 200 and '<table class="redline-side">' in side.text
    assert http.get(f"/documents/{doc.id}/compare", params={"from": 1, "to": 9}).status_code == 404


def test_upload_and_new_version_through_pages(browser_as, semis, db: Session) -> None:
    group, us, jp, _ = semis
    http = browser_as(us)
    form = http.get(f"/groups/{group.slug}/documents/new")
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
    created = http.post(
        f"/groups/{group.slug}/documents/new",
        data={
            "csrf_token": CSRF_TOKEN,
            "title": "Fab map",
            "doc_type": "technical_report",
            "visibility": "group",
            "owner": "US",
            "tags": "fabs",
        },
        files={"file": ("map.txt", b"Fabs.\n")},
    )
    assert created.status_code == 303
    doc_path = created.headers["location"]
    version = http.post(
        f"{doc_path}/versions",
        data={"csrf_token": CSRF_TOKEN, "note": "more fabs"},
        files={"file": ("map.txt", b"Fabs and more.\n")},
    )
    assert version.status_code == 303
    page = http.get(doc_path)
    assert "more fabs" in page.text and "Changes from version 1" in page.text
    refused = browser_as(jp).post(
        f"/groups/{group.slug}/documents/new",
        data={"csrf_token": CSRF_TOKEN, "title": "T", "doc_type": "other", "visibility": "group", "owner": "US"},
        files={"file": ("t.txt", b"x")},
    )
    assert refused.status_code == 403


def test_large_files_are_extracted_after_the_response(tmp_path) -> None:
    """Off the request path: the version first shows 'queued', then the real worker thread (started by the
    app's lifespan) makes it 'done' without another upload; shutdown stops the thread."""
    import time

    with migrated_scratch_database() as url:
        token = committed_delegate_token(url)
        app = create_app(make_settings(url, tmp_path, "http://127.0.0.1:1", QUAD_INLINE_EXTRACTION_KB="0"))
        headers = {"Authorization": f"Bearer {token}"}
        with serve(app, lifespan=True) as base, httpx.Client(base_url=base, headers=headers) as api:
            worker = app.state.extraction_worker
            assert worker is not None and worker.running
            created = upload(api, "g", b"Large enough.\n\nSecond paragraph.\n", "big.txt")
            assert created.status_code == 201
            assert created.json()["versions"][0]["text_status"] in ("queued", "running", "done")
            doc_id = created.json()["id"]
            deadline = time.monotonic() + 20
            status = "queued"
            while status in ("queued", "running") and time.monotonic() < deadline:
                status = api.get(f"{DOCS}/{doc_id}").json()["versions"][0]["text_status"]
                time.sleep(0.05)
            assert status == "done"
            assert api.get(DOCS, params={"q": "second paragraph"}).json()["total"] == 1
        assert not worker.running and app.state.extraction_worker is None
        app.state.engine.dispose()


def test_two_versions_uploaded_at_once_are_both_kept_in_order(tmp_path) -> None:
    """Concurrent uploads to one document (real server, committed database): none lost, numbers in order."""
    from concurrent.futures import ThreadPoolExecutor

    from app.core.db import build_engine, build_sessionmaker

    with migrated_scratch_database() as url:
        token = committed_delegate_token(url)
        app = create_app(make_settings(url, tmp_path, "http://127.0.0.1:1"))
        headers = {"Authorization": f"Bearer {token}"}
        with serve(app) as base:
            doc_id = upload(httpx.Client(base_url=base, headers=headers), "g", b"v1").json()["id"]

            def new_version(text: bytes) -> int:
                with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
                    return http.post(f"{DOCS}/{doc_id}/versions", files={"file": ("v.txt", text)}).status_code

            with ThreadPoolExecutor(max_workers=4) as pool:
                codes = list(pool.map(new_version, [b"version A", b"version B", b"version C", b"version D"]))
        app.state.engine.dispose()
        assert codes == [201, 201, 201, 201]
        engine = build_engine(url)
        with build_sessionmaker(engine)() as session:
            numbers = session.scalars(
                select(DocumentVersion.number)
                .where(DocumentVersion.document_id == doc_id)
                .order_by(DocumentVersion.number)
            ).all()
            texts = session.scalar(
                select(func.count()).select_from(VersionText).where(VersionText.status == ExtractionStatus.done)
            )
        engine.dispose()
        assert numbers == [1, 2, 3, 4, 5]
        assert texts == 5


def test_documents_on_s3_storage(tmp_path, moto_endpoint: str, monkeypatch) -> None:
    """The same upload, version, download and watermark path with QUAD_STORAGE=s3, over HTTP to moto."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    s3 = make_s3_client(moto_endpoint)
    s3.create_bucket(Bucket="quad-docs")
    with migrated_scratch_database() as url:
        token = committed_delegate_token(url, name="Sam S3")
        settings = make_settings(
            url,
            tmp_path,
            "http://127.0.0.1:1",
            QUAD_STORAGE="s3",
            QUAD_S3_BUCKET="quad-docs",
            QUAD_S3_ENDPOINT_URL=moto_endpoint,
            QUAD_S3_PREFIX="files",
        )
        app = create_app(settings)
        with serve(app) as base, httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as api:
            original = pdf_bytes("Chip export list")
            created = upload(api, "g", original, "list.pdf")
            assert created.status_code == 201, created.text
            doc = created.json()
            assert doc["versions"][0]["text_status"] == "done"
            keys = [o["Key"] for o in s3.list_objects_v2(Bucket="quad-docs")["Contents"]]
            assert keys == [f"files/{doc['versions'][0]['sha256']}"]
            assert api.get(f"{DOCS}/{doc['id']}/versions/1/file").content == original
            assert (
                api.post(f"{DOCS}/{doc['id']}/versions", files={"file": ("list.pdf", pdf_bytes("v2"))}).status_code
                == 201
            )
            marking = {"controlled": True, "category": "semiconductors", "release": ["US"]}
            assert api.put(f"{DOCS}/{doc['id']}/marking", json=marking).status_code == 200
            stamped = api.get(f"{DOCS}/{doc['id']}/versions/1/file")
            assert "Sam S3" in PdfReader(io.BytesIO(stamped.content)).pages[0].extract_text()
            assert upload(api, "g", b"MZ\x90\x00" + b"\x00" * 64, "evil.pdf").status_code == 415
            assert len(s3.list_objects_v2(Bucket="quad-docs")["Contents"]) == 2
        app.state.engine.dispose()


def test_the_list_pages_through_the_pager_and_keeps_its_filters_encoded(browser_as, api_as, semis, app, db) -> None:
    group, us, *_ = semis
    for n in range(5):
        make_document(db, app, us, group, title=f"R&D note {n}", tags=("r+d",), content=b"Research & development.\n")
    make_document(db, app, us, group, title="Unrelated", content=b"Other text.\n")
    http = browser_as(us)
    params = {"q": "R&D note", "tag": "r+d", "owner": "US", "per_page": "2"}
    first = http.get(f"/groups/{group.slug}/documents", params=params)
    # Pages are not counted (LIMIT n+1 says there is more): no total until the last page tells it for free.
    assert first.status_code == 200 and "Documents 1 to 2, newest first; more on the next page." in first.text
    assert "Page 1" in first.text and "Page 1 of" not in first.text and 'rel="prev"' not in first.text
    following = re.search(r'<a rel="next" href="([^"]+)"', first.text)
    assert following is not None
    link = following.group(1).replace("&amp;", "&")
    assert "q=R%26D+note" in link and "tag=r%2Bd" in link and "owner=US" in link and "page=2" in link
    second = http.get(link)
    assert "Page 2" in second.text and 'rel="prev"' in second.text and "Unrelated" not in second.text
    assert "Documents 3 to 4" in second.text and 'rel="next"' in second.text
    last = http.get(f"/groups/{group.slug}/documents", params={**params, "page": "3"})
    assert "5 documents" in last.text and "Page 3 of 3" in last.text and 'rel="next"' not in last.text
    # The API pages the same list the same way, with the exact total on every page (counted when more follow).
    api = api_as(us)
    body = api.get(DOCS, params={**params, "group": group.slug, "page": "3"}).json()
    assert body["total"] == 5 and body["page"] == 3 and body["per_page"] == 2 and len(body["items"]) == 1
    assert body["has_next"] is False
    body = api.get(DOCS, params={**params, "group": group.slug, "page": "1"}).json()
    assert body["total"] == 5 and len(body["items"]) == 2 and body["has_next"] is True
