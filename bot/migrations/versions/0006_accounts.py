"""accounts: which account serves each room, who is in it, which account rests

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    with op.batch_alter_table("chat_group") as batch:
        batch.add_column(sa.Column("account", text(), nullable=True))
    with op.batch_alter_table("broadcast_delivery") as batch:
        batch.add_column(sa.Column("account", text(), nullable=True))
    op.create_table(
        "chat_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", text(), nullable=False),
        sa.Column("chat_id", text(), nullable=False),
        sa.Column("account", text(), nullable=False),
        sa.Column("seen_at", moment(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", "account"),
    )
    op.create_index(op.f("ix_chat_account_chat_id"), "chat_account", ["chat_id"], unique=False)
    op.create_table(
        "account_rest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", text(), nullable=False),
        sa.Column("account", text(), nullable=False),
        sa.Column("until", moment(), nullable=False),
        sa.Column("reason", text(), nullable=False),
        sa.Column("since", moment(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "account"),
    )


def downgrade() -> None:
    op.drop_table("account_rest")
    op.drop_index(op.f("ix_chat_account_chat_id"), table_name="chat_account")
    op.drop_table("chat_account")
    with op.batch_alter_table("broadcast_delivery") as batch:
        batch.drop_column("account")
    with op.batch_alter_table("chat_group") as batch:
        batch.drop_column("account")
