"""API fuzzing: schemathesis generates requests from /openapi.json and checks each answer against it.

For every operation of the live server's OpenAPI description, and for a caller of every role (anonymous,
industry, observer, delegate, secretariat, admin, each with an API token), Hypothesis generates valid and
invalid requests. Every answer must:

- not be a server error (no 5xx),
- have a status code the operation documents (so 401, 403, 404, 409, 422, 429 must be documented),
- have a documented content type, a body matching the documented schema, and the documented headers.

Path parameters are sometimes swapped for ids and slugs that exist (a group, a pending registration, the
caller's own token, someone else's token), so the handlers' success paths run too, not only their 404s.
Each generated request runs inside a savepoint that is rolled back: a DELETE or PATCH of one example (revoking
the caller's own token, disabling the caller) never changes what the next example sees, and the test's own
transaction is rolled back at the end like every other test's.

`make test` runs a few examples per operation and role (deterministically, so the gate is stable);
`make fuzz` sets QUAD_FUZZ_EXAMPLES (300) for a longer, randomised run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.auth import service as auth_service
from app.core.pagination import PageRequest
from app.groups.models import GroupStatus, MembershipRole, WorkingGroup
from app.users.models import Role, User, UserStatus

BOUNDED_EXAMPLES = 10  # per operation and role: about 30 s for the API as it is, on either database
EXAMPLES = int(os.environ.get("QUAD_FUZZ_EXAMPLES") or BOUNDED_EXAMPLES)
LONG_RUN = bool(os.environ.get("QUAD_FUZZ_EXAMPLES"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

ROLES = ("anonymous", "industry", "observer", "delegate", "secretariat", "admin")


@pytest.fixture(scope="session")
def api_schema(base_url: str) -> BaseSchema:
    """The live server's own description (loaded once; the server fixture is session-scoped)."""
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


@dataclass
class Caller:
    role: str
    headers: dict[str, str]
    # Real values for path parameters, by parameter name.
    known: dict[str, list[object]] = field(default_factory=dict)


@pytest.fixture(params=ROLES)
def caller(
    request: pytest.FixtureRequest,
    db: Session,
    make_user: Callable[..., User],
    make_group: Callable[..., WorkingGroup],
    token_for: Callable[..., str],
) -> Caller:
    """A caller of one role with a token, and a little real data for the generated requests to find."""
    role: str = request.param
    chair = make_user(Role.delegate, "JP", name="Fuzz Chair")
    observer = make_user(Role.observer, "AU", name="Fuzz Observer")
    pending = make_user(Role.industry, "IN", status=UserStatus.pending, name="Fuzz Pending")
    active_group = make_group("fuzz-active", (chair, MembershipRole.chair), (observer, MembershipRole.member))
    archived_group = make_group("fuzz-archived", (chair, MembershipRole.member))
    archived_group.status = GroupStatus.archived
    others_token, _ = auth_service.create_token(db, SYSTEM, chair, name="someone else's")
    db.commit()

    known: dict[str, list[object]] = {
        "slug": [active_group.slug, archived_group.slug],
        "user_id": [pending.id, chair.id, observer.id],
        "token_id": [others_token.id],
    }
    if role == "anonymous":
        return Caller(role, {}, known)
    user = make_user(Role(role), "US", name=f"Fuzz {role.title()}")
    raw = token_for(user)
    own_token = auth_service.tokens_of(db, auth_service.principal_for(db, user), PageRequest()).items[0]
    known["user_id"].append(user.id)
    known["token_id"].append(own_token.id)
    return Caller(role, {"Authorization": f"Bearer {raw}"}, known)


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not LONG_RUN,
    # The caller (user, token, data) is made once per test function and shared by every example on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_api_answers_as_documented(
    caller: Caller, api_schema: BaseSchema, connection: Connection, subtests: pytest.Subtests
) -> None:
    """Every operation, for this caller: each failing operation is reported on its own, with its example."""
    operations = []
    for result in api_schema.get_all_operations():
        if not isinstance(result, Ok):
            pytest.fail(f"the OpenAPI description has an operation schemathesis cannot read: {result.err()}")
        operations.append(result.ok())
    assert len(operations) >= 10, "the OpenAPI description lists too few operations"
    for operation in operations:
        with subtests.test(msg=f"{operation.label} as {caller.role}"):
            fuzz(operation, caller, connection)


