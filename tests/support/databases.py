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


@contextmanager
def migrated_scratch_database(prefix: str = "quad_scratch") -> Iterator[str]:
    """A scratch database at the newest migration, for tests that need committed data (a second app)."""
    from alembic import command

    from app.core.migrations_state import alembic_config

    with scratch_database(prefix) as url:
        config = alembic_config(url)
        config.attributes["configure_logging"] = False
        command.upgrade(config, "head")
        yield url


def committed_delegate_token(url: str, *, group_slug: str = "g", name: str = "A Delegate") -> str:
    """Commits a US delegate who belongs to one working group; returns an API token for them."""
    from app.access.principal import SYSTEM
    from app.auth import service as auth_service
    from app.core.db import build_engine, build_sessionmaker
    from app.groups import service as groups
    from app.users import service as users
    from app.users.models import Role

    engine = build_engine(url)
    try:
        with build_sessionmaker(engine)() as session, session.begin():
            user = users.create_user(
                session, SYSTEM, email=f"{group_slug}@gov.example", display_name=name, role=Role.delegate, country="US"
            )
            group = groups.create_group(session, SYSTEM, slug=group_slug, name=group_slug.upper(), technology_area="x")
            groups.add_member(session, SYSTEM, group, user)
            _, token = auth_service.create_token(session, SYSTEM, user, name="test")
    finally:
        engine.dispose()
    return token
