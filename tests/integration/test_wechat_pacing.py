"""The WeChat account's day on a real database (SQLite file and PostgreSQL): the daily
count holds across restarts and between processes, replies count, and a run cut by the
cap or by the broadcast hours continues at the next opening, never just after midnight."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import pytest
from sqlalchemy import Engine

from bot.adapters.fake import FakeAdapter
from broadcasts.runs import Broadcaster
from core.config import Settings
from core.db import make_engine
from core.events import ChatRef, Outgoing
from infra.pacing import Account, DailyBudget, DailyCapReached, DatabaseTally, OutsideBroadcastHours
from infra.ratelimit import RateLimitedAdapter, RateLimiter, SpacedSends, limiter_for
from tests.e2e.test_broadcast_support import (
    FakeSender,
    ManualClock,
    VirtualTime,
    add_campaign,
    add_groups,
    deliveries,
    make_db,
    settings_for,
)
from tests.unit.test_pacing import local

ROOMS = [f"room{i}@chatroom" for i in range(5)]
AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def settings(db_url: str) -> Settings:
    return settings_for(
        db_url,
        wechat={"enabled": True, "seconds_between_sends": 0.0, "daily_send_cap": 3},
    )


@pytest.fixture
def engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = make_db(settings)
    yield engine
    engine.dispose()


def wechat_sender(settings: Settings, engine: Engine, clock: ManualClock) -> RateLimitedAdapter:
    """A WeChat sender as the bot builds it: the limiter counts in this database."""
    limiter = limiter_for("wechat", settings, engine=engine, wall=clock.now)
    return RateLimitedAdapter(FakeAdapter(platform="wechat"), limiter)


def sent_rooms(sender: RateLimitedAdapter) -> list[str]:
    adapter: FakeAdapter = sender.adapter  # type: ignore[assignment]
    return [out.chat.chat_id for out in adapter.sent]


async def settle(broadcaster: Broadcaster) -> None:
    for _ in range(5):
        await broadcaster.pump()
        for task in list(broadcaster._active.values()):
            await task


async def test_the_days_count_survives_a_restart_and_replies_count(
    settings: Settings, engine: Engine
) -> None:
    clock = ManualClock(local("2026-03-02T10:00"))
    first = wechat_sender(settings, engine, clock)
    for room in ROOMS[:2]:
        await first.send(Outgoing(ChatRef("wechat", room), "回复"))  # replies to residents
    await first.send_broadcast(Outgoing(ChatRef("wechat", ROOMS[2]), "提醒"))

    # a restart (or a crash loop): a new process, a new engine, the same database
    again = make_engine(settings.database.url)
    restarted = wechat_sender(settings, again, clock)
    with pytest.raises(DailyCapReached) as cap:
        await restarted.send_broadcast(Outgoing(ChatRef("wechat", ROOMS[3]), "提醒"))
    assert cap.value.until == local("2026-03-03T08:00")
    await restarted.send(Outgoing(ChatRef("wechat", ROOMS[3]), "回复"))  # residents still
    assert DatabaseTally(again).sent(Account("wechat"), clock.now().date()) == 4
    again.dispose()

    clock.at = local("2026-03-03T08:00")  # the next day's opening: a fresh budget
    assert await restarted.send_broadcast(Outgoing(ChatRef("wechat", ROOMS[4]), "提醒"))


async def test_a_broadcast_is_counted_once_its_row_is_claimed_not_when_its_turn_comes(
    settings: Settings, engine: Engine
) -> None:
    """A crash between the limiter's grant and the row's claim leaves the row pending: the
    restart sends it and counts it then, so it must not have been counted already (the
    kill test over several accounts found the day's count one above what was sent)."""
    clock = ManualClock(local("2026-03-02T10:00"))
    sender = wechat_sender(settings, engine, clock)
    tally, day = DatabaseTally(engine), clock.now().date()
    counted_while_claiming: list[int] = []

    async def claim(granted: bool) -> bool:
        counted_while_claiming.append(tally.sent(Account("wechat"), day))
        return granted

    out = Outgoing(ChatRef("wechat", ROOMS[0]), "提醒")
    assert await sender.send_broadcast(out, partial(claim, False)) is None  # another has it
    assert await sender.send_broadcast(out, partial(claim, True)) is not None
    assert counted_while_claiming == [0, 0]
    assert tally.sent(Account("wechat"), day) == 1 == len(sent_rooms(sender))


async def test_two_processes_share_one_count(settings: Settings, engine: Engine) -> None:
    clock = ManualClock(local("2026-03-02T10:00"))
    leader, worker = wechat_sender(settings, engine, clock), wechat_sender(settings, engine, clock)
    await worker.send(Outgoing(ChatRef("wechat", ROOMS[0]), "回复"))
    await worker.send(Outgoing(ChatRef("wechat", ROOMS[1]), "回复"))
    await leader.send_broadcast(Outgoing(ChatRef("wechat", ROOMS[2]), "提醒"))  # learns 3
    with pytest.raises(DailyCapReached):
        await leader.send_broadcast(Outgoing(ChatRef("wechat", ROOMS[3]), "提醒"))


async def test_a_run_cut_by_the_cap_continues_at_the_next_opening_not_at_midnight(
    settings: Settings, engine: Engine
) -> None:
    add_groups(engine, ROOMS, platform="wechat")
    campaign = add_campaign(engine)
    assert campaign.id is not None
    clock = ManualClock(local("2026-03-02T20:00"))
    slot = clock.now().astimezone(UTC)
    sender = wechat_sender(settings, engine, clock)
    bot = Broadcaster(engine, settings, {"wechat": sender}, clock=clock)
    await bot.fire(campaign.id, slot)
    await settle(bot)
    assert len(sent_rooms(sender)) == 3  # the cap
    assert [r.state for r in deliveries(engine)].count("pending") == 2

    clock.at = local("2026-03-03T00:01")  # a new day, but the account is closed until 08:00
    await settle(bot)
    restarted = Broadcaster(engine, settings, {"wechat": sender}, clock=clock)  # no memory
    await settle(restarted)
    assert len(sent_rooms(sender)) == 3

    clock.at = local("2026-03-03T08:00")
    await settle(bot)
    assert sorted(sent_rooms(sender)) == sorted(ROOMS)  # each room once
    assert {r.state for r in deliveries(engine)} == {"sent"}


async def test_a_run_outside_the_hours_waits_for_the_opening(
    settings: Settings, engine: Engine
) -> None:
    add_groups(engine, ROOMS[:2], platform="wechat")
    campaign = add_campaign(engine)
    assert campaign.id is not None
    clock = ManualClock(local("2026-03-02T21:30"))
    sender = wechat_sender(settings, engine, clock)
    bot = Broadcaster(engine, settings, {"wechat": sender}, clock=clock)
    await bot.fire(campaign.id, clock.now().astimezone(UTC))
    await settle(bot)
    assert sent_rooms(sender) == []
    assert max(bot._resting.values()) == local("2026-03-03T08:00")
    with pytest.raises(OutsideBroadcastHours):
        await sender.send_broadcast(Outgoing(ChatRef("wechat", ROOMS[0]), "提醒"))

    clock.at = local("2026-03-03T08:00")
    await settle(bot)
    assert sorted(sent_rooms(sender)) == sorted(ROOMS[:2])


def test_an_account_counts_per_local_day(settings: Settings, engine: Engine) -> None:
    tally = DatabaseTally(engine)
    day = datetime(2026, 3, 2).date()
    assert tally.add(Account("wechat"), day, 1, AT) == 1
    assert tally.add(Account("wechat"), day, 1, AT) == 2
    assert tally.add(Account("wechat", "second"), day, 1, AT) == 1  # accounts apart
    assert tally.add(Account("wechat"), day, -1, AT) == 1  # a refund
    assert tally.sent(Account("wechat"), day.replace(day=3)) == 0


async def test_an_account_is_counted_under_its_own_id(db_url: str) -> None:
    account = {"id": "xq-1", "endpoint": "127.0.0.1:9", "token_env": "XQ", "daily_send_cap": 2}
    settings = settings_for(db_url, wechat={"seconds_between_sends": 0.0, "accounts": [account]})
    engine = make_db(settings)
    clock = ManualClock(local("2026-03-02T10:00"))
    sender = wechat_sender(settings, engine, clock)
    for room in ROOMS[:2]:
        await sender.send_broadcast(Outgoing(ChatRef("wechat", room), "提醒"))
    with pytest.raises(DailyCapReached, match="account xq-1"):
        await sender.send_broadcast(Outgoing(ChatRef("wechat", ROOMS[2]), "提醒"))
    day = clock.now().date()
    assert DatabaseTally(engine).sent(Account("wechat", "xq-1"), day) == 2
    assert DatabaseTally(engine).sent(Account("wechat"), day) == 0
    engine.dispose()


async def test_a_closed_wechat_account_does_not_hold_back_telegram(
    settings: Settings, engine: Engine
) -> None:
    add_groups(engine, ROOMS[:2], platform="wechat")
    add_groups(engine, ["-101", "-102"])
    campaign = add_campaign(engine)
    assert campaign.id is not None
    clock = ManualClock(local("2026-03-02T21:30"))
    wechat, telegram = wechat_sender(settings, engine, clock), FakeSender()
    bot = Broadcaster(engine, settings, {"wechat": wechat, "telegram": telegram}, clock=clock)
    await bot.fire(campaign.id, clock.now().astimezone(UTC))
    await settle(bot)
    assert telegram.copies() == {"-101": 1, "-102": 1}  # at once, whatever WeChat's hours
    assert sent_rooms(wechat) == []
    clock.at = local("2026-03-03T08:00")
    await settle(bot)
    assert sorted(sent_rooms(wechat)) == sorted(ROOMS[:2])


async def test_a_restart_keeps_the_gap_after_the_last_send(engine: Engine) -> None:
    """A crash loop must not become a burst: the first send after a restart waits out
    the gap from the account's last send, as the database recorded it."""
    wall = ManualClock(local("2026-03-02T10:00"))

    def limiter(vt: VirtualTime) -> RateLimiter:
        budget = DailyBudget(DatabaseTally(engine), Account("wechat"), cap=100, wall=wall.now)
        rules = SpacedSends(3.0, jitter=0.0, budget=budget)
        return RateLimiter(rules, clock=vt.clock, sleep=vt.sleep)

    before = limiter(VirtualTime())
    ticket = await before.acquire("room", "reply")
    before.going_out(ticket)
    before.release(ticket)

    wall.advance(seconds=1)  # the process dies and is back a second later
    vt = VirtualTime()
    after = limiter(vt)
    ticket = await after.acquire("room", "broadcast")
    after.release(ticket)
    assert sum(vt.slept) == pytest.approx(2.0, abs=0.01)

    wall.advance(seconds=60)  # long enough ago: no wait
    quiet = VirtualTime()
    ticket = await limiter(quiet).acquire("room", "broadcast")
    assert quiet.slept == []
