"""Versions for caches: each person's access version, the data version, and the page cache.

`user_account.access_version` is bumped by every change to what a person's principal holds; `data_version` (one
row) by every committed change to the data; `page_cache` keeps rendered answers checked against both.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 19:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_version", sa.Integer(), server_default="0", nullable=False))
    data_version = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.bulk_insert(data_version, [{"id": 1, "value": 0}])
    op.create_table(
        "page_cache",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("stored_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content_language", sa.String(length=8), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_page_cache")),
    )


def downgrade() -> None:
    op.drop_table("page_cache")
    op.drop_table("data_version")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("access_version")
