"""The durable outbox: a message that matters is a row, delivered by one sender.

A row is written in the same transaction as the state change that causes it (``enqueue``),
so a message is never promised without being kept. Its states::

    pending --claim--> sending --accepted--> sent
       ^                  |--transient (429, network, timeout)--> pending, next try later
       |                  |--chat migrated--> pending under the new chat id
       |                  '--permanent (403, chat gone) or too many tries--> failed
       '-- (never back from sending after a crash: the row becomes "unknown")

A claim is a conditional UPDATE (``pending -> sending`` only if still pending and due), so
of two workers at most one sends a row. A row found ``sending`` whose worker is gone (its
lock is free, ``bot.leader.worker_gone``) may have reached the platform just before the
crash: it becomes ``unknown`` and is reported, never sent again blindly.

When a row reaches an end state the ``settle`` hook of its kind runs in the same
transaction (e.g. the ticket becomes answered) and returns what to tell a person about it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from bot.db import OutboxMessage, session
from bot.events import ChatRef, Outgoing, SentRef
from bot.leader import worker_gone
from bot.ports import ChatAdapter, ChatGone, ChatMovedTo, Clock, RetryLater, SendError

log = logging.getLogger(__name__)


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


FIRST_RETRY_SECONDS = 2.0
MAX_RETRY_SECONDS = 300.0
MAX_ATTEMPTS = 12  # with the backoff capped at 5 min: about half an hour of trying
ERROR_LIMIT = 500
PASSES = 3  # looks for due rows per ``deliver_due``, while rows keep coming due
INTERRUPTED = "interrupted while sending: delivery unknown, not resent"


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait after ``attempts`` failed tries: doubling from 2 s, capped at 5 min;
    never less than what the platform asked for (429 ``retry_after``)."""
    delay: float = min(FIRST_RETRY_SECONDS * 2.0 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)
    return max(delay, retry_after or 0.0)


def enqueue(
    db: Session, out: Outgoing, kind: str, now: datetime, ticket_id: int | None = None
) -> OutboxMessage:
    """The message as a pending row in ``db``'s transaction (the caller commits)."""
    row = OutboxMessage(
        platform=out.chat.platform,
        chat_id=out.chat.chat_id,
        text=out.text,
        reply_to=out.reply_to,
        mention_id=out.mention_id,
        mention_name=out.mention_name,
        kind=kind,
        ticket_id=ticket_id,
        next_try_at=now,
        created_at=now,
        updated_at=now,
    )
    db.add(row)
    global _enqueued
    _enqueued += 1
    return row


# Rows this process has written (committed or not): a sender looks for due rows after an
# event only when the count moved, not after every resident's message.
_enqueued = 0


def outgoing(row: OutboxMessage) -> Outgoing:
    return Outgoing(
        ChatRef(row.platform, row.chat_id),  # type: ignore[arg-type]
        row.text,
        reply_to=row.reply_to,
        mention_id=row.mention_id,
        mention_name=row.mention_name,
    )


def due(engine: Engine, now: datetime, limit: int = 50) -> list[int]:
    """Ids of pending rows whose time has come, oldest first."""
    with session(engine) as db:
        query = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.state == OutboxState.PENDING,
                col(OutboxMessage.next_try_at) <= now,
            )
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        return [row_id for row_id in db.exec(query).all() if row_id is not None]


def claim(engine: Engine, row_id: int, worker: str, now: datetime) -> bool:
    """pending -> sending, only if still pending and due; committed before this returns."""
    with engine.begin() as conn:
        claimed = conn.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == row_id,
                col(OutboxMessage.state) == OutboxState.PENDING,
                col(OutboxMessage.next_try_at) <= now,
            )
            .values(
                state=OutboxState.SENDING,
                claimed_by=worker,
                claimed_at=now,
                attempts=col(OutboxMessage.attempts) + 1,
                updated_at=now,
            )
        )
        return claimed.rowcount == 1


