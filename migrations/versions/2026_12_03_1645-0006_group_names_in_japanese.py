"""Working-group names and charters in Japanese.

Both are optional: a group without them shows its English name and charter on Japanese pages too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 16:45:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("working_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_ja", sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column("charter_ja", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("working_group", schema=None) as batch_op:
        batch_op.drop_column("charter_ja")
        batch_op.drop_column("name_ja")
