"""Fan-out: send one slot of a campaign to every planned group, each exactly once.

How a row goes out
------------------
For each pending delivery row a worker task:

1. waits for a rate-limit slot (``RateLimitedAdapter.send_broadcast``, low priority);
2. **claims** the row (pending -> sending, a conditional UPDATE, committed) — only now,
   right before the request, so the row is "sending" for no longer than the request;
3. sends, and marks the row sent with the platform's message id (or failed with the
   reason).

Writes go through one ``infra.groupcommit.GroupCommit`` thread: a claim waits until it
is committed (durable before the send), but every write queued meanwhile shares that
commit, and the "sent" mark is posted without waiting. The event loop — which also
answers residents — never blocks on the disk.

Failures: a "retry after" (429) puts the row back to pending, waits ``retry_after`` and
tries again (the platform refused it, so nothing went out); a kicked/blocked bot (403)
fails the row with the reason and marks the group inactive; a migrated chat (Telegram's
group -> supergroup) moves the group and the row to the new chat id and sends there; any
other send error fails the row with the adapter's message (e.g. a timeout: it may have
arrived, so it is not retried).

Why a crash never sends a group the same slot twice (the "sending" policy)
-------------------------------------------------------------------------
Telegram's Bot API has no idempotency key and no way to read back what a bot sent, so
after a crash a row found in "sending" is *ambiguous*: the process died somewhere between
the claim commit and the "sent" commit, and the message may or may not have reached
Telegram. Two honest policies exist:

- at least once: resend it. Wrong if the process died after Telegram took the message
  (while the answer was on its way back or before our commit): the group gets two copies.
- **at most once (chosen)**: never resend it. Such rows become ``failed`` with reason
  "interrupted while sending: delivery unknown, not resent" and are reported.

The issue's rule is "a crash never sends a group the same slot twice", so at most once.
The price is confined to one short window: between the claim commit and the moment the
request is written to the socket (client code only — rate limiting, rendering and
reading rows all happen *before* the claim; about 2 ms median at 100 messages/s on a
busy 2-core machine; a WeChat account also counts the send in its day's tally there, so
its count never holds a send that a restart makes again). A process killed inside it
leaves a group without its copy; the row says "delivery unknown" rather than the loss
being silent, and ``jingmin broadcast send-now ID --resend-unknown`` re-queues such rows
when an operator prefers a possible duplicate to a possible gap. A kill anywhere else is
exact: unclaimed rows are still pending and a restart sends them; rows whose request was
written are delivered once and never sent again (they are also reported "unknown": the
process died before it learnt the outcome). At most ``concurrency`` rows can be in that
state per crash. The kill test (tests/e2e/test_broadcast_kill.py) SIGKILLs a real
``send-now`` ten times and checks on the fake server that every group holds exactly one
copy; tests/e2e/test_wechat_accounts_kill.py does the same over three WeChat accounts,
also checking each account's daily count; kills that would land inside the
claim-to-request window are moved a few milliseconds on (and counted), since no
client-side design can make that window exact.

Rows in "sending" are declared interrupted only when their worker is certainly gone: it
ran on this host and its process no longer exists, or it claimed the row longer than the
lease ago (default 120 s; a send is never in flight that long), so several workers —
tasks, processes, machines sharing PostgreSQL — can fan out the same slot together.

Memory stays flat as groups grow: rows are read in pages of ``page`` ids into a bounded
queue, and the rate limiter remembers only the last window's sends.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from sqlalchemy import Engine

from broadcasts import ledger, rules
from broadcasts.ledger import DeliveryRow, Lane
from broadcasts.models import DeliveryState
from broadcasts.render import TemplateProblem
from core.events import ChatRef, MediaRef, Outgoing, SentRef
from core.hours import DEFAULT_ACCOUNT
from core.ports import (
    AccountRestricted,
    ChatGone,
    ChatMovedTo,
    Clock,
    RetryLater,
    SendError,
    SystemClock,
)
from infra.accounts import AccountDirectory, Handover, account_sender
from infra.groupcommit import GroupCommit
from infra.pacing import BroadcastsClosed

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=120)


class BroadcastSender(Protocol):
    """What the fan-out needs of an adapter: ``infra.ratelimit.RateLimitedAdapter``."""

    platform: str

    async def send(self, out: Outgoing) -> SentRef: ...

    async def send_broadcast(
        self,
        out: Outgoing,
        claim: Callable[[], Awaitable[bool]] | None = None,
        *,
        urgent: bool = False,
    ) -> SentRef | None: ...


TextFor = Callable[[str | None], str]  # station id -> the rendered text (TemplateProblem)


@dataclass(frozen=True, slots=True)
class Progress:
    total: int
    sent: int
    failed: int
    skipped: int
    pending: int
    sending: int
    # Rows are left because the account is closed (daily cap, broadcast hours) until then.
    resume_at: datetime | None = None

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    @classmethod
    def of(cls, counts: rules.RunCounts) -> Progress:
        return cls(
            counts.total,
            counts.get(DeliveryState.SENT),
            counts.get(DeliveryState.FAILED),
            counts.get(DeliveryState.SKIPPED),
            counts.get(DeliveryState.PENDING),
            counts.get(DeliveryState.SENDING),
        )


ProgressCallback = Callable[[Progress], None]
# An account rests (restricted by the platform): which, why, until when, what moved.
TroubleCallback = Callable[[str, str, datetime, Handover], Awaitable[None]]
HANDED_OVER = "handed over"  # a row moved to the spare account of its room: sent later


class StopFanOut(Exception):
    """Stop taking the platform's rows (e.g. the WeChat daily cap): what is left stays
    pending, to go out from ``resume_at`` (when known)."""

    def __init__(self, reason: str, resume_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.resume_at = resume_at


# Sends in flight at once: enough to keep 300/s going against 10 ms of API latency on a
# busy 2-core machine (bench/fanout.py), few enough that a crash leaves little in doubt.
SENDS_AT_ONCE = 8


class FanOut:
    def __init__(
        self,
        engine: Engine,
        senders: Mapping[str, BroadcastSender],
        *,
        worker: str | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        concurrency: int = SENDS_AT_ONCE,
        max_attempts: int = 8,
        max_moves: int = 3,
        lease: timedelta = DEFAULT_LEASE,
        page: int = 500,
    ) -> None:
        self.engine = engine
        self.senders = senders
        self.worker = worker or ledger.worker_id()
        self.clock: Clock = clock or SystemClock()
        self._sleep = sleep
        self.concurrency = max(1, concurrency)
        self.max_attempts, self.max_moves = max_attempts, max_moves
        self.lease, self.page = lease, page
        self._stopping = asyncio.Event()
        self._random = random.Random()
        self.last_writer: GroupCommit | None = None
        # Lanes (platform, account) whose account refused broadcasts in this run, and
        # until when.
        self._closed: dict[Lane, datetime | None] = {}
        self.on_trouble: TroubleCallback | None = None

    def stop_taking_rows(self) -> None:
        """Finish the sends in flight, start no new ones (a graceful shutdown)."""
        self._stopping.set()

    def recover(self) -> int:
        found = ledger.recover_interrupted(
            self.engine, self.clock.now(), lease=self.lease, me=self.worker
        )
        if found:
            log.warning("broadcast: %d deliveries were interrupted mid-send; not resent", found)
        return found

    async def run(
        self,
        campaign_id: int,
        slot: datetime,
        text_for: TextFor,
        *,
        progress: ProgressCallback | None = None,
        platforms: Collection[str] | None = None,
        media: MediaRef | None = None,
        urgent: bool = False,
    ) -> Progress:
        """Send every pending row of the slot on ``platforms`` (default: all we have),
        with ``media`` (the text is then its caption): still one message per row.
        ``urgent`` rows take the limiter's places before every other broadcast's."""
        self.recover()
        chosen = sorted(set(platforms or self.senders) & set(self.senders))
        state = Progress.of(ledger.run_counts(self.engine, campaign_id, slot, platforms=chosen))
        tracker = _Tracker(state, progress)
        tracker.report()
        self._closed = {}
        writer = GroupCommit(self.engine, "broadcast-ledger")
        try:
            while not self._stopping.is_set():
                moved = await self._pass(
                    writer, campaign_id, slot, chosen, text_for, tracker, media, urgent
                )
                if moved == 0:
                    break
        finally:
            await writer.close()
        self.last_writer = writer
        final = Progress.of(ledger.run_counts(self.engine, campaign_id, slot, platforms=chosen))
        if final.pending and self._closed:
            reopen = [at for at in self._closed.values() if at is not None]
            final = replace(final, resume_at=min(reopen, default=None))
        tracker.state = final
        tracker.report()
        return final

    async def _pass(
        self,
        writer: GroupCommit,
        campaign_id: int,
        slot: datetime,
        platforms: list[str],
        text_for: TextFor,
        tracker: _Tracker,
        media: MediaRef | None = None,
        urgent: bool = False,
    ) -> int:
        """Every lane — one per account, Telegram is one — in parallel, each through its
        own limiter and only its own rows; returns rows handled (or handed over)."""
        lanes = await writer.run(
            partial(ledger.pending_lanes, self.engine, campaign_id, slot, platforms)
        )
        open_lanes = [lane for lane in lanes if lane not in self._closed]
        handled: list[int] = []

        async def lane_pass(lane: Lane) -> None:
            handled.append(
                await self._lane(writer, lane, campaign_id, slot, text_for, tracker, media, urgent)
            )

        async with asyncio.TaskGroup() as tasks:
            for lane in open_lanes:
                tasks.create_task(lane_pass(lane))
        return sum(handled)

    async def _lane(
        self,
        writer: GroupCommit,
        lane: Lane,
        campaign_id: int,
        slot: datetime,
        text_for: TextFor,
        tracker: _Tracker,
        media: MediaRef | None = None,
        urgent: bool = False,
    ) -> int:
        platform, account = lane
        sender = account_sender(self.senders[platform], account)
        directory = self._directory(platform)
        if sender is None:
            # An account no longer configured: its rooms go to the accounts still in them.
            self._closed[lane] = None
            if directory is None or account is None:
                return 0
            handover = await asyncio.to_thread(directory.hand_over_rooms, account)
            log.warning(
                "broadcast: %s is not configured; %d rooms moved, %d wait",
                _name(lane),
                handover.moved,
                handover.stuck,
            )
            return handover.deliveries
        if directory is not None and account is not None:
            resting = await asyncio.to_thread(directory.resting_until, account)
            if resting is not None:  # rooms may have gained a spare since it began to rest
                self._closed[lane] = resting
                handover = await asyncio.to_thread(directory.hand_over_rooms, account)
                return handover.deliveries
        queue: asyncio.Queue[DeliveryRow | None] = asyncio.Queue(maxsize=2 * self.concurrency)
        handled = 0

        async def feed() -> None:
            after = 0
            while not self._stopping.is_set() and lane not in self._closed:
                rows = await writer.run(
                    partial(
                        ledger.pending_page,
                        self.engine,
                        campaign_id,
                        slot,
                        [platform],
                        after,
                        self.page,
                        lane=lane,
                    )
                )
                if not rows:
                    break
                after = rows[-1].id
                # Workers elsewhere read the same pages: a shuffled order keeps them from
                # queueing behind each other for the same rows.
                self._random.shuffle(rows)
                for row in rows:
                    if self._stopping.is_set() or lane in self._closed:
                        break
                    await queue.put(row)
            for _ in range(self.concurrency):
                await queue.put(None)

        async def work() -> None:
            nonlocal handled
            while True:
                row = await queue.get()
                if row is None:
                    return
                if self._stopping.is_set() or lane in self._closed:
                    continue  # left pending
                try:
                    outcome = await self._deliver(writer, sender, row, text_for, media, urgent)
                except StopFanOut as reason:
                    # Only this account is closed: the others go on.
                    if lane not in self._closed:
                        log.warning("broadcast: %s stops for now: %s", _name(lane), reason)
                        self._closed[lane] = reason.resume_at
                    continue
                except AccountRestricted as restricted:
                    handled += await self._rest(lane, restricted)
                    continue
                if outcome == HANDED_OVER:
                    handled += 1
                elif outcome is not None:
                    handled += 1
                    tracker.moved(outcome)

        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(feed())
            for _ in range(self.concurrency):
                tasks.create_task(work())
        return handled

    def _directory(self, platform: str) -> AccountDirectory | None:
        found = getattr(self.senders[platform], "directory", None)
        return found if isinstance(found, AccountDirectory) else None

    async def _rest(self, lane: Lane, restricted: AccountRestricted) -> int:
        """The platform restricted this lane's account: it rests, its rooms go to their
        spares, and the officers are told. Returns the rows handed over."""
        if lane in self._closed:
            return 0
        until = self.clock.now() + timedelta(seconds=restricted.rest_seconds)
        self._closed[lane] = until
        platform, account = lane
        name = account or DEFAULT_ACCOUNT
        directory = self._directory(platform)
        log.warning("broadcast: %s rests until %s: %s", _name(lane), until, restricted.reason)
        if directory is None:
            handover = Handover(name)
        else:
            handover = await asyncio.to_thread(directory.rest, name, restricted.reason, until)
        if self.on_trouble is not None:
            try:
                await self.on_trouble(name, restricted.reason, until, handover)
            except Exception:
                log.exception("broadcast: telling the officers about %s failed", _name(lane))
        return handover.deliveries

    async def _fail(
        self, writer: GroupCommit, row: DeliveryRow, reason: str, *, retire: bool = False
    ) -> str:
        group = row.group_id if retire else None
        await writer.write(
            partial(
                ledger.mark_failed_on,
                delivery_id=row.id,
                reason=reason,
                now=self.clock.now(),
                deactivate_group=group,
            )
        )
        return DeliveryState.FAILED

    async def _deliver(
        self,
        writer: GroupCommit,
        sender: BroadcastSender,
        row: DeliveryRow,
        text_for: TextFor,
        media: MediaRef | None = None,
        urgent: bool = False,
    ) -> str | None:
        """One row to its end state; returns it (None if another worker had the row,
        ``HANDED_OVER`` if it went to the spare account of its room)."""
        try:
            text = text_for(row.station_id)
        except TemplateProblem as problem:
            return await self._fail(writer, row, f"template error: {problem}")
        chat_id, attempts, moves = row.chat_id, 0, 0
        while True:
            claimed = False

            async def claim() -> bool:
                nonlocal claimed
                now = self.clock.now()
                claimed = await writer.write(
                    partial(ledger.claim_on, delivery_id=row.id, worker=self.worker, now=now),
                    undo=partial(
                        ledger.release_on,
                        delivery_id=row.id,
                        worker=self.worker,
                        reason="claim given up",
                        now=now,
                    ),
                )
                return claimed

            out = Outgoing(ChatRef(row.platform, chat_id), text, media=media)  # type: ignore[arg-type]
            try:
                if urgent:
                    ref = await sender.send_broadcast(out, claim, urgent=True)
                else:  # senders that know no urgency (tests' fakes) are called as before
                    ref = await sender.send_broadcast(out, claim)
            except BroadcastsClosed as closed:
                raise StopFanOut(str(closed), closed.until) from None
            except RetryLater as later:
                attempts += 1
                if not claimed:
                    raise  # not from the platform: a bug in the sender; surface it
                if attempts >= self.max_attempts:
                    return await self._fail(
                        writer,
                        row,
                        f"rate limited {attempts} times (last: retry after {later.retry_after}s)",
                    )
                await self._release(writer, row, f"retry after {later.retry_after}s")
                await self._sleep(later.retry_after)
                continue
            except ChatMovedTo as moved:
                moves += 1
                if moves > self.max_moves:
                    return await self._fail(writer, row, "chat moved too many times")
                here = replace(row, chat_id=chat_id)
                followed = await writer.run(
                    partial(
                        ledger.move_chat,
                        self.engine,
                        here,
                        chat_id,
                        moved.new_chat_id,
                        self.clock.now(),
                    )
                )
                if not followed:
                    return DeliveryState.SKIPPED
                log.info("broadcast: chat %s moved to %s", chat_id, moved.new_chat_id)
                chat_id = moved.new_chat_id
                continue
            except AccountRestricted:
                if claimed:  # refused, so not delivered: back to pending (and to a spare)
                    await self._release(writer, row, "the account is restricted")
                raise
            except ChatGone as gone:
                if claimed and await self._handed_over(writer, row, chat_id):
                    return HANDED_OVER
                return await self._fail(writer, row, f"chat gone: {gone}", retire=True)
            except SendError as error:
                return await self._fail(writer, row, str(error) or "send failed")
            except Exception as error:
                log.exception("broadcast: sending delivery %s failed unexpectedly", row.id)
                if claimed:  # it may have gone out: never resend (at most once)
                    reason = f"unexpected error, delivery unknown: {type(error).__name__}: {error}"
                    return await self._fail(writer, row, reason)
                return None
            if ref is None:
                return None  # another worker claimed it first
            writer.post(
                partial(
                    ledger.mark_sent_on,
                    delivery_id=row.id,
                    worker=self.worker,
                    message_id=ref.message_id,
                    now=self.clock.now(),
                )
            )
            return DeliveryState.SENT

    async def _release(self, writer: GroupCommit, row: DeliveryRow, reason: str) -> None:
        await writer.write(
            partial(
                ledger.release_on,
                delivery_id=row.id,
                worker=self.worker,
                reason=reason,
                now=self.clock.now(),
            )
        )

    async def _handed_over(self, writer: GroupCommit, row: DeliveryRow, chat_id: str) -> bool:
        """The account is not in the room (any more): if another account is, the room and
        this row go to it — a room is never retired because one account could not see it."""
        directory = self._directory(row.platform)
        if directory is None or row.account is None:
            return False
        await self._release(writer, row, f"account {row.account} is not in the room")
        spare = await asyncio.to_thread(directory.hand_over, row.account, chat_id)
        if spare is None:
            return False
        log.info("broadcast: room %s goes to account %s", chat_id, spare)
        return True


def _name(lane: Lane) -> str:
    platform, account = lane
    return platform if account is None else f"{platform} account {account}"


class _Tracker:
    def __init__(self, state: Progress, callback: ProgressCallback | None) -> None:
        self.state, self._callback = state, callback

    def moved(self, outcome: str) -> None:
        s = self.state
        self.state = Progress(
            s.total,
            s.sent + (outcome == DeliveryState.SENT),
            s.failed + (outcome == DeliveryState.FAILED),
            s.skipped + (outcome == DeliveryState.SKIPPED),
            max(s.pending - 1, 0),
            s.sending,
        )
        self.report()

    def report(self) -> None:
        if self._callback is not None:
            try:
                self._callback(self.state)
            except Exception:
                log.exception("broadcast: the progress callback failed")
