"""Take each platform update once: Telegram may hand an update over again after a crash."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache, partial

from sqlalchemy import Connection, Engine, Insert, bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from bot.db import SeenUpdate, utcnow
from bot.events import ButtonPress, Event, IncomingMessage
from bot.groupcommit import GroupCommit

Key = tuple[str, str, str]  # platform, chat id (or "callback"), message or callback id


def update_key(event: Event) -> Key | None:
    """What identifies a redelivered update; None for events that need no ledger."""
    if isinstance(event, IncomingMessage):
        return (event.chat.platform, event.chat.chat_id, event.message_id)
    if isinstance(event, ButtonPress) and event.callback_id:
        return (event.chat.platform, "callback", event.callback_id)
    return None


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


@cache
def _claim_window(dialect: str) -> Insert:
    """INSERT the key, or take it over when its time is at or before ``cutoff``; a row
    comes back only to the one that inserted or took it over (atomic on both databases:
    PostgreSQL re-checks the WHERE against a concurrent writer's committed row)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    seen_at = SeenUpdate.__table__.c.seen_at  # type: ignore[attr-defined]
    statement = insert(SeenUpdate).values(
        platform=bindparam("platform"),
        chat_id=bindparam("chat_id"),
        message_id=bindparam("message_id"),
        seen_at=bindparam("seen_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=["platform", "chat_id", "message_id"],
        set_={"seen_at": statement.excluded.seen_at},
        where=seen_at <= bindparam("cutoff", type_=seen_at.type),
    ).returning(col(SeenUpdate.id))


def claim_window(connection: Connection, key: Key, now: datetime, window: timedelta) -> bool:
    """True for the first claim of ``key`` within ``window``; False while it is held."""
    platform, chat_id, message_id = key
    values = {
        "platform": platform,
        "chat_id": chat_id,
        "message_id": message_id,
        "seen_at": now,
        "cutoff": now - window,
    }
    return connection.execute(_claim_window(connection.dialect.name), values).first() is not None


def record_once(connection: Connection, key: Key) -> bool:
    """Records the key; False if it was recorded before."""
    platform, chat_id, message_id = key
    values = {
        "platform": platform,
        "chat_id": chat_id,
        "message_id": message_id,
        "seen_at": utcnow(),
    }
    return connection.execute(_record_once(connection.dialect.name), values).first() is not None


class UpdateLedger:
    """Each update's key is committed before its handler runs: after a crash mid-handling
    the message is skipped rather than answered twice (at most once, as a group expects
    of a bot).

    A commit per message cost more than answering it, and on PostgreSQL it blocked the
    event loop for a round trip and a WAL flush; so the keys go through a group commit
    (one commit for all that arrive meanwhile), on a thread for PostgreSQL and inline for
    SQLite (WAL, synchronous=NORMAL: cheaper than the hop to a thread). The commit does
    not wait for PostgreSQL's WAL flush: if PostgreSQL itself crashed right after, a
    redelivered message could be answered twice; rare, and better than every message
    waiting for the disk.
    """

    def __init__(self, engine: Engine) -> None:
        sqlite = engine.dialect.name == "sqlite"
        self._writes = GroupCommit(engine, "update-ledger", inline=sqlite, durable=False)

    async def first_time(self, event: Event) -> bool:
        """False if this update was taken before (then it must not be handled)."""
        key = update_key(event)
        return key is None or await self._writes.write(partial(record_once, key=key))
