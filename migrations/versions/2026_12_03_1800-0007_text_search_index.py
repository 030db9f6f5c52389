"""Indexed text search: SQLite FTS5 trigram tables, PostgreSQL pg_trgm GIN indexes (app/documents/search.py).

SQLite: `document_fts` (title, description) and `version_text_fts` (content) are external-content FTS5 tables
with the trigram tokenizer; triggers keep them in step with `document` and `version_text` for every writer, and
the existing rows are indexed here ('rebuild'). PostgreSQL: the `pg_trgm` extension and a GIN index on each of the
three columns. None of these are in the SQLAlchemy metadata (migrations/env.py leaves them out of comparisons).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (FTS table, content table, its rowid column, indexed columns)
FTS = (
    ("document_fts", "document", "id", ("title", "description")),
    ("version_text_fts", "version_text", "version_id", ("content",)),
)
TRIGRAM_INDEXES = (
    ("ix_document_title_trgm", "document", "title"),
    ("ix_document_description_trgm", "document", "description"),
    ("ix_version_text_content_trgm", "version_text", "content"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for fts, source, key, columns in FTS:
            _create_fts(fts, source, key, columns)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, source, column in TRIGRAM_INDEXES:
        op.execute(f"CREATE INDEX {name} ON {source} USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for fts, _, _, _ in FTS:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_after_{event}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
        return
    for name, _, _ in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    # Without CASCADE: if something else has come to use the extension, it stays (and this says so).
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")


def _create_fts(fts: str, source: str, key: str, columns: tuple[str, ...]) -> None:
    listed = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {fts} USING fts5({listed}, content='{source}', content_rowid='{key}', "
        "tokenize='trigram')"
    )
    # An external-content index forgets a row by being given its old values ('delete'), so updates do both.
    # (Names from the constants above, no input: S608 does not apply.)
    forget = f"INSERT INTO {fts}({fts}, rowid, {listed}) VALUES ('delete', old.{key}, {old});"  # noqa: S608
    remember = f"INSERT INTO {fts}(rowid, {listed}) VALUES (new.{key}, {new});"  # noqa: S608
    op.execute(f"CREATE TRIGGER {fts}_after_insert AFTER INSERT ON {source} BEGIN {remember} END")
    op.execute(f"CREATE TRIGGER {fts}_after_delete AFTER DELETE ON {source} BEGIN {forget} END")
    op.execute(f"CREATE TRIGGER {fts}_after_update AFTER UPDATE OF {listed} ON {source} BEGIN {forget} {remember} END")
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608  (indexes the rows already there)
