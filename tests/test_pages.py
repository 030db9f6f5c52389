"""HTML pages: home and group pages, languages and the language switch, error pages and page landmarks."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import httpx
import pytest
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.groups import service as groups
from app.groups.models import MembershipRole, WorkingGroup
from app.users.models import Role, User

# Strings of base.html inside {% trans %} / _(): a Japanese page must translate at least one of them.
ENGLISH_CHROME = ("Skip to main content", "Working groups", "Sign in", "Language", "Main")


class Landmarks(HTMLParser):
    """Collects the tags and attributes the accessibility checks need."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def parse(html: str) -> Landmarks:
    parser = Landmarks()
    parser.feed(html)
    return parser


def html_lang(html: str) -> str | None:
    found = parse(html).find("html")
    return found[0].get("lang") if found else None


def page_csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def test_home_lists_working_groups(client: httpx.Client, make_group: Callable[..., WorkingGroup]) -> None:
    """The home page links every active working group by name."""
    for slug in ("quantum-sensing", "undersea-cables"):
        make_group(slug)
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    for slug, name in (("quantum-sensing", "Quantum Sensing"), ("undersea-cables", "Undersea Cables")):
        assert f'href="/groups/{slug}"' in response.text
        assert name in response.text


@pytest.fixture
def chartered_group(
    db: Session, make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]
) -> WorkingGroup:
    chair = make_user(Role.delegate, "AU", name="Olivia Chair")
    member = make_user(Role.delegate, "IN", name="Arjun Member")
    group = make_group("critical-minerals", (chair, MembershipRole.chair), (member, MembershipRole.member))
    # Through the service, which renders the Markdown once and stores it sanitised (as every save does).
    groups.update_group(
        db,
        SYSTEM,
        group,
        name=group.name,
        technology_area=group.technology_area,
        status=group.status,
        charter=(
            "We map **critical minerals** supply chains.\n\n## Work programme\n\n- Stockpiles\n\n"
            "<script>alert('charter')</script>\n\n[link](javascript:alert(1))"
        ),
    )
    db.commit()
    return group


def test_group_page_renders_charter_markdown_safely(client: httpx.Client, chartered_group: WorkingGroup) -> None:
    """The charter's Markdown becomes HTML, while a <script> in it is shown as text, never run."""
    response = client.get(f"/groups/{chartered_group.slug}")
    assert response.status_code == 200
    html = response.text
    assert "<strong>critical minerals</strong>" in html
    assert "<h2>Work programme</h2>" in html
    assert "<li>Stockpiles</li>" in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html
    assert 'href="javascript:' not in html.lower()


def test_group_page_shows_chairs_and_members_by_country(
    chartered_group: WorkingGroup, make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client]
) -> None:
    """A delegate sees the chair and each country's members by name."""
    html = browser_as(make_user(Role.delegate, "JP")).get(f"/groups/{chartered_group.slug}").text
    assert "Olivia Chair" in html and "Arjun Member" in html
    assert "Australia" in html and "India" in html


def test_group_page_hides_member_names_from_the_public(client: httpx.Client, chartered_group: WorkingGroup) -> None:
    """Anonymous visitors see counts by country but not the members' names."""
    html = client.get(f"/groups/{chartered_group.slug}").text
    assert "India" in html
    assert "Arjun Member" not in html


def test_english_is_the_default(client: httpx.Client) -> None:
    """With no preference the page is English."""
    html = client.get("/").text
    assert html_lang(html) == "en"
    assert "Skip to main content" in html


def test_accept_language_japanese(client: httpx.Client) -> None:
    """Accept-Language: ja gives a Japanese page (lang attribute and translated interface text)."""
    english = client.get("/", headers={"Accept-Language": "en"}).text
    japanese = client.get("/", headers={"Accept-Language": "ja,en;q=0.5"}).text
    assert html_lang(japanese) == "ja"
    # Needs app/translations/ja/LC_MESSAGES/messages.po: at least one interface string must be translated.
    untranslated = [s for s in ENGLISH_CHROME if s in english and s not in japanese]
    assert untranslated, "the Japanese page shows only English interface text: is the ja catalog missing?"


def test_language_switch_link_saves_the_preference(
    make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client], db: Session
) -> None:
    """GET /language?lang=ja redirects (303) to `next`, the next page is Japanese, and a signed-in person's
    preference is kept for their next sign-in."""
    user = make_user(Role.delegate, "AU")
    http = browser_as(user)
    assert html_lang(http.get("/").text) == "en"
    response = http.get("/language", params={"lang": "ja", "next": "/"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert html_lang(http.get("/", headers={"Accept-Language": "en"}).text) == "ja"
    db.refresh(user)
    assert user.language == "ja"


def test_anonymous_language_switch_follows_the_header_link(client: httpx.Client) -> None:
    """An anonymous visitor switches language with the plain link in the header (no form, no JavaScript)."""
    links = parse(client.get("/").text).find("a", hreflang="ja")
    assert len(links) == 1 and links[0]["href"]
    response = client.get(str(links[0]["href"]))
    assert response.status_code == 303
    assert html_lang(client.get(response.headers["location"]).text) == "ja"


def test_language_switch_refuses_outside_targets(client: httpx.Client) -> None:
    """The redirect after switching stays on this site."""
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example"):
        response = client.get("/language", params={"lang": "ja", "next": target})
        assert response.status_code == 303
        assert response.headers["location"] == "/", target


def test_language_switch_ignores_an_unknown_language(client: httpx.Client) -> None:
    """An unknown language code changes nothing and still goes back."""
    response = client.get("/language", params={"lang": "xx", "next": "/"})
    assert response.status_code == 303
    assert html_lang(client.get("/").text) == "en"


def test_404_page(make_user: Callable[..., User], browser_as: Callable[[User], httpx.Client]) -> None:
    """An unknown group is a 404 HTML page with a heading and a way home (for a signed-in person: the public
    is sent to sign in, which tells nothing about whether the group exists)."""
    http = browser_as(make_user(Role.delegate, "US"))
    response = http.get("/groups/nope", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    page = parse(response.text)
    assert page.find("h1")
    assert page.find("a", href="/")
    assert "Traceback" not in response.text


def test_api_me_anonymous_is_401(client: httpx.Client) -> None:
    """The API does not redirect anonymous callers to a sign-in page: it answers 401 problem+json."""
    response = client.get("/api/v1/me", headers={"Accept": "text/html"})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", ["/", "/groups/landmarks", "/no-such-page"])
def test_pages_have_landmarks(client: httpx.Client, make_group: Callable[..., WorkingGroup], path: str) -> None:
    """Each page has a skip link to #main, a header, a labelled nav, main#main and a footer."""
    make_group("landmarks")
    page = parse(client.get(path).text)
    assert page.find("a", href="#main"), "no skip link"
    assert page.find("header")
    assert any(nav.get("aria-label") for nav in page.find("nav")), "no labelled nav"
    assert page.find("main", id="main")
    assert page.find("footer")
    assert page.find("html")[0].get("lang")
