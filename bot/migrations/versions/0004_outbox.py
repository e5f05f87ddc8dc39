"""outbox: messages that matter, written with the state change that causes them

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", text(), nullable=False),
        sa.Column("chat_id", text(), nullable=False),
        sa.Column("text", text(), nullable=False),
        sa.Column("reply_to", text(), nullable=True),
        sa.Column("mention_id", text(), nullable=True),
        sa.Column("mention_name", text(), nullable=True),
        sa.Column("kind", text(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("state", text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", moment(), nullable=False),
        sa.Column("claimed_by", text(), nullable=True),
        sa.Column("claimed_at", moment(), nullable=True),
        sa.Column("sent_message_id", text(), nullable=True),
        sa.Column("last_error", text(), nullable=False),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("updated_at", moment(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["escalation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_due", "outbox", ["state", "next_try_at"], unique=False)
    op.create_index(op.f("ix_outbox_ticket_id"), "outbox", ["ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_ticket_id"), table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
