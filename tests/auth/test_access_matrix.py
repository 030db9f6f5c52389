"""The authorization matrix: every route declares a policy, and each kind of person gets the expected answer.

A new route fails `test_every_route_is_in_the_matrix` until its row is added to its domain's matrix_rows.py, so no page or endpoint
can ship without someone deciding who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app.access.policy import UNSAFE_METHODS, Policy
from app.core import data_version
from app.core.routing import CACHED_RESPONSE
from app.groups.models import MembershipRole
from app.users.models import Role, User, UserStatus
from tests.auth.matrix_rows import ROWS as AUTH_ROWS
from tests.conftest import SECRET_KEY
from tests.documents.matrix_rows import ROWS as DOCUMENT_ROWS
from tests.groups.matrix_rows import ROWS as GROUP_ROWS
from tests.meetings.matrix_rows import ROWS as MEETING_ROWS
from tests.meetings.matrix_rows_feeds import ROWS as FEED_ROWS
from tests.meetings.matrix_rows_scheduling import ROWS as SCHEDULING_ROWS
from tests.notifications.matrix_rows import ROWS as NOTIFICATION_ROWS
from tests.support.documents import make_document
from tests.support.matrix import (
    EVERYONE,
    PRINCIPALS,
    SIGNED_IN,
    Row,
    World,
    page_row,
)
from tests.support.sessions import CSRF_TOKEN, session_cookie, sign_in
from tests.users.matrix_rows import ROWS as USER_ROWS

SYSTEM_ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/healthz"): Row(EVERYONE, 200, "/healthz"),
    ("GET", "/readyz"): Row(EVERYONE, 200, "/readyz"),
    ("GET", "/api/docs"): page_row(EVERYONE, 200, "/api/docs"),
    ("GET", "/api/docs/assets/{name}"): page_row(EVERYONE, 200, "/api/docs/assets/swagger-ui.css"),
    ("GET", "/api/v1/countries"): Row(EVERYONE, 200, "/api/v1/countries"),
    ("GET", "/"): page_row(EVERYONE, 200, "/"),
    ("GET", "/language"): page_row(EVERYONE, 303, "/language?lang=ja&next=/groups?x=1"),
    ("GET", "/favicon.ico"): page_row(EVERYONE, 200, "/favicon.ico"),
}
MATRIX: dict[tuple[str, str], Row] = {
    **SYSTEM_ROWS,
    **AUTH_ROWS,
    **USER_ROWS,
    **GROUP_ROWS,
    **DOCUMENT_ROWS,
    **NOTIFICATION_ROWS,
    **MEETING_ROWS,
    **SCHEDULING_ROWS,
    **FEED_ROWS,
}

# FastAPI's own description of the API is public by design.
EXEMPT = {("GET", "/openapi.json")}


def _flatten(routes: list[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every APIRoute with its full path, looking inside included routers."""
    found: list[tuple[str, APIRoute]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):
            found.extend(_flatten(route.original_router.routes, prefix + route.include_context.prefix))
    return found


def app_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    routes = [(method, path, route) for path, route in _flatten(app.routes) for method in sorted(route.methods)]
    assert len(routes) > 20, "the route walker found too few routes; has FastAPI changed how it keeps them?"
    return routes


def policies_of(route: APIRoute) -> list[Policy]:
    found: list[Policy] = []
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        if isinstance(dependant.call, Policy):
            found.append(dependant.call)
        pending.extend(dependant.dependencies)
    return found


def test_every_route_declares_exactly_one_policy(app: FastAPI) -> None:
    missing = [f"{m} {p}" for m, p, route in app_routes(app) if len({x.name for x in policies_of(route)}) != 1]
    assert not missing, f"routes without exactly one Policy: {missing}"


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = {(m, p) for m, p, _ in app_routes(app)} - EXEMPT
    assert routes - MATRIX.keys() == set(), "add these routes to MATRIX"
    gone = MATRIX.keys() - routes
    assert not gone, f"these MATRIX rows name routes that no longer exist: {gone}"


