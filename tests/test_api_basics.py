"""The JSON API's common behaviour: pagination, problem+json errors, no stack traces, members by country."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from alembic import command
from sqlalchemy import text

from app.access.principal import SYSTEM
from app.core.db import build_engine, build_sessionmaker
from app.core.migrations_state import alembic_config
from app.groups import service as groups
from app.groups.models import MembershipRole, WorkingGroup
from app.main import create_app
from app.users.models import Role, User
from tests.conftest import make_settings
from tests.support.databases import scratch_database
from tests.support.server import free_port, serve

PROBLEM_JSON = "application/problem+json"
LEAK_MARKERS = (
    "Traceback",
    'File "',
    "SELECT",
    "FROM ",
    "membership",
    "sqlalchemy",
    "sqlite3",
    "psycopg",
    "OperationalError",
    "ProgrammingError",
    "no such table",
    "does not exist",
)


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON
    body = response.json()
    for member in ("type", "title", "status", "detail"):
        assert member in body
    assert body["status"] == status
    return body


# --- pagination ---------------------------------------------------------------------------------------------


@pytest.fixture
def five_groups(make_group: Callable[..., WorkingGroup]) -> list[str]:
    return [make_group(f"page-group-{n}").slug for n in range(5)]


def test_working_groups_default_page(client: httpx.Client, five_groups: list[str]) -> None:
    """Without parameters: page 1, the default page size, every group present and counted."""
    body = client.get("/api/v1/working-groups").json()
    assert body["page"] == 1
    assert body["per_page"] == 20
    assert body["total"] >= 5
    assert set(five_groups) <= {g["slug"] for g in body["items"]}
    assert len(body["items"]) == min(body["total"], 20)


def test_working_groups_pages_do_not_overlap(client: httpx.Client, five_groups: list[str]) -> None:
    """Walking pages of 2 gives every group exactly once, and the total on each page."""
    total = client.get("/api/v1/working-groups").json()["total"]
    seen: list[str] = []
    for page in range(1, (total + 1) // 2 + 1):
        body = client.get("/api/v1/working-groups", params={"page": page, "per_page": 2}).json()
        assert body["total"] == total and body["per_page"] == 2 and body["page"] == page
        assert len(body["items"]) <= 2
        seen += [g["slug"] for g in body["items"]]
    assert len(seen) == total == len(set(seen))


def test_page_past_the_end_is_empty_with_total(client: httpx.Client, five_groups: list[str]) -> None:
    """A page beyond the last one is an empty list, not an error, and still reports the total."""
    total = client.get("/api/v1/working-groups").json()["total"]
    body = client.get("/api/v1/working-groups", params={"page": 50, "per_page": 10}).json()
    assert body["items"] == [] and body["total"] == total and body["page"] == 50

    countries = client.get("/api/v1/countries", params={"page": 2}).json()
    assert countries["items"] == [] and countries["total"] == 4


@pytest.mark.parametrize("path", ["/api/v1/working-groups", "/api/v1/countries"])
@pytest.mark.parametrize(
    "params", [{"per_page": 0}, {"per_page": 101}, {"page": 0}, {"page": -1}, {"per_page": "many"}]
)
def test_page_bounds_are_422(client: httpx.Client, path: str, params: dict[str, object]) -> None:
    """Page sizes outside 1..100 (the default maximum) and pages below 1 are 422 problem+json."""
    body = assert_problem(client.get(path, params=params), 422)
    assert body["title"]


@pytest.mark.parametrize("path", ["/api/v1/working-groups", "/api/v1/countries"])
def test_largest_allowed_page_size(client: httpx.Client, path: str) -> None:
    """per_page equal to the maximum (100) is accepted."""
    response = client.get(path, params={"per_page": 100})
    assert response.status_code == 200, response.text
    assert response.json()["per_page"] == 100


def test_countries_list(client: httpx.Client) -> None:
    """The four countries in their fixed order, with time zones and both languages' names."""
    body = client.get("/api/v1/countries").json()
    assert body["total"] == 4 and body["page"] == 1
    assert [c["code"] for c in body["items"]] == ["US", "JP", "AU", "IN"]
    japan = body["items"][1]
    assert japan["time_zone"] == "Asia/Tokyo" and japan["name_ja"] == "日本"
    second = client.get("/api/v1/countries", params={"page": 2, "per_page": 3}).json()
    assert [c["code"] for c in second["items"]] == ["IN"]


# --- not found ---------------------------------------------------------------------------------------------


def test_unknown_group_is_404_problem(client: httpx.Client) -> None:
    """An unknown slug is 404 problem+json."""
    body = assert_problem(client.get("/api/v1/working-groups/no-such-group"), 404)
    assert body["instance"] == "/api/v1/working-groups/no-such-group"


@pytest.mark.parametrize("path", ["/api/v1/nothing-here", "/api/v1/", "/api/v2/countries"])
def test_unknown_api_path_is_404_problem(client: httpx.Client, path: str) -> None:
    """An unknown path under /api/ is 404 problem+json, not an HTML page."""
    assert_problem(client.get(path), 404)


