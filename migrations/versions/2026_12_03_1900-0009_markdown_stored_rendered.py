"""Markdown stored rendered: `working_group.charter_html`, `charter_ja_html` and `document.description_html`.

The services render the Markdown to sanitised HTML when the text is saved (app/core/markdown.py); pages show the
stored HTML instead of rendering on every view. The existing rows are rendered here with the same renderer.

Revision ID: 0009
Revises: 0011
Create Date: 2026-12-03 19:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core import markdown

revision: str = "0009"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1_000


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy of the table), so SQLite keeps the search index's triggers on `document`.
    op.add_column("working_group", sa.Column("charter_html", sa.Text(), server_default="", nullable=False))
    op.add_column("working_group", sa.Column("charter_ja_html", sa.Text(), nullable=True))
    op.add_column("document", sa.Column("description_html", sa.Text(), server_default="", nullable=False))
    _render("working_group", {"charter": "charter_html", "charter_ja": "charter_ja_html"})
    _render("document", {"description": "description_html"})


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason.
    op.drop_column("document", "description_html")
    op.drop_column("working_group", "charter_ja_html")
    op.drop_column("working_group", "charter_html")


def _render(table_name: str, columns: dict[str, str]) -> None:
    """Renders each source column of every row into its HTML column ('' stays '', NULL stays NULL)."""
    table = sa.table(table_name, sa.column("id"), *(sa.column(c) for pair in columns.items() for c in pair))
    bind = op.get_bind()
    sources = [table.c[source] for source in columns]
    rows = bind.execute(sa.select(table.c.id, *sources).order_by(table.c.id)).all()
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values({html: sa.bindparam(html) for html in columns.values()})
    )
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        values = [
            {
                "row_id": row.id,
                **{
                    html: None if getattr(row, source) is None else markdown.to_html(getattr(row, source))
                    for source, html in columns.items()
                },
            }
            for row in batch
        ]
        if values:
            bind.execute(update, values)
