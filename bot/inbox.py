"""Take each platform update once: Telegram may hand an update over again after a crash."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Engine, Insert, bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from bot.db import SeenUpdate, utcnow
from bot.events import ButtonPress, Event, IncomingMessage


@cache
def _record_once(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once (SQLAlchemy then reuses
    its compiled form; building it per message cost more than running it)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(SeenUpdate)
        .values(
            platform=bindparam("platform"),
            chat_id=bindparam("chat_id"),
            message_id=bindparam("message_id"),
            seen_at=bindparam("seen_at"),
        )
        .on_conflict_do_nothing()
        .returning(col(SeenUpdate.id))  # a row back: it was new (psycopg says rowcount -1)
    )


def first_time(engine: Engine, event: Event) -> bool:
    """Records the event; False if it was recorded before (then it must not be handled).

    The row is committed before the handler runs: after a crash mid-handling the message
    is skipped rather than answered twice (at most once, as a group expects of a bot).
    """
    if isinstance(event, IncomingMessage):
        key = (event.chat.platform, event.chat.chat_id, event.message_id)
    elif isinstance(event, ButtonPress) and event.callback_id:
        key = (event.chat.platform, "callback", event.callback_id)
    else:
        return True
    values = {"platform": key[0], "chat_id": key[1], "message_id": key[2], "seen_at": utcnow()}
    with engine.begin() as connection:
        return connection.execute(_record_once(engine.dialect.name), values).first() is not None
