"""Every page in Japanese: each GET page of the app, as each kind of person, with the header's language switch set
to Japanese, must show no English word outside a small allow-list (tests/support/japanese.py says what and why).

The world is written the way a Japanese secretariat would fill it: group names, charters, document titles and
texts in Japanese, people with their own (English) names. So any English left on a page comes from the app: an
untranslated string, an enum value printed raw, a country code where a name belongs. A new GET page fails
`test_every_page_is_visited` until it is added to PAGES (or to NOT_PAGES with the reason it is not a page).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.access.visibility import Visibility
from app.auth.models import ApiToken
from app.core.db import utcnow
from app.groups.models import MembershipRole, WorkingGroup
from app.meetings import service as meetings
from app.meetings.models import MeetingMode
from app.users.models import Role, User, UserStatus
from tests.auth.test_access_matrix import app_routes
from tests.conftest import ACCOUNTS, PROVIDERS, SECRET_KEY
from tests.oidc.harness import complete_login
from tests.support.documents import make_document
from tests.support.japanese import english_words, visible_text
from tests.support.sessions import CSRF_TOKEN, session_cookie, sign_in

PEOPLE = ("anonymous", "pending", "industry", "observer", "delegate", "secretariat", "admin")
CHARTER = "## 目的\n\n半導体の**サプライチェーン**の強靱化について、四か国で協議します。"
FIRST_TEXT = "半導体製造装置の輸出管理について。\n\n第二段落。\n".encode()
SECOND_TEXT = "半導体製造装置の輸出管理について、改訂しました。\n\n第二段落。\n\n新しい段落。\n".encode()
SCREENED_TEXT = "極端紫外線を用いる露光装置の共同研究について。\n".encode()


@dataclass
class World:
    users: dict[str, User]
    group: WorkingGroup
    documents: dict[str, int]
    history_user: User  # a person whose account the admin changed: role, then status
    moved_user: User  # an approved industry participant whose country the admin changed
    known_strings: list[str]  # English the test data itself brings: names, organisations, provider names
    token_id: int  # the delegate's API token
    meeting_id: int  # a published meeting of the group, with items presented by a person and a delegation
    item_id: int


# Every GET page, with the addresses visited for it; pages whose address takes parameters use the world's objects.
PAGES: dict[str, Callable[[World], list[str]]] = {
    "/": lambda w: ["/"],
    "/login": lambda w: ["/login"],
    "/profile": lambda w: ["/profile"],
    "/api/docs": lambda w: ["/api/docs"],
    "/groups/new": lambda w: ["/groups/new"],
    "/groups/{slug}": lambda w: [f"/groups/{w.group.slug}", "/groups/archived-bio"],
    "/groups/{slug}/manage": lambda w: [f"/groups/{w.group.slug}/manage"],
    "/groups/{slug}/documents": lambda w: [
        f"/groups/{w.group.slug}/documents",
        f"/groups/{w.group.slug}/documents?q=x",
    ],
    "/groups/{slug}/documents/new": lambda w: [f"/groups/{w.group.slug}/documents/new"],
    "/groups/{slug}/find-a-time": lambda w: [
        f"/groups/{w.group.slug}/find-a-time",
        f"/groups/{w.group.slug}/find-a-time?date_from=2026-03-02&date_to=2026-03-10&length=90&meetings=5",
        f"/groups/{w.group.slug}/find-a-time?date_from=x&date_to=2026-12-31&length=5&hours_to=07:00&meetings=99",
    ],
    "/documents/{document_id}": lambda w: [f"/documents/{n}" for n in w.documents.values()],
    "/documents/{document_id}/edit": lambda w: [f"/documents/{w.documents['controlled']}/edit"],
    "/documents/{document_id}/compare": lambda w: [
        f"/documents/{w.documents['public']}/compare?from=1&to=2",
        f"/documents/{w.documents['public']}/compare?from=1&to=2&view=side",
    ],
    "/admin/approvals": lambda w: ["/admin/approvals", "/admin/approvals?done=approve"],
    "/admin/users": lambda w: ["/admin/users", "/admin/users?role=delegate&country=JP&status=active"],
    "/admin/users/{user_id}": lambda w: [
        f"/admin/users/{w.history_user.id}?changed=1",
        f"/admin/users/{w.users['secretariat'].id}",
        f"/admin/users/{w.moved_user.id}",
    ],
    "/admin/screening": lambda w: ["/admin/screening"],
    "/notifications": lambda w: ["/notifications"],
    "/profile/notifications": lambda w: ["/profile/notifications"],
    "/profile/calendar": lambda w: ["/profile/calendar"],
    # Confirmation steps (each person sees the step, or the page refusing it, in Japanese).
    "/groups/{slug}/members/{user_id}/remove": lambda w: [f"/groups/{w.group.slug}/members/{w.history_user.id}/remove"],
    "/profile/tokens/{token_id}/revoke": lambda w: [f"/profile/tokens/{w.token_id}/revoke"],
    "/admin/users/{user_id}/tokens/{token_id}/revoke": lambda w: [
        f"/admin/users/{w.users['delegate'].id}/tokens/{w.token_id}/revoke"
    ],
    "/documents/{document_id}/withdraw": lambda w: [f"/documents/{w.documents['public']}/withdraw"],
    "/documents/{document_id}/reinstate": lambda w: [f"/documents/{w.documents['public']}/reinstate"],
    "/admin/approvals/{user_id}/reject": lambda w: [f"/admin/approvals/{w.users['pending'].id}/reject"],
    "/groups/{slug}/meetings": lambda w: [
        f"/groups/{w.group.slug}/meetings",
        f"/groups/{w.group.slug}/meetings?when=past",
        f"/groups/{w.group.slug}/meetings?month={(utcnow() + timedelta(days=10)).strftime('%Y-%m')}",
    ],
    "/groups/{slug}/meetings/new": lambda w: [f"/groups/{w.group.slug}/meetings/new"],
    "/meetings/{meeting_id}": lambda w: [f"/meetings/{w.meeting_id}"],
    "/meetings/{meeting_id}/edit": lambda w: [f"/meetings/{w.meeting_id}/edit"],
    "/meetings/{meeting_id}/minutes": lambda w: [f"/meetings/{w.meeting_id}/minutes"],
    "/meetings/{meeting_id}/minutes/diff": lambda w: [f"/meetings/{w.meeting_id}/minutes/diff?from=1&to=2"],
    "/meetings/{meeting_id}/agenda/new": lambda w: [f"/meetings/{w.meeting_id}/agenda/new"],
    "/meetings/{meeting_id}/agenda/{item_id}/edit": lambda w: [f"/meetings/{w.meeting_id}/agenda/{w.item_id}/edit"],
    "/auth/onboarding": lambda w: [],  # needs a sign-in in progress: test_onboarding_is_japanese
}
# GET routes outside the JSON API that are not pages, and why.
NOT_PAGES = {
    "/auth/login/{name}": "redirects to the identity provider",
    "/auth/callback/{name}": "the provider's redirect back; answers with a redirect",
    "/language": "switches the language and redirects back",
    "/favicon.ico": "an icon",
    "/documents/{document_id}/versions/{number}/file": "the file itself",
    "/api/docs/assets/{name}": "Swagger UI's script and style sheet",
    "/healthz": "a probe for the orchestrator (JSON)",
    "/readyz": "a probe for the orchestrator (JSON)",
    "/meetings/{meeting_id}.ics": "a calendar file (text/calendar)",
    "/groups/{slug}/meetings.ics": "a calendar file (text/calendar)",
    "/calendar/{secret}.ics": "the personal calendar feed (text/calendar), read by calendar programs",
}


def _provider_labels() -> list[str]:
    # Operators name their sign-in services in the IdP file; the test file gives no Japanese label (label_ja).
    return [str(spec["label"]) for spec in PROVIDERS.values()]


@pytest.fixture
def world(
    db: Session, app: FastAPI, base_url: str, make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]
) -> World:
    people = {
        "pending": make_user(
            Role.industry, "US", status=UserStatus.pending, name="Grace Kim", organisation="OpenRadio"
        ),
        "industry": make_user(Role.industry, "JP", name="Daniel Brooks", organisation="ChipWorks"),
        "observer": make_user(Role.observer, "AU", name="Chloe Wilson", organisation="CSIRO"),
        "delegate": make_user(Role.delegate, "US", name="Emily Carter", organisation="NTIA"),
        "secretariat": make_user(Role.secretariat, None, name="Sakura Ito"),
        "admin": make_user(Role.admin, None, name="Morgan Lee"),
    }
    jp = make_user(Role.delegate, "JP", name="Hiroshi Tanaka", organisation="METI")
    others = [
        make_user(Role.industry, "IN", status=UserStatus.pending, name="Ravi Patel", organisation="BharatChip"),
        make_user(Role.industry, "AU", status=UserStatus.pending, name="Lucas Moreau", organisation="RadioWorks"),
    ]
    group = make_group(
        "chips",
        (people["delegate"], MembershipRole.chair),
        (jp, MembershipRole.member),
        (people["observer"], MembershipRole.observer),
        (people["secretariat"], MembershipRole.member),
    )
    group.name, group.charter = "半導体作業部会", CHARTER
    bio = make_group("archived-bio", (people["delegate"], MembershipRole.member), area="biotechnology")
    bio.name = "生命工学作業部会"
    make_group("telecom", area="5g-6g").name = "次世代通信作業部会"
    db.commit()

    us = people["delegate"]
    documents = {
        "public": make_document(
            db, app, us, group, title="輸出管理の論点整理", content=FIRST_TEXT, versions=(SECOND_TEXT,)
        ).id,
        "controlled": make_document(
            db,
            app,
            us,
            group,
            title="管理対象技術の資料",
            visibility=Visibility.group,
            controlled=True,
            release=("US", "JP"),
        ).id,
        "screened": make_document(db, app, us, group, title="共同研究の提案", content=SCREENED_TEXT).id,
        "country": make_document(db, app, us, group, title="米国代表団の内部メモ", visibility=Visibility.country).id,
        "secretariat": make_document(
            db, app, people["secretariat"], group, title="事務局からの連絡", owner=None, visibility=Visibility.quad
        ).id,
    }

    admin = _client(base_url, people["admin"])
    staff = _client(base_url, people["secretariat"])
    try:
        # The secretariat archives one group and decides two registrations; the admin changes an account.
        _post(
            staff,
            "/groups/archived-bio/manage",
            name="生命工学作業部会",
            technology_area="biotechnology",
            status="archived",
        )
        _post(staff, f"/admin/approvals/{others[0].id}", decision="approve")
        _post(staff, f"/admin/approvals/{others[1].id}", decision="reject")
        _post(admin, f"/admin/users/{jp.id}", role="observer", reason="所属の変更")
        _post(admin, f"/admin/users/{jp.id}", role="delegate", reason="再任")
        _post(admin, f"/admin/users/{people['secretariat'].id}", export_cleared="yes", reason="研修修了")
        _post(admin, f"/admin/users/{others[0].id}", country="AU", reason="本社の移転")
        _post(admin, f"/admin/users/{jp.id}", status="disabled", confirmed="yes", reason="一時停止")
        _post(admin, f"/admin/users/{jp.id}", status="active", reason="再開")
    finally:
        admin.close()
        staff.close()
    for who in ("delegate", "industry"):
        # An API token, so the profile lists one (created through the page, as a person would).
        with closing(_client(base_url, people[who])) as http:
            assert _post(http, "/profile/tokens", name="集計用", expires_days="30").status_code == 200
    db.expire_all()

    known = [u.display_name for u in [*people.values(), jp, *others]]
    known += [u.organisation or "" for u in [*people.values(), jp, *others]]
    known += _provider_labels()
    token_id = db.scalar(select(ApiToken.id).where(ApiToken.user_id == people["delegate"].id))
    assert token_id is not None
    meeting_id, item_id = _meeting(db, group, people["delegate"], documents)
    return World(people, group, documents, jp, others[0], known, token_id, meeting_id, item_id)


def _meeting(db: Session, group: WorkingGroup, presenter: User, documents: dict[str, int]) -> tuple[int, int]:
    """A published agenda with a person and a delegation presenting, linked documents (one marked), an answer,
    and an item changed after the delegate first looked."""
    starts = utcnow().replace(microsecond=0) + timedelta(days=10)
    details = meetings.MeetingDetails(
        title="第3回全体会合",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=30),
        host_country="JP",
        mode=MeetingMode.hybrid,
        visibility=Visibility.quad,
        venue="外務省（東京）",
        join_link="https://meet.example.go.jp/room/3",
    )
    meeting = meetings.create_meeting(db, SYSTEM, group, details)
    first = meetings.add_item(
        db, SYSTEM, meeting, meetings.ItemFields("開会", "議事次第の**採択**", presenter_id=presenter.id, minutes=10)
    )
    meetings.add_item(
        db,
        SYSTEM,
        meeting,
        meetings.ItemFields(
            "各国からの報告",
            presenter_country="JP",
            minutes=40,
            outcome="各国の報告を了承した。",
            document_ids=(documents["public"], documents["controlled"]),
        ),
    )
    meetings.publish_agenda(db, SYSTEM, meeting)
    meetings.add_item(db, SYSTEM, meeting, meetings.ItemFields("その他", minutes=5))
    meetings.append_minutes(db, SYSTEM, meeting, "## 議事録\n\n各国の報告を了承した。", note="初版")
    meetings.publish_minutes(db, SYSTEM, meeting)
    meetings.append_minutes(db, SYSTEM, meeting, "## 議事録\n\n各国の報告を了承し、次回の日程を決めた。")
    past = meetings.create_meeting(
        db,
        SYSTEM,
        group,
        replace(
            details,
            title="第2回全体会合",
            starts_at=starts - timedelta(days=60),
            ends_at=starts - timedelta(days=60, minutes=-60),
        ),
    )
    db.commit()
    assert past.id
    return meeting.id, first.id


def _client(base_url: str, user: User | None) -> httpx.Client:
    """A browser-like client, signed in as `user` (or anonymous), switched to Japanese by the header's link."""
    http = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
    if user is None:
        http.cookies.set("quad_session", session_cookie(SECRET_KEY, {"csrf": CSRF_TOKEN}), domain="127.0.0.1")
    else:
        sign_in(http, SECRET_KEY, user)
    switched = http.get("/language", params={"lang": "ja", "next": "/"})
    assert switched.status_code == 303, switched.text
    return http