def retry_later(row: OutboxMessage, error: str, delay: float, now: datetime) -> None:
    """sending -> pending: not delivered, try again after ``delay`` seconds."""
    row.state = OutboxState.PENDING
    row.claimed_by = None
    row.last_error = error[:ERROR_LIMIT]
    row.next_try_at = now + timedelta(seconds=delay)
    row.updated_at = now


def moved(row: OutboxMessage, new_chat_id: str, now: datetime) -> None:
    """sending -> pending under the chat's new id (Telegram refused the old one: nothing
    was delivered), due at once."""
    row.last_error = f"chat moved from {row.chat_id} to {new_chat_id}"[:ERROR_LIMIT]
    row.chat_id = new_chat_id
    row.state = OutboxState.PENDING
    row.claimed_by = None
    row.next_try_at = now
    row.updated_at = now


def _forget_words(row: OutboxMessage) -> None:
    """An ended row keeps no words (the officer's answer may quote a phone number) and no
    name: the ticket keeps the masked copy."""
    row.text, row.mention_name = "", None


def delivered(row: OutboxMessage, message_id: str, now: datetime) -> None:
    _forget_words(row)
    row.state = OutboxState.SENT
    row.sent_message_id = message_id
    row.last_error = ""
    row.updated_at = now


def failed(row: OutboxMessage, error: str, now: datetime) -> None:
    _forget_words(row)
    row.state = OutboxState.FAILED
    row.last_error = error[:ERROR_LIMIT]
    row.updated_at = now


def unknown(row: OutboxMessage, error: str, now: datetime) -> None:
    """The platform may or may not have taken it: reported, never resent blindly."""
    _forget_words(row)
    row.state = OutboxState.UNKNOWN
    row.last_error = error[:ERROR_LIMIT]
    row.updated_at = now


# What to tell a person once a row of a kind reached an end state (sent, failed, unknown);
# runs in the transaction that records that state.
Settle = Callable[[Session, OutboxMessage], Sequence[Outgoing]]


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How one send ended: the platform's message, or the error that stopped it."""

    ref: SentRef | None = None
    error: Exception | None = None


