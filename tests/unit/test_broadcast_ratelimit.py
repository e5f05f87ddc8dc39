"""The rate limiter: window rules (pure), priorities and holds on virtual time."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.events import ChatRef, Outgoing, SentRef
from core.ports import EventSink, RetryLater
from infra.pacing import Account, DailyBudget, DailyCapReached, MemoryTally
from infra.ratelimit import RateLimitedAdapter, RateLimiter, SlidingWindows, SpacedSends, Unlimited
from tests.e2e.test_broadcast_support import ManualClock, VirtualTime

# --------------------------------------------------------------------------------------
# SlidingWindows, pure


def test_a_full_window_frees_a_place_one_window_after_a_send_ended() -> None:
    rules = SlidingWindows(3, 1.0, 100, 60.0, reply_reserve=0)
    for _ in range(3):
        assert rules.wait("a", "reply", 0.0) == 0
        rules.begin("a", "reply", 0.0)
    assert rules.wait("b", "reply", 0.0) is None  # all three still in flight
    rules.end("a", "reply", 0.2, used=True)
    rules.end("a", "reply", 0.3, used=True)
    assert rules.wait("b", "reply", 0.5) == pytest.approx(0.7)  # 0.2 + 1.0 - 0.5
    rules.end("a", "reply", 0.4, used=False)  # nothing went out: it frees its place at once
    assert rules.wait("b", "reply", 0.5) == 0


def test_per_chat_limit_counts_only_that_chat() -> None:
    rules = SlidingWindows(1000, 1.0, 2, 60.0)
    for t in (0.0, 1.0):
        rules.begin("g1", "reply", t)
        rules.end("g1", "reply", t + 0.1, used=True)
    assert rules.wait("g1", "broadcast", 5.0) == pytest.approx(55.1)
    assert rules.wait("g2", "broadcast", 5.0) == 0
    assert rules.wait("g1", "broadcast", 60.1) == 0


def test_broadcasts_leave_the_reply_reserve_free() -> None:
    rules = SlidingWindows(3, 1.0, 100, 60.0, reply_reserve=1)
    for chat in ("a", "b"):
        rules.begin(chat, "reply", 0.0)
        rules.end(chat, "reply", 0.0, used=True)
    assert rules.wait("c", "broadcast", 0.1) == pytest.approx(0.9)
    assert rules.wait("c", "reply", 0.1) == 0


def test_broadcasts_are_paced_evenly_after_a_small_burst() -> None:
    rules = SlidingWindows(30, 1.0, 100, 60.0, reply_reserve=1, burst=3)
    starts = []
    now = 0.0
    for i in range(12):
        delay = rules.wait(f"g{i}", "broadcast", now)
        assert delay is not None
        now += delay
        rules.begin(f"g{i}", "broadcast", now)
        rules.end(f"g{i}", "broadcast", now, used=True)
        starts.append(now)
    assert starts[:3] == [0.0, 0.0, 0.0]
    gaps = [b - a for a, b in itertools.pairwise(starts[3:])]
    assert all(g == pytest.approx(1 / 29) for g in gaps)
    assert rules.wait("r", "reply", now) == 0  # replies are never paced


def test_limits_from_settings() -> None:
    assert SlidingWindows.per_second(30, 20).overall == 30
    slow = SlidingWindows.per_second(0.5, 20)
    slow.begin("a", "reply", 0.0)
    slow.end("a", "reply", 0.0, used=True)
    assert slow.wait("b", "reply", 0.0) == pytest.approx(2.0)


def test_memory_follows_recent_sends_not_all_chats_ever_seen() -> None:
    rules = SlidingWindows(10_000, 1.0, 20, 60.0)
    for i in range(5000):
        t = i * 0.1
        rules.begin(f"g{i}", "reply", t)
        rules.end(f"g{i}", "reply", t, used=True)
    assert rules.tracked_chats < 2 * 600 + 1024  # ~600 chats sent to in the last 60 s


@dataclass(order=True)
class _Job:
    ready: float
    seq: int
    chat: str = field(compare=False)
    duration: float = field(compare=False)


@settings(max_examples=60, deadline=None)
@given(
    overall=st.integers(1, 6),
    per_chat=st.integers(1, 4),
    jobs=st.lists(
        st.tuples(st.integers(0, 3), st.floats(0.0, 0.6), st.floats(0.0, 2.0)),
        min_size=1,
        max_size=60,
    ),
    seed=st.integers(0, 10_000),
)
def test_no_window_on_the_servers_side_ever_holds_too_many(
    overall: int, per_chat: int, jobs: list[tuple[int, float, float]], seed: int
) -> None:
    """Simulate sends with random durations; the server stamps each at a random moment
    between request and answer. No 1 s window may hold more than ``overall`` stamps, no
    3 s window more than ``per_chat`` of one chat."""
    rules = SlidingWindows(overall, 1.0, per_chat, 3.0, reply_reserve=0)
    rng = random.Random(seed)
    waiting = [_Job(ready, i, f"g{chat}", d) for i, (chat, d, ready) in enumerate(jobs)]
    heapq.heapify(waiting)
    running: list[tuple[float, str]] = []  # (end time, chat)
    stamps: list[tuple[float, str]] = []
    now = 0.0
    while waiting or running:
        started = True
        while started:
            started = False
            for job in sorted(waiting):
                if job.ready > now:
                    continue
                if rules.wait(job.chat, "reply", now) == 0:
                    rules.begin(job.chat, "reply", now)
                    end = now + job.duration
                    heapq.heappush(running, (end, job.chat))
                    stamps.append((rng.uniform(now, end), job.chat))
                    waiting.remove(job)
                    heapq.heapify(waiting)
                    started = True
                    break
        candidates = [running[0][0]] if running else []
        candidates += [j.ready for j in waiting if j.ready > now]
        for job in waiting:
            delay = rules.wait(job.chat, "reply", now)
            if delay:
                candidates.append(now + delay)
        if not candidates:
            break
        now = max(now, min(candidates))
        while running and running[0][0] <= now:
            _, chat = heapq.heappop(running)
            rules.end(chat, "reply", now, used=True)
    assert not waiting
    times = sorted(stamps)
    for i, (t, _) in enumerate(times):
        assert sum(1 for u, _ in times[i:] if u < t + 1.0) <= overall
    for chat in {c for _, c in stamps}:
        own = sorted(t for t, c in stamps if c == chat)
        for i, t in enumerate(own):
            assert sum(1 for u in own[i:] if u < t + 3.0) <= per_chat


# --------------------------------------------------------------------------------------
# The limiter on virtual time


async def _send(
    limiter: RateLimiter,
    chat: str,
    priority: str,
    log: list[tuple[float, str]],
    vt: VirtualTime,
    label: str,
) -> None:
    ticket = await limiter.acquire(chat, priority)  # type: ignore[arg-type]
    limiter.going_out(ticket)
    log.append((vt.t, label))
    await asyncio.sleep(0)
    limiter.release(ticket)


async def test_a_reply_jumps_the_queue_of_broadcasts() -> None:
    vt = VirtualTime()
    rules = SlidingWindows(3, 1.0, 100, 60.0, reply_reserve=0, burst=3)
    limiter = RateLimiter(rules, clock=vt.clock, sleep=vt.sleep)
    log: list[tuple[float, str]] = []
    vt.freeze()
    broadcasts = [
        asyncio.create_task(_send(limiter, f"g{i}", "broadcast", log, vt, f"b{i}"))
        for i in range(8)
    ]
    await asyncio.sleep(0.01)  # the first window's three went out; five wait
    assert [label for _, label in log] == ["b0", "b1", "b2"]
    reply = asyncio.create_task(_send(limiter, "r", "reply", log, vt, "reply"))
    await asyncio.sleep(0.01)
    vt.thaw()
    await asyncio.gather(reply, *broadcasts)
    order = [label for _, label in log]
    assert order.index("reply") == 3  # the very next slot
    times = [t for t, _ in log]
    assert times[3] == pytest.approx(1.0)


async def test_broadcasts_alone_never_take_the_reserved_place() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(
        SlidingWindows(5, 1.0, 100, 60.0, reply_reserve=1), clock=vt.clock, sleep=vt.sleep
    )
    log: list[tuple[float, str]] = []
    await asyncio.gather(*(_send(limiter, f"g{i}", "broadcast", log, vt, "b") for i in range(12)))
    per_second: dict[int, int] = {}
    for t, _ in log:
        per_second[int(t + 1e-9)] = per_second.get(int(t + 1e-9), 0) + 1
    assert max(per_second.values()) == 4  # 5 minus the reply's reserve
    started = vt.t
    reply_log: list[tuple[float, str]] = []
    await _send(limiter, "r", "reply", reply_log, vt, "reply")
    assert reply_log[0][0] == started  # no wait at all


async def test_fan_out_achieves_the_limit() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(SlidingWindows.per_second(30, 20), clock=vt.clock, sleep=vt.sleep)
    log: list[tuple[float, str]] = []
    await asyncio.gather(*(_send(limiter, f"g{i}", "broadcast", log, vt, "b") for i in range(600)))
    achieved = 600 / log[-1][0]
    assert 29 * 0.95 <= achieved <= 30


async def test_hold_after_retry_after() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(Unlimited(), clock=vt.clock, sleep=vt.sleep)
    limiter.hold("g1", 5.0, broadcasts_too=True)
    log: list[tuple[float, str]] = []
    await asyncio.gather(
        _send(limiter, "g2", "broadcast", log, vt, "other broadcast"),
        _send(limiter, "g2", "reply", log, vt, "reply elsewhere"),
    )
    assert dict((label, t) for t, label in log) == {"reply elsewhere": 0.0, "other broadcast": 5.0}
    await _send(limiter, "g1", "reply", log, vt, "reply there")
    assert log[-1] == (5.0, "reply there")


async def test_a_cancelled_waiter_leaves_no_trace() -> None:
    vt = VirtualTime()
    rules = SlidingWindows(1, 1.0, 10, 60.0, reply_reserve=0)
    limiter = RateLimiter(rules, clock=vt.clock, sleep=vt.sleep)
    first = await limiter.acquire("a", "reply")
    waiter = asyncio.create_task(limiter.acquire("b", "reply"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.waiting == 0
    limiter.release(first, used=False)
    assert rules.wait("c", "reply", vt.t) == 0


async def test_wechat_spacing_jitter_and_daily_cap() -> None:
    vt = VirtualTime()
    wall = ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    budget = DailyBudget(MemoryTally(), Account("wechat"), cap=4, wall=wall.now)
    rules = SpacedSends(3.0, jitter=0.5, budget=budget, rng=random.Random(7))
    limiter = RateLimiter(rules, clock=vt.clock, sleep=vt.sleep)
    log: list[tuple[float, str]] = []
    for i in range(4):
        await _send(limiter, f"room{i}", "broadcast", log, vt, "b")
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(log)]
    assert all(3.0 <= gap <= 4.5 for gap in gaps) and len(set(gaps)) > 1
    with pytest.raises(DailyCapReached):
        await limiter.acquire("room9", "broadcast")
    await _send(limiter, "room9", "reply", log, vt, "reply over the cap")  # residents first
    assert budget.sent_today() == 5  # the reply counts too
    wall.advance(days=1)
    await _send(limiter, "room9", "broadcast", log, vt, "next day")
    assert log[-1][1] == "next day"


# --------------------------------------------------------------------------------------
# RateLimitedAdapter


@dataclass
class ScriptedAdapter:
    platform: str = "telegram"
    failures: list[BaseException] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    started: bool = False

    async def start(self, on_event: EventSink) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def send(self, out: Outgoing) -> SentRef:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(out)
        return SentRef(out.chat, str(len(self.sent)))

    async def answer_callback(self, callback_id: str) -> bool:
        return callback_id == "ok"


CHAT = ChatRef("telegram", "-1")


async def test_replies_wait_out_a_retry_after_and_go_again() -> None:
    vt = VirtualTime()
    inner = ScriptedAdapter(failures=[RetryLater(2)])
    wrapped = RateLimitedAdapter(inner, RateLimiter(Unlimited(), clock=vt.clock, sleep=vt.sleep))
    ref = await wrapped.send(Outgoing(CHAT, "您好"))
    assert ref.message_id == "1" and vt.t == pytest.approx(2.0)


async def test_a_long_retry_after_is_not_waited_for_a_reply() -> None:
    inner = ScriptedAdapter(failures=[RetryLater(60)])
    wrapped = RateLimitedAdapter(inner, RateLimiter(Unlimited()), max_reply_wait=10)
    with pytest.raises(RetryLater):
        await wrapped.send(Outgoing(CHAT, "您好"))


async def test_send_broadcast_claims_after_the_slot_and_before_the_send() -> None:
    inner = ScriptedAdapter()
    rules = SlidingWindows(1, 1.0, 10, 60.0, reply_reserve=0)
    wrapped = RateLimitedAdapter(inner, RateLimiter(rules))
    calls: list[int] = []

    async def lost() -> bool:
        calls.append(len(inner.sent))
        return False

    async def won() -> bool:
        return True

    assert await wrapped.send_broadcast(Outgoing(CHAT, "x"), lost) is None
    assert calls == [0] and inner.sent == []
    assert rules.wait("-2", "reply", 0.0) == 0  # the unused slot was given back
    ref = await wrapped.send_broadcast(Outgoing(CHAT, "x"), won)
    assert ref is not None and len(inner.sent) == 1


async def test_wrapper_passes_the_rest_through() -> None:
    inner = ScriptedAdapter()
    wrapped = RateLimitedAdapter(inner, RateLimiter(Unlimited()))

    async def sink(_: object) -> None:
        return None

    await wrapped.start(sink)
    assert inner.started and wrapped.platform == "telegram"
    assert await wrapped.answer_callback("ok") is True
    await wrapped.stop()
    assert not inner.started