def test_wrong_method_is_405_problem(client: httpx.Client) -> None:
    """A method the route does not have is 405 problem+json."""
    assert_problem(client.delete("/api/v1/countries"), 405)


# --- unexpected errors -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broken_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An app on its own database, migrated and with one group, whose membership table was then dropped."""
    with scratch_database("quad_broken") as url:
        config = alembic_config(url)
        config.attributes["configure_logging"] = False
        command.upgrade(config, "head")
        engine = build_engine(url)
        try:
            with build_sessionmaker(engine)() as session:
                groups.create_group(session, SYSTEM, slug="doomed", name="Doomed", technology_area="semiconductors")
                session.commit()
            with engine.begin() as conn:
                conn.execute(text("DROP TABLE membership"))
        finally:
            engine.dispose()
        port = free_port()
        app = create_app(make_settings(url, tmp_path_factory.mktemp("broken"), f"http://127.0.0.1:{port}"))
        try:
            with serve(app, port) as base:
                yield base
        finally:
            app.state.engine.dispose()


def test_unexpected_error_is_500_problem_without_details(broken_server: str) -> None:
    """A failing query gives 500 problem+json that reveals no stack trace and no SQL."""
    response = httpx.get(f"{broken_server}/api/v1/working-groups", timeout=30)
    body = assert_problem(response, 500)
    for marker in LEAK_MARKERS:
        assert marker not in response.text, f"500 body leaks {marker!r}: {response.text}"
    assert body["detail"]


def test_unexpected_error_on_a_page_is_500_html_without_details(broken_server: str) -> None:
    """The same failure on an HTML page gives a 500 page for people, without a traceback."""
    response = httpx.get(f"{broken_server}/", headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>" in response.text and 'href="/"' in response.text
    for marker in LEAK_MARKERS:
        assert marker not in response.text, f"500 page leaks {marker!r}"


@pytest.mark.parametrize("path", ["/api/v1/working-groups", "/"])
def test_unexpected_error_keeps_security_headers(broken_server: str, path: str) -> None:
    """A 500 carries the same security headers as every other response (CSP, nosniff, no framing)."""
    response = httpx.get(f"{broken_server}{path}", timeout=30)
    assert response.status_code == 500
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")


# --- members by country ------------------------------------------------------------------------------------


@pytest.fixture
def staffed_group(make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]) -> WorkingGroup:
    chair = make_user(Role.delegate, "US", name="Alice Chair")
    japan = make_user(Role.delegate, "JP", name="Kenta Member")
    japan_observer = make_user(Role.observer, "JP", name="Mio Observer")
    staff = make_user(Role.secretariat, name="Sam Secretariat")
    return make_group(
        "members-by-country",
        (chair, MembershipRole.chair),
        (japan, MembershipRole.member),
        (japan_observer, MembershipRole.observer),
        (staff, MembershipRole.member),
    )


def _by_country(body: dict) -> dict[str | None, dict]:  # type: ignore[type-arg]
    return {row["country_code"]: row for row in body["members_by_country"]}


def test_delegate_sees_member_names(
    staffed_group: WorkingGroup, make_user: Callable[..., User], api_as: Callable[[User], httpx.Client]
) -> None:
    """A delegate (by token) sees each country's members by name, with counts."""
    response = api_as(make_user(Role.delegate, "IN")).get(f"/api/v1/working-groups/{staffed_group.slug}")
    assert response.status_code == 200, response.text
    rows = _by_country(response.json())
    assert set(rows) == {"US", "JP", None}
    assert rows["JP"]["member_count"] == 2
    assert {m["user"]["display_name"] for m in rows["JP"]["members"]} == {"Kenta Member", "Mio Observer"}
    assert [m["user"]["display_name"] for m in rows["US"]["members"]] == ["Alice Chair"]
    assert rows["US"]["members"][0]["role"] == "chair"
    assert [m["user"]["display_name"] for m in rows[None]["members"]] == ["Sam Secretariat"]


def test_anonymous_sees_only_counts(client: httpx.Client, staffed_group: WorkingGroup) -> None:
    """The public gets member counts per country and no names."""
    response = client.get(f"/api/v1/working-groups/{staffed_group.slug}")
    assert response.status_code == 200, response.text
    rows = _by_country(response.json())
    assert {code: row["member_count"] for code, row in rows.items()} == {"US": 1, "JP": 2, None: 1}
    assert all(row["members"] is None for row in rows.values())
    assert "Kenta Member" not in response.text and "Mio Observer" not in response.text


def test_industry_sees_only_counts(
    staffed_group: WorkingGroup, make_user: Callable[..., User], api_as: Callable[[User], httpx.Client]
) -> None:
    """An industry user, though signed in, gets counts and no names."""
    response = api_as(make_user(Role.industry, "AU")).get(f"/api/v1/working-groups/{staffed_group.slug}")
    assert response.status_code == 200, response.text
    rows = _by_country(response.json())
    assert rows["JP"]["member_count"] == 2
    assert all(row["members"] is None for row in rows.values())
    assert "Kenta Member" not in response.text
