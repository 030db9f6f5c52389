"""Meetings of the working groups: agenda items with linked documents, who saw which agenda version, attendance.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:01:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("host_country", sa.String(length=2), nullable=False),
        sa.Column(
            "mode",
            sa.Enum("in_person", "virtual", "hybrid", name="meetingmode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("venue", sa.String(length=300), nullable=True),
        sa.Column("join_link", sa.String(length=500), nullable=True),
        sa.Column(
            "status",
            sa.Enum("scheduled", "held", "cancelled", name="meetingstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "visibility",
            sa.Enum("public", "quad", "group", "country", name="visibility", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "agenda_state",
            sa.Enum("draft", "published", "locked", name="agendastate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("agenda_version", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_meeting_created_by_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["group_id"], ["working_group.id"], name=op.f("fk_meeting_group_id_working_group")),
        sa.ForeignKeyConstraint(["host_country"], ["country.code"], name=op.f("fk_meeting_host_country_country")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_group_id"), ["group_id"], unique=False)
        batch_op.create_index("ix_meeting_group_starts", ["group_id", "starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("presenter_id", sa.Integer(), nullable=True),
        sa.Column("presenter_country", sa.String(length=2), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("changed_in_version", sa.Integer(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_agenda_item_meeting_id_meeting"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["presenter_country"], ["country.code"], name=op.f("fk_agenda_item_presenter_country_country")
        ),
        sa.ForeignKeyConstraint(
            ["presenter_id"],
            ["user_account.id"],
            name=op.f("fk_agenda_item_presenter_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_item")),
    )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_item_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "agenda_view",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_version", sa.Integer(), nullable=False),
        sa.Column("seen_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_agenda_view_meeting_id_meeting"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_agenda_view_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("meeting_id", "user_id", name=op.f("pk_agenda_view")),
    )
    op.create_table(
        "attendance",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "answer",
            sa.Enum("in_person", "online", "not_attending", name="attendanceanswer", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_attendance_meeting_id_meeting"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_attendance_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("meeting_id", "user_id", name=op.f("pk_attendance")),
    )
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attendance_user_id"), ["user_id"], unique=False)

    op.create_table(
        "agenda_document",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_agenda_document_document_id_document"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["agenda_item.id"], name=op.f("fk_agenda_document_item_id_agenda_item"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", "document_id", name=op.f("pk_agenda_document")),
    )
    with op.batch_alter_table("agenda_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_document_document_id"), ["document_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agenda_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_document_document_id"))

    op.drop_table("agenda_document")
    with op.batch_alter_table("attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_user_id"))

    op.drop_table("attendance")
    op.drop_table("agenda_view")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_item_meeting_id"))

    op.drop_table("agenda_item")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_starts_at"))
        batch_op.drop_index("ix_meeting_group_starts")
        batch_op.drop_index(batch_op.f("ix_meeting_group_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_ends_at"))

    op.drop_table("meeting")
