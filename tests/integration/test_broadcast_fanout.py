"""Fan-out against a real database (SQLite file and PostgreSQL) with a scripted sender."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from broadcasts import ledger, rules
from broadcasts.fanout import FanOut, Progress
from broadcasts.models import Campaign
from broadcasts.render import TemplateProblem
from core.ports import ChatGone, ChatMovedTo, RetryLater, SendError
from tests.e2e.test_broadcast_support import (
    FakeSender,
    Killed,
    ManualClock,
    add_campaign,
    add_groups,
    deliveries,
    group,
    make_db,
    settings_for,
)

SLOT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def open_slot(engine, campaign: Campaign, slot: datetime = SLOT) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as db:
        fresh = db.get(Campaign, campaign.id)
        assert fresh is not None
        ledger.open_run(db, fresh, slot, "test", approved_by="test", now=slot)


def text(station_id: str | None) -> str:
    return f"反诈提醒 for {station_id}"


@pytest.fixture
def world(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_db(settings_for(db_url))
    yield engine
    engine.dispose()


async def test_every_group_gets_exactly_one_copy_and_a_rerun_sends_nothing(world) -> None:  # type: ignore[no-untyped-def]
    groups = add_groups(world, [f"-{1000 + i}" for i in range(60)])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    sender = FakeSender()
    seen: list[Progress] = []
    fanout = FanOut(world, {"telegram": sender}, concurrency=5, clock=ManualClock(SLOT))

    result = await fanout.run(campaign.id, SLOT, text, progress=seen.append)  # type: ignore[arg-type]

    assert result.sent == 60 and result.pending == 0 and result.failed == 0
    assert sender.copies() == {g.chat_id: 1 for g in groups}
    rows = deliveries(world, campaign.id)
    assert {r.state for r in rows} == {"sent"}
    assert len({r.message_id for r in rows}) == 60  # the platform's ids are recorded
    assert all(r.attempts == 1 and r.sent_at is not None for r in rows)
    done = [p.done for p in seen]
    assert done == sorted(done) and done[-1] == 60 and seen[0].total == 60

    again = await FanOut(world, {"telegram": sender}).run(campaign.id, SLOT, text)  # type: ignore[arg-type]
    assert again.sent == 60 and len(sender.sent) == 60


async def test_planning_a_slot_twice_makes_no_second_row(world) -> None:  # type: ignore[no-untyped-def]
    add_groups(world, ["-1", "-2", "-3"])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    open_slot(world, campaign)
    assert len(deliveries(world, campaign.id)) == 3


async def test_two_workers_on_one_slot_never_send_a_row_twice(world) -> None:  # type: ignore[no-untyped-def]
    groups = add_groups(world, [f"-{2000 + i}" for i in range(80)])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    sender = FakeSender(delay=0.001)
    first = FanOut(world, {"telegram": sender}, concurrency=4)
    second = FanOut(world, {"telegram": sender}, concurrency=4)
    assert first.worker != second.worker

    await asyncio.gather(
        first.run(campaign.id, SLOT, text),  # type: ignore[arg-type]
        second.run(campaign.id, SLOT, text),  # type: ignore[arg-type]
    )

    assert sender.copies() == {g.chat_id: 1 for g in groups}
    owners = {r.claimed_by for r in deliveries(world, campaign.id)}
    assert owners == {first.worker, second.worker}  # both really took part


async def test_retry_after_is_waited_out_and_the_row_retried(world) -> None:  # type: ignore[no-untyped-def]
    add_groups(world, ["-10", "-11"])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    sender = FakeSender(script={"-10": [RetryLater(3), RetryLater(7), None]})
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    result = await FanOut(world, {"telegram": sender}, sleep=sleep).run(campaign.id, SLOT, text)  # type: ignore[arg-type]

    assert result.sent == 2
    assert slept == [3, 7]
    assert sender.copies() == {"-10": 1, "-11": 1}
    row = next(r for r in deliveries(world, campaign.id) if r.chat_id == "-10")
    assert (row.state, row.attempts) == ("sent", 3)


async def test_endless_retry_after_gives_up_with_a_reason(world) -> None:  # type: ignore[no-untyped-def]
    add_groups(world, ["-10"])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    sender = FakeSender(script={"-10": [RetryLater(1)] * 10})

    async def sleep(seconds: float) -> None:
        return None

    fanout = FanOut(world, {"telegram": sender}, sleep=sleep, max_attempts=3)
    result = await fanout.run(campaign.id, SLOT, text)  # type: ignore[arg-type]

    assert (result.sent, result.failed) == (0, 1)
    (row,) = deliveries(world, campaign.id)
    assert row.reason.startswith("rate limited 3 times")
    assert sender.sent == []


async def test_kicked_bot_fails_the_row_and_retires_the_group(world) -> None:  # type: ignore[no-untyped-def]
    kept, kicked = add_groups(world, ["-20", "-21"])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    sender = FakeSender(script={"-21": [ChatGone("Forbidden: bot was kicked from the group chat")]})

    result = await FanOut(world, {"telegram": sender}).run(campaign.id, SLOT, text)  # type: ignore[arg-type]

    assert (result.sent, result.failed) == (1, 1)
    row = next(r for r in deliveries(world, campaign.id) if r.chat_id == "-21")
    assert row.state == "failed" and "bot was kicked" in row.reason
    assert group(world, kicked.id).active is False  # type: ignore[arg-type]
    assert group(world, kept.id).active is True  # type: ignore[arg-type]

    later = SLOT + timedelta(days=7)
    open_slot(world, campaign, later)
    assert {r.chat_id for r in deliveries(world, campaign.id) if r.slot == later} == {"-20"}


async def test_a_migrated_chat_is_followed_to_its_new_id(world) -> None:  # type: ignore[no-untyped-def]
    (moving,) = add_groups(world, ["-30"])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    sender = FakeSender(script={"-30": [ChatMovedTo("-1000000000030")]})

    result = await FanOut(world, {"telegram": sender}).run(campaign.id, SLOT, text)  # type: ignore[arg-type]

    assert result.sent == 1
    assert sender.copies() == {"-1000000000030": 1}
    (row,) = deliveries(world, campaign.id)
    assert (row.chat_id, row.state) == ("-1000000000030", "sent")
    assert group(world, moving.id).chat_id == "-1000000000030"  # type: ignore[arg-type]


async def test_other_send_errors_fail_the_row_with_the_adapters_words(world) -> None:  # type: ignore[no-untyped-def]
    add_groups(world, ["-40"])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    sender = FakeSender(script={"-40": [SendError("timed out, delivery unknown")]})

    await FanOut(world, {"telegram": sender}).run(campaign.id, SLOT, text)  # type: ignore[arg-type]

    (row,) = deliveries(world, campaign.id)
    assert (row.state, row.reason) == ("failed", "timed out, delivery unknown")
    assert sender.attempts == ["-40"]  # never retried: it may have arrived


async def test_a_crash_after_the_platform_took_it_is_never_resent(world) -> None:  # type: ignore[no-untyped-def]
    groups = add_groups(world, [f"-{50 + i}" for i in range(6)])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    sender = FakeSender(crash_after_delivery={"-52"})

    with pytest.raises(BaseExceptionGroup) as died:
        await FanOut(world, {"telegram": sender}, concurrency=1).run(campaign.id, SLOT, text)  # type: ignore[arg-type]
    assert died.group_contains(Killed)
    states = {r.chat_id: r.state for r in deliveries(world, campaign.id)}
    assert states["-52"] == "sending"  # ambiguous: the process died before recording it

    # The restart (another worker; the lease has passed) finishes the rest, resends nothing.
    restart = FanOut(world, {"telegram": sender}, lease=timedelta(0))
    result = await restart.run(campaign.id, SLOT, text)  # type: ignore[arg-type]

    assert sender.copies() == {g.chat_id: 1 for g in groups}
    assert (result.sent, result.failed, result.pending) == (5, 1, 0)
    row = next(r for r in deliveries(world, campaign.id) if r.chat_id == "-52")
    assert row.state == "failed" and row.reason == rules.INTERRUPTED

    # An operator may choose at-least-once for such rows: then it is sent again.
    sender.crash_after_delivery.clear()
    assert ledger.resend_unknown(world, campaign.id, SLOT, SLOT) == 1  # type: ignore[arg-type]
    await restart.run(campaign.id, SLOT, text)  # type: ignore[arg-type]
    assert sender.copies()["-52"] == 2


async def test_a_live_workers_rows_are_left_alone(world) -> None:  # type: ignore[no-untyped-def]
    add_groups(world, ["-60"])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    (row,) = deliveries(world, campaign.id)
    now = datetime.now(UTC)
    # Claimed a moment ago by a live process (this one) under another worker name.
    assert ledger.claim(world, row.id, f"{ledger.worker_id().rsplit(':', 1)[0]}:other", now)  # type: ignore[arg-type]

    assert ledger.recover_interrupted(world, now, lease=timedelta(minutes=2), me="x:1:y") == 0
    assert ledger.recover_interrupted(world, now, lease=timedelta(0), me="x:1:y") == 1


async def test_a_dead_process_on_this_host_is_recognised_at_once(world) -> None:  # type: ignore[no-untyped-def]
    add_groups(world, ["-61"])
    campaign = add_campaign(world)
    open_slot(world, campaign)
    (row,) = deliveries(world, campaign.id)
    host = ledger.worker_id().split(":", 1)[0]
    now = datetime.now(UTC)
    assert ledger.claim(world, row.id, f"{host}:4242:dead", now)  # type: ignore[arg-type]

    found = ledger.recover_interrupted(
        world, now, lease=timedelta(hours=1), me=f"{host}:1:me", alive=lambda pid: pid != 4242
    )
    assert found == 1


async def test_a_template_that_fails_at_send_time_fails_rows_not_the_run(world) -> None:  # type: ignore[no-untyped-def]
    add_groups(world, ["-70"])
    add_groups(world, ["-71"], station="jf")
    campaign = add_campaign(world)
    open_slot(world, campaign)

    def broken_for_jf(station_id: str | None) -> str:
        if station_id == "jf":
            raise TemplateProblem("'station' has no attribute 'fax'")
        return "ok"

    sender = FakeSender()
    result = await FanOut(world, {"telegram": sender}).run(campaign.id, SLOT, broken_for_jf)  # type: ignore[arg-type]

    assert (result.sent, result.failed) == (1, 1)
    failed = next(r for r in deliveries(world, campaign.id) if r.chat_id == "-71")
    assert failed.reason.startswith("template error")


async def test_only_the_senders_platforms_are_touched(world) -> None:  # type: ignore[no-untyped-def]
    add_groups(world, ["-80"])
    add_groups(world, ["wx-room-1"], platform="wechat")
    campaign = add_campaign(world)
    open_slot(world, campaign)

    result = await FanOut(world, {"telegram": FakeSender()}).run(campaign.id, SLOT, text)  # type: ignore[arg-type]

    assert (result.total, result.sent) == (1, 1)
    states = {r.platform: r.state for r in deliveries(world, campaign.id)}
    assert states == {"telegram": "sent", "wechat": "pending"}  # left for the WeChat sender


def test_a_run_opened_by_another_process_at_the_same_moment_stands(
    world, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Their run is committed between our look and our insert: our insert fails at its
    first flush (not at the commit), and theirs is what we get back, planned once."""
    add_groups(world, ["-1", "-2"])
    campaign = add_campaign(world)
    open_slot(world, campaign)  # "their" run, committed
    real_find_run = ledger.find_run
    looks: list[object] = []

    def find_run_late(db, campaign_id, slot):  # type: ignore[no-untyped-def]
        looks.append(slot)
        return (
            None if len(looks) == 1 else real_find_run(db, campaign_id, slot)
        )  # our first look was early

    monkeypatch.setattr(ledger, "find_run", find_run_late)
    with Session(world) as db:
        fresh = db.get(Campaign, campaign.id)
        assert fresh is not None
        run = ledger.open_run(db, fresh, SLOT, "test", approved_by="test", now=SLOT)
        theirs = real_find_run(db, campaign.id, SLOT)
    assert theirs is not None and run.id == theirs.id
    assert sorted(d.chat_id for d in deliveries(world)) == ["-1", "-2"]
