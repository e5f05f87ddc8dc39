"""update ledger: owner, the event until it is handled, sending_at, done_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("seenupdate") as batch:
        batch.add_column(sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(sa.Column("event_json", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.add_column(
            sa.Column("sending_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Rows from before were marked when taken, not when handled: count them as handled.
    op.execute("UPDATE seenupdate SET done_at = seen_at")
    op.create_index(
        "ix_seenupdate_in_hand",
        "seenupdate",
        ["owner"],
        unique=False,
        sqlite_where=sa.text("done_at IS NULL"),
        postgresql_where=sa.text("done_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_seenupdate_in_hand", table_name="seenupdate")
    with op.batch_alter_table("seenupdate") as batch:
        batch.drop_column("done_at")
        batch.drop_column("sending_at")
        batch.drop_column("event_json")
        batch.drop_column("owner")