def fuzz(operation: APIOperation, caller: Caller, connection: Connection) -> None:
    """Runs the examples, and fails once at the end with every distinct problem and one request showing it.

    Failing at the first problem would hide the others behind it (an undocumented 401 on every example would
    mask a 500 that only some inputs cause), so problems are collected by kind and status code.
    """
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    found: dict[str, str] = {}

    @FUZZ_SETTINGS
    @given(case=cases, data=st.data())
    def one_request(case: Case, data: st.DataObject) -> None:
        path_parameters = case.path_parameters or {}
        for name, value in list(path_parameters.items()):
            if name in caller.known:
                path_parameters[name] = data.draw(st.sampled_from([value, *caller.known[name]]), label=name)
        savepoint = connection.begin_nested()
        try:
            response = case.call(headers=caller.headers, timeout=30)
        finally:
            savepoint.rollback()
        try:
            case.validate_response(response, checks=CHECKS, headers=caller.headers)
        except FailureGroup as failures:
            for failure in failures.exceptions:
                key = f"{failure.code} {failure.title} (HTTP {response.status_code})"
                if key not in found:
                    body = response.content[:400].decode(errors="replace")
                    example = case.as_curl_command(headers=caller.headers)
                    found[key] = f"{failure.message}\n    body: {body}\n    e.g. {example}"

    one_request()
    if found:
        problems = "\n".join(f"- {key}\n    " + text.replace("\n", "\n    ") for key, text in sorted(found.items()))
        pytest.fail(f"{operation.label} as {caller.role}:\n{problems}", pytrace=False)


# --- what the fuzzer found, pinned ---------------------------------------------------------------------------
# The random run may or may not draw these on a given day; these requests are checked on every run.

INT4_MAX = 2**31 - 1  # PostgreSQL INTEGER: the id columns
INT8_MAX = 2**63 - 1  # SQLite INTEGER
PROBLEM_JSON = "application/problem+json"

REFUSED = (404, 422)
# A search may instead drop the NUL and answer normally, as long as every database answers the same.
SEARCH = (200, 422)

PINNED = [
    pytest.param("delegate", "DELETE", f"/api/v1/me/tokens/{INT4_MAX + 1}", None, REFUSED, id="token-id-over-32"),
    pytest.param("delegate", "DELETE", f"/api/v1/me/tokens/{INT8_MAX + 1}", None, REFUSED, id="token-id-over-64"),
    pytest.param("delegate", "DELETE", f"/api/v1/me/tokens/{-INT8_MAX - 2}", None, REFUSED, id="token-id-under-64"),
    pytest.param("secretariat", "POST", f"/api/v1/users/{INT4_MAX + 1}/approve", None, REFUSED, id="user-id-over-32"),
    pytest.param("secretariat", "POST", f"/api/v1/users/{INT8_MAX + 1}/reject", None, REFUSED, id="user-id-over-64"),
    pytest.param(
        "admin",
        "PATCH",
        f"/api/v1/users/{INT8_MAX + 1}",
        {"status": "disabled", "reason": "x"},
        REFUSED,
        id="patch-user-64",
    ),
    pytest.param("admin", "DELETE", f"/api/v1/users/1/tokens/{INT8_MAX + 1}", None, REFUSED, id="admin-revoke-64"),
    pytest.param("anonymous", "GET", "/api/v1/working-groups/a%00b", None, REFUSED, id="nul-in-slug"),
    pytest.param("delegate", "POST", "/api/v1/me/tokens", {"name": "laptop\x00"}, REFUSED, id="nul-in-token-name"),
    pytest.param(
        "secretariat",
        "POST",
        "/api/v1/working-groups",
        {"slug": "nul-name", "name": "Quantum\x00", "technology_area": "quantum"},
        REFUSED,
        id="nul-in-group-name",
    ),
    pytest.param("anonymous", "GET", "/api/v1/documents?q=chip%00", None, SEARCH, id="nul-in-document-search"),
    pytest.param("anonymous", "GET", "/api/v1/documents?tag=5g%00", None, SEARCH, id="nul-in-document-tag"),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "expected"), PINNED)
