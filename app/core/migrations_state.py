"""Where the database schema stands against the newest Alembic revision (for /readyz and the CLI)."""

from __future__ import annotations

import time
from functools import cache
from weakref import WeakKeyDictionary

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from app.core.config import PROJECT_ROOT


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


# When each engine's database was last found at head: asking Alembic costs far more than the probe itself
# (p99 550 ms under load), and a schema does not go back by itself, so "at head" is trusted for a while.
_AT_HEAD: WeakKeyDictionary[Engine, float] = WeakKeyDictionary()


def schema_problem(engine: Engine, *, recheck_after: float = 0) -> str | None:
    """None when the database answers and is at head; otherwise the reason, for people to read.

    The database is asked every time; the revision only when it was not found at head in the last
    `recheck_after` seconds."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            checked = _AT_HEAD.get(engine)
            if checked is not None and time.monotonic() - checked < recheck_after:
                return None
            current = MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:
        return f"database unreachable ({type(exc).__name__})"
    head = head_revision()
    if current != head:
        _AT_HEAD.pop(engine, None)
        return f"database schema is at {current or 'no revision'}, expected {head}; run 'quad db upgrade'"
    _AT_HEAD[engine] = time.monotonic()
    return None
