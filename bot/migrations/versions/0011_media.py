"""broadcasts v2: a picture, video or file with a campaign (broadcast_media) or an outbox row

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:40:00
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
        "broadcast_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", text(), nullable=False),
        sa.Column("kind", text(), nullable=False),
        sa.Column("mime", text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("filename", text(), nullable=False),
        sa.Column("telegram_file_id", text(), nullable=True),
        sa.Column("created_at", moment(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_json", text(), nullable=False, server_default=""))
    with op.batch_alter_table("broadcast_campaign", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_broadcast_campaign_media_id", "broadcast_media", ["media_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("broadcast_campaign", schema=None) as batch_op:
        batch_op.drop_constraint("fk_broadcast_campaign_media_id", type_="foreignkey")
        batch_op.drop_column("media_id")
    op.drop_table("broadcast_media")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("media_json")
