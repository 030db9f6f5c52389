"""API ergonomics (issue 9, item 14): tokens expire after 90 days unless chosen otherwise, the profile shows a new
token with a copy button and a working `curl` example, and /api/docs is a browsable reference served from our
own files under the Content-Security-Policy. Also what `quad serve` prints once it listens (item 13)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest
from alembic import command
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiToken
from app.auth.service import hash_token
from app.core.config import PROJECT_ROOT
from app.core.db import build_engine, build_sessionmaker, utcnow
from app.core.migrations_state import alembic_config
from app.demo import PEOPLE
from app.users.models import Role, User
from tests.conftest import SECRET_KEY
from tests.support.databases import scratch_database
from tests.support.server import free_port
from tests.support.sessions import CSRF_TOKEN

NINETY_DAYS = timedelta(days=90)


def assert_about_90_days(expires_at: object) -> None:
    assert expires_at is not None, "the token never expires"
    left = _left(expires_at)
    assert NINETY_DAYS - timedelta(minutes=5) < left <= NINETY_DAYS, left


# --- tokens expire after 90 days unless chosen otherwise --------------------------------------------------------


def test_api_token_defaults_to_90_days_and_never_is_not_offered(
    make_user: Callable[..., User], api_as: Callable[[User], httpx.Client]
) -> None:
    http = api_as(make_user(Role.delegate, "JP"))
    created = http.post("/api/v1/me/tokens", json={"name": "script"})
    assert created.status_code == 201, created.text
    assert_about_90_days(created.json()["expires_at"])
    chosen = http.post("/api/v1/me/tokens", json={"name": "short", "expires_days": 7})
    assert chosen.status_code == 201
    assert timedelta(days=6) < _left(chosen.json()["expires_at"]) <= timedelta(days=7)
    # "Never" is for the admin CLI only: null is refused, not taken as "no expiry".
    never = http.post("/api/v1/me/tokens", json={"name": "forever", "expires_days": None})
    assert never.status_code == 422
    assert never.headers["content-type"].startswith("application/problem+json")


def _left(value: object) -> timedelta:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if when.tzinfo is None:  # SQLite hands back naive UTC
        when = when.replace(tzinfo=UTC)
    return when - utcnow()


def test_profile_token_defaults_to_90_days_with_copy_button_and_curl(
    browser_as: Callable[[User], httpx.Client], make_user: Callable[..., User], db: Session, app: FastAPI, base_url: str
) -> None:
    http = browser_as(make_user(Role.delegate, "AU"))
    form = http.get("/profile")
    assert form.status_code == 200
    assert re.search(r'<input id="token-days" name="expires_days" value="90"', form.text), "the form proposes 90"

    # A form sent without the field (as an old page or a script would) still gets 90 days, not "never".
    created = http.post("/profile/tokens", data={"name": "laptop", "csrf_token": CSRF_TOKEN})
    assert created.status_code == 200, created.text
    found = re.search(r'<p id="new-token"><code class="token">(qd_[^<]+)</code></p>', created.text)
    assert found, "the new token is shown as selectable text"
    raw = found.group(1)
    stored = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    assert stored is not None
    assert_about_90_days(stored.expires_at)

    # The copy button names the token's element and its script comes from our origin (no inline script).
    assert 'data-copy-target="new-token"' in created.text
    assert '<script src="/static/copy.js" defer></script>' in created.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", created.text), "an inline script would break the CSP"
    script = http.get("/static/copy.js")
    assert script.status_code == 200 and "navigator.clipboard" in script.text

    # The curl example uses the configured public address and works as printed.
    curl = re.search(r'<p id="curl-example"><code class="token">([^<]+)</code></p>', created.text)
    assert curl
    command_line = unescape(curl.group(1))
    settings_base = app.state.settings.base_url
    assert command_line == f'curl -H "Authorization: Bearer {raw}" {settings_base}/api/v1/me'
    header = re.search(r'-H "([^:]+): ([^"]+)" (\S+)$', command_line)
    assert header
    me = httpx.get(header.group(3), headers={header.group(1): header.group(2)}, timeout=30)
    assert me.status_code == 200 and me.json()["display_name"]

    # Shown once: the next visit lists the token without its secret.
    again = http.get("/profile")
    assert raw not in again.text and "copy.js" not in again.text


# --- the API reference -----------------------------------------------------------------------------------------


def _local_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "delegate"])
def test_api_docs_is_served_from_our_own_files_under_the_csp(
    signed_in: bool,
    client: httpx.Client,
    browser_as: Callable[[User], httpx.Client],
    make_user: Callable[..., User],
    app: FastAPI,
) -> None:
    http = browser_as(make_user(Role.delegate, "US")) if signed_in else client
    page = http.get("/api/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    # The app's own policy, not a looser one for this page.
    assert page.headers["content-security-policy"] == app.state.security_headers["Content-Security-Policy"]
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe" not in csp

    urls = _local_urls(page.text)
    external = [u for u in urls if re.match(r"(?:[a-z]+:)?//", u)]
    assert not external, f"the page loads or links outside our origin: {external}"
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text), "no inline script"
    assert 'data-openapi-url="/openapi.json"' in page.text

    wanted = {
        "/api/docs/assets/swagger-ui-bundle.js": ("javascript", "SwaggerUIBundle"),
        "/api/docs/assets/swagger-ui.css": ("text/css", ".swagger-ui"),
        "/static/api-docs.js": ("javascript", "SwaggerUIBundle"),
    }
    assert set(wanted) <= set(urls)
    for url, (kind, marker) in wanted.items():
        asset = http.get(url)
        assert asset.status_code == 200, url
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
        assert marker in asset.text, url
        assert asset.headers["content-security-policy"] == csp
    # The page's own script reads the description the app serves.
    spec = http.get("/openapi.json")
    assert spec.status_code == 200 and spec.json()["openapi"].startswith("3.1")
    # The bundle must understand OpenAPI 3.1, which FastAPI writes (Swagger UI 4 cannot render it).
    assert "isOAS31" in http.get("/api/docs/assets/swagger-ui-bundle.js").text


def test_api_docs_serves_only_its_two_assets(client: httpx.Client) -> None:
    assert client.get("/api/docs/assets/swagger-ui.css").status_code == 200
    for name in ("index.html", "swagger-initializer.js", "..%2F__init__.py", "swagger-ui-bundle.js.map"):
        assert client.get(f"/api/docs/assets/{name}").status_code == 404, name
    assert "/api/docs" not in client.get("/openapi.json").json()["paths"]


# --- what `quad serve` prints --------------------------------------------------------------------------------


@pytest.fixture
def migrated_database() -> Iterator[str]:
    with scratch_database("quad_serve") as url:
        config = alembic_config(url)
        config.attributes["configure_logging"] = False
        command.upgrade(config, "head")
        yield url


def test_serve_prints_the_real_address_and_how_to_sign_in_once_it_listens(
    migrated_database: str, tmp_path: Path
) -> None:
    port = free_port()
    # As `make run`: QUAD_ENV=dev, where development sign-in is on without identity providers.
    env = _quad_env(migrated_database, tmp_path, "dev")
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("Sign in" in line for line in lines):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
        printed = "".join(lines)
        address = re.search(r"open (http://\S+/)", printed)
        assert address, f"no address printed: {printed!r}"
        assert address.group(1) == f"http://127.0.0.1:{port}/"
        # True when seen: the server already answers at that address.
        assert httpx.get(address.group(1), timeout=10).status_code == 200
        assert httpx.get(address.group(1) + "api/docs", timeout=10).status_code == 200
        demo_names = {person.name for person in PEOPLE}
        named = [name for name in demo_names if name in printed]
        assert len(named) >= 3, f"the sign-in hint names no demo people: {printed!r}"
        assert "Development sign-in" in printed
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_starts_its_workers_with_two_malloc_arenas(migrated_database: str, tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in _quad_env(migrated_database, tmp_path).items() if k != "MALLOC_ARENA_MAX"}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(workers) < 2:
            time.sleep(0.2)
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
            # uvicorn's supervisor also starts a resource tracker; the workers are the ones serving.
            workers = [int(pid) for pid in children if b"MALLOC_ARENA_MAX" in _environ(int(pid))]
        assert len(workers) >= 2, "the workers were not started with MALLOC_ARENA_MAX"
        for pid in workers:
            assert b"MALLOC_ARENA_MAX=2\0" in _environ(pid)
    finally:
        process.terminate()
        process.wait(timeout=20)


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes() + b"\0"
    except OSError:
        return b""


def _quad_env(database_url: str, data_dir: Path, env_name: str = "test") -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("QUAD_") and k not in ("DATABASE_URL", "REDIS_URL")},
        "DATABASE_URL": database_url,
        "QUAD_ENV": env_name,
        "SECRET_KEY": SECRET_KEY,
        "QUAD_DATA_DIR": str(data_dir),
        "QUAD_EXTRACTION_WORKER": "false",
        "PYTHONPATH": str(PROJECT_ROOT),
    }


def test_cli_token_defaults_to_90_days_and_no_expiry_is_explicit(migrated_database: str, tmp_path: Path) -> None:
    env = _quad_env(migrated_database, tmp_path)

    def quad(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "app", *args], env=env, cwd=tmp_path, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    quad("users", "create", "--email", "ops@example.org", "--name", "Ops", "--role", "admin")
    default = quad("tokens", "create", "--email", "ops@example.org")
    never = quad("tokens", "create", "--email", "ops@example.org", "--name", "service", "--no-expiry")
    engine = build_engine(migrated_database)
    try:
        with build_sessionmaker(engine)() as session:
            stored = {
                raw: session.scalar(select(ApiToken.expires_at).where(ApiToken.token_hash == hash_token(raw)))
                for raw in (default, never)
            }
    finally:
        engine.dispose()
    assert_about_90_days(stored[default])
    assert stored[never] is None
