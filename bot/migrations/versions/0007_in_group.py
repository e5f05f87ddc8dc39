"""in the group: the bot's answers, residents' votes on them, topic reviews, welcomes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    moment = sqlmodel.sql.sqltypes.UTCDateTime
    op.create_table(
        "bot_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", text(), nullable=False),
        sa.Column("chat_id", text(), nullable=False),
        sa.Column("station_id", text(), nullable=True),
        sa.Column("topic", text(), nullable=False),
        sa.Column("faq_id", text(), nullable=True),
        sa.Column("question_message_id", text(), nullable=False),
        sa.Column("resident_id", text(), nullable=False),
        sa.Column("question", text(), nullable=False),
        sa.Column("answer", text(), nullable=False),
        sa.Column("sent_message_id", text(), nullable=True),
        sa.Column("created_at", moment(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", "question_message_id"),
    )
    op.create_index(
        "ix_bot_answer_chat", "bot_answer", ["platform", "chat_id", "created_at"], unique=False
    )
    op.create_table(
        "answer_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("voter_id", text(), nullable=False),
        sa.Column("useful", sa.Boolean(), nullable=False),
        sa.Column("faq_id", text(), nullable=True),
        sa.Column("station_id", text(), nullable=True),
        sa.Column("at", moment(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("answer_id", "voter_id"),
    )
    op.create_index(op.f("ix_answer_vote_faq_id"), "answer_vote", ["faq_id"], unique=False)
    op.create_index(op.f("ix_answer_vote_at"), "answer_vote", ["at"], unique=False)
    op.create_table(
        "topic_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("faq_id", text(), nullable=False),
        sa.Column("reviewed_by", text(), nullable=False),
        sa.Column("at", moment(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_topic_review_faq_id"), "topic_review", ["faq_id"], unique=False)
    op.create_table(
        "group_welcome",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("rules", text(), nullable=False),
        sa.Column("pending_outbox_id", sa.Integer(), nullable=True),
        sa.Column("pending_names_json", text(), nullable=False),
        sa.Column("updated_at", moment(), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["chat_group.id"]),
        sa.PrimaryKeyConstraint("group_id"),
    )


def downgrade() -> None:
    op.drop_table("group_welcome")
    op.drop_index(op.f("ix_topic_review_faq_id"), table_name="topic_review")
    op.drop_table("topic_review")
    op.drop_index(op.f("ix_answer_vote_at"), table_name="answer_vote")
    op.drop_index(op.f("ix_answer_vote_faq_id"), table_name="answer_vote")
    op.drop_table("answer_vote")
    op.drop_index("ix_bot_answer_chat", table_name="bot_answer")
    op.drop_table("bot_answer")
