"""Per-platform send rate limits, with replies to residents ahead of broadcasts.

One ``RateLimiter`` per platform account. Every send asks it for a slot
(``acquire``), says when it leaves (``going_out``: a broadcast once its row is claimed;
WeChat counts it in the day's tally then), sends, and hands the slot back
(``release``). The limiter keeps a small
queue of waiters ordered by priority: a reply to a resident ("reply") is always granted
before any broadcast message ("broadcast") that is waiting, and broadcasts may not use
the last ``reply_reserve`` places of the overall window, so a resident's answer never
queues behind a fan-out.

The rules themselves are ``Policy`` objects:

- ``SlidingWindows`` (Telegram): at most N sends in any W-second window overall and at
  most M in any W'-second window per chat (30/s and 20/min by default).
- ``SpacedSends`` (WeChat): one send at a time, a minimum gap with random jitter between
  sends (WeChat punishes bursts), and the account's daily cap and broadcast hours
  (``infra.pacing``: counted in the database, so a restart does not reset them).

**Windows are counted from when a send *finished*, not when it started.** The platform
stamps a message somewhere between our request going out and its answer coming back; a
send counts as "now" while it is in flight and for W seconds after its answer arrived.
So however the network delays a request, no W-second window on the server's side holds
more than N of ours. It costs one round trip per window (30 per 1.01 s at 10 ms latency).

Time is injected (``clock`` returning monotonic seconds, ``sleep``) so tests can drive the
limiter without waiting; nothing here knows about Telegram or WeChat objects.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from core.db import make_engine
from core.events import Outgoing, SentRef
from core.hours import BroadcastHours
from core.ports import ChatAdapter, EventSink, RetryLater
from infra.pacing import Account, DailyBudget, DatabaseTally, MemoryTally

log = logging.getLogger(__name__)

Priority = Literal["reply", "broadcast"]
# Waiters are granted in this order: replies, then urgent broadcasts (an officer's
# 紧急推送), then the rest. An urgent broadcast keeps every limit of a broadcast: the
# policies see it as one.
_RANK: dict[str, int] = {"reply": 0, "urgent": 1, "broadcast": 2}

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Policy(Protocol):
    """A platform's rules. ``wait`` is asked often and must be cheap."""

    def wait(self, chat: str, priority: Priority, now: float) -> float | None:
        """0 if a send may start now; seconds until it may; None until a send finishes.

        Raises ``BroadcastsClosed`` (e.g. ``DailyCapReached``) if it may not happen
        before a later opening at all.
        """
        ...

    def blocked(self, priority: Priority, now: float) -> float | None:
        """The platform-wide part of ``wait`` (0 when only per-chat rules could stop a
        send): lets the limiter skip a queue of waiters all held up by the same thing."""
        ...

    def begin(self, chat: str, priority: Priority, now: float) -> None: ...

    def going_out(self, chat: str, priority: Priority, now: float) -> None:
        """A send that began is about to leave (a broadcast: its row is claimed). Called
        at most once per send; a send ended with ``used=False`` never went out."""
        ...

    def end(self, chat: str, priority: Priority, now: float, used: bool) -> None:
        """A send that began has finished (``used=False``: nothing went out after all)."""
        ...


# --------------------------------------------------------------------------------------
# Policies


@dataclass
class _Window:
    """Sends in flight plus the finish times of those that ended in the last ``span`` s."""

    span: float
    in_flight: int = 0
    ends: deque[float] = field(default_factory=deque)

    def prune(self, now: float) -> None:
        cutoff = now - self.span
        ends = self.ends
        while ends and ends[0] <= cutoff:
            ends.popleft()

    def wait(self, limit: int, now: float) -> float | None:
        self.prune(now)
        used = self.in_flight + len(self.ends)
        if used < limit:
            return 0.0
        expire = used - limit + 1  # this many finished sends must leave the window
        if expire > len(self.ends):
            return None  # only a send that is still in flight can free a place
        return max(self.ends[expire - 1] + self.span - now, 1e-6)

    def idle(self, now: float) -> bool:
        self.prune(now)
        return self.in_flight == 0 and not self.ends


