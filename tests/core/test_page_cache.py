"""The page cache over HTTP: a repeated read is served from the cache, and nothing cached outlives a write or a
change to the reader's access. (The access matrix is replayed with a warm cache in test_access_matrix.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.access.visibility import Visibility
from app.auth import service as auth_service
from app.core import data_version
from app.groups import service as groups
from app.groups.models import GroupStatus, MembershipRole
from app.users.models import Role, User
from app.web.page_cache import PageCacheEntry, ResponseCache, purge_expired
from tests.support.documents import make_document
from tests.support.query_counter import count_queries

HIT = "x-cache"


def twice(http: httpx.Client, path: str) -> tuple[httpx.Response, httpx.Response]:
    return http.get(path), http.get(path)


def test_a_repeated_read_is_served_from_the_cache(
    browser_as: Callable[[User], httpx.Client], make_user: Callable[..., User], make_group: Callable[..., Any]
) -> None:
    reader = make_user(Role.delegate, "JP")
    group = make_group("cached-group", (reader, MembershipRole.member))
    http = browser_as(reader)
    first, second = twice(http, f"/groups/{group.slug}")
    assert first.status_code == second.status_code == 200
    assert HIT not in first.headers and second.headers[HIT] == "hit"
    assert second.text == first.text
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["content-security-policy"] == first.headers["content-security-policy"]


def test_a_write_is_never_followed_by_a_stale_page(
    db: Session,
    browser_as: Callable[[User], httpx.Client],
    api_as: Callable[[User], httpx.Client],
    make_user: Callable[..., User],
    make_group: Callable[..., Any],
) -> None:
    reader, staff = make_user(Role.delegate, "AU"), make_user(Role.secretariat)
    group = make_group("charter-group", (reader, MembershipRole.member))
    http = browser_as(reader)
    assert twice(http, f"/groups/{group.slug}")[1].headers[HIT] == "hit"
    assert twice(http, "/api/v1/working-groups")[1].headers[HIT] == "hit"
    officer = api_as(staff)
    before = data_version.current(db)

    changed = officer.patch(f"/api/v1/working-groups/{group.slug}", json={"charter": "A charter seen at once."})
    assert changed.status_code == 200

    db.expire_all()
    assert data_version.current(db) == (before or 0) + 1  # one bump for the whole request
    page = http.get(f"/groups/{group.slug}")
    assert HIT not in page.headers and "A charter seen at once." in page.text
    listed = http.get("/api/v1/working-groups")
    assert HIT not in listed.headers


def test_a_change_of_access_takes_effect_on_the_next_request(
    db: Session,
    app: FastAPI,
    browser_as: Callable[[User], httpx.Client],
    make_user: Callable[..., User],
    make_group: Callable[..., Any],
) -> None:
    member, chair = make_user(Role.delegate, "IN"), make_user(Role.delegate, "US")
    group = make_group("members-only", (chair, MembershipRole.chair), (member, MembershipRole.member))
    document = make_document(db, app, chair, group, title="For members only", visibility=Visibility.group)
    http = browser_as(member)
    assert twice(http, f"/documents/{document.id}")[1].headers[HIT] == "hit"
    assert twice(http, "/api/v1/documents")[1].status_code == 200

    groups.remove_member(db, SYSTEM, group, member.id)
    db.commit()

    assert http.get(f"/documents/{document.id}").status_code == 404
    listed = http.get("/api/v1/documents").json()
    assert document.id not in [item["id"] for item in listed["items"]]


def test_every_change_to_a_principal_bumps_the_access_version(
    db: Session, make_user: Callable[..., User], make_group: Callable[..., Any]
) -> None:
    user = make_user(Role.delegate, "US")
    seen = [user.access_version]

    def bumped() -> bool:
        db.commit()
        db.refresh(user)
        seen.append(user.access_version)
        return seen[-1] > seen[-2]

    user.country_code = "JP"
    assert bumped()
    user.export_cleared = True
    assert bumped()
    user.time_zone = "Asia/Tokyo"
    assert bumped()
    group = make_group("versioned")
    groups.add_member(db, SYSTEM, group, user)
    assert bumped()
    groups.set_member_role(db, SYSTEM, group, user.id, MembershipRole.chair)
    assert bumped()
    groups.remove_member(db, SYSTEM, group, user.id)
    assert bumped()
    user.last_home_visit_at = user.created_at + timedelta(days=1)  # where "new since your visit" starts
    assert not bumped()


def test_bookkeeping_moves_no_data_version(db: Session, make_user: Callable[..., User]) -> None:
    user = make_user(Role.delegate, "US")
    before = data_version.current(db)

    raw = auth_service.open_session(db, user)
    db.commit()
    opened = data_version.current(db)
    assert opened == (before or 0) + 1  # a new session row is data (a console lists sessions)
    now = auth_service.utcnow() + timedelta(minutes=5)
    principal = auth_service.principal_from_session(db, raw, now, idle=timedelta(hours=1), absolute=timedelta(hours=2))
    db.commit()
    assert principal is not None and principal.user_id == user.id
    assert data_version.current(db) == opened  # the last-seen time was written, and changes no page


def test_answers_for_one_session_are_never_stored(
    db: Session,
    browser_as: Callable[[User], httpx.Client],
    make_user: Callable[..., User],
    make_group: Callable[..., Any],
) -> None:
    staff = make_user(Role.secretariat)
    group = make_group("managed-group")
    http = browser_as(staff)
    # The manage page carries this session's CSRF token: never stored, never served to anyone else.
    first, second = twice(http, f"/groups/{group.slug}/manage")
    assert first.status_code == second.status_code == 200
    assert HIT not in second.headers
    # A flash message waiting in the session is shown (and used up), not skipped by a cached page.
    assert twice(http, f"/groups/{group.slug}")[1].headers[HIT] == "hit"
    saved = http.post(
        f"/groups/{group.slug}/manage",
        data={
            "csrf_token": _csrf(first.text),
            "name": "Managed Group",
            "technology_area": "semiconductors",
            "charter": "Renewed.",
            "status": GroupStatus.active.value,
        },
    )
    assert saved.status_code == 303, saved.text
    shown = http.get(saved.headers["location"])
    assert HIT not in shown.headers
    assert 'role="status"' in shown.text or "saved" in shown.text.lower()


def _csrf(page: str) -> str:
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_entries_live_in_the_database_or_redis(
    backend: str, db: Session, app: FastAPI, browser_as: Callable[[User], httpx.Client], make_user: Callable[..., User]
) -> None:
    cache = ResponseCache(
        ttl=timedelta(minutes=5), redis_url="redis://127.0.0.1:6379/15" if backend == "redis" else None
    )
    original = app.state.response_cache
    app.state.response_cache = cache
    try:
        http = browser_as(make_user(Role.observer, "AU"))
        first, second = twice(http, "/api/v1/countries")
        assert HIT not in first.headers and second.headers[HIT] == "hit"
        assert second.json() == first.json()
        stored = db.scalar(select(func.count()).select_from(PageCacheEntry))
        assert (stored or 0) >= (1 if backend == "database" else 0)
        if backend == "redis":
            assert cache.redis.keys("quad:page:*")
    finally:
        app.state.response_cache = original
        if cache.redis is not None:
            cache.redis.flushdb()


def test_expired_and_outdated_entries_are_purged(
    db: Session,
    browser_as: Callable[[User], httpx.Client],
    make_user: Callable[..., User],
    make_group: Callable[..., Any],
) -> None:
    http = browser_as(make_user(Role.observer, "JP"))
    twice(http, "/api/v1/countries")
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(PageCacheEntry))
    make_group("bumps-the-version")  # any write makes every stored entry outdated
    assert purge_expired(db, timedelta(minutes=10)) >= 1
    assert db.scalar(select(func.count()).select_from(PageCacheEntry)) == 0


def test_a_cached_answer_costs_two_statements_whatever_the_page(
    app: FastAPI, db: Session, browser_as: Callable[[User], httpx.Client], make_user: Callable[..., User]
) -> None:

    reader = make_user(Role.delegate, "US")
    document = make_document(db, app, reader, make_group_for(db, reader), title="Counted")
    http = browser_as(reader)
    for path in (f"/documents/{document.id}", "/api/v1/documents", f"/api/v1/documents/{document.id}"):
        twice(http, path)
        with count_queries(app) as queries:
            assert http.get(path).headers[HIT] == "hit"
        assert queries.count == 2, queries.report()  # who is asking (session + user), then the entry and version


def make_group_for(db: Session, member: User) -> Any:
    group = groups.create_group(db, SYSTEM, slug="counted", name="Counted", technology_area="ai")
    groups.add_member(db, SYSTEM, group, member)
    db.commit()
    return group
