"""console: officers managed in the console (city admins, removal, reach, passwords),
and an index for each group's last message

The config file stays the first seed: a row changed in the console is marked
``console_managed`` and the start-up sync no longer overwrites it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("officer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("city_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("console_managed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("unreachable_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    op.create_index(
        "ix_seenupdate_chat_seen", "seenupdate", ["platform", "chat_id", "seen_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_seenupdate_chat_seen", table_name="seenupdate")
    with op.batch_alter_table("officer", schema=None) as batch_op:
        for name in ("password_hash", "unreachable_since", "console_managed", "active"):
            batch_op.drop_column(name)
        batch_op.drop_column("city_admin")
