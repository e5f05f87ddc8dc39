"""clarification: a question two topics fitted, and the choices the resident was offered

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "clarification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", text(), nullable=False),
        sa.Column("chat_id", text(), nullable=False),
        sa.Column("message_id", text(), nullable=False),
        sa.Column("resident_id", text(), nullable=False),
        sa.Column("resident_name", text(), nullable=False),
        sa.Column("station_id", text(), nullable=True),
        sa.Column("choices", text(), nullable=False),
        sa.Column("state", text(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_clarification_created_at", "clarification", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_clarification_created_at", table_name="clarification")
    op.drop_table("clarification")
