"""The `quad` command, run as a real subprocess (`python -m app`) against a scratch database.

Bad input must give one line on stderr, a non-zero exit status and write nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import Connection, Engine, text

from app.access.principal import SYSTEM
from app.core.config import PROJECT_ROOT
from app.core.db import build_engine, build_sessionmaker
from app.core.migrations_state import alembic_config, head_revision
from app.demo import GROUPS, PEOPLE
from app.main import create_app
from app.users import service as users
from app.users.models import Role
from tests.conftest import SECRET_KEY, make_settings
from tests.support.databases import scratch_database
from tests.support.server import free_port, serve

COUNTED_TABLES = ("user_account", "api_token", "audit_event", "working_group", "membership")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


class Quad:
    """Runs `python -m app ...` with the environment an operator would set."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith("QUAD_") and k not in ("DATABASE_URL", "REDIS_URL")
            },
            "DATABASE_URL": database_url,
            "QUAD_ENV": "test",
            "SECRET_KEY": SECRET_KEY,
            "QUAD_DATA_DIR": str(data_dir),
            "PYTHONPATH": str(PROJECT_ROOT),
        }

    def __call__(self, *args: str) -> Result:
        # The working folder is the data folder, so no developer's `.env` leaks in.
        done = subprocess.run(
            [sys.executable, "-m", "app", *args],
            env=self.env,
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        tail = "\n".join(result.err.strip().splitlines()[-3:])
        assert result.code == 0, f"quad {' '.join(args)} failed ({result.code}), printed {result.out!r}: {tail}"
        return result


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in COUNTED_TABLES}


def add_user(engine: Engine, email: str, name: str, role: Role, country: str | None = None) -> None:
    """Creates an account in-process, so tests of other commands do not depend on `users create`."""
    with build_sessionmaker(engine)() as session, session.begin():
        users.create_user(session, SYSTEM, email=email, display_name=name, role=role, country=country)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if rows else None


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """One migrated scratch database for the module (not the suite's shared test database)."""
    with scratch_database("quad_cli") as url:
        config = alembic_config(url)
        config.attributes["configure_logging"] = False
        command.upgrade(config, "head")
        yield url


@pytest.fixture(scope="module")
def engine(database_url: str) -> Iterator[Engine]:
    eng = build_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture(scope="module")
