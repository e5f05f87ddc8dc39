"""Runs on a real database: approval flow, officer commands, misfire policy, scheduler."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.adapters.fake import FakeAdapter
from bot.scheduler import start_broadcasting
from broadcasts import ledger
from broadcasts.models import BroadcastRun, Campaign, RunStation, to_db
from broadcasts.planner import Targets, slot_key
from broadcasts.runs import Broadcaster
from core.events import ButtonPress, ChatRef, IncomingMessage, Outgoing
from core.ports import SystemClock
from handlers.broadcast_commands import (
    broadcast_command,
    is_broadcast_button,
    on_button,
    on_command,
)
from infra.pacing import DailyCapReached
from infra.ratelimit import RateLimitedAdapter, RateLimiter, Unlimited
from tests.e2e.test_broadcast_support import (
    OFFICER_IDS,
    FakeSender,
    LightServices,
    ManualClock,
    add_campaign,
    add_groups,
    deliveries,
    make_db,
    officer_chat,
    settings_for,
)
from tests.fakes.notices import deliver_notices

# Monday 2026-03-02 10:00 in Asia/Shanghai
MONDAY_10 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
WEEKLY = "0 10 * * 1"


async def command(services: object, msg: IncomingMessage) -> list[Outgoing] | None:
    """A typed command as the dispatcher's route takes it: parsed, then handled."""
    parsed = broadcast_command(msg)
    return await on_command(services, msg, parsed) if parsed else None  # type: ignore[arg-type]


@pytest.fixture
def settings(db_url: str):  # type: ignore[no-untyped-def]
    return settings_for(db_url, broadcasts={"misfire_grace_seconds": 3600})


@pytest.fixture
def engine(settings):  # type: ignore[no-untyped-def]
    engine = make_db(settings)
    yield engine
    engine.dispose()


def private(station: str, text: str, at: datetime = MONDAY_10) -> IncomingMessage:
    chat = officer_chat(station)
    return IncomingMessage(chat, chat.chat_id, "警官", text, "1", False, True, at)


def press(station: str, data: str, at: datetime = MONDAY_10) -> ButtonPress:
    chat = officer_chat(station)
    return ButtonPress(chat, chat.chat_id, "警官", data, "77", at, "cb1")


async def settle(broadcaster: Broadcaster) -> None:
    """Pump until no fan-out is running and nothing is left to start; deliver the notices
    it wrote (the bot's outbox sender would)."""
    for _ in range(10):
        await broadcaster.pump()
        await deliver_notices(broadcaster)
        active = list(broadcaster._active.values())
        if not active:
            return
        await asyncio.gather(*active)
    await deliver_notices(broadcaster)


def texts_to(sender: FakeSender, chat: ChatRef) -> list[Outgoing]:
    return [out for out in sender.replies if out.chat == chat]


async def test_approval_flow_preview_then_approve_or_reject_per_station(settings, engine) -> None:  # type: ignore[no-untyped-def]
    xq_groups = add_groups(engine, ["-101", "-102", "-103"], station="xq")
    jf_groups = add_groups(engine, ["-201", "-202"], station="jf")
    campaign = add_campaign(engine, requires_approval=True, cron=WEEKLY)
    clock = ManualClock(MONDAY_10)
    sender = FakeSender()
    broadcaster = Broadcaster(engine, settings, {"telegram": sender}, clock=clock)
    services = LightServices(settings, engine, clock)

    await broadcaster.fire(campaign.id, MONDAY_10)  # type: ignore[arg-type]
    await settle(broadcaster)
    await settle(broadcaster)

    assert sender.sent == []  # nothing goes out before 批准
    for station in ("xq", "jf"):
        (card,) = texts_to(sender, officer_chat(station))  # one preview each, not repeated
        assert ("广播待批准" in card.text and "兴庆派出所" in card.text) or station == "jf"
        assert [b.data for b in card.buttons[0]] == [
            f"b:approve:{campaign.id}:{slot_key(MONDAY_10)}",
            f"b:reject:{campaign.id}:{slot_key(MONDAY_10)}",
        ]
    jf_card = texts_to(sender, officer_chat("jf"))[0]
    assert "金凤派出所" in jf_card.text and "本所 2 个群" in jf_card.text

    approve = press("xq", f"b:approve:{campaign.id}:{slot_key(MONDAY_10)}")
    assert is_broadcast_button(approve)
    (edited,) = await on_button(services, approve)  # type: ignore[arg-type]
    assert edited.edit_message_id == "77" and "已批准" in edited.text and not edited.buttons
    await settle(broadcaster)
    assert sender.copies() == {g.chat_id: 1 for g in xq_groups}

    summary = texts_to(sender, officer_chat("xq"))[-1]
    assert "广播完成" in summary.text and "已送达 3 个群" in summary.text

    reject = private("jf", f"驳回广播 {campaign.id}")
    assert broadcast_command(reject)
    (answer,) = await command(services, reject)  # type: ignore[misc]
    assert "已取消" in answer.text
    await settle(broadcaster)
    assert not any(out.chat.chat_id in {g.chat_id for g in jf_groups} for out in sender.sent)
    with Session(engine) as db:
        (run,) = db.exec(select(BroadcastRun)).all()
        assert run.state == "done"
        approvals = {rs.station_id: rs.approval for rs in db.exec(select(RunStation))}
    assert approvals == {"xq": "approved", "jf": "rejected"}

    again = await on_button(services, approve)  # type: ignore[arg-type]
    assert "已经处理过了" in again[0].text
    assert len(sender.sent) == 3


