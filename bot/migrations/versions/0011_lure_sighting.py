"""scam early warning: lures seen in groups (fingerprints, masked text) and their waves

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        "lure_wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", text(), nullable=False),
        sa.Column("label", text(), nullable=False),
        sa.Column("quote", text(), nullable=False),
        sa.Column("draft", text(), nullable=False),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("sent_by", text(), nullable=True),
        sa.Column("sent_at", moment(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lure_wave_station_id", "lure_wave", ["station_id"])
    op.create_table(
        "lure_sighting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", text(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("platform", text(), nullable=False),
        sa.Column("chat_id", text(), nullable=False),
        sa.Column("message_id", text(), nullable=False),
        sa.Column("signature", text(), nullable=False),
        sa.Column("handles", text(), nullable=False),
        sa.Column("text", text(), nullable=False),
        sa.Column("picture", sa.Boolean(), nullable=False),
        sa.Column("label", text(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("at", moment(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["chat_group.id"]),
        sa.ForeignKeyConstraint(["wave_id"], ["lure_wave.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", "message_id"),
    )
    op.create_index("ix_lure_sighting_station_at", "lure_sighting", ["station_id", "at"])
    op.create_index("ix_lure_sighting_wave_id", "lure_sighting", ["wave_id"])


def downgrade() -> None:
    op.drop_index("ix_lure_sighting_wave_id", table_name="lure_sighting")
    op.drop_index("ix_lure_sighting_station_at", table_name="lure_sighting")
    op.drop_table("lure_sighting")
    op.drop_index("ix_lure_wave_station_id", table_name="lure_wave")
    op.drop_table("lure_wave")
