"""The rows of the benchmark: what is loaded, as whom, and the target each kind of row must meet.

A later feature adds its rows to `ENDPOINTS` (and its data to `bench.seed.VOLUMES` / `SEEDERS`).
"""

from __future__ import annotations

import json
import time
from base64 import b64encode
from dataclasses import dataclass
from enum import StrEnum

from itsdangerous import TimestampSigner

from app.main import SESSION_COOKIE
from app.users.models import Role
from bench.seed import BenchUsers


class Kind(StrEnum):
    baseline = "baseline"  # /healthz: no database, no template; every ratio is against it
    probe = "probe"  # readiness: its own latency and error targets, no ratio target
    json_list = "json-list"
    json = "json"  # one object: p99 and error targets (the issue sets ratio targets for lists and pages)
    html = "html"


class Auth(StrEnum):
    anonymous = "anon"
    bearer = "token"  # Authorization: Bearer <the role's API token>
    cookie = "cookie"  # a signed session cookie for the role's user


# Targets from the issue: requests/s as a share of /healthz in the same run, and absolute limits.
MIN_RATIO: dict[Kind, float] = {Kind.json_list: 0.40, Kind.html: 0.30}
MAX_P99_MS = 100.0
MAX_WORKER_RSS_MB = 150.0


@dataclass(frozen=True)
class Endpoint:
    path: str  # may contain {group}: the slug of a group the benchmark delegate chairs
    kind: Kind
    auth: Auth = Auth.anonymous
    role: Role = Role.delegate  # whose token or cookie, when auth is not anonymous

    @property
    def label(self) -> str:
        return self.path if self.auth is Auth.anonymous else f"{self.path} ({self.auth.value}:{self.role.value})"

    def url_path(self, group: str) -> str:
        return self.path.format(group=group)


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
]


def session_cookie(secret_key: str, user_id: int, session_version: int) -> str:
    """The cookie Starlette's SessionMiddleware would set at sign-in (the server's cookies are Secure-only)."""
    now = int(time.time())
    data = {"uid": user_id, "sv": session_version, "iat": now, "seen": now}
    signed = TimestampSigner(secret_key).sign(b64encode(json.dumps(data).encode())).decode()
    return f"{SESSION_COOKIE}={signed}"


def request_headers(endpoint: Endpoint, users: BenchUsers, secret_key: str) -> dict[str, str]:
    if endpoint.auth is Auth.bearer:
        return {"Authorization": f"Bearer {users.tokens[endpoint.role]}"}
    if endpoint.auth is Auth.cookie:
        return {"Cookie": session_cookie(secret_key, *users.users[endpoint.role])}
    return {}
