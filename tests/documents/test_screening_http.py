"""The export-control screening list at upload, through HTTP: the uploader is warned, the secretariat sees the
unmarked documents that match, and a marked document raises no warning."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.groups.models import MembershipRole
from app.users.models import Role
from tests.support.sessions import CSRF_TOKEN

DOCS = "/api/v1/documents"
FORM = {"doc_type": "technical_report", "visibility": "group", "owner": "US"}


@pytest.fixture
def semis(make_user, make_group):
    us = make_user(Role.delegate, "US", name="Una States")
    jp = make_user(Role.delegate, "JP", name="Jun Japan")
    group = make_group("semis", (us, MembershipRole.chair), (jp, MembershipRole.member))
    return group, us, jp


def test_an_unmarked_upload_that_matches_warns_in_the_api_answer_and_on_the_page(semis, api_as, browser_as) -> None:
    group, us, _ = semis
    answer = api_as(us).post(
        DOCS,
        data={**FORM, "group": group.slug, "title": "Tool survey"},
        files={"file": ("survey.txt", b"We compare EUV lithography scanners.\n\nAlso facial recognition cameras.\n")},
    )
    assert answer.status_code == 201, answer.text
    screening = {m["category"]: [t["term"] for t in m["terms"]] for m in answer.json()["screening"]}
    assert "semiconductors" in screening and "facial_recognition" in screening
    page = browser_as(us).get(f"/documents/{answer.json()['id']}")
    assert 'id="screening-warning"' in page.text
    assert "mark it now" in page.text


def test_japanese_terms_match_japanese_text(semis, api_as) -> None:
    group, us, _ = semis
    text = "本報告は極端紫外線露光装置の供給網と顔認証システムの輸出について述べる。".encode()
    answer = api_as(us).post(
        DOCS, data={**FORM, "group": group.slug, "title": "報告"}, files={"file": ("ja.txt", text)}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["screening"], "Japanese terms should match Japanese text"


def test_an_ordinary_file_and_a_marked_file_raise_no_warning(semis, api_as) -> None:
    group, us, _ = semis
    api = api_as(us)
    plain = api.post(
        DOCS, data={**FORM, "group": group.slug, "title": "Agenda"}, files={"file": ("a.txt", b"Agenda for Tuesday.\n")}
    )
    assert plain.status_code == 201 and plain.json()["screening"] == []
    marked = api.post(
        DOCS,
        data={
            **FORM,
            "group": group.slug,
            "title": "Marked",
            "controlled": "true",
            "category": "semiconductors",
            "release": ["US"],
        },
        files={"file": ("m.txt", b"EUV lithography scanners.\n")},
    )
    assert marked.status_code == 201 and marked.json()["screening"] == []


def test_the_secretariat_lists_unmarked_matches_and_others_may_not(
    semis, api_as, browser_as, make_user, db: Session
) -> None:
    group, us, jp = semis
    api = api_as(us)
    hit = api.post(
        DOCS,
        data={**FORM, "group": group.slug, "title": "Spyware survey"},
        files={"file": ("s.txt", b"A zero-click exploit chain and commercial spyware.\n")},
    ).json()
    officer = make_user(Role.secretariat)
    listed = api_as(officer).get(f"{DOCS}/screening").json()
    assert [row["title"] for row in listed["items"]] == ["Spyware survey"]
    assert listed["items"][0]["matches"][0]["terms"]
    page = browser_as(officer).get("/admin/screening")
    assert page.status_code == 200 and "Spyware survey" in page.text
    assert api_as(jp).get(f"{DOCS}/screening").status_code == 403
    assert browser_as(us).get("/admin/screening").status_code == 403
    db.expire_all()
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "document.screening_match"))
    assert event is not None and event.target_id == str(hit["id"])
    # Once marked, the document leaves the list.
    cleared_marking = {"controlled": True, "category": "spyware", "release": ["US"]}
    assert api.put(f"{DOCS}/{hit['id']}/marking", json=cleared_marking).status_code == 200
    assert api_as(officer).get(f"{DOCS}/screening").json()["total"] == 0


def test_the_upload_page_shows_the_warning_after_redirect(semis, browser_as) -> None:
    group, us, _ = semis
    page = browser_as(us)
    answer = page.post(
        f"/groups/{group.slug}/documents/new",
        data={"csrf_token": CSRF_TOKEN, **FORM, "title": "Trackers"},
        files={"file": ("t.txt", b"Covert geolocation tracking of handsets.\n", "text/plain")},
    )
    assert answer.status_code == 303
    shown = page.get(answer.headers["location"])
    assert 'id="screening-warning"' in shown.text