async def test_only_an_officer_may_approve(settings, engine) -> None:  # type: ignore[no-untyped-def]
    add_groups(engine, ["-101"])
    campaign = add_campaign(engine, requires_approval=True)
    services = LightServices(settings, engine, ManualClock(MONDAY_10))
    broadcaster = Broadcaster(engine, settings, {"telegram": FakeSender()}, clock=services.clock)
    await broadcaster.fire(campaign.id, MONDAY_10)  # type: ignore[arg-type]
    stranger = ButtonPress(
        ChatRef("telegram", "555"),
        "555",
        "路人",
        f"b:approve:{campaign.id}:{slot_key(MONDAY_10)}",
        "9",
        MONDAY_10,
    )
    (refusal,) = await on_button(services, stranger)  # type: ignore[arg-type]
    assert "民警" in refusal.text
    resident_says = IncomingMessage(
        ChatRef("telegram", "555"),
        "555",
        "路人",
        f"批准广播 {campaign.id}",
        "1",
        False,
        True,
        MONDAY_10,
    )
    assert await command(services, resident_says) is None
    with Session(engine) as db:
        assert db.exec(select(RunStation)).one().approval == "pending"


async def test_an_unanswered_approval_lapses(settings, engine) -> None:  # type: ignore[no-untyped-def]
    add_groups(engine, ["-101"])
    campaign = add_campaign(engine, requires_approval=True)
    clock = ManualClock(MONDAY_10)
    sender = FakeSender()
    broadcaster = Broadcaster(engine, settings, {"telegram": sender}, clock=clock)
    await broadcaster.fire(campaign.id, MONDAY_10)  # type: ignore[arg-type]
    await settle(broadcaster)
    clock.advance(hours=25)
    await settle(broadcaster)
    with Session(engine) as db:
        assert db.exec(select(RunStation)).one().approval == "expired"
        assert db.exec(select(BroadcastRun)).one().state == "done"
    assert sender.sent == []


async def test_officer_commands_list_preview_and_send_to_own_station(settings, engine) -> None:  # type: ignore[no-untyped-def]
    xq = add_groups(engine, ["-101", "-102"], station="xq")
    add_groups(engine, ["-201"], station="jf")
    weekly = add_campaign(engine, "每周提醒", cron=WEEKLY)
    jf_only = add_campaign(engine, "金凤专题", targets=Targets("stations", ("jf",)))
    clock = ManualClock(MONDAY_10 - timedelta(hours=1))
    services = LightServices(settings, engine, clock)
    sender = FakeSender()
    broadcaster = Broadcaster(engine, settings, {"telegram": sender}, clock=clock)

    (listing,) = await command(services, private("xq", "/broadcasts"))
    assert f"#{weekly.id} 每周提醒" in listing.text and "下次 2026-03-02 10:00" in listing.text
    assert "金凤专题" not in listing.text

    (shown,) = await command(services, private("xq", f"/preview {weekly.id}"))
    assert "兴庆派出所提醒" in shown.text and "96110" in shown.text

    (refused,) = await command(services, private("xq", f"/send {jf_only.id}"))
    assert f"没有编号为 {jf_only.id} 的广播" in refused.text

    (started,) = await command(services, private("xq", f"/send {weekly.id}"))
    assert "已开始发往本所 2 个群" in started.text
    await settle(broadcaster)
    assert sender.copies() == {g.chat_id: 1 for g in xq}  # not the other station's group
    assert "已送达 2 个群" in texts_to(sender, officer_chat("xq"))[-1].text

    assert await command(services, private("xq", "今天天气")) is None


