"""Take each platform update once: Telegram may hand an update over again after a crash."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import cache

from sqlalchemy import Engine, Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from bot.db import SeenUpdate, commit_without_flush_wait, utcnow
from bot.events import ButtonPress, Event, IncomingMessage

Key = tuple[str, str, str]  # platform, chat id (or "callback"), message or callback id


def update_key(event: Event) -> Key | None:
    """What identifies a redelivered update; None for events that need no ledger."""
    if isinstance(event, IncomingMessage):
        return (event.chat.platform, event.chat.chat_id, event.message_id)
    if isinstance(event, ButtonPress) and event.callback_id:
        return (event.chat.platform, "callback", event.callback_id)
    return None


@cache
def _insert_new(dialect: str) -> Insert:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING the keys that were new."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(SeenUpdate)
        .on_conflict_do_nothing()
        .returning(col(SeenUpdate.platform), col(SeenUpdate.chat_id), col(SeenUpdate.message_id))
    )


def record_new(engine: Engine, keys: Sequence[Key]) -> set[Key]:
    """Records the keys in one transaction; returns those not recorded before."""
    now = utcnow()
    rows = [{"platform": p, "chat_id": c, "message_id": m, "seen_at": now} for p, c, m in set(keys)]
    with engine.begin() as connection:
        # If PostgreSQL itself crashed right after, a redelivered message could be
        # answered twice: rare, and better than every message waiting for the disk.
        commit_without_flush_wait(connection)
        # executemany with RETURNING: SQLAlchemy sends it as multi-row INSERTs.
        result = connection.execute(_insert_new(engine.dialect.name), rows)
        return {(p, c, m) for p, c, m in result}


class UpdateLedger:
    """Group commit for the update ledger.

    Each update's key is committed before its handler runs: after a crash mid-handling the
    message is skipped rather than answered twice (at most once, as a group expects of a
    bot). Committing one row per message cost more than answering it, and on PostgreSQL it
    blocked the event loop for a round trip and a WAL flush; so keys that arrive while a
    commit is under way wait for the next one, which takes them all in one statement.
    PostgreSQL's commit runs in a worker thread; SQLite's (WAL, synchronous=NORMAL: no
    fsync) costs less than the hop to a thread would.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._in_thread = engine.dialect.name != "sqlite"
        self._waiting: list[tuple[Key, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def first_time(self, event: Event) -> bool:
        """False if this update was taken before (then it must not be handled)."""
        key = update_key(event)
        if key is None:
            return True
        taken: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, taken))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await taken

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                keys = [k for k, _ in batch]
                if self._in_thread:
                    new = await asyncio.to_thread(record_new, self._engine, keys)
                else:
                    new = record_new(self._engine, keys)
            except Exception as problem:
                for _, taken in batch:
                    if not taken.done():
                        taken.set_exception(problem)
                continue
            for key, taken in batch:
                # The same update twice in one batch: only the first is new.
                fresh = key in new
                new.discard(key)
                if not taken.done():
                    taken.set_result(fresh)
