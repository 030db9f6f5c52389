"""Durable text-extraction jobs.

Versions whose text was still "pending" (a background task that may never have run) get a queued job, so
the workers extract them; their text status becomes "queued".

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 00:40:00+00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "extraction_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("queued", "running", "done", "failed", name="jobstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["document_version.id"],
            name=op.f("fk_extraction_job_version_id_document_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extraction_job")),
        sa.UniqueConstraint("version_id", name=op.f("uq_extraction_job_version_id")),
    )
    with op.batch_alter_table("extraction_job", schema=None) as batch_op:
        batch_op.create_index("ix_extraction_job_claim", ["state", "run_after"], unique=False)

    now = datetime.now(UTC)
    op.execute(
        sa.text(
            "INSERT INTO extraction_job (version_id, state, attempts, run_after, updated_at, created_at) "
            "SELECT version_id, 'queued', 0, :now, :now, :now FROM version_text WHERE status = 'pending'"
        ).bindparams(sa.bindparam("now", now, type_=app.core.db.UTCDateTime(timezone=True)))
    )
    op.execute("UPDATE version_text SET status = 'queued' WHERE status IN ('pending', 'running')")


def downgrade() -> None:
    op.execute("UPDATE version_text SET status = 'pending' WHERE status IN ('queued', 'running')")
    with op.batch_alter_table("extraction_job", schema=None) as batch_op:
        batch_op.drop_index("ix_extraction_job_claim")

    op.drop_table("extraction_job")