async def test_missed_slot_within_grace_is_sent_once_on_start(settings, engine) -> None:  # type: ignore[no-untyped-def]
    groups = add_groups(engine, ["-101", "-102"])
    campaign = add_campaign(engine, cron=WEEKLY, created=MONDAY_10 - timedelta(days=30))
    clock = ManualClock(MONDAY_10 + timedelta(minutes=30))  # the bot was down at 10:00
    sender = FakeSender()
    broadcaster = Broadcaster(engine, settings, {"telegram": sender}, clock=clock)

    (decided,) = broadcaster.catch_up(clock.now())
    assert decided[:2] == (campaign.id, MONDAY_10) and decided[2].run
    await broadcaster.run_catch_up()
    await settle(broadcaster)
    assert sender.copies() == {g.chat_id: 1 for g in groups}

    clock.advance(minutes=10)  # a second restart: the slot has its run, nothing again
    assert broadcaster.catch_up(clock.now()) == []
    await broadcaster.run_catch_up()
    await settle(broadcaster)
    assert len(sender.sent) == 2


async def test_missed_slot_beyond_grace_is_skipped_and_logged(settings, engine, caplog) -> None:  # type: ignore[no-untyped-def]
    add_groups(engine, ["-101"])
    campaign = add_campaign(engine, cron=WEEKLY, created=MONDAY_10 - timedelta(days=30))
    clock = ManualClock(MONDAY_10 + timedelta(hours=3))
    sender = FakeSender()
    broadcaster = Broadcaster(engine, settings, {"telegram": sender}, clock=clock)

    await broadcaster.run_catch_up()
    await settle(broadcaster)

    assert sender.sent == []
    assert "missed by 10800s, more than the 3600s grace: skipped" in caplog.text
    with Session(engine) as db:
        (run,) = db.exec(select(BroadcastRun)).all()
    assert (run.campaign_id, run.state, run.slot) == (campaign.id, "skipped", MONDAY_10)
    assert broadcaster.catch_up(clock.now()) == []  # decided once, not at every start


async def test_no_catch_up_for_slots_before_the_campaign_or_while_paused(settings, engine) -> None:  # type: ignore[no-untyped-def]
    add_groups(engine, ["-101"])
    add_campaign(engine, "新建", cron=WEEKLY, created=MONDAY_10 + timedelta(minutes=5))
    paused = add_campaign(engine, "暂停", cron=WEEKLY, created=MONDAY_10 - timedelta(days=30))
    with Session(engine) as db:
        row = db.get(Campaign, paused.id)
        assert row is not None
        row.paused = True
        db.add(row)
        db.commit()
    broadcaster = Broadcaster(engine, settings, {"telegram": FakeSender()})
    assert broadcaster.catch_up(MONDAY_10 + timedelta(minutes=10)) == []


async def test_scheduler_jobs_follow_campaign_rows_and_a_one_off_fires(settings, engine) -> None:  # type: ignore[no-untyped-def]
    groups = add_groups(engine, ["-101", "-102"])
    weekly = add_campaign(engine, "每周", cron=WEEKLY)
    paused = add_campaign(engine, "暂停", cron="0 9 * * *")
    with Session(engine) as db:
        row = db.get(Campaign, paused.id)
        assert row is not None
        row.paused = True
        db.add(row)
        db.commit()
    soon = datetime.now(UTC) + timedelta(seconds=1.5)
    one_off = add_campaign(engine, "一次", run_at=soon, created=datetime.now(UTC))
    adapter = FakeAdapter(platform="telegram")
    wrapped = RateLimitedAdapter(adapter, RateLimiter(Unlimited()))
    services = LightServices(settings, engine, SystemClock())

    handle = await start_broadcasting(services, {"telegram": wrapped}, poll_seconds=0.2)  # type: ignore[arg-type]
    try:
        jobs = {job.id: job for job in handle.scheduler.get_jobs()}
        assert set(jobs) == {str(weekly.id), str(one_off.id)}
        job = jobs[str(weekly.id)]
        assert job.coalesce is True and job.misfire_grace_time == 3600
        assert job.next_run_time.astimezone(settings.tz).strftime("%a %H:%M") == "Mon 10:00"

        def to_groups() -> list[str]:
            return [o.chat.chat_id for o in adapter.sent if o.chat.chat_id.startswith("-")]

        def settled() -> bool:  # the platform took both, and the rows say so
            states = {r.state for r in deliveries(engine, one_off.id)}
            return len(to_groups()) >= 2 and states <= {"sent", "failed"}

        async with asyncio.timeout(10):  # the one-off fires by the scheduler's real clock
            while not settled():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert sorted(to_groups()) == sorted(g.chat_id for g in groups)
        rows = deliveries(engine, one_off.id)
        assert {r.slot for r in rows} == {to_db(soon)} and {r.state for r in rows} == {"sent"}

        with Session(engine) as db:
            row = db.get(Campaign, weekly.id)
            assert row is not None
            row.paused, row.updated_at = True, to_db(datetime.now(UTC))
            db.add(row)
            db.commit()
        await handle.pump_once()
        assert handle.scheduler.get_job(str(weekly.id)) is None
    finally:
        await handle.stop()
    assert not handle.scheduler.running


