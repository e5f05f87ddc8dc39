"""alerts an officer pushes from the phone: the push's row (the city-admin flag is 0012's)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        "officer_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("platform", text(), nullable=False),
        sa.Column("chat_id", text(), nullable=False),
        sa.Column("message_id", text(), nullable=False),
        sa.Column("text", text(), nullable=False),
        sa.Column("picture_id", text(), nullable=False),
        sa.Column("video_id", text(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("phase", text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("offered", text(), nullable=False),
        sa.Column("scope", text(), nullable=True),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("queued_at", moment(), nullable=True),
        sa.Column("since", moment(), nullable=False),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("finished_at", moment(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["broadcast_campaign.id"]),
        sa.ForeignKeyConstraint(["media_id"], ["broadcast_media.id"]),
        sa.ForeignKeyConstraint(["officer_id"], ["officer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_officer_alert_officer_id", "officer_alert", ["officer_id"])
    op.create_index("ix_officer_alert_phase", "officer_alert", ["phase"])
    op.create_index("ix_officer_alert_campaign_id", "officer_alert", ["campaign_id"])


def downgrade() -> None:
    op.drop_index("ix_officer_alert_campaign_id", table_name="officer_alert")
    op.drop_index("ix_officer_alert_phase", table_name="officer_alert")
    op.drop_index("ix_officer_alert_officer_id", table_name="officer_alert")
    op.drop_table("officer_alert")
