"""web console: one-time sign-in links, sessions, and the station-admin flag on officers

Revision ID: 0010
Revises: 0009 (main already chains 0004 -> 0009)
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    with op.batch_alter_table("officer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "console_login_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", text(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("expires_at", moment(), nullable=False),
        sa.Column("used_at", moment(), nullable=True),
        sa.ForeignKeyConstraint(["officer_id"], ["officer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_console_login_link_officer_id", "console_login_link", ["officer_id"])
    op.create_table(
        "console_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", text(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", moment(), nullable=False),
        sa.Column("expires_at", moment(), nullable=False),
        sa.Column("ended_at", moment(), nullable=True),
        sa.Column("origin", text(), nullable=False),
        sa.ForeignKeyConstraint(["officer_id"], ["officer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_console_session_officer_id", "console_session", ["officer_id"])


def downgrade() -> None:
    op.drop_index("ix_console_session_officer_id", table_name="console_session")
    op.drop_table("console_session")
    op.drop_index("ix_console_login_link_officer_id", table_name="console_login_link")
    op.drop_table("console_login_link")
    with op.batch_alter_table("officer", schema=None) as batch_op:
        batch_op.drop_column("admin")