async def test_the_bot_leaves_a_send_now_run_to_the_cli_unless_it_was_abandoned(
    settings, engine
) -> None:  # type: ignore[no-untyped-def]
    groups = add_groups(engine, ["-101", "-102"])
    campaign = add_campaign(engine)
    clock = ManualClock(MONDAY_10)
    with Session(engine) as db:
        row = db.get(Campaign, campaign.id)
        assert row is not None
        ledger.open_run(db, row, MONDAY_10, "cli", approved_by="cli", now=MONDAY_10)
    sender = FakeSender()
    bot = Broadcaster(engine, settings, {"telegram": sender}, clock=clock)

    await settle(bot)
    assert sender.sent == []  # send-now is (or may be) sending it: two senders = twice the rate

    clock.advance(minutes=5)  # nobody has claimed a row for longer than the lease
    await settle(bot)
    assert sender.copies() == {g.chat_id: 1 for g in groups}


class CappedSender(FakeSender):
    """WeChat after its daily cap: every broadcast is refused before it is claimed."""

    refusals: int = 0

    async def send_broadcast(self, out, claim=None):  # type: ignore[no-untyped-def]
        self.refusals += 1
        raise DailyCapReached("800 messages sent today (daily cap 800)")


async def test_a_capped_platform_is_retried_later_not_in_a_loop(settings, engine) -> None:  # type: ignore[no-untyped-def]
    add_groups(engine, ["room1@chatroom", "room2@chatroom"], platform="wechat")
    campaign = add_campaign(engine)
    sender = CappedSender(platform="wechat")
    broadcaster = Broadcaster(engine, settings, {"wechat": sender}, clock=ManualClock(MONDAY_10))
    await broadcaster.fire(campaign.id, MONDAY_10)  # type: ignore[arg-type]

    for _ in range(5):
        await settle(broadcaster)
    assert sender.refusals == 1  # one attempt, then a pause: no spinning on the cap
    assert {r.state for r in deliveries(engine)} == {"pending"}  # left for tomorrow

    broadcaster._resting.clear()  # the pause is over: one more attempt
    await broadcaster.pump()
    await asyncio.gather(*broadcaster._active.values())
    assert sender.refusals == 2


async def test_wechat_rows_fail_when_the_bot_runs_without_wechat(settings, engine) -> None:  # type: ignore[no-untyped-def]
    add_groups(engine, ["-101"])
    add_groups(engine, ["room@chatroom"], platform="wechat")
    campaign = add_campaign(engine)
    sender = FakeSender()
    broadcaster = Broadcaster(
        engine,
        settings,
        {"telegram": sender},
        clock=ManualClock(MONDAY_10),
        fail_unknown_platforms=True,
    )
    await broadcaster.fire(campaign.id, MONDAY_10)  # type: ignore[arg-type]
    await settle(broadcaster)
    states = {r.platform: (r.state, r.reason) for r in deliveries(engine)}
    assert states == {
        "telegram": ("sent", ""),
        "wechat": ("failed", "platform not running in this bot"),
    }
    with Session(engine) as db:
        assert db.exec(select(BroadcastRun)).one().state == "done"
    assert ledger.run_counts(engine, campaign.id, MONDAY_10).get("sent") == 1  # type: ignore[arg-type]
    assert OFFICER_IDS["xq"] in {out.chat.chat_id for out in sender.replies}  # the summary
