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
lock is free, ``infra.leader.worker_gone``) may have reached the platform just before the
crash: it becomes ``unknown`` and is reported, never sent again blindly.

When a row reaches an end state the ``settle`` hook of its kind runs in the same
transaction (e.g. the ticket becomes answered) and writes what to tell a person about it as
new rows, delivered in the same pass.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from core.db import OutboxMessage, session
from core.events import Button, ChatRef, MediaRef, Outgoing, SentRef
from core.ports import ChatAdapter, ChatGone, ChatMovedTo, Clock, RetryLater, SendError
from core.states import OutboxState
from infra.leader import worker_gone

log = logging.getLogger(__name__)


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
    db: Session,
    out: Outgoing,
    kind: str,
    now: datetime,
    ticket_id: int | None = None,
    officer_id: int | None = None,
) -> OutboxMessage:
    """The message as a pending row in ``db``'s transaction (the caller commits);
    ``officer_id``: the officer a private message is for (a card that cannot reach them
    goes to someone else)."""
    buttons = [[[b.label, b.data] for b in line] for line in out.buttons]
    row = OutboxMessage(
        platform=out.chat.platform,
        chat_id=out.chat.chat_id,
        text=out.text,
        reply_to=out.reply_to,
        mention_id=out.mention_id,
        mention_name=out.mention_name,
        buttons_json=json.dumps(buttons, ensure_ascii=False) if buttons else "",
        quotes_json=json.dumps([list(span) for span in out.quotes]) if out.quotes else "",
        media_json=json.dumps(asdict(out.media), ensure_ascii=False) if out.media else "",
        edit_message_id=out.edit_message_id,
        kind=kind,
        ticket_id=ticket_id,
        officer_id=officer_id,
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
    buttons = json.loads(row.buttons_json) if row.buttons_json else []
    quotes = json.loads(row.quotes_json) if row.quotes_json else []
    return Outgoing(
        ChatRef(row.platform, row.chat_id),  # type: ignore[arg-type]
        row.text,
        reply_to=row.reply_to,
        mention_id=row.mention_id,
        mention_name=row.mention_name,
        buttons=tuple(tuple(Button(label, data) for label, data in line) for line in buttons),
        edit_message_id=row.edit_message_id,
        quotes=tuple((start, end) for start, end in quotes),
        media=MediaRef(**json.loads(row.media_json)) if row.media_json else None,
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
    row.text, row.mention_name, row.quotes_json = "", None, ""


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


# What follows once a row of a kind reached an end state (sent, failed, unknown): runs in
# the transaction that records that state, and writes what to tell people as new rows.
Settle = Callable[[Session, OutboxMessage], object]


@dataclass(frozen=True, slots=True)
class _Outcome:
    """How one send ended: the platform's message, or the error that stopped it."""

    ref: SentRef | None = None
    error: Exception | None = None


class OutboxSender:
    """Delivers due rows through ``adapters`` (the per-platform limited ones, so replies
    go before broadcasts); what a settled row writes is delivered in the same pass. Safe
    to run in several workers."""

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
        self._lock = asyncio.Lock()  # one pass at a time in this worker
        self._seen = 0  # ``_enqueued`` at the last pass (rows from before: the timer's)

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
        await asyncio.to_thread(self._record, row_id, outcome)
        return True

    def _record(self, row_id: int, outcome: _Outcome) -> None:
        now = self.clock.now()
        with session(self.engine) as db:
            row = db.get(OutboxMessage, row_id)
            if row is None or row.state != OutboxState.SENDING:
                return
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
            self._settled(db, row)
            db.commit()

    def _settled(self, db: Session, row: OutboxMessage) -> None:
        if row.state == OutboxState.PENDING:
            return
        if row.state == OutboxState.FAILED:
            log.error("outbox: row %s (%s) failed: %s", row.id, row.kind, row.last_error)
        hook = self.settle.get(row.kind)
        if hook is not None:
            hook(db, row)

    async def recover(self) -> int:
        """Rows left ``sending`` by a worker that is gone: unknown, reported (what their
        kinds write is delivered now), not resent. Returns how many."""
        count = await asyncio.to_thread(self._recover)
        if count:
            await self.deliver_due()
        return count

    def _recover(self) -> int:
        now = self.clock.now()
        count = 0
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
                        quotes_json="",
                    )
                )
                if abandoned.rowcount != 1:
                    continue  # another worker recovered it, or its send just ended
                db.refresh(row)
                log.warning("outbox: row %s was being sent by %s, which is gone", row.id, owner)
                self._settled(db, row)
                count += 1
            db.commit()
        return count


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