@pytest.fixture
def world(db: Session, app: FastAPI, make_user: Callable[..., User], make_group: Callable[..., Any]) -> World:
    people = {
        "pending": make_user(Role.industry, "US", status=UserStatus.pending),
        "industry": make_user(Role.industry, "JP"),
        "observer": make_user(Role.observer, "AU"),
        "us_delegate": make_user(Role.delegate, "US"),
        "jp_delegate": make_user(Role.delegate, "JP"),
        "secretariat": make_user(Role.secretariat, None),
        "admin": make_user(Role.admin, None),
    }
    group = make_group("matrix-group", (people["us_delegate"], MembershipRole.chair))
    document = make_document(db, app, people["us_delegate"], group, versions=(b"First paragraph, changed.\n",))
    return World(db=db, app=app, users=people, group=group, document_id=document.id, make_user=make_user)


def client_for(base_url: str, world: World, who: str) -> httpx.Client:
    http = httpx.Client(base_url=base_url, timeout=30, headers={"x-csrf-token": CSRF_TOKEN})
    if who == "anonymous":
        http.cookies.set("quad_session", session_cookie(SECRET_KEY, {"csrf": CSRF_TOKEN}), domain="127.0.0.1")
    else:
        world.db.refresh(world.users[who])  # "sign out everywhere" may have moved the session version on
        sign_in(http, SECRET_KEY, world.users[who])
    return http


def expected_status(row: Row, who: str, method: str, path: str) -> int:
    if who in row.allowed:
        return row.ok
    if row.denied is not None:
        return row.denied
    if who == "anonymous":
        return 401 if path.startswith("/api/") else 303
    return 403


@pytest.mark.parametrize("who", PRINCIPALS)
def test_matrix(who: str, world: World, base_url: str, app: FastAPI) -> None:
    failures = []
    for (method, template), row in MATRIX.items():
        http = client_for(base_url, world, who)  # a fresh session: some rows sign the caller out
        path = row.path(world, who) if callable(row.path) else row.path
        kwargs: dict[str, Any] = {}
        if row.json is not None:
            kwargs["json"] = row.json(world) if callable(row.json) else row.json
        elif method != "GET":
            data = row.data(world) if callable(row.data) else row.data
            kwargs["data"] = {"csrf_token": CSRF_TOKEN, **data}
            if row.files:
                kwargs["files"] = row.files
        version = data_version.current(world.db)
        response = http.request(method, path, **kwargs)
        want = expected_status(row, who, method, path)
        if response.status_code != want:
            failures.append(f"{method} {template} as {who}: got {response.status_code}, expected {want}")
        elif who in SIGNED_IN & row.allowed and method in UNSAFE_METHODS and data_version.current(world.db) == version:
            # A write that left the data version alone would leave cached pages showing the old data.
            failures.append(f"{method} {template} as {who}: succeeded without moving the data version")
        http.close()
    assert not failures, "\n".join(failures)


# The most privileged first, so each cache entry that could leak would already be there for the next person.
WARM_ORDER = ("admin", "secretariat", "us_delegate", "jp_delegate", "observer", "industry", "pending", "anonymous")


def test_cached_answers_never_cross_an_access_boundary(world: World, base_url: str, app: FastAPI) -> None:
    """Every cacheable route, read three times by each kind of person in turn: each gets exactly their own
    answer, the first read of each is never served from the cache (no entry is shared between people), and the
    entry then serves that person the same answer."""
    assert app.state.response_cache is not None, "the page cache is off in the test settings"
    cacheable = sorted(
        (method, path)
        for method, path, route in app_routes(app)
        if method == "GET" and getattr(route.endpoint, CACHED_RESPONSE, False)
    )
    assert len(cacheable) >= 5, "the page cache covers fewer routes than expected"
    clients = {who: client_for(base_url, world, who) for who in WARM_ORDER}
    failures = []
    for method, template in cacheable:
        row = MATRIX[(method, template)]
        for who in WARM_ORDER:
            path = row.path(world, who) if callable(row.path) else row.path
            want = expected_status(row, who, method, path)
            answers = [clients[who].get(path) for _ in range(3)]
            if [a.status_code for a in answers] != [want] * 3:
                failures.append(f"{template} as {who}: got {[a.status_code for a in answers]}, expected {want}")
            if "x-cache" in answers[0].headers:
                failures.append(f"{template} as {who}: the first answer came from someone else's cache entry")
            if want == 200 and (answers[2].headers.get("x-cache") != "hit" or answers[2].content != answers[1].content):
                failures.append(f"{template} as {who}: not served back from the cache, or served differently")
    for http in clients.values():
        http.close()
    assert not failures, "\n".join(failures)
