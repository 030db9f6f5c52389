"""Officials' names and organisations (chairs included) reach governments and the secretariat only
(security issue #8, finding 10c): group pages, /api/v1/working-groups and the group detail, over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from app.groups.models import MembershipRole, WorkingGroup
from app.users.models import Role, User, UserStatus

CHAIR_NAME, CHAIR_ORG = "Priya Chairwoman", "Ministry of Electronics"


@pytest.fixture
def chaired(make_user: Callable[..., User], make_group: Callable[..., WorkingGroup]) -> WorkingGroup:
    chair = make_user(Role.delegate, "IN", name=CHAIR_NAME, organisation=CHAIR_ORG)
    member = make_user(Role.delegate, "AU", name="Ada Member", organisation="DFAT")
    return make_group("officials-check", (chair, MembershipRole.chair), (member, MembershipRole.member))


def group_views(http: httpx.Client, slug: str) -> tuple[str, str, str]:
    listing = http.get("/api/v1/working-groups", params={"per_page": 100})
    detail = http.get(f"/api/v1/working-groups/{slug}")
    page = http.get(f"/groups/{slug}")
    for response in (listing, detail, page):
        assert response.status_code == 200, response.text
    mine = next(g for g in listing.json()["items"] if g["slug"] == slug)
    return json.dumps(mine), detail.text, page.text


def assert_no_officials(views: tuple[str, str, str]) -> None:
    for text in views:
        assert CHAIR_NAME not in text and CHAIR_ORG not in text
        assert "Ada Member" not in text and "DFAT" not in text


def test_anonymous_callers_see_chairs_countries_only(client: httpx.Client, chaired: WorkingGroup) -> None:
    views = group_views(client, chaired.slug)
    assert_no_officials(views)
    detail = client.get(f"/api/v1/working-groups/{chaired.slug}").json()
    assert detail["chairs"] == [
        {"country_code": "IN", "id": None, "display_name": None, "role": None, "organisation": None}
    ]
    assert "India" in views[2]  # the page still says which country chairs


@pytest.mark.parametrize("status", [UserStatus.active, UserStatus.pending])
def test_industry_callers_see_no_officials(
    api_as, browser_as, make_user: Callable[..., User], chaired: WorkingGroup, status: UserStatus
) -> None:
    industry = make_user(Role.industry, "US", status=status)
    assert_no_officials(group_views(browser_as(industry), chaired.slug))
    if status is UserStatus.active:
        assert_no_officials(group_views(api_as(industry), chaired.slug))


@pytest.mark.parametrize("role", [Role.delegate, Role.observer, Role.secretariat])
def test_governments_and_secretariat_see_the_chairs(
    api_as, browser_as, make_user: Callable[..., User], chaired: WorkingGroup, role: Role
) -> None:
    official = make_user(role, "JP")
    listing, detail, page = group_views(browser_as(official), chaired.slug)
    assert CHAIR_NAME in listing and CHAIR_ORG in listing
    assert CHAIR_NAME in detail and "Ada Member" in detail
    assert CHAIR_NAME in page
    chairs = api_as(official).get(f"/api/v1/working-groups/{chaired.slug}").json()["chairs"]
    assert chairs[0]["display_name"] == CHAIR_NAME and chairs[0]["organisation"] == CHAIR_ORG
