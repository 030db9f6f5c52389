"""Pages that know who is asking: the public is sent to sign in (and back), error pages keep the signed-in
header, and no framework text ("Not Found", pydantic's "Field required") reaches a person."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.visibility import Visibility
from app.auth.pages import safe_next
from app.groups.models import MembershipRole, WorkingGroup
from app.users.models import Role, User
from tests.oidc.harness import complete_login
from tests.support.documents import make_document

FRAMEWORK_TEXT = ("Not Found", "Method Not Allowed", "Field required", "Input should be", "Unprocessable")


@pytest.fixture
def delegate(make_user: Callable[..., User]) -> User:
    return make_user(Role.delegate, "US", name="Dana Delegate")


@pytest.fixture
def group(make_group: Callable[..., WorkingGroup], delegate: User) -> WorkingGroup:
    return make_group("shell-group", (delegate, MembershipRole.chair))


def login_target(response: httpx.Response) -> str:
    """The `next` of a redirect to the sign-in page."""
    assert response.status_code == 303, response.text[:300]
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    return parse_qs(location.query)["next"][0]


def test_anonymous_is_sent_to_sign_in_for_a_document_the_public_cannot_see(
    client: httpx.Client, db: Session, app: FastAPI, delegate: User, group: WorkingGroup
) -> None:
    """A group-only document answered 404 to the public; now they are sent to sign in and back to it. An id that
    does not exist gets the same answer, so the redirect tells nothing about what exists."""
    document = make_document(db, app, delegate, group, visibility=Visibility.group, versions=(b"Changed.\n",))
    db.commit()
    for path in (
        f"/documents/{document.id}",
        f"/documents/{document.id}/edit",
        f"/documents/{document.id}/compare?from=1&to=2",
        f"/documents/{document.id}/versions/1/file",
    ):
        assert login_target(client.get(path)) == path
    assert login_target(client.get("/documents/2000000000")) == "/documents/2000000000"


def test_anonymous_is_sent_to_sign_in_for_a_marked_file(
    client: httpx.Client, db: Session, app: FastAPI, delegate: User, group: WorkingGroup
) -> None:
    """A public document whose file is export-controlled: the public was refused with a bare 403."""
    document = make_document(db, app, delegate, group, controlled=True)
    db.commit()
    assert client.get(f"/documents/{document.id}").status_code == 200
    path = f"/documents/{document.id}/versions/1/file"
    assert login_target(client.get(path)) == path


def test_a_form_post_sends_the_public_to_sign_in_and_back_to_the_form_page(
    client: httpx.Client, db: Session, app: FastAPI, delegate: User, group: WorkingGroup
) -> None:
    """A post cannot be replayed by a link: after sign-in the person returns to the page the form was on."""
    document = make_document(db, app, delegate, group, visibility=Visibility.group)
    db.commit()
    base = str(client.base_url)
    response = client.post(f"/documents/{document.id}/withdraw", headers={"Referer": f"{base}/documents/{document.id}"})
    assert login_target(response) == f"/documents/{document.id}"
    response = client.post(f"/documents/{document.id}/withdraw", headers={"Referer": "https://evil.example/x"})
    assert login_target(response) == "/"


def test_signed_in_people_still_get_404_for_what_they_cannot_see(
    client: httpx.Client,
    db: Session,
    app: FastAPI,
    delegate: User,
    group: WorkingGroup,
    make_user: Callable[..., User],
    browser_as: Callable[[User], httpx.Client],
) -> None:
    document = make_document(db, app, delegate, group, visibility=Visibility.group)
    db.commit()
    http = browser_as(make_user(Role.industry, "JP", name="Ian Industry"))
    response = http.get(f"/documents/{document.id}")
    assert response.status_code == 404
    assert "Ian Industry" in response.text


def test_the_next_page_survives_the_openid_connect_round_trip(
    client: httpx.Client, db: Session, app: FastAPI, delegate: User, group: WorkingGroup
) -> None:
    """From a hidden page to the sign-in page, through the provider, and back to that page with its query."""
    document = make_document(db, app, delegate, group, versions=(b"Changed.\n",))
    db.commit()
    wanted = f"/documents/{document.id}/compare?from=1&to=2&view=side"
    # /profile needs sign-in: the public is sent to /login?next=..., whose provider links carry it on.
    next_path = login_target(client.get("/profile?tab=tokens"))
    assert next_path == "/profile?tab=tokens"
    login_page = client.get("/login", params={"next": wanted}).text
    link = re.search(r'href="(/auth/login/us-gov\?next=[^"]+)"', login_page)
    assert link is not None
    start = client.get(link.group(1).replace("&amp;", "&"))
    assert start.status_code == 302
    back = complete_login(client, start.headers["location"], "alice")
    finished = client.get(back.headers["location"])
    assert finished.status_code == 303
    assert finished.headers["location"] == wanted
    assert "Alice Walker" in client.get(wanted).text


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", ""],
)
def test_only_same_site_paths_are_followed_after_sign_in(target: str) -> None:
    assert safe_next(target) == "/"


def test_the_sign_in_link_in_the_header_keeps_the_query(client: httpx.Client, group: WorkingGroup) -> None:
    html = client.get(f"/groups/{group.slug}/documents?q=chip&page=1").text
    assert f'href="/login?next={quote(f"/groups/{group.slug}/documents?q=chip&page=1", safe="/")}"' in html


# Error pages keep the header ----------------------------------------------------------------------------------


def _assert_signed_in_header(response: httpx.Response, name: str) -> None:
    header = response.text.split("<main", 1)[0]
    assert name in header, f"{response.status_code} page lost the signed-in header"
    assert 'action="/logout"' in header


def test_error_pages_keep_the_signed_in_header(
    delegate: User, make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client]
) -> None:
    http = browser_as(delegate)
    unknown = http.get("/no-such-page")
    assert unknown.status_code == 404
    _assert_signed_in_header(unknown, "Dana Delegate")
    refused = http.get("/admin/approvals")
    assert refused.status_code == 403
    _assert_signed_in_header(refused, "Dana Delegate")
    invalid = http.get("/documents/not-a-number")
    assert invalid.status_code == 422
    _assert_signed_in_header(invalid, "Dana Delegate")
    wrong_method = http.get("/logout")
    assert wrong_method.status_code == 405
    _assert_signed_in_header(wrong_method, "Dana Delegate")


def test_an_unknown_address_is_still_a_404_page_for_the_public(client: httpx.Client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert 'href="/login?next=/no-such-page"' in response.text


# No framework text --------------------------------------------------------------------------------------------


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_no_framework_text_reaches_a_person(
    language: str,
    db: Session,
    app: FastAPI,
    delegate: User,
    group: WorkingGroup,
    browser_as: Callable[[User], httpx.Client],
) -> None:
    document = make_document(db, app, delegate, group)
    db.commit()
    http = browser_as(delegate)
    http.headers["Accept-Language"] = language
    pages = {
        "/no-such-page": (404, {"en": "There is no page at this address", "ja": "このアドレスのページはありません"}),
        "/logout": (405, {"en": "This address cannot be used that way", "ja": "この方法では使えません"}),
        f"/documents/{document.id}/compare": (
            422,
            {"en": "<code>from</code> is required.", "ja": "<code>from</code> を入力してください。"},
        ),
        "/documents/abc": (
            422,
            {"en": "<code>document_id</code> must be a whole number.", "ja": "<code>document_id</code> は整数で"},
        ),
        f"/documents/{document.id}/compare?from=0&to=2": (
            422,
            {"en": "<code>from</code> is too small.", "ja": "<code>from</code> が小さすぎます。"},
        ),
    }
    for path, (status, words) in pages.items():
        response = http.get(path)
        assert response.status_code == status, path
        main = _main(response.text)
        for raw in FRAMEWORK_TEXT:
            assert raw not in main, f"{path} ({language}) shows {raw!r}"
        assert words[language] in main, f"{path} ({language}): {main[:600]}"


def test_the_json_api_keeps_problem_json(client: httpx.Client) -> None:
    response = client.get("/api/v1/documents/abc")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["errors"][0]["type"] == "int_parsing"
    assert client.get("/api/v1/nothing").headers["content-type"].startswith("application/problem+json")
    assert client.get("/api/v1/nothing").json()["detail"] == "Not Found"
