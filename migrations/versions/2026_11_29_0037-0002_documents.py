"""Documents: metadata, tags, release lists, immutable versions, extracted text; export clearance on users.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:37:45.038566+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_country", sa.String(length=2), nullable=True),
        sa.Column(
            "doc_type",
            sa.Enum(
                "contribution",
                "position_paper",
                "technical_report",
                "meeting_material",
                "other",
                name="documenttype",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "visibility",
            sa.Enum("public", "quad", "group", "country", name="visibility", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("controlled", sa.Boolean(), nullable=False),
        sa.Column(
            "control_category",
            sa.Enum(
                "semiconductors",
                "5g-6g",
                "biotechnology",
                "facial_recognition",
                "surveillance_cameras",
                "spyware",
                "location_tracking",
                "other",
                name="controlcategory",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("control_code", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version_count", sa.Integer(), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["user_account.id"], name=op.f("fk_document_created_by_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["group_id"], ["working_group.id"], name=op.f("fk_document_group_id_working_group")),
        sa.ForeignKeyConstraint(["owner_country"], ["country.code"], name=op.f("fk_document_owner_country_country")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_controlled"), ["controlled"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_group_id"), ["group_id"], unique=False)
        batch_op.create_index("ix_document_group_listing", ["group_id", "withdrawn_at", "updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_owner_country"), ["owner_country"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_visibility"), ["visibility"], unique=False)

    op.create_table(
        "document_release",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_code"], ["country.code"], name=op.f("fk_document_release_country_code_country")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_document_release_document_id_document"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("document_id", "country_code", name=op.f("pk_document_release")),
    )
    op.create_table(
        "document_tag",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_document_tag_document_id_document"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("document_id", "tag", name=op.f("pk_document_tag")),
    )
    with op.batch_alter_table("document_tag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_tag_tag"), ["tag"], unique=False)

    op.create_table(
        "document_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_document_version_document_id_document"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["user_account.id"],
            name=op.f("fk_document_version_uploaded_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_version")),
        sa.UniqueConstraint("document_id", "number", name=op.f("uq_document_version_document_id_number")),
    )
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_version_sha256"), ["sha256"], unique=False)

    op.create_table(
        "version_text",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "done", "failed", name="extractionstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["document_version.id"],
            name=op.f("fk_version_text_version_id_document_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_version_text")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("export_cleared", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("last_home_visit_at", app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column("last_seen_at")


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen_at", app.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column("last_home_visit_at")
        batch_op.drop_column("export_cleared")

    op.drop_table("version_text")
    with op.batch_alter_table("document_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_version_sha256"))

    op.drop_table("document_version")
    with op.batch_alter_table("document_tag", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_tag_tag"))

    op.drop_table("document_tag")
    op.drop_table("document_release")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_visibility"))
        batch_op.drop_index(batch_op.f("ix_document_updated_at"))
        batch_op.drop_index(batch_op.f("ix_document_owner_country"))
        batch_op.drop_index("ix_document_group_listing")
        batch_op.drop_index(batch_op.f("ix_document_group_id"))
        batch_op.drop_index(batch_op.f("ix_document_controlled"))

    op.drop_table("document")
