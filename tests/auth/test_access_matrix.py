"""The authorization matrix: every route declares a policy, and each kind of person gets the expected answer.

A new route fails `test_every_route_is_in_the_matrix` until its row is added here, so no page or endpoint
can ship without someone deciding who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app.access.policy import Policy
from app.auth import service as auth_service
from app.groups import service as groups_service
from app.groups.models import MembershipRole, WorkingGroup
from app.users.models import Role, User, UserStatus
from tests.conftest import SECRET_KEY
from tests.support.documents import make_document
from tests.support.sessions import CSRF_TOKEN, session_cookie, sign_in

PRINCIPALS = ("anonymous", "pending", "industry", "observer", "us_delegate", "jp_delegate", "secretariat", "admin")
SIGNED_IN = set(PRINCIPALS) - {"anonymous"}
ACTIVE = SIGNED_IN - {"pending"}
STAFF = {"secretariat", "admin"}


@dataclass
class World:
    db: Session
    app: FastAPI
    users: dict[str, User]
    group: WorkingGroup
    document_id: int
    make_user: Callable[..., User]
    counter: int = 0

    @property
    def group_slug(self) -> str:
        return self.group.slug

    def fresh_document(self) -> int:
        """A document of the US delegation that the call may change or withdraw."""
        return make_document(self.db, self.app, self.users["us_delegate"], self.group).id

    def fresh_member(self) -> int:
        self.counter += 1
        user = self.make_user(Role.delegate, "AU", email=f"m{self.counter}@gov.example")
        groups_service.add_member(self.db, None, self.group, user)
        self.db.commit()
        return user.id

    def fresh_slug(self) -> str:
        self.counter += 1
        return f"new-group-{self.counter}"

    def token_id_of(self, who: str) -> int:
        user = self.users.get(who) or self.users["us_delegate"]
        token, _ = auth_service.create_token(self.db, None, user, name="matrix")
        self.db.commit()
        return token.id

    def fresh_pending(self) -> int:
        self.counter += 1
        return self.make_user(Role.industry, "AU", status=UserStatus.pending, email=f"p{self.counter}@co.example").id

    def fresh_delegate(self) -> int:
        self.counter += 1
        return self.make_user(Role.delegate, "IN", email=f"d{self.counter}@gov.example").id


@dataclass
class Row:
    """One route: who may call it, what a permitted call answers, and how to build the request."""

    allowed: set[str]
    ok: int
    path: Callable[[World, str], str] | str
    json: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None
    data: dict[str, str] | Callable[[World], dict[str, str]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] | None = None
    denied: int | None = None  # when everyone outside `allowed` gets one fixed answer (e.g. 404)


def page_row(allowed: set[str], ok: int, path: Callable[[World, str], str] | str, **kw: Any) -> Row:
    return Row(allowed, ok, path, **kw)


EVERYONE = set(PRINCIPALS)
QUAD_READERS = {"observer", "us_delegate", "jp_delegate", "secretariat", "admin"}
US_EDITORS = {"us_delegate", "secretariat", "admin"}  # the document owner's delegation and the secretariat
TEXT_FILE = {"file": ("note.txt", b"Hello.\n\nA new paragraph.\n", "text/plain")}
DOC = "/api/v1/documents"
UPLOAD_FORM = {"title": "Matrix paper", "doc_type": "contribution", "visibility": "group", "owner": "US"}
MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/healthz"): Row(EVERYONE, 200, "/healthz"),
    ("GET", "/readyz"): Row(EVERYONE, 200, "/readyz"),
    ("GET", "/api/docs"): page_row(EVERYONE, 200, "/api/docs"),
    ("GET", "/api/docs/assets/{name}"): page_row(EVERYONE, 200, "/api/docs/assets/swagger-ui.css"),
    ("GET", "/api/v1/countries"): Row(EVERYONE, 200, "/api/v1/countries"),
    ("GET", "/api/v1/working-groups"): Row(EVERYONE, 200, "/api/v1/working-groups"),
    ("GET", "/api/v1/working-groups/{slug}"): Row(EVERYONE, 200, lambda w, p: f"/api/v1/working-groups/{w.group_slug}"),
    ("GET", "/api/v1/me"): Row(SIGNED_IN, 200, "/api/v1/me"),
    ("GET", "/api/v1/me/tokens"): Row(SIGNED_IN, 200, "/api/v1/me/tokens"),
    ("POST", "/api/v1/me/tokens"): Row(ACTIVE, 201, "/api/v1/me/tokens", json={"name": "matrix"}),
    ("DELETE", "/api/v1/me/tokens/{token_id}"): Row(
        SIGNED_IN, 204, lambda w, p: f"/api/v1/me/tokens/{w.token_id_of(p)}"
    ),
    ("GET", "/api/v1/users"): Row(STAFF, 200, "/api/v1/users?q=a&role=delegate&country=US&status=active"),
    ("GET", "/api/v1/users/pending"): Row(STAFF, 200, "/api/v1/users/pending"),
    ("POST", "/api/v1/users/{user_id}/approve"): Row(
        STAFF, 200, lambda w, p: f"/api/v1/users/{w.fresh_pending()}/approve"
    ),
    ("POST", "/api/v1/users/{user_id}/reject"): Row(
        STAFF, 200, lambda w, p: f"/api/v1/users/{w.fresh_pending()}/reject"
    ),
    ("PATCH", "/api/v1/users/{user_id}"): Row(
        {"admin"},
        200,
        lambda w, p: f"/api/v1/users/{w.fresh_delegate()}",
        json={"role": "observer", "reason": "matrix"},
    ),
    ("DELETE", "/api/v1/users/{user_id}/tokens/{token_id}"): Row(
        {"admin"}, 204, lambda w, p: f"/api/v1/users/{w.users['jp_delegate'].id}/tokens/{w.token_id_of('jp_delegate')}"
    ),
    ("GET", "/"): page_row(EVERYONE, 200, "/"),
    ("GET", "/groups/{slug}"): page_row(EVERYONE, 200, lambda w, p: f"/groups/{w.group_slug}"),
    ("GET", "/language"): page_row(EVERYONE, 303, "/language?lang=ja&next=/groups?x=1"),
    ("GET", "/favicon.ico"): page_row(EVERYONE, 200, "/favicon.ico"),
    ("GET", "/login"): page_row(EVERYONE, 200, "/login"),
    ("GET", "/auth/login/{name}"): page_row(EVERYONE, 302, "/auth/login/us-gov"),
    # Without a state from /auth/login, every callback is refused, whoever calls it.
    ("GET", "/auth/callback/{name}"): page_row(set(), 0, "/auth/callback/us-gov?code=x&state=y", denied=403),
    ("GET", "/auth/onboarding"): page_row(set(), 0, "/auth/onboarding", denied=404),
    ("POST", "/auth/onboarding"): page_row(set(), 0, "/auth/onboarding", data={"organisation": "X"}, denied=404),
    ("POST", "/auth/dev-login"): page_row(set(), 0, "/auth/dev-login", data={"user_id": "1"}, denied=404),
    ("POST", "/logout"): page_row(EVERYONE, 303, "/logout"),
    ("GET", "/profile"): page_row(SIGNED_IN, 200, "/profile"),
    ("POST", "/profile/preferences"): page_row(SIGNED_IN, 303, "/profile/preferences", data={"language": "en"}),
    ("POST", "/profile/tokens"): page_row(ACTIVE, 200, "/profile/tokens", data={"name": "matrix"}),
    ("POST", "/profile/tokens/{token_id}/revoke"): page_row(
        SIGNED_IN, 303, lambda w, p: f"/profile/tokens/{w.token_id_of(p)}/revoke"
    ),
    ("POST", "/profile/sign-out-everywhere"): page_row(SIGNED_IN, 303, "/profile/sign-out-everywhere"),
    ("GET", "/admin/approvals"): page_row(STAFF, 200, "/admin/approvals"),
    ("GET", "/admin/users"): page_row(STAFF, 200, "/admin/users?q=a&role=delegate"),
    ("GET", "/admin/users/{user_id}"): page_row(STAFF, 200, lambda w, p: f"/admin/users/{w.users['jp_delegate'].id}"),
    ("POST", "/admin/users/{user_id}"): page_row(
        {"admin"}, 303, lambda w, p: f"/admin/users/{w.fresh_delegate()}", data={"role": "observer", "reason": "matrix"}
    ),
    ("POST", "/admin/approvals/{user_id}"): page_row(
        STAFF, 303, lambda w, p: f"/admin/approvals/{w.fresh_pending()}", data={"decision": "approve"}
    ),
    # Working-group management
    ("POST", "/api/v1/working-groups"): Row(
        STAFF,
        201,
        "/api/v1/working-groups",
        json=lambda w: {"slug": w.fresh_slug(), "name": "New", "technology_area": "quantum"},
    ),
    ("PATCH", "/api/v1/working-groups/{slug}"): Row(
        STAFF, 200, lambda w, p: f"/api/v1/working-groups/{w.group_slug}", json={"charter": "Updated."}
    ),
    ("PUT", "/api/v1/working-groups/{slug}/members"): Row(
        STAFF,
        200,
        lambda w, p: f"/api/v1/working-groups/{w.group_slug}/members",
        json=lambda w: {"user_id": w.users["jp_delegate"].id, "role": "member"},
    ),
    ("DELETE", "/api/v1/working-groups/{slug}/members/{user_id}"): Row(
        STAFF, 204, lambda w, p: f"/api/v1/working-groups/{w.group_slug}/members/{w.fresh_member()}"
    ),
    ("GET", "/groups/new"): page_row(STAFF, 200, "/groups/new"),
    ("POST", "/groups/new"): page_row(
        STAFF, 303, "/groups/new", data=lambda w: {"slug": w.fresh_slug(), "name": "N", "technology_area": "ai"}
    ),
    ("GET", "/groups/{slug}/manage"): page_row(STAFF, 200, lambda w, p: f"/groups/{w.group_slug}/manage"),
    ("POST", "/groups/{slug}/manage"): page_row(
        STAFF,
        303,
        lambda w, p: f"/groups/{w.group_slug}/manage",
        data={"name": "Matrix Group", "technology_area": "semiconductors", "charter": "", "status": "active"},
    ),
    ("POST", "/groups/{slug}/members"): page_row(
        STAFF,
        303,
        lambda w, p: f"/groups/{w.group_slug}/members",
        data=lambda w: {"user_id": str(w.fresh_member()), "role": "observer"},
    ),
    # Documents
    ("GET", DOC): Row(EVERYONE, 200, DOC),
    ("POST", DOC): Row(US_EDITORS, 201, DOC, data=lambda w: {**UPLOAD_FORM, "group": w.group_slug}, files=TEXT_FILE),
    ("GET", DOC + "/{document_id}"): Row(EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}"),
    ("PATCH", DOC + "/{document_id}"): Row(
        US_EDITORS, 200, lambda w, p: f"{DOC}/{w.fresh_document()}", json={"title": "Renamed"}
    ),
    ("PUT", DOC + "/{document_id}/marking"): Row(
        US_EDITORS, 200, lambda w, p: f"{DOC}/{w.fresh_document()}/marking", json={"controlled": False}
    ),
    ("POST", DOC + "/{document_id}/withdraw"): Row(
        US_EDITORS, 200, lambda w, p: f"{DOC}/{w.fresh_document()}/withdraw", json={}
    ),
    ("GET", DOC + "/{document_id}/versions"): Row(EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}/versions"),
    ("POST", DOC + "/{document_id}/versions"): Row(
        US_EDITORS, 201, lambda w, p: f"{DOC}/{w.fresh_document()}/versions", files=TEXT_FILE
    ),
    ("GET", DOC + "/{document_id}/versions/{number}/file"): Row(
        EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}/versions/1/file"
    ),
    ("HEAD", DOC + "/{document_id}/versions/{number}/file"): Row(
        EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}/versions/1/file"
    ),
    ("GET", DOC + "/screening"): Row(STAFF, 200, DOC + "/screening"),
    ("GET", "/admin/screening"): page_row(STAFF, 200, "/admin/screening"),
    ("HEAD", "/documents/{document_id}/versions/{number}/file"): page_row(
        EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}/versions/2/file"
    ),
    ("GET", DOC + "/{document_id}/compare"): Row(
        EVERYONE, 200, lambda w, p: f"{DOC}/{w.document_id}/compare?from=1&to=2"
    ),
    ("GET", "/groups/{slug}/documents"): page_row(EVERYONE, 200, lambda w, p: f"/groups/{w.group_slug}/documents"),
    ("GET", "/groups/{slug}/documents/new"): page_row(
        QUAD_READERS, 200, lambda w, p: f"/groups/{w.group_slug}/documents/new"
    ),
    ("POST", "/groups/{slug}/documents/new"): page_row(
        US_EDITORS, 303, lambda w, p: f"/groups/{w.group_slug}/documents/new", data=UPLOAD_FORM, files=TEXT_FILE
    ),
    ("GET", "/documents/{document_id}"): page_row(EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}"),
    ("POST", "/documents/{document_id}/versions"): page_row(
        US_EDITORS, 303, lambda w, p: f"/documents/{w.fresh_document()}/versions", files=TEXT_FILE
    ),
    ("GET", "/documents/{document_id}/edit"): page_row(
        US_EDITORS, 200, lambda w, p: f"/documents/{w.document_id}/edit"
    ),
    ("POST", "/documents/{document_id}/edit"): page_row(
        US_EDITORS,
        303,
        lambda w, p: f"/documents/{w.fresh_document()}/edit",
        data={**UPLOAD_FORM, "visibility": "public"},
    ),
    ("POST", "/documents/{document_id}/withdraw"): page_row(
        US_EDITORS, 303, lambda w, p: f"/documents/{w.fresh_document()}/withdraw"
    ),
    ("GET", "/documents/{document_id}/versions/{number}/file"): page_row(
        EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}/versions/2/file"
    ),
    ("GET", "/documents/{document_id}/compare"): page_row(
        EVERYONE, 200, lambda w, p: f"/documents/{w.document_id}/compare?from=1&to=2"
    ),
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
        response = http.request(method, path, **kwargs)
        want = expected_status(row, who, method, path)
        if response.status_code != want:
            failures.append(f"{method} {template} as {who}: got {response.status_code}, expected {want}")
        http.close()
    assert not failures, "\n".join(failures)
