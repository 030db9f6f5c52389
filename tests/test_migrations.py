"""Alembic migrations on a scratch database: reversible, carrying the reference data, and in step with the models.

A plain run uses a temporary SQLite file; with TEST_DATABASE_URL set the scratch database is PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

import app.models  # noqa: F401  (every table on Base.metadata before comparing)
from app.core.db import Base, build_engine
from app.core.migrations_state import alembic_config, head_revision
from app.documents.search import include_name
from tests.support.databases import scratch_database

QUAD_TIME_ZONES = {
    "US": "America/New_York",
    "JP": "Asia/Tokyo",
    "AU": "Australia/Sydney",
    "IN": "Asia/Kolkata",
}


def _config(url: str):  # type: ignore[no-untyped-def]
    config = alembic_config(url)
    config.attributes["configure_logging"] = False
    return config


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with scratch_database("quad_migrations") as scratch:
        yield scratch


@pytest.fixture(scope="module")
def engine(url: str) -> Iterator[Engine]:
    eng = build_engine(url)
    try:
        yield eng
    finally:
        eng.dispose()


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrade_downgrade_upgrade_round_trip(url: str, engine: Engine) -> None:
    """Every revision upgrades, downgrades to base leaving no application table, and upgrades again."""
    expected_tables = set(Base.metadata.tables)
    command.upgrade(_config(url), "head")
    assert _current_revision(engine) == head_revision()
    assert expected_tables <= _tables(engine)

    command.downgrade(_config(url), "base")
    assert _current_revision(engine) is None
    assert _tables(engine) <= {"alembic_version"}, "downgrade to base left tables behind"

    command.upgrade(_config(url), "head")
    assert _current_revision(engine) == head_revision()
    assert expected_tables <= _tables(engine)


def test_single_head_and_every_revision_reversible() -> None:
    """The history is linear (one head) and every revision defines a downgrade."""
    script = ScriptDirectory.from_config(_config("sqlite://"))
    assert len(script.get_heads()) == 1
    for revision in script.walk_revisions():
        module = revision.module
        assert callable(getattr(module, "downgrade", None)), f"revision {revision.revision} has no downgrade"


def test_upgrade_loads_the_four_quad_countries(url: str, engine: Engine) -> None:
    """After upgrade the four Quad countries exist with their capitals' time zones."""
    command.upgrade(_config(url), "head")
    with engine.connect() as conn:
        rows = {code: zone for code, zone in conn.execute(text("SELECT code, time_zone FROM country"))}
    assert rows == QUAD_TIME_ZONES


def test_models_and_migrations_do_not_drift(url: str, engine: Engine) -> None:
    """Autogenerate finds no difference between the migrated schema and the models' metadata."""
    command.upgrade(_config(url), "head")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations differ; write a migration: {differences}"


def test_stored_markdown_is_rendered_for_the_rows_already_there(url: str, engine: Engine) -> None:
    """Revision 0009 renders the charters and descriptions that existed before it, sanitised as the services do."""
    before = ScriptDirectory.from_config(_config(url)).get_revision("0009").down_revision
    assert isinstance(before, str)
    command.upgrade(_config(url), "head")
    command.downgrade(_config(url), before)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO working_group (id, slug, name, technology_area, charter, charter_ja, status, created_at) "
                "VALUES (901, 'md-group', 'Markdown group', 'semiconductors', :charter, NULL, 'active', :now)"
            ),
            {"charter": "Export **controls**<script>alert(1)</script>", "now": "2026-12-01 00:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO document (id, group_id, title, description, doc_type, visibility, controlled, "
                "updated_at, version_count, created_at) VALUES (901, 901, 'Paper', :description, 'other', "
                "'public', false, :now, 0, :now)"
            ),
            {"description": "A [link](javascript:alert(1)) and *emphasis*", "now": "2026-12-01 00:00:00"},
        )
    command.upgrade(_config(url), "head")
    with engine.begin() as conn:
        charter, charter_ja = conn.execute(
            text("SELECT charter_html, charter_ja_html FROM working_group WHERE id = 901")
        ).one()
        description = conn.execute(text("SELECT description_html FROM document WHERE id = 901")).scalar_one()
        conn.execute(text("DELETE FROM document WHERE id = 901"))
        conn.execute(text("DELETE FROM working_group WHERE id = 901"))
    assert "<strong>controls</strong>" in charter and "<script" not in charter and charter_ja is None
    assert "<em>emphasis</em>" in description and 'href="javascript' not in description
