"""The rows of the benchmark: what is loaded, as whom, and the target each kind of row must meet.

A later feature adds its rows to `ENDPOINTS` (and its data to `bench.seed.VOLUMES` / `SEEDERS`).
"""

from __future__ import annotations

import hashlib
import json
from base64 import b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import TimestampSigner

from app.main import SESSION_COOKIE
from app.users.models import Role
from bench.seed import SEARCH_WORD, BenchUsers


class Kind(StrEnum):
    baseline = "baseline"  # /healthz: no database, no template; every ratio is against it
    probe = "probe"  # readiness: its own latency and error targets, no ratio target
    json_list = "json-list"
    json = "json"  # one object: p99 and error targets (the issue sets ratio targets for lists and pages)
    html = "html"
    download = "download"  # a file: no ratio target (its cost is the bytes, or the watermark)


class Auth(StrEnum):
    anonymous = "anon"
    bearer = "token"  # Authorization: Bearer <the role's API token>
    cookie = "cookie"  # a signed session cookie for the role's user


# Targets from the issue: requests/s as a share of /healthz in the same run, and absolute limits.
MIN_RATIO: dict[Kind, float] = {Kind.json_list: 0.40, Kind.html: 0.30}
MAX_P99_MS = 100.0
MAX_WORKER_RSS_MB = 150.0
WATERMARK_MAX_P50_MS = 1000.0  # the issue: a stamped 100-page download answers well under a second
# Stamping a 100-page PDF is ~40 ms of CPU per request: 32 of them at once on 2 workers would only measure the
# queue (by Little's law p50 ≈ connections / throughput), not how long one person waits for the file.
WATERMARK_CONNECTIONS = 4
# The overload row: far more connections than the 2 workers have threads (4 each). The target there is
# that the server keeps answering: no request over 5 s and no error other than 503 (capacity, with Retry-After);
# req/s and p99 are printed but not judged. wrk only sees an answer that comes back while it runs, so the row runs
# at least OVERLOAD_MIN_SECONDS: a request started in its first seconds and answered after 5 s is then counted.
OVERLOAD_CONNECTIONS = 256
OVERLOAD_MAX_SECONDS = 5.0  # wrk's --timeout: a later answer counts as a timeout, not as a latency
OVERLOAD_MIN_SECONDS = 10.0


@dataclass(frozen=True)
class Endpoint:
    # May contain {group} (the slug of a group the benchmark delegate chairs), or {document}, {text_document},
    # {controlled_pdf}: documents the benchmark delegate may read and download (bench.seed.pick_documents), or
    # {meeting}: the meeting with the 30-item agenda (bench.seed.pick_meeting).
    path: str
    kind: Kind
    auth: Auth = Auth.anonymous
    role: Role = Role.delegate  # whose token or cookie, when auth is not anonymous
    max_p50_ms: float | None = None  # a row's own latency target, where the issue sets one
    max_p99_ms: float | None = MAX_P99_MS  # None where the issue sets the row a p50 target instead
    connections: int | None = None  # wrk connections for this row; None: the run's --connections
    # Judged only on answering under overload (no request over 5 s, no error but 503), not on ratio or p99.
    overload: bool = False
    min_seconds: float | None = None  # this row runs at least this long, whatever --duration says

    @property
    def label(self) -> str:
        label = self.path if self.auth is Auth.anonymous else f"{self.path} ({self.auth.value}:{self.role.value})"
        return label if self.connections is None else f"{label} [{self.connections} conn]"

    def url_path(self, placeholders: Mapping[str, str]) -> str:
        return self.path.format_map(placeholders)


ENDPOINTS: list[Endpoint] = [
    Endpoint("/healthz", Kind.baseline),
    Endpoint("/readyz", Kind.probe),
    Endpoint("/api/v1/countries", Kind.json_list),
    Endpoint("/api/v1/working-groups", Kind.json_list),
    Endpoint("/api/v1/working-groups/{group}", Kind.json, Auth.bearer),
    Endpoint("/api/v1/me", Kind.json, Auth.bearer),
    Endpoint("/", Kind.html),
    Endpoint("/", Kind.html, Auth.cookie),
    Endpoint("/groups/{group}", Kind.html, Auth.cookie),
    Endpoint("/login", Kind.html),
    Endpoint("/profile", Kind.html, Auth.cookie),
    # Documents (20,000 in the dataset, ~400 a group).
    Endpoint("/api/v1/documents?group={group}", Kind.json_list, Auth.bearer),
    Endpoint("/groups/{group}/documents", Kind.html, Auth.cookie),
    Endpoint(f"/api/v1/documents?q={SEARCH_WORD}", Kind.json_list, Auth.bearer),
    Endpoint("/documents/{document}", Kind.html, Auth.cookie),
    Endpoint("/api/v1/documents/{text_document}/versions/1/file", Kind.download, Auth.bearer),
    Endpoint(
        "/api/v1/documents/{controlled_pdf}/versions/1/file",
        Kind.download,
        Auth.bearer,
        max_p50_ms=WATERMARK_MAX_P50_MS,
        max_p99_ms=None,
        connections=WATERMARK_CONNECTIONS,
    ),
    # Meetings: the benchmark group's calendar holds 2,000 meetings; {meeting} is the meeting page with a published
    # agenda of 30 items, each linking two documents (bench.seed.pick_meeting).
    Endpoint("/groups/{group}/meetings", Kind.html, Auth.cookie),
    Endpoint("/api/v1/meetings?group={group}", Kind.json_list, Auth.bearer),
    Endpoint("/meetings/{meeting}", Kind.html, Auth.cookie),
    # Overload: the documents API (queries and serialisation, no template) with 256 connections.
    Endpoint(
        "/api/v1/documents?group={group}",
        Kind.json_list,
        Auth.bearer,
        max_p99_ms=None,
        connections=OVERLOAD_CONNECTIONS,
        overload=True,
        min_seconds=OVERLOAD_MIN_SECONDS,
    ),
]


def session_cookie(secret_key: str, user_id: int, session_id: str) -> str:
    """The cookie a signed-in browser holds (the server's cookies are Secure-only, so wrk could not keep them):
    the id of the server-side session issue_credentials opened for the user, and the CSRF token the first page
    with a form (every signed-in page has the sign-out button) added to it."""
    data = {"sid": session_id, "csrf": hashlib.sha256(f"{secret_key}:{session_id}".encode()).hexdigest()}
    signed = TimestampSigner(secret_key).sign(b64encode(json.dumps(data).encode())).decode()
    return f"{SESSION_COOKIE}={signed}"


def request_headers(endpoint: Endpoint, users: BenchUsers, secret_key: str) -> dict[str, str]:
    if endpoint.auth is Auth.bearer:
        return {"Authorization": f"Bearer {users.tokens[endpoint.role]}"}
    if endpoint.auth is Auth.cookie:
        return {"Cookie": session_cookie(secret_key, *users.users[endpoint.role])}
    return {}
