"""Error details that services raise in English (marked with app.core.errors.N_) are shown in Japanese on
Japanese pages, while the JSON API keeps the English detail that API clients expect."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from app.users.models import Role, User
from app.web.templating import translations_for
from tests.support.sessions import CSRF_TOKEN


def ja(message: str) -> str:
    translated = translations_for("ja").gettext(message)
    assert translated != message, f"{message!r} has no Japanese translation"
    return translated


def test_error_page_detail_is_translated_but_api_stays_english(
    make_user: Callable[..., User],
    browser_as: Callable[[User], httpx.Client],
    api_as: Callable[[User], httpx.Client],
) -> None:
    """GET /documents/999999 in Japanese shows the Japanese of "no such document"; the API answers in English."""
    delegate = make_user(Role.delegate, "JP")
    page = browser_as(delegate).get("/documents/999999", headers={"Accept-Language": "ja"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert ja("no such document") in page.text
    assert "no such document" not in page.text

    api = api_as(delegate).get("/api/v1/documents/999999", headers={"Accept-Language": "ja"})
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["detail"] == "no such document"


def test_form_error_is_translated(make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client]) -> None:
    """A form re-rendered with the service's error shows it in the page's language."""
    http = browser_as(make_user(Role.secretariat))
    data = {"slug": "Not A Slug!", "name": "Group", "technology_area": "semiconductors", "csrf_token": CSRF_TOKEN}
    message = "the short name may use lower-case letters, digits and single hyphens (at most 64)"
    english = http.post("/groups/new", data=data, headers={"Accept-Language": "en"})
    assert english.status_code == 422
    assert message in english.text
    japanese = http.post("/groups/new", data=data, headers={"Accept-Language": "ja"})
    assert japanese.status_code == 422
    assert ja(message) in japanese.text