def test_found_inputs_are_refused_not_a_server_error(
    role: str,
    method: str,
    path: str,
    body: dict[str, str] | None,
    expected: tuple[int, ...],
    base_url: str,
    connection: Connection,
    make_user: Callable[..., User],
    token_for: Callable[..., str],
) -> None:
    """An id no row can have, or a NUL character (which PostgreSQL cannot store), is the caller's mistake: a 404
    or 422 problem on every database, never a 500 on one of them."""
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {token_for(make_user(Role(role), 'US'))}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
        response = http.request(method, path, json=body)
    # pytest.fail without a traceback: rendering one parses source with `ast`, which on Python 3.11.7 races with
    # the server thread formatting the 500's traceback (CPython gh-106905) and crashes pytest.
    if response.status_code not in expected:
        pytest.fail(f"{method} {path}: {response.status_code} {response.text[:300]}", pytrace=False)
    if response.status_code >= 400:
        assert response.headers["content-type"].split(";")[0] == PROBLEM_JSON


def test_admin_revokes_a_token_only_under_its_owner(
    api_as: Callable[[User], httpx.Client], make_user: Callable[..., User], db: Session
) -> None:
    """DELETE /api/v1/users/{user_id}/tokens/{token_id} names the owner: another user's id must not revoke it."""
    admin, owner, bystander = make_user(Role.admin), make_user(Role.delegate, "US"), make_user(Role.delegate, "JP")
    token, _ = auth_service.create_token(db, SYSTEM, owner, name="owner's laptop")
    db.commit()
    http = api_as(admin)
    response = http.delete(f"/api/v1/users/{bystander.id}/tokens/{token.id}")
    db.refresh(token)
    assert response.status_code == 404, response.text
    assert token.revoked_at is None


# --- the description itself ----------------------------------------------------------------------------------

# Refusals that the fuzzer cannot provoke with one token (rate limits are very high in tests, conflicts are
# rolled back), so they are required of the description directly.
ROLE_GATED = {("get", "/api/v1/users/pending")}
CONFLICTS = {
    ("post", "/api/v1/users/{user_id}/approve"),
    ("post", "/api/v1/users/{user_id}/reject"),
    ("post", "/api/v1/working-groups"),
}
RATE_LIMITED = {("post", "/api/v1/me/tokens")}


def test_every_refusal_is_documented_as_a_problem(api_schema: BaseSchema) -> None:
    """Each operation documents the 4xx answers it can give, as application/problem+json.

    - 401 everywhere: a wrong, expired or revoked token is refused by every operation;
    - 422 where there is a parameter or a body, and 400 where there is a body (it may not parse);
    - 404 where the path names an object; 403 where a role gates the operation, and on every write (a browser
      session without its CSRF token); 409 on decisions that can conflict; 429 with Retry-After where rate-limited.
    """
    missing = []
    for path, operations in api_schema.raw_schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            has_body = "requestBody" in operation
            required = {"401"}
            if operation.get("parameters") or has_body:
                required.add("422")
            if has_body:
                required.add("400")
            if "{" in path:
                required.add("404")
            if method != "get" or (method, path) in ROLE_GATED:
                required.add("403")
            if (method, path) in CONFLICTS:
                required.add("409")
            if (method, path) in RATE_LIMITED:
                required.add("429")
            responses = operation.get("responses", {})
            for code in sorted(required):
                documented = responses.get(code)
                if documented is None:
                    missing.append(f"{method.upper()} {path}: {code} not documented")
                elif PROBLEM_JSON not in documented.get("content", {}):
                    media = ", ".join(documented.get("content", {})) or "no content"
                    missing.append(f"{method.upper()} {path}: {code} documented as {media}, not {PROBLEM_JSON}")
            if "429" in required and "Retry-After" not in responses.get("429", {}).get("headers", {}):
                missing.append(f"{method.upper()} {path}: 429 without its Retry-After header")
    assert not missing, "\n".join(missing)


def test_documented_page_size_is_accepted(api_schema: BaseSchema, client: httpx.Client) -> None:
    """The per_page maximum the description advertises is one the server accepts."""
    refused = []
    for path, operations in api_schema.raw_schema["paths"].items():
        get = operations.get("get", {})
        for parameter in get.get("parameters", []):
            if parameter["name"] == "per_page" and "{" not in path:
                maximum = parameter["schema"]["maximum"]
                response = client.get(path, params={"per_page": maximum})
                if response.status_code not in (200, 401, 403):
                    refused.append(f"GET {path}?per_page={maximum}: {response.status_code} {response.text[:200]}")
    assert not refused, "\n".join(refused)
