"""Server-side sessions that sign-out ends.

The session cookie now carries only the id of a `user_session` row; ending that row ends the session for
every copy of the cookie. `user_account.session_version` (the old "sign out everywhere" counter) goes: sign
out everywhere now ends the rows themselves.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 00:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SESSION_END = sa.Enum(
    "sign_out",
    "sign_out_everywhere",
    "disabled",
    "replaced",
    name="sessionend",
    native_enum=False,
    length=32,
)


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("last_seen_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", SESSION_END, nullable=True),
        sa.Column("provider_name", sa.String(length=64), nullable=True),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)
    # Disabling an account now revokes its tokens; tokens of accounts disabled before that are revoked here, so
    # re-enabling such an account does not bring them back. (Downgrading leaves them revoked.)
    api_token, user_account = (
        sa.table("api_token", sa.column("user_id"), sa.column("revoked_at", app.core.db.UTCDateTime())),
        sa.table("user_account", sa.column("id"), sa.column("status")),
    )
    op.execute(
        api_token.update()
        .where(api_token.c.revoked_at.is_(None))
        .where(api_token.c.user_id.in_(sa.select(user_account.c.id).where(user_account.c.status == "disabled")))
        .values(revoked_at=app.core.db.utcnow())
    )
    # Signed cookies from before carry no session id, so everyone signs in again once.
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("session_version")


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))
    op.drop_table("user_session")
