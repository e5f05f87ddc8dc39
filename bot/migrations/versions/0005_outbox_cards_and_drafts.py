"""outbox rows carry a card's buttons and quotes and whom they are for; officers' drafts

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    with op.batch_alter_table("outbox") as outbox:
        outbox.add_column(sa.Column("buttons_json", text(), nullable=False, server_default=""))
        outbox.add_column(sa.Column("quotes_json", text(), nullable=False, server_default=""))
        outbox.add_column(sa.Column("edit_message_id", text(), nullable=True))
        outbox.add_column(sa.Column("officer_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("officer") as officer:
        officer.add_column(sa.Column("editing_since", moment(), nullable=True))
        officer.add_column(sa.Column("edit_draft", text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("officer") as officer:
        officer.drop_column("edit_draft")
        officer.drop_column("editing_since")
    with op.batch_alter_table("outbox") as outbox:
        outbox.drop_column("officer_id")
        outbox.drop_column("edit_message_id")
        outbox.drop_column("quotes_json")
        outbox.drop_column("buttons_json")
