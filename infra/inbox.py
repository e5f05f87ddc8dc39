"""The update ledger: an update is recorded before the platform hears it arrived, and it is
"done" only once handled, so neither a crash, a redelivery nor a locked database loses it.

::

    adapter: batch/request in -> ``UpdateLedger.take`` (one commit) -> acknowledge to the
             platform (next getUpdates offset / HTTP 200) -> ``Inbox`` (the event sink)
    Inbox:   ``begin`` -> dispatcher (a busy database is waited out, with a bound) -> ``done``
    restart: rows not done whose worker is gone are adopted and handled (``Inbox.recover``)

A row taken by a worker belongs to it; a copy of the update that arrives meanwhile (a
redelivery) is not handled again. Each worker holds a lock of its own while it lives
(``infra.leader.worker_lock``): when another worker can take that lock, the first is gone
and its rows in hand are handled again. Just before the replies go out the row is marked
"sending": a row found sending after a crash may have been answered (the platform may have
accepted a reply just before the kill), so it is logged as "delivery unknown" and never
answered again blindly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import TypeVar, cast

from sqlalchemy import Connection, Engine, Insert, Update, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError
from sqlmodel import col

from core.db import DatabaseBusy, SeenUpdate, utcnow
from core.events import ButtonPress, Event, IncomingMessage, event_from_json, event_to_json
from infra.groupcommit import GroupCommit
from infra.leader import FileLock, worker_gone, worker_lock

log = logging.getLogger(__name__)

T = TypeVar("T")
Key = tuple[str, str, str]  # platform, chat id (or "callback"), message or callback id

# How long one attempt waits out a busy database (another process holding SQLite's write
# lock, PostgreSQL unreachable) before leaving the update for the next recovery round.
BUSY_WAIT_SECONDS = 120.0
_LONGEST_PAUSE = 2.0
# Rows in hand this long are looked at by the periodic recovery (younger ones are in flight).
STALE_SECONDS = 5.0
# "Done" marks wait this long for another write to share its commit (see UpdateLedger.done).
DONE_DELAY_SECONDS = 0.2


def update_key(event: Event) -> Key | None:
    """What identifies a redelivered update; None for events that need no ledger."""
    if isinstance(event, IncomingMessage):
        return (event.chat.platform, event.chat.chat_id, event.message_id)
    if isinstance(event, ButtonPress) and event.callback_id:
        return (event.chat.platform, "callback", event.callback_id)
    return None


async def patiently(
    attempt: Callable[[], Awaitable[T]],
    what: str,
    bound: float = BUSY_WAIT_SECONDS,
    busy: tuple[type[Exception], ...] = (DatabaseBusy, OperationalError),
) -> T:
    """``attempt()`` again while it fails with ``busy``, pausing longer each time (up to
    ``_LONGEST_PAUSE``), for at most ``bound`` seconds; then the last error is raised."""
    deadline = time.monotonic() + bound
    pause = 0.1
    while True:
        try:
            return await attempt()
        except busy as error:
            if time.monotonic() + pause > deadline:
                raise
            cause = error.__cause__ if isinstance(error, DatabaseBusy) else error
            log.warning(
                "%s: the database is busy (%s); trying again in %.1fs",
                what,
                str(getattr(cause, "orig", cause)),
                pause,
            )
            await asyncio.sleep(pause)
            pause = min(pause * 2, _LONGEST_PAUSE)


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
            owner=bindparam("owner"),
            event_json=bindparam("event_json"),
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
        done_at=bindparam("seen_at"),  # a claim, not an update: nothing for recovery to take
    )
    return statement.on_conflict_do_update(
        index_elements=["platform", "chat_id", "message_id"],
        set_={"seen_at": statement.excluded.seen_at, "done_at": statement.excluded.done_at},
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


def take_all(connection: Connection, rows: Sequence[tuple[Key, str]], worker: str) -> list[bool]:
    """Records each (key, event as JSON) for ``worker``; False for a key recorded before
    (done already, or in another worker's hands: the recovery decides about those)."""
    statement = _record_once(connection.dialect.name)
    now = utcnow()
    return [
        connection.execute(
            statement,
            {
                "platform": platform,
                "chat_id": chat_id,
                "message_id": message_id,
                "seen_at": now,
                "owner": worker,
                "event_json": event_json,
            },
        ).first()
        is not None
        for (platform, chat_id, message_id), event_json in rows
    ]


@cache
def _mark(column: str) -> Update:
    """UPDATE ... SET ``column`` = now for one key, and forget the event: from "sending"
    on it is never handled again (nor, of course, once done)."""
    values: dict[str, object] = {column: bindparam("at"), "event_json": None}
    return (
        update(SeenUpdate)
        .where(
            col(SeenUpdate.platform) == bindparam("key_platform"),
            col(SeenUpdate.chat_id) == bindparam("key_chat_id"),
            col(SeenUpdate.message_id) == bindparam("key_message_id"),
        )
        .values(values)
    )


def mark(connection: Connection, keys: Sequence[Key], column: str) -> None:
    """Sets ``column`` ("sending_at" or "done_at") of these keys' rows to now."""
    if not keys:
        return
    now = utcnow()
    connection.execute(
        _mark(column),
        [
            {"key_platform": platform, "key_chat_id": chat, "key_message_id": message, "at": now}
            for platform, chat, message in keys
        ],
    )


def _marking_done_first(
    connection: Connection, finished: Sequence[Key], op: Callable[[Connection], T]
) -> T:
    mark(connection, finished, "done_at")
    return op(connection)


def _nothing(connection: Connection) -> None:
    pass


@dataclass(frozen=True, slots=True)
class InHand:
    id: int
    owner: str
    key: Key
    event_json: str | None
    sending: bool  # its replies were being sent


def rows_in_hand(engine: Engine, cutoff: timedelta) -> list[InHand]:
    """Rows not done, taken at least ``cutoff`` ago, oldest first."""
    query = (
        select(
            col(SeenUpdate.id),
            col(SeenUpdate.owner),
            col(SeenUpdate.platform),
            col(SeenUpdate.chat_id),
            col(SeenUpdate.message_id),
            col(SeenUpdate.event_json),
            col(SeenUpdate.sending_at),
        )
        .where(col(SeenUpdate.done_at).is_(None), col(SeenUpdate.seen_at) <= utcnow() - cutoff)
        .order_by(col(SeenUpdate.id))
    )
    with engine.connect() as connection:
        found = connection.execute(query).all()
    return [
        InHand(
            cast(int, row_id),
            owner or "",
            (platform, chat_id, message_id),
            event_json,
            sending_at is not None,
        )
        for row_id, owner, platform, chat_id, message_id, event_json, sending_at in found
    ]


def adopt(connection: Connection, ids: Sequence[int], gone: str, worker: str) -> set[int]:
    """The rows of the ``gone`` worker among ``ids`` now belong to ``worker`` (a second
    worker recovering at the same moment gets none of them)."""
    adopted = connection.execute(
        update(SeenUpdate)
        .where(
            col(SeenUpdate.id).in_(ids),
            col(SeenUpdate.owner) == gone,
            col(SeenUpdate.done_at).is_(None),
        )
        .values(owner=worker)
        .returning(col(SeenUpdate.id))
    )
    return {cast(int, row_id) for (row_id,) in adopted}


class UpdateLedger:
    """This worker's side of the ledger: what it took, what it is handling, what is done.

    Writes go through a group commit (one commit for all that arrive meanwhile), on a
    thread for PostgreSQL and inline for SQLite (WAL, synchronous=NORMAL: cheaper than the
    hop to a thread). They do not wait for PostgreSQL's WAL flush: only a crash of
    PostgreSQL itself right after could forget a row.
    """

    def __init__(self, engine: Engine, worker: str | None = None) -> None:
        self.engine = engine
        self.worker = worker or f"{os.getpid()}-{secrets.token_hex(4)}"
        sqlite = engine.dialect.name == "sqlite"
        self._writes = GroupCommit(engine, "update-ledger", inline=sqlite, durable=False)
        self._alive = worker_lock(engine, self.worker)
        if not self._alive.try_lock():
            raise RuntimeError(f"update ledger: worker name {self.worker} is taken")
        self._taken: set[Key] = set()  # recorded by this worker, not yet begun
        self._in_hand: set[Key] = set()  # being handled by this worker
        self._sending: set[Key] = set()  # in hand, "sending" written
        self._finished: list[Key] = []  # handled, "done" not yet written
        self._flushing: asyncio.Task[None] | None = None

    async def _write(self, op: Callable[[Connection], T], what: str) -> T:
        """``op`` in the next group commit, with the "done" marks waiting, patiently."""

        async def attempt() -> T:
            finished, self._finished = self._finished, []
            try:
                return await self._writes.write(
                    partial(_marking_done_first, finished=finished, op=op)
                )
            except BaseException:
                self._finished[:0] = finished  # for the next write
                raise

        return await patiently(attempt, what)

    async def take(self, events: Sequence[Event]) -> list[bool]:
        """Records the events in one commit; for each, whether this worker must handle it
        (False: taken before). Adapters call this before acknowledging the updates."""
        keys = [update_key(event) for event in events]
        rows = [(key, event_to_json(e)) for key, e in zip(keys, events, strict=True) if key]
        fresh = iter(
            await self._write(partial(take_all, rows=rows, worker=self.worker), "recording updates")
            if rows
            else ()
        )
        verdicts = []
        for key in keys:
            mine = key is None or next(fresh)
            if key is not None and mine:
                self._taken.add(key)
            verdicts.append(mine)
        return verdicts

    async def begin(self, event: Event) -> bool:
        """Whether to handle ``event`` now (recorded already by ``take``, or now)."""
        key = update_key(event)
        if key is None:
            return True
        if key not in self._taken and not (await self.take([event]))[0]:
            return False
        self._taken.discard(key)
        self._in_hand.add(key)
        return True

    async def sending(self, event: Event) -> None:
        """Committed before ``event``'s replies are sent (see the module's docstring)."""
        key = update_key(event)
        if key is None:
            return
        try:
            await self._write(partial(mark, keys=[key], column="sending_at"), "marking a reply")
        except OperationalError as error:  # nothing was sent: the update may be tried again
            raise DatabaseBusy(str(error)) from error
        self._sending.add(key)

    async def done(self, event: Event) -> None:
        """``event`` is handled. After replies, the mark rides on the next write's commit
        (or its own after ``DONE_DELAY_SECONDS``): a commit per message cost more than the
        message, and a crash before it is written leaves a row marked "sending" (delivery
        unknown, not sent again). Without replies it is written now: the event's words
        leave the database before the handling is over."""
        key = update_key(event)
        if key is None:
            return
        self._in_hand.discard(key)
        if key in self._sending:
            self._sending.discard(key)
            self._finish(key)
            return
        try:
            await self._write(partial(mark, keys=[key], column="done_at"), "marking done")
        except Exception:
            log.exception("update ledger: could not mark an update done; trying again")
            self._finish(key)

    def _finish(self, key: Key) -> None:
        self._finished.append(key)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(DONE_DELAY_SECONDS)
        while self._finished:
            try:
                await self._write(_nothing, "marking updates done")
            except Exception:
                log.exception("update ledger: could not mark updates done; trying again")
                await asyncio.sleep(DONE_DELAY_SECONDS)

    def put_down(self, event: Event) -> None:
        """Stop handling ``event`` without marking it done: the next recovery retries it."""
        key = update_key(event)
        if key is not None:
            self._in_hand.discard(key)

    async def leftovers(self, older_than: float = 0.0) -> list[Event]:
        """Updates taken ``older_than`` seconds ago or more and not done, whose worker is
        gone (or this one, which put them down): now in this worker's hands, oldest first.
        Those whose replies were being sent are logged "delivery unknown" and marked done."""
        rows = await self._writes.run(
            partial(rows_in_hand, self.engine, timedelta(seconds=older_than))
        )
        owners: dict[str, list[InHand]] = {}
        for row in rows:
            owners.setdefault(row.owner, []).append(row)
        adopted: list[InHand] = []
        for owner, theirs in owners.items():
            if owner == self.worker:
                held = self._taken | self._in_hand | set(self._finished)
                adopted += [row for row in theirs if row.key not in held]
            elif await self._writes.run(partial(worker_gone, self.engine, owner)):
                ids = [row.id for row in theirs]
                claim = partial(adopt, ids=ids, gone=owner, worker=self.worker)
                got = await self._write(claim, "adopting updates")
                log.info("update ledger: worker %s is gone; %d updates to handle", owner, len(got))
                adopted += [row for row in theirs if row.id in got]
        events = []
        for row in sorted(adopted, key=lambda row: row.id):
            if row.sending or row.event_json is None:
                log.warning(
                    "update ledger: a worker stopped while sending the replies to platform %s, "
                    "chat %s, message %s; delivery unknown, not sent again",
                    *row.key,
                )
                self._finish(row.key)
                continue
            self._in_hand.add(row.key)
            events.append(event_from_json(row.event_json))
        return events

    async def close(self) -> None:
        if self._flushing is not None:
            self._flushing.cancel()
        if self._finished:
            await self._write(_nothing, "marking updates done")
        await self._writes.close()
        self._alive.unlock()
        if isinstance(self._alive, FileLock):
            self._alive.path.unlink(missing_ok=True)


class Inbox:
    """The sink adapters deliver events to: the ledger, then ``handle``, then "done".

    ``handle`` raises ``DatabaseBusy`` when the database was busy before anything was
    sent; the event is then tried again (``patiently``), and after the bound it is left
    for ``recover``, which runs every few seconds. ``already_handled`` tells, for an event
    handled again after a crash, whether its effect was committed before the crash (e.g.
    its ticket exists): then it is only marked done.
    """

    def __init__(
        self,
        ledger: UpdateLedger,
        handle: Callable[[Event, Callable[[Event], Awaitable[None]]], Awaitable[object]],
        *,
        already_handled: Callable[[Event], bool] = lambda _: False,
        count: Callable[[Event], None] = lambda _: None,
    ) -> None:
        self.ledger = ledger
        self._handle, self._already_handled, self._count = handle, already_handled, count
        self._recovering = asyncio.Lock()

    async def __call__(self, event: Event) -> None:
        self._count(event)
        if await self.ledger.begin(event):
            await self._handle_and_finish(event)

    async def _handle_and_finish(self, event: Event) -> None:
        kind = type(event).__name__
        try:
            await patiently(
                partial(self._handle, event, self.ledger.sending),
                f"handling a {kind}",
                busy=(DatabaseBusy,),  # raised only before anything was sent
            )
        except DatabaseBusy:
            log.error(
                "the database stayed busy for %.0fs; the %s is left for the next recovery",
                BUSY_WAIT_SECONDS,
                kind,
            )
            self.ledger.put_down(event)
            return
        except Exception:
            # After its replies went out (e.g. recording where a card landed): not again.
            log.exception("handling a %s failed after its replies were sent", kind)
        await self.ledger.done(event)

    async def recover(self, older_than: float = 0.0) -> int:
        """Handle what a gone worker (or a busy database) left not done; how many."""
        async with self._recovering:
            events = await self.ledger.leftovers(older_than)
            for event in events:
                if self._already_handled(event):
                    log.info("update ledger: a %s was handled before a crash", type(event).__name__)
                    await self.ledger.done(event)
                else:
                    await self._handle_and_finish(event)
            return len(events)

    async def close(self) -> None:
        await self.ledger.close()


class Intake:
    """The adapters' event sink: handles events, or once ``stopping`` only records them in
    the ledger, not done. SIGTERM must end the process within seconds while a flooded
    group can have hundreds of updates taken and waiting their turn: the adapters' queues
    then empty at once, and the next start's recovery handles what was recorded."""

    def __init__(
        self,
        handle: Callable[[Event], Awaitable[None]],
        record: Callable[[Sequence[Event]], Awaitable[object]],
    ) -> None:
        self._handle, self._record = handle, record
        self.stopping = False
        self.kept = 0

    async def __call__(self, event: Event) -> None:
        if self.stopping:
            await self._record([event])  # taken by an adapter already: a no-op
            self.kept += 1
            return
        await self._handle(event)
