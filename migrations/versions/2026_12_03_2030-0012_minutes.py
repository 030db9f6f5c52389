"""Meeting minutes: revisions appended and never changed, and the publications that make one readable.

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-03 20:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0012"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_minutes_publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_minutes_publication_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"],
            ["user_account.id"],
            name=op.f("fk_meeting_minutes_publication_published_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_minutes_publication")),
        sa.UniqueConstraint("meeting_id", "number", name=op.f("uq_meeting_minutes_publication_meeting_id_number")),
    )
    with op.batch_alter_table("meeting_minutes_publication", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_minutes_publication_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "meeting_minutes_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_meeting_minutes_revision_author_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_meeting_minutes_revision_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_minutes_revision")),
        sa.UniqueConstraint("meeting_id", "number", name=op.f("uq_meeting_minutes_revision_meeting_id_number")),
    )
    with op.batch_alter_table("meeting_minutes_revision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_minutes_revision_meeting_id"), ["meeting_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meeting_minutes_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_minutes_revision_meeting_id"))

    op.drop_table("meeting_minutes_revision")
    with op.batch_alter_table("meeting_minutes_publication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_minutes_publication_meeting_id"))

    op.drop_table("meeting_minutes_publication")
