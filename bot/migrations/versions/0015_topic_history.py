"""topic history: each console save of a topic keeps the version it replaced

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "topic_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("faq_id", text(), nullable=False),
        sa.Column("toml", text(), nullable=False),
        sa.Column("action", text(), nullable=False),
        sa.Column("saved_by", text(), nullable=False),
        sa.Column("saved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_topic_version_faq_id", "topic_version", ["faq_id"])


def downgrade() -> None:
    op.drop_index("ix_topic_version_faq_id", table_name="topic_version")
    op.drop_table("topic_version")