def quad(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Quad:
    return Quad(database_url, tmp_path_factory.mktemp("cli-data"))


# --- migrations and demo data ------------------------------------------------------------------------------


def test_db_upgrade_downgrade_upgrade(tmp_path: Path) -> None:
    """`db upgrade` migrates an empty database to head, `db downgrade --revision base` undoes it all."""
    with scratch_database("quad_cli_migrate") as url:
        quad = Quad(url, tmp_path)
        eng = build_engine(url)
        try:
            assert "head" in quad.ok("db", "upgrade").out
            assert current_revision(eng) == head_revision()
            assert counts(eng)["user_account"] == 0

            quad.ok("db", "downgrade", "--revision", "base")
            assert current_revision(eng) is None
            with eng.connect() as conn:
                assert conn.dialect.has_table(conn, "user_account") is False

            quad.ok("db", "upgrade")
            assert current_revision(eng) == head_revision()
            with eng.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM country")).scalar_one() == 4
        finally:
            eng.dispose()


def test_seed_demo_is_idempotent(tmp_path: Path) -> None:
    """`seed-demo` loads ~20 people, the three starting groups and their members; a second run adds nothing."""
    with scratch_database("quad_cli_seed") as url:
        quad = Quad(url, tmp_path)
        quad.ok("db", "upgrade")
        eng = build_engine(url)
        try:
            first = quad.ok("seed-demo", "--if-empty")  # empty database: --if-empty loads it
            after_first = counts(eng)
            assert after_first["user_account"] == len(PEOPLE) >= 18
            assert after_first["working_group"] == 3
            assert after_first["membership"] > 10
            assert f"{len(PEOPLE)} users added" in first.out
            with eng.connect() as conn:
                slugs = set(conn.execute(text("SELECT slug FROM working_group")).scalars())
                emails = set(conn.execute(text("SELECT email_key FROM user_account")).scalars())
            assert slugs == {"semiconductors", "5g-6g", "biotechnology"} == {g.slug for g in GROUPS}
            assert emails == {p.email.lower() for p in PEOPLE}

            second = quad.ok("seed-demo")
            assert counts(eng) == after_first
            assert "0 users added" in second.out and "0 groups added" in second.out
            assert "0 memberships added" in second.out
        finally:
            eng.dispose()


def test_seed_demo_if_empty_leaves_a_used_database_alone(quad: Quad, engine: Engine) -> None:
    """`seed-demo --if-empty` on a database that has users loads nothing."""
    add_user(engine, "first.user@example.org", "First User", Role.admin)
    before = counts(engine)
    result = quad.ok("seed-demo", "--if-empty")
    assert "not loaded" in result.out
    assert counts(engine) == before
    assert before["working_group"] == 0


# --- users -------------------------------------------------------------------------------------------------


def test_users_create(quad: Quad, engine: Engine) -> None:
    """`users create` makes the account with role, country and organisation, and audits it."""
    before = counts(engine)
    result = quad.ok(
        "users",
        "create",
        "--email",
        "Mei.Tanaka@Example.JP",
        "--name",
        "Mei Tanaka",
        "--role",
        "delegate",
        "--country",
        "jp",
        "--org",
        "METI",
    )
    assert "created user" in result.out
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT email, display_name, role, country_code, organisation, status FROM user_account "
                "WHERE email_key = 'mei.tanaka@example.jp'"
            )
        ).one()
    assert row.display_name == "Mei Tanaka"
    assert (row.role, row.country_code, row.organisation, row.status) == ("delegate", "JP", "METI", "active")
    assert row.email.lower() == "mei.tanaka@example.jp"
    after = counts(engine)
    assert after["user_account"] == before["user_account"] + 1
    assert after["audit_event"] == before["audit_event"] + 1


def test_users_list(quad: Quad, engine: Engine) -> None:
    """`users list` prints one line per account, with email, role and country."""
    add_user(engine, "listed@example.org", "Listed Person", Role.observer, "IN")
    lines = quad.ok("users", "list").out.splitlines()
    listed = [line.split("\t") for line in lines if "listed@example.org" in line]
    assert len(listed) == 1
    assert {"Listed Person", "observer", "IN", "active"} <= set(listed[0])


@dataclass(frozen=True)
class BadInput:
    name: str
    args: tuple[str, ...]
    message: str


BAD_USERS = [
    BadInput(
        "unknown role",
        ("--email", "r@example.org", "--name", "R", "--role", "wizard", "--country", "US"),
        "unknown role",
    ),
    BadInput(
        "unknown country",
        ("--email", "c@example.org", "--name", "C", "--role", "delegate", "--country", "FR"),
        "unknown country",
    ),
    BadInput("delegate without country", ("--email", "d@example.org", "--name", "D", "--role", "delegate"), "country"),
    BadInput(
        "secretariat with country",
        ("--email", "s@example.org", "--name", "S", "--role", "secretariat", "--country", "US"),
        "country",
    ),
    BadInput(
        "duplicate email in another case",
        ("--email", "EXISTING.Person@EXAMPLE.org", "--name", "Twin", "--role", "admin"),
        "already exists",
    ),
    BadInput("invalid email", ("--email", "not-an-email", "--name", "N", "--role", "admin"), "email"),
    BadInput("blank name", ("--email", "blank@example.org", "--name", "   ", "--role", "admin"), "name"),
]


@pytest.fixture(scope="module")
def existing_user(engine: Engine) -> str:
    email = "existing.person@example.org"
    add_user(engine, email, "Existing Person", Role.admin)
    return email