def _post(http: httpx.Client, path: str, **form: str) -> httpx.Response:
    response = http.post(path, data={"csrf_token": CSRF_TOKEN, **form})
    alert = re.search(r'role="alert"[^>]*>(.*?)</', response.text, re.DOTALL)
    assert response.status_code < 400, f"POST {path}: {response.status_code} {alert.group(1) if alert else ''}"
    return response


# English that changes on their way remove, each seen by one test below: pages that show an error's English
# detail instead of its translation (their move onto app.web.forms.form_page), and service messages still built
# with f-strings (their N_() conversion). An entry no longer seen fails the test: delete it then.
AWAITING: dict[str, str] = {}


class Findings:
    """English found on pages: each English text once, with where it was seen."""

    def __init__(self, *awaiting: str) -> None:
        self.where: dict[str, list[str]] = {}
        self.awaiting = {text: AWAITING[text] for text in awaiting}
        self.seen: set[str] = set()

    def check(self, where: str, response: httpx.Response, known: list[str]) -> None:
        if not _is_html(response):
            self.where.setdefault("(not an HTML page)", []).append(where)
            return
        language, chunks = visible_text(response.text)
        if language != "ja":
            self.where.setdefault(f"(the page says lang={language!r})", []).append(where)
        for text, words in english_words(chunks, known):
            if text in self.awaiting:
                self.seen.add(text)
            else:
                self.where.setdefault(f"“{text[:160]}” ({', '.join(words[:8])})", []).append(where)

    def assert_none(self) -> None:
        fixed = self.awaiting.keys() - self.seen
        assert not fixed, f"fixed since, delete from AWAITING: {sorted(fixed)}"
        report = [
            f"{text}\n    on {', '.join(pages[:3])}{' …' if len(pages) > 3 else ''}"
            for text, pages in self.where.items()
        ]
        assert not report, "English on Japanese pages:\n" + "\n".join(report)


