"""The header and the time zones: language links that keep the whole URL, each person's clock (their
country's capital unless they choose), the focus ring's colours, tables as cards on small screens, a favicon."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.countries.models import Country
from app.groups.models import MembershipRole, WorkingGroup
from app.users.models import Role, User
from app.web.templating import CAPITAL_TIME_ZONES, PROJECT_ROOT, TIME_ZONE_CHOICES
from tests.support.documents import make_document
from tests.support.sessions import CSRF_TOKEN


def header(html: str) -> str:
    return html.split("<main", 1)[0]


def language_links(html: str) -> dict[str, str]:
    return {
        lang: unescape(href)
        for href, lang in re.findall(r'<a href="(/language\?[^"]+)" lang="(\w+)" hreflang="\w+">', header(html))
    }


def test_language_links_in_the_header_keep_the_whole_url(
    client: httpx.Client, make_group: Callable[..., object]
) -> None:
    """Plain links (no form, no script) that come back to the same page with its query, in the other language."""
    make_group("cables")
    page = "/groups/cables/documents?q=chip+map&type=contribution"
    html = client.get(page).text
    links = language_links(html)
    assert set(links) == {"ja"}, "the current language is shown, not linked"
    assert 'aria-current="true"' in header(html) and "English" in header(html)
    assert 'action="/language"' not in html, "the footer's language form is gone"
    query = parse_qs(urlsplit(links["ja"]).query)
    assert query["lang"] == ["ja"]
    assert query["next"] == ["/groups/cables/documents?q=chip+map&type=contribution"]
    response = client.get(links["ja"])
    assert response.status_code == 303
    assert response.headers["location"] == page
    japanese = client.get(response.headers["location"]).text
    assert '<html lang="ja">' in japanese
    assert set(language_links(japanese)) == {"en"}


# Time zones ---------------------------------------------------------------------------------------------------


def test_capital_time_zones_match_the_countries_table(db: Session) -> None:
    """The defaults come from one table of capitals; it must agree with the countries' own zones."""
    countries = {c.code: c.time_zone for c in db.scalars(select(Country))}
    assert countries == CAPITAL_TIME_ZONES
    assert set(CAPITAL_TIME_ZONES.values()) <= set(TIME_ZONE_CHOICES)


@pytest.fixture
def dated_document(db: Session, app: FastAPI, make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]):
    author = make_user(Role.delegate, "US")
    group = make_group("clock-group", (author, MembershipRole.member))
    document = make_document(db, app, author, group)
    # 2026-01-15 12:00 UTC: New York EST 07:00, Tokyo JST 21:00, Sydney AEDT 23:00, Kolkata IST 17:30.
    document.updated_at = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    db.commit()
    return group


@pytest.mark.parametrize(
    ("role", "country", "shown"),
    [
        (Role.delegate, "US", "7:00:00\u202fAM EST"),
        (Role.delegate, "JP", "9:00:00\u202fPM JST"),
        (Role.observer, "AU", "11:00:00\u202fPM AEDT"),
        (Role.delegate, "IN", "5:30:00\u202fPM IST"),
        (Role.secretariat, None, "12:00:00\u202fPM UTC"),
    ],
)
def test_times_are_shown_in_the_capital_of_the_persons_country(
    role: Role,
    country: str | None,
    shown: str,
    dated_document: WorkingGroup,
    make_user: Callable[..., User],
    browser_as: Callable[[User], httpx.Client],
) -> None:
    http = browser_as(make_user(role, country))
    html = http.get(f"/groups/{dated_document.slug}/documents", headers={"Accept-Language": "en"}).text
    assert shown in html


def test_a_chosen_time_zone_is_used_and_an_unknown_one_is_refused(
    db: Session,
    dated_document: WorkingGroup,
    make_user: Callable[..., User],
    browser_as: Callable[[User], httpx.Client],
) -> None:
    user = make_user(Role.delegate, "US")
    http = browser_as(user)
    profile = http.get("/profile").text
    assert '<select id="time_zone" name="time_zone"' in profile
    for zone in ("Asia/Kolkata", "Australia/Perth", "UTC"):
        assert f'<option value="{zone}"' in profile
    assert "Default: America/New_York" in profile

    saved = http.post(
        "/profile/preferences", data={"csrf_token": CSRF_TOKEN, "language": "en", "time_zone": "Asia/Tokyo"}
    )
    assert saved.status_code == 303
    db.refresh(user)
    assert user.time_zone == "Asia/Tokyo"
    assert "9:00:00\u202fPM JST" in http.get(f"/groups/{dated_document.slug}/documents").text
    assert '<option value="Asia/Tokyo" selected>' in http.get("/profile").text

    for bad in ("Mars/Olympus_Mons", "../../../etc/passwd", "/etc/localtime", "Asia/Tokyo\x00"):
        refused = http.post("/profile/preferences", data={"csrf_token": CSRF_TOKEN, "language": "en", "time_zone": bad})
        assert refused.status_code == 422, bad
        assert "That time zone is unknown. Choose one from the list." in refused.text
    db.refresh(user)
    assert user.time_zone == "Asia/Tokyo", "a refused zone changes nothing"

    back = http.post("/profile/preferences", data={"csrf_token": CSRF_TOKEN, "language": "en", "time_zone": ""})
    assert back.status_code == 303
    db.refresh(user)
    assert user.time_zone is None
    assert "7:00:00\u202fAM EST" in http.get(f"/groups/{dated_document.slug}/documents").text


# Tables, focus, favicon ---------------------------------------------------------------------------------------


def test_table_cells_carry_their_column_names_for_small_screens(
    dated_document: WorkingGroup, make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client]
) -> None:
    http = browser_as(make_user(Role.secretariat, None))
    for path in (
        f"/groups/{dated_document.slug}/documents",
        f"/groups/{dated_document.slug}",
        f"/groups/{dated_document.slug}/manage",
    ):
        html = http.get(path).text
        table = html.split('<table class="cards-on-small">', 1)[1].split("</table>", 1)[0]
        body = table.split("<tbody>", 1)[1]
        cells = re.findall(r"<(td|th)([^>]*)>", body)
        assert cells, path
        unlabelled = [attrs for _, attrs in cells if "data-label=" not in attrs and "colspan" not in attrs]
        assert not unlabelled, f"{path}: cells without data-label"


def test_styles_have_a_card_layout_and_a_visible_focus_ring() -> None:
    css = (PROJECT_ROOT / "static" / "quad.css").read_text()
    assert re.search(r"@media \(max-width: [\d.]+rem\)", css)
    assert "[data-label]::before" in css
    assert ".site-header :focus-visible" in css


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_focus_rings_contrast_at_least_3_to_1_with_what_is_behind_them() -> None:
    css = (PROJECT_ROOT / "static" / "quad.css").read_text()
    colours = dict(re.findall(r"--([\w-]+): (#[0-9a-fA-F]{6});", css))
    assert contrast(colours["focus-on-band"], colours["band"]) >= 3  # the header
    assert contrast(colours["focus"], colours["paper"]) >= 3  # the page
    assert contrast(colours["focus"], colours["soft"]) >= 3  # cards and the footer


def test_favicon(client: httpx.Client) -> None:
    html = client.get("/").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg")
    assert client.get("/static/favicon.svg").status_code == 200