def assert_refused(result: Result, message: str) -> None:
    assert result.code != 0, f"expected a refusal, got exit 0: {result.out}"
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got: {result.err!r}"
    assert message in lines[0].lower(), lines[0]
    assert "Traceback" not in result.err


@pytest.mark.parametrize("case", BAD_USERS, ids=[c.name for c in BAD_USERS])
def test_users_create_refuses_bad_input(quad: Quad, engine: Engine, existing_user: str, case: BadInput) -> None:
    """Bad input to `users create`: one line on stderr, non-zero exit, nothing written."""
    before = counts(engine)
    assert_refused(quad("users", "create", *case.args), case.message)
    assert counts(engine) == before


# --- tokens ------------------------------------------------------------------------------------------------


def test_tokens_create_prints_a_working_token(
    quad: Quad, engine: Engine, database_url: str, existing_user: str, tmp_path: Path
) -> None:
    """`tokens create` prints exactly one line, the token, which then authenticates against the API."""
    before = counts(engine)
    result = quad.ok("tokens", "create", "--email", existing_user.upper(), "--name", "deploy", "--expires-days", "7")
    lines = result.out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qd_")
    token = lines[0]
    after = counts(engine)
    assert after["api_token"] == before["api_token"] + 1
    assert after["audit_event"] == before["audit_event"] + 1

    port = free_port()
    app = create_app(make_settings(database_url, tmp_path, f"http://127.0.0.1:{port}"))
    try:
        with serve(app, port) as url:
            me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert me.status_code == 200, me.text
            assert me.json()["email"] == existing_user
            tokens = httpx.get(f"{url}/api/v1/me/tokens", headers={"Authorization": f"Bearer {token}"}, timeout=30)
            assert [t["name"] for t in tokens.json()["items"]] == ["deploy"]
            assert tokens.json()["items"][0]["expires_at"] is not None
    finally:
        app.state.engine.dispose()


BAD_TOKENS = [
    BadInput("unknown user", ("--email", "nobody@example.org"), "no user"),
    BadInput("zero days", ("--email", "existing.person@example.org", "--expires-days", "0"), "expires"),
    BadInput("negative days", ("--email", "existing.person@example.org", "--expires-days", "-5"), "expires"),
]


@pytest.mark.parametrize("case", BAD_TOKENS, ids=[c.name for c in BAD_TOKENS])
def test_tokens_create_refuses_bad_input(quad: Quad, engine: Engine, existing_user: str, case: BadInput) -> None:
    """Bad input to `tokens create`: one line on stderr, non-zero exit, no token and no audit event."""
    before = counts(engine)
    result = quad("tokens", "create", *case.args)
    assert_refused(result, case.message)
    assert "qd_" not in result.out
    assert counts(engine) == before


# --- cache -------------------------------------------------------------------------------------------------


def test_cache_purge_drops_entries_that_can_no_longer_be_served(quad: Quad) -> None:
    """A command write moves the data version like any other, so the entry stored before it is purged."""

    @contextmanager
    def fresh() -> Iterator[Connection]:
        # A new engine each time: nothing pooled from the other tests, so every read sees the commands' commits.
        engine = build_engine(quad.database_url)
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()

    def data_version() -> int:
        with fresh() as conn:
            return int(conn.execute(text("SELECT value FROM data_version WHERE id = 1")).scalar_one())

    version = data_version()
    with fresh() as conn:
        conn.execute(
            text(
                "INSERT INTO page_cache (key, data_version, stored_at, media_type, body) "
                "VALUES ('k1', :v, :now, 'text/html', :b)"
            ),
            {"v": version, "now": datetime.now(UTC), "b": b"<p>cached</p>"},
        )
    assert "removed 0 page-cache entries" in quad.ok("cache", "purge").out
    quad.ok("users", "create", "--email", "cache.purge@example.org", "--name", "Cache Purge", "--role", "admin")
    assert data_version() == version + 1
    assert "removed 1 page-cache entries" in quad.ok("cache", "purge").out