def _is_html(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/html")


def test_every_page_is_visited(app: FastAPI) -> None:
    """Every GET route outside the JSON API is either a page this test renders or listed with why it is not one."""
    gets = {path: route for method, path, route in app_routes(app) if method == "GET"}
    outside_api = {path for path in gets if not path.startswith("/api/v1/")}
    unclassified = outside_api - PAGES.keys() - NOT_PAGES.keys()
    assert not unclassified, f"add these GET routes to PAGES (or NOT_PAGES, with the reason): {sorted(unclassified)}"
    stale = (PAGES.keys() | NOT_PAGES.keys()) - outside_api
    assert not stale, f"these routes no longer exist: {sorted(stale)}"
    html_declared = {path for path, route in gets.items() if route.response_class is HTMLResponse}
    assert not html_declared & NOT_PAGES.keys(), "a route declared to answer HTML is listed as not a page"


def test_every_page_is_japanese_for_everyone(world: World, base_url: str) -> None:
    rendered: set[str] = set()
    found = Findings()
    for who in PEOPLE:
        with closing(_client(base_url, None if who == "anonymous" else world.users[who])) as http:
            for route, paths in PAGES.items():
                for path in paths(world):
                    response = http.get(path)
                    if response.is_redirect:
                        continue  # to sign in: the sign-in page is checked in its own right
                    if response.status_code == 200:
                        rendered.add(route)
                    found.check(f"{who} GET {path} ({response.status_code})", response, world.known_strings)
    found.assert_none()
    missed = {route for route, paths in PAGES.items() if paths(world)} - rendered
    assert not missed, f"no one saw these pages (200): {sorted(missed)}"


def test_error_pages_are_japanese(world: World, base_url: str) -> None:
    answers = {}
    with closing(_client(base_url, world.users["industry"])) as industry:
        answers[403] = industry.get("/admin/users")
        answers[404] = industry.get("/documents/987654321")
    with closing(_client(base_url, world.users["admin"])) as admin:
        answers[422] = admin.get("/admin/users/not-a-number")
    with closing(_client(base_url, None)) as anonymous:
        answers[405] = anonymous.get("/auth/dev-login")
    found = Findings()
    for status, response in answers.items():
        assert response.status_code == status, (status, response.status_code)
        found.check(f"the {status} page", response, world.known_strings)
    found.assert_none()


def test_form_errors_and_confirmations_are_japanese(world: World, base_url: str) -> None:
    pages: dict[str, httpx.Response] = {}
    with closing(_client(base_url, world.users["delegate"])) as delegate:
        pages["token form"] = delegate.post(
            "/profile/tokens", data={"csrf_token": CSRF_TOKEN, "name": "x", "expires_days": "soon"}
        )
    with closing(_client(base_url, world.users["secretariat"])) as staff:
        pages["new group form"] = staff.post(
            "/groups/new",
            data={"csrf_token": CSRF_TOKEN, "name": "量子", "slug": "Not A Slug", "technology_area": "quantum"},
        )
    with closing(_client(base_url, world.users["admin"])) as admin:
        target = f"/admin/users/{world.history_user.id}"
        pages["account change without a reason"] = admin.post(
            target, data={"csrf_token": CSRF_TOKEN, "role": "observer"}
        )
        pages["confirm disabling"] = admin.post(
            target, data={"csrf_token": CSRF_TOKEN, "status": "disabled", "reason": "確認"}
        )
    found = Findings()
    for what, response in pages.items():
        assert response.status_code == (200 if what == "confirm disabling" else 422), (what, response.status_code)
        found.check(what, response, world.known_strings)
    found.assert_none()


def test_onboarding_is_japanese(world: World, base_url: str) -> None:
    """A new industry participant's registration form, and its error, through the real identity provider."""
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as browser:
        assert browser.get("/language", params={"lang": "ja", "next": "/"}).status_code == 303
        start = browser.get("/auth/login/industry", params={"next": "/"})
        back = complete_login(browser, start.headers["location"], "dave")
        assert browser.get(back.headers["location"]).headers["location"] == "/auth/onboarding"
        form = browser.get("/auth/onboarding")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert form.status_code == 200 and token
        refused = browser.post(
            "/auth/onboarding", data={"csrf_token": token.group(1), "organisation": " ", "country": "US"}
        )
        assert refused.status_code == 422
    dave = ACCOUNTS["industry"]["dave"]
    known = [*world.known_strings, str(dave["name"])]
    found = Findings()
    found.check("the registration form", form, known)
    found.check("the registration form with an error", refused, known)
    found.assert_none()


def test_the_checker_reads_what_people_see_and_nothing_else() -> None:
    html = """<html lang="ja"><head><title>文書 · Quad</title><script>var label = "Hidden";</script></head>
    <body><p>公開 <span aria-label="Close">×</span> <code>Authorization: Bearer</code></p>
    <td data-label="Owner">米国</td><input placeholder="Search" value="typed by a person"><img alt="Logo">
    <a lang="en" href="/language?lang=en">English</a><p>Emily Carter (US) 2026/12/03 11:54 JST Asia/Tokyo
    e.carter@state.example.gov note.txt 36 B</p><p>Export-controlled</p></body></html>"""
    language, chunks = visible_text(html)
    assert language == "ja"
    found = {word for _, words in english_words(chunks, ["Emily Carter"]) for word in words}
    assert found == {"Quad", "Close", "Owner", "Search", "Logo", "Export-controlled"}
