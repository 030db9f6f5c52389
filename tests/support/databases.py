"""Real databases for tests: a temporary SQLite file, or PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
ON_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")


def _admin_url() -> str:
    return make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@contextmanager
def scratch_database(prefix: str = "quad_scratch") -> Iterator[str]:
    """A new, empty database that is dropped afterwards (used by migration and CLI tests)."""
    if not ON_POSTGRES:
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            yield f"sqlite:///{Path(folder) / 'scratch.db'}"
        return
    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(_admin_url()).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def reset_test_database(folder: Path) -> str:
    """The suite's main database, emptied: a fresh SQLite file, or the PostgreSQL `public` schema dropped."""
    if not ON_POSTGRES:
        return f"sqlite:///{folder / 'test.db'}"
    engine = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return _admin_url()