class OutboxSender:
    """Delivers due rows through ``adapters`` (the per-platform limited ones) and tells
    people how rows ended through the same adapters. Safe to run in several workers."""

    def __init__(
        self,
        engine: Engine,
        adapters: Mapping[str, ChatAdapter],
        clock: Clock,
        worker: str,
        settle: Mapping[str, Settle],
    ) -> None:
        self.engine = engine
        self.adapters = adapters
        self.clock = clock
        self.worker = worker
        self.settle = settle
        self._send_notes: Callable[[Sequence[Outgoing]], Awaitable[object]] | None = None
        self._lock = asyncio.Lock()  # one pass at a time in this worker
        self._seen = 0  # ``_enqueued`` at the last pass (rows from before: the timer's)

    def tell_with(self, send: Callable[[Sequence[Outgoing]], Awaitable[object]]) -> None:
        """How notes to people (an officer told how the answer went) are sent."""
        self._send_notes = send

    async def deliver_new(self) -> int:
        """``deliver_due`` if this process wrote rows since the last look (after an event)."""
        if _enqueued == self._seen:
            return 0
        return await self.deliver_due()

    async def deliver_due(self) -> int:
        """Sends every due row this worker can claim; returns how many were claimed. A row
        due again at once (its chat moved) is sent in the same call."""
        async with self._lock:
            self._seen = _enqueued
            count = 0
            for _ in range(PASSES):
                claimed = 0
                for row_id in await asyncio.to_thread(due, self.engine, self.clock.now()):
                    if await self.deliver(row_id):
                        claimed += 1
                count += claimed
                if not claimed:
                    break
            return count

    async def deliver(self, row_id: int) -> bool:
        """One try at one row: claimed, sent, its outcome recorded (False: not claimed)."""
        if not await asyncio.to_thread(claim, self.engine, row_id, self.worker, self.clock.now()):
            return False
        with session(self.engine) as db:
            row = db.get(OutboxMessage, row_id)
        if row is None:
            return False
        adapter = self.adapters.get(row.platform)
        if adapter is None:
            outcome = _Outcome(error=SendError(f"no adapter for platform {row.platform}"))
        else:
            try:
                outcome = _Outcome(ref=await adapter.send(outgoing(row)))
            except Exception as error:
                outcome = _Outcome(error=error)
        notes = await asyncio.to_thread(self._record, row_id, outcome)
        if notes:
            await self._tell(notes)
        return True

    def _record(self, row_id: int, outcome: _Outcome) -> Sequence[Outgoing]:
        now = self.clock.now()
        with session(self.engine) as db:
            row = db.get(OutboxMessage, row_id)
            if row is None or row.state != OutboxState.SENDING:
                return ()
            error = outcome.error
            if outcome.ref is not None:
                delivered(row, outcome.ref.message_id, now)
            elif isinstance(error, ChatMovedTo) and row.attempts < MAX_ATTEMPTS:
                moved(row, error.new_chat_id, now)
            elif isinstance(error, ChatGone | ChatMovedTo):
                failed(row, _describe(error), now)
            elif _unknown(error):
                unknown(row, _describe(error), now)
            elif _transient(error) and row.attempts < MAX_ATTEMPTS:
                retry_after = error.retry_after if isinstance(error, RetryLater) else None
                retry_later(row, _describe(error), backoff(row.attempts, retry_after), now)
                log.warning("outbox: row %s not sent (%s); will try again", row.id, error)
            else:
                failed(row, _describe(error), now)
            db.add(row)
            notes = self._settled(db, row)
            db.commit()
            return notes

    def _settled(self, db: Session, row: OutboxMessage) -> Sequence[Outgoing]:
        if row.state == OutboxState.PENDING:
            return ()
        if row.state == OutboxState.FAILED:
            log.error("outbox: row %s (%s) failed: %s", row.id, row.kind, row.last_error)
        hook = self.settle.get(row.kind)
        return hook(db, row) if hook is not None else ()

    async def _tell(self, notes: Sequence[Outgoing]) -> None:
        if self._send_notes is not None:
            await self._send_notes(notes)

    async def recover(self) -> int:
        """Rows left ``sending`` by a worker that is gone: unknown, reported, not resent."""
        notes = await asyncio.to_thread(self._recover)
        if notes:
            await self._tell(notes)
        return len(notes)

    def _recover(self) -> list[Outgoing]:
        now = self.clock.now()
        notes: list[Outgoing] = []
        with session(self.engine) as db:
            query = select(OutboxMessage).where(OutboxMessage.state == OutboxState.SENDING)
            for row in db.exec(query).all():
                owner = row.claimed_by or ""
                if owner == self.worker or (owner and not worker_gone(self.engine, owner)):
                    continue
                abandoned = db.connection().execute(
                    update(OutboxMessage)
                    .where(
                        col(OutboxMessage.id) == row.id,
                        col(OutboxMessage.state) == OutboxState.SENDING,
                        col(OutboxMessage.claimed_by) == row.claimed_by,
                    )
                    .values(
                        state=OutboxState.UNKNOWN,
                        last_error=INTERRUPTED,
                        updated_at=now,
                        text="",
                        mention_name=None,
                    )
                )
                if abandoned.rowcount != 1:
                    continue  # another worker recovered it, or its send just ended
                db.refresh(row)
                log.warning("outbox: row %s was being sent by %s, which is gone", row.id, owner)
                notes.extend(self._settled(db, row))
            db.commit()
        return notes


def _transient(error: Exception | None) -> bool:
    """Worth trying again: rate limited or a network error (the adapters raise both as
    ``RetryLater``), or not a platform's answer at all (an adapter's own error). Any other
    ``SendError`` is a refusal."""
    return isinstance(error, RetryLater) or not isinstance(error, SendError)


def _unknown(error: Exception | None) -> bool:
    """The adapter cannot tell whether the platform took it (a timeout mid-request)."""
    return isinstance(error, SendError) and "delivery unknown" in str(error)


def _describe(error: Exception | None) -> str:
    if error is None:
        return "unknown error"
    if isinstance(error, ChatGone):
        return f"chat gone: {error}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
