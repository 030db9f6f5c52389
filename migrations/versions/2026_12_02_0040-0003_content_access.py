"""Export-controlled content: when a marking was last removed, and screening findings per version.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 00:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("unmarked_at", app.core.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "screening_finding",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column("screened_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_screening_finding_document_id_document"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["document_version.id"],
            name=op.f("fk_screening_finding_version_id_document_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_screening_finding")),
    )
    op.create_index(op.f("ix_screening_finding_document_id"), "screening_finding", ["document_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_screening_finding_document_id"), table_name="screening_finding")
    op.drop_table("screening_finding")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("unmarked_at")