class SlidingWindows:
    """Telegram: ``overall`` sends per ``overall_window`` s, ``per_chat`` per ``chat_window`` s.

    Broadcasts are also paced by a token bucket at the window's rate (``burst`` sends
    may go back to back), so a fan-out is an even stream rather than a burst at the start
    of every second: fewer messages are in flight at any moment (fewer of unknown fate if
    the process dies) and the platform sees a steady rate.
    """

    def __init__(
        self,
        overall: int = 30,
        overall_window: float = 1.0,
        per_chat: int = 20,
        chat_window: float = 60.0,
        *,
        reply_reserve: int = 1,
        burst: int | None = None,
    ) -> None:
        if overall < 1 or per_chat < 1 or overall_window <= 0 or chat_window <= 0:
            raise ValueError("rate limits must be positive")
        self.overall, self.per_chat = overall, per_chat
        self.reply_reserve = min(reply_reserve, overall - 1)
        self._all = _Window(overall_window)
        self._chat_window = chat_window
        self._chats: dict[str, _Window] = {}
        self._sweep_at = 1024
        self._rate = (overall - self.reply_reserve) / overall_window
        self.burst = burst if burst is not None else max(1, overall // 10)
        self._tokens = float(self.burst)
        self._filled_at: float | None = None

    def _refill(self, now: float) -> float:
        if self._filled_at is not None and now > self._filled_at:
            self._tokens = min(self.burst, self._tokens + (now - self._filled_at) * self._rate)
        if self._filled_at is None or now > self._filled_at:
            self._filled_at = now
        return self._tokens

    @classmethod
    def per_second(
        cls, messages_per_second: float, per_chat_per_minute: int, *, reply_reserve: int = 1
    ) -> SlidingWindows:
        """From settings: a fractional rate becomes N sends per the window that fits it."""
        if messages_per_second >= 1:
            overall, window = int(messages_per_second), 1.0
        else:
            overall, window = 1, 1.0 / messages_per_second
        return cls(overall, window, per_chat_per_minute, 60.0, reply_reserve=reply_reserve)

    @property
    def broadcast_rate(self) -> float:
        """Broadcast messages per second (the overall rate less the replies' reserve)."""
        return self._rate

    def blocked(self, priority: Priority, now: float) -> float | None:
        limit = self.overall - (self.reply_reserve if priority == "broadcast" else 0)
        overall = self._all.wait(limit, now)
        if overall is None or priority != "broadcast":
            return overall
        tokens = self._refill(now)
        paced = max((1.0 - tokens) / self._rate, 1e-6) if tokens < 1.0 else 0.0
        return max(overall, paced)

    def wait(self, chat: str, priority: Priority, now: float) -> float | None:
        overall = self.blocked(priority, now)
        window = self._chats.get(chat)
        here = window.wait(self.per_chat, now) if window is not None else 0.0
        if overall is None or here is None:
            return None
        return max(overall, here)

    def begin(self, chat: str, priority: Priority, now: float) -> None:
        if priority == "broadcast":
            self._refill(now)
            self._tokens -= 1.0
        self._all.in_flight += 1
        window = self._chats.get(chat)
        if window is None:
            window = self._chats[chat] = _Window(self._chat_window)
        window.in_flight += 1

    def going_out(self, chat: str, priority: Priority, now: float) -> None:
        pass

    def end(self, chat: str, priority: Priority, now: float, used: bool) -> None:
        self._all.in_flight -= 1
        window = self._chats[chat]
        window.in_flight -= 1
        if used:
            self._all.ends.append(now)
            window.ends.append(now)
        elif priority == "broadcast":
            self._refill(now)
            self._tokens = min(self.burst, self._tokens + 1.0)  # nothing went out: refund
        if len(self._chats) >= self._sweep_at:
            # Memory follows the sends of the last window, not the number of groups.
            self._chats = {c: w for c, w in self._chats.items() if not w.idle(now)}
            self._sweep_at = max(1024, 2 * len(self._chats))

    @property
    def tracked_chats(self) -> int:
        return len(self._chats)


WECHAT_JITTER = 0.5  # each WeChat gap is ``gap`` × (1 + up to this much)


def wechat_seconds_per_send(gap: float, jitter: float = WECHAT_JITTER) -> float:
    """The average time between WeChat sends (for planning; the gateway's time aside)."""
    return gap * (1.0 + jitter / 2)


class SpacedSends:
    """WeChat: one send at a time, ``gap`` s (+ up to ``jitter`` × gap) apart, and the
    account's day (``infra.pacing.DailyBudget``): its daily cap and broadcast hours.

    Every send counts against the cap, replies included; once the cap is reached or the
    hours are over, broadcasts are refused with ``BroadcastsClosed`` (saying until when)
    and replies to residents still go out.
    """

    def __init__(
        self,
        gap: float = 3.0,
        *,
        jitter: float = WECHAT_JITTER,
        budget: DailyBudget | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.gap, self.jitter = gap, jitter
        self.budget = budget or DailyBudget(
            MemoryTally(), Account("wechat"), cap=800, hours=BroadcastHours(0, 24 * 60)
        )
        self._rng = rng or random.Random()
        self._in_flight = 0
        self._last_end = -math.inf
        self._next_gap = self._draw()
        self._resumed = False

    def _draw(self) -> float:
        return self.gap * (1.0 + self.jitter * self._rng.random())

    def wait(self, chat: str, priority: Priority, now: float) -> float | None:
        return self.blocked(priority, now)

    def blocked(self, priority: Priority, now: float) -> float | None:
        if not self._resumed:
            # After a restart (or a crash loop) the gap runs from the account's last send,
            # as recorded in the database, not from nothing.
            self._resumed = True
            ago = self.budget.seconds_since_last_send()
            if ago is not None:
                self._last_end = max(self._last_end, now - ago)
        if priority == "broadcast":
            closed = self.budget.closed()
            if closed is not None:
                raise closed
        if self._in_flight:
            return None
        return max(self._last_end + self._next_gap - now, 0.0)

    def begin(self, chat: str, priority: Priority, now: float) -> None:
        self._in_flight += 1

    def going_out(self, chat: str, priority: Priority, now: float) -> None:
        # Counted once it is sure to leave (a broadcast's row claimed), before the request:
        # a crash mid-send still counts, a crash before the claim — the row goes out later
        # from another process — does not count it twice.
        self.budget.spend()

    def end(self, chat: str, priority: Priority, now: float, used: bool) -> None:
        self._in_flight -= 1
        if used:
            self._last_end = now
            self._next_gap = self._draw()


class Unlimited:
    """The console and tests: no limits, priorities still respected."""

    def wait(self, chat: str, priority: Priority, now: float) -> float | None:
        return 0.0

    def blocked(self, priority: Priority, now: float) -> float | None:
        return 0.0

    def begin(self, chat: str, priority: Priority, now: float) -> None:
        pass

    def going_out(self, chat: str, priority: Priority, now: float) -> None:
        pass

    def end(self, chat: str, priority: Priority, now: float, used: bool) -> None:
        pass


# --------------------------------------------------------------------------------------
# The limiter


@dataclass(frozen=True, slots=True)
class Ticket:
    chat: str
    priority: Priority


@dataclass(order=True)
class _Waiter:
    rank: int
    seq: int
    chat: str = field(compare=False)
    priority: Priority = field(compare=False)
    future: asyncio.Future[Ticket] = field(compare=False)


class RateLimiter:
    """Grants send slots under one ``Policy``, highest priority first."""

    def __init__(
        self, policy: Policy, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.policy = policy
        self._clock, self._sleep = clock, sleep
        self._waiters: list[_Waiter] = []
        self._seq = 0
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf
        self._held: dict[str, float] = {}  # chat -> no sends before this time
        self._broadcasts_held_until = -math.inf

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def acquire(
        self, chat: str, priority: Priority = "reply", *, urgent: bool = False
    ) -> Ticket:
        """Wait for a slot; raises ``BroadcastsClosed`` when the policy refuses outright.
        An ``urgent`` broadcast is granted before the other broadcasts waiting."""
        future: asyncio.Future[Ticket] = asyncio.get_running_loop().create_future()
        self._seq += 1
        rank = _RANK["urgent" if urgent and priority == "broadcast" else priority]
        self._waiters.append(_Waiter(rank, self._seq, chat, priority, future))
        self._pump()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled() and future.exception() is None:
                self.release(future.result(), used=False)
            self._waiters = [w for w in self._waiters if w.future is not future]
            raise

    def going_out(self, ticket: Ticket) -> None:
        """The granted send leaves now; ``release`` it with ``used=True`` afterwards."""
        self.policy.going_out(ticket.chat, ticket.priority, self._clock())

    def release(self, ticket: Ticket, *, used: bool = True) -> None:
        self.policy.end(ticket.chat, ticket.priority, self._clock(), used)
        self._pump()

    def hold(self, chat: str, seconds: float, *, broadcasts_too: bool = False) -> None:
        """The platform said "retry after": nothing to ``chat`` (and, optionally, no
        broadcast anywhere) for ``seconds``."""
        until = self._clock() + seconds
        self._held[chat] = max(self._held.get(chat, -math.inf), until)
        if broadcasts_too:
            self._broadcasts_held_until = max(self._broadcasts_held_until, until)
        self._pump()

    def _held_for(self, waiter: _Waiter, now: float) -> float:
        until = self._held.get(waiter.chat, -math.inf)
        if until <= now:
            self._held.pop(waiter.chat, None)
        if waiter.priority == "broadcast":
            until = max(until, self._broadcasts_held_until)
        return max(until - now, 0.0)

    def _pump(self) -> None:
        now = self._clock()
        wake = math.inf
        self._waiters.sort()
        keep: list[_Waiter] = []
        held_up: dict[str, float | None] = {}  # priority -> platform-wide wait
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            try:
                if waiter.priority not in held_up:
                    held_up[waiter.priority] = self.policy.blocked(waiter.priority, now)
                delay = held_up[waiter.priority]
                if delay != 0:  # held up like every waiter of its kind: skip the details
                    if delay is not None:
                        wake = min(wake, now + delay)
                    keep.append(waiter)
                    continue
                delay = self.policy.wait(waiter.chat, waiter.priority, now)
            except Exception as refused:  # e.g. BroadcastsClosed: the caller decides
                waiter.future.set_exception(refused)
                continue
            held = self._held_for(waiter, now)
            if held > 0:
                delay = held if delay is None else max(delay, held)
            if delay == 0:
                self.policy.begin(waiter.chat, waiter.priority, now)
                waiter.future.set_result(Ticket(waiter.chat, waiter.priority))
                held_up.clear()  # a grant changes what the platform-wide rules allow
                continue
            if delay is not None:
                wake = min(wake, now + delay)
            keep.append(waiter)
        self._waiters = keep
        self._arm(wake, now)

    def _arm(self, at: float, now: float) -> None:
        timer = self._timer
        if timer is not None and not timer.done():
            if self._timer_at <= at:
                return  # an earlier wake-up is already set; it pumps again
            timer.cancel()
        self._timer = None
        self._timer_at = math.inf
        if at < math.inf:
            self._timer_at = at
            self._timer = asyncio.get_running_loop().create_task(self._wake(at - now))

    async def _wake(self, delay: float) -> None:
        await self._sleep(delay)
        self._timer, self._timer_at = None, math.inf
        self._pump()


def limiter_for(
    platform: str,
    settings: Any,
    *,
    tz: ZoneInfo | None = None,
    engine: Engine | None = None,
    wall: Callable[[], datetime] | None = None,
) -> RateLimiter:
    """The limiter the config asks for: ``settings`` is a ``core.config.Settings``.

    WeChat's daily count lives in ``engine``'s database (one is made from the config's
    URL when none is given), so it holds across restarts and between processes.
    """
    if platform == "telegram":
        t = settings.telegram
        return RateLimiter(
            SlidingWindows.per_second(
                t.max_messages_per_second, t.max_messages_per_minute_per_group
            )
        )
    if platform == "wechat":
        return wechat_limiter(settings.wechat.account, settings, tz=tz, engine=engine, wall=wall)
    return RateLimiter(Unlimited())


def wechat_limiter(
    account: Any,
    settings: Any,
    *,
    tz: ZoneInfo | None = None,
    engine: Engine | None = None,
    wall: Callable[[], datetime] | None = None,
) -> RateLimiter:
    """One WeChat account's limiter (``account``: a ``core.config.WechatAccount``): its
    pace, and its cap and hours counted in the database under its id."""
    budget = DailyBudget(
        DatabaseTally(engine or make_engine(settings.database.url)),
        Account("wechat", account.id),
        cap=account.daily_send_cap,
        hours=account.hours,
        tz=tz or settings.tz,
        wall=wall,
    )
    return RateLimiter(SpacedSends(account.seconds_between_sends, budget=budget))


# --------------------------------------------------------------------------------------
# The adapter wrapper


class RateLimitedAdapter:
    """A ``ChatAdapter`` whose sends go through a ``RateLimiter``.

    ``send(out)`` is a reply (high priority): everything the dispatcher sends. A "retry
    after" from the platform is waited out and retried (up to ``reply_retries`` times when
    the wait is at most ``max_reply_wait`` seconds) and also holds broadcasts back.
    ``send_broadcast(out, claim)`` is the fan-out's low-priority send; see its docstring.
    Anything else (``answer_callback``, ``delete_message``, ...) is passed through.
    """

    def __init__(
        self,
        adapter: ChatAdapter,
        limiter: RateLimiter,
        *,
        reply_retries: int = 2,
        max_reply_wait: float = 10.0,
    ) -> None:
        self.adapter, self.limiter = adapter, limiter
        self.platform = adapter.platform
        self._reply_retries, self._max_reply_wait = reply_retries, max_reply_wait

    async def start(self, on_event: EventSink) -> None:
        await self.adapter.start(on_event)

    async def stop(self) -> None:
        await self.adapter.stop()

    async def send(self, out: Outgoing, priority: Priority = "reply") -> SentRef:
        attempt = 0
        while True:
            ticket = await self.limiter.acquire(out.chat.chat_id, priority)
            try:
                self.limiter.going_out(ticket)
                return await self.adapter.send(out)
            except RetryLater as later:
                self.limiter.hold(out.chat.chat_id, later.retry_after, broadcasts_too=True)
                attempt += 1
                if attempt > self._reply_retries or later.retry_after > self._max_reply_wait:
                    raise
                log.info("%s: retrying a reply after %.1fs", self.platform, later.retry_after)
            finally:
                self.limiter.release(ticket)

    async def send_broadcast(
        self,
        out: Outgoing,
        claim: Callable[[], Awaitable[bool]] | None = None,
        *,
        urgent: bool = False,
    ) -> SentRef | None:
        """Send one broadcast message at low priority; exceptions are the adapter's.

        ``claim`` runs after the rate-limit slot is granted and immediately before the
        send, so a delivery row is marked "sending" only for the length of the request
        itself; when it returns False (another worker has the row) nothing is sent and
        None is returned. A "retry after" holds this chat and all broadcasts, then is
        raised for the caller to wait out and retry.
        """
        ticket = await self.limiter.acquire(out.chat.chat_id, "broadcast", urgent=urgent)
        used = False
        try:
            if claim is not None and not await claim():
                return None
            used = True
            self.limiter.going_out(ticket)
            return await self.adapter.send(out)
        except RetryLater as later:
            self.limiter.hold(out.chat.chat_id, later.retry_after, broadcasts_too=True)
            raise
        finally:
            self.limiter.release(ticket, used=used)

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not found normally: the wrapped adapter's extras.
        if name == "adapter":
            raise AttributeError(name)
        return getattr(self.adapter, name)
