"""Several workers on one database: one scheduler leader, and claims that skip, not wait.

Leadership is checked on a SQLite file (flock) and on PostgreSQL (advisory lock), within
one process and against a real process that is SIGKILLed.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.base import STATE_RUNNING
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.adapters.fake import FakeAdapter
from bot.scheduler import BroadcastHandle, start_broadcasting
from broadcasts import ledger
from broadcasts.models import Campaign
from core.db import Officer, make_engine
from core.ports import SystemClock
from infra.leader import Leadership, lock_key, one_at_a_time
from infra.ratelimit import RateLimitedAdapter, RateLimiter, Unlimited
from tests.e2e.test_broadcast_support import (
    LightServices,
    add_campaign,
    add_groups,
    deliveries,
    make_db,
    settings_for,
)

ROOT = Path(__file__).resolve().parents[2]

# A worker that takes leadership, says so, and then only holds it.
LEADER_PROCESS = """
import asyncio, sys
from core.db import make_engine
from infra.leader import Leadership

async def main():
    await Leadership(make_engine(sys.argv[1])).acquired()
    print("leading", flush=True)
    await asyncio.sleep(3600)

asyncio.run(main())
"""


def fast(engine: Engine) -> Leadership:
    """Tries and checks ten times a second, so the tests take little time."""
    return Leadership(engine, retry_seconds=0.1, check_seconds=0.1)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_db(settings_for(db_url))
    yield engine
    engine.dispose()


def cut_leader_connection(engine: Engine) -> None:
    """What a database restart or a network cut does to the leader's lock connection."""
    with engine.connect() as conn:
        pid = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity"
                " WHERE application_name = 'jingmin-leader' AND datname = current_database()"
            )
        ).scalar_one()
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def test_the_lock_key_is_a_fixed_signed_64_bit_number() -> None:
    assert lock_key("jingmin:broadcast scheduler") == lock_key("jingmin:broadcast scheduler")
    assert -(2**63) <= lock_key("a") < 2**63 and lock_key("a") != lock_key("b")


async def test_an_in_memory_database_always_leads() -> None:
    one, two = Leadership(make_engine("sqlite://")), Leadership(make_engine("sqlite://"))
    assert await one.try_acquire() and await two.try_acquire()
    await one.release()
    await two.release()


async def test_one_leader_at_a_time_and_the_standby_takes_over_when_it_is_released(
    engine: Engine, db_url: str
) -> None:
    first = fast(engine)
    second = fast(make_engine(db_url))  # another engine: another worker
    try:
        assert await first.try_acquire()
        assert not await second.try_acquire()
        waiting = asyncio.create_task(second.acquired())
        await asyncio.sleep(0.5)
        assert not waiting.done() and first.is_leader  # still standing by

        await first.release()
        async with asyncio.timeout(3):
            await waiting
        third = fast(engine)
        assert second.is_leader and not await third.try_acquire()
        await third.release()
    finally:
        await first.release()
        await second.release()


async def test_a_killed_leader_process_is_replaced_within_seconds(
    engine: Engine, db_url: str
) -> None:
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LEADER_PROCESS, db_url, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    standby = fast(engine)
    try:
        assert worker.stdout is not None
        async with asyncio.timeout(30):
            assert await worker.stdout.readline() == b"leading\n"
        assert not await standby.try_acquire()

        worker.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        async with asyncio.timeout(5):
            await standby.acquired()
        took = time.monotonic() - killed_at
        print(f"\ntakeover after SIGKILL: {took:.2f} s")
        assert took < 3
    finally:
        if worker.returncode is None:
            worker.kill()
        await worker.wait()
        await standby.release()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_leader_whose_connection_is_lost_steps_down(engine: Engine, db_url: str) -> None:
    leader = fast(engine)
    other = fast(make_engine(db_url))
    try:
        assert await leader.try_acquire()
        cut_leader_connection(engine)
        async with asyncio.timeout(3):
            await leader.lost()
        assert not leader.is_leader
        async with asyncio.timeout(3):
            await other.acquired()
        await other.release()
        async with asyncio.timeout(3):
            await leader.acquired()  # on a new connection
    finally:
        await leader.release()
        await other.release()


async def test_workers_starting_together_sync_the_config_one_after_another(
    engine: Engine,
) -> None:
    spans: list[tuple[float, float]] = []
    first_inside = threading.Event()

    def sync(hold: float) -> None:
        with one_at_a_time(engine, "jingmin:start-up sync"):
            entered = time.monotonic()
            first_inside.set()
            time.sleep(hold)
            spans.append((entered, time.monotonic()))

    first = asyncio.create_task(asyncio.to_thread(sync, 0.5))
    await asyncio.to_thread(first_inside.wait, 10)
    await asyncio.gather(first, asyncio.to_thread(sync, 0.0))
    (_, first_left), (second_entered, _) = spans
    assert second_entered >= first_left


# --------------------------------------------------------------------------------------
# The scheduler runs on the leader only


async def start_worker(engine: Engine, db_url: str) -> tuple[BroadcastHandle, FakeAdapter]:
    adapter = FakeAdapter(platform="telegram")
    services = LightServices(settings_for(db_url), engine, SystemClock())
    handle = await start_broadcasting(
        services,  # type: ignore[arg-type]
        {"telegram": RateLimitedAdapter(adapter, RateLimiter(Unlimited()))},
        poll_seconds=0.2,
        leadership=fast(engine),
    )
    return handle, adapter


def open_slot(engine: Engine, campaign_id: int, slot: datetime) -> None:
    with Session(engine) as db:
        campaign = db.get(Campaign, campaign_id)
        assert campaign is not None
        ledger.open_run(db, campaign, slot, "schedule", now=slot)


def to_groups(adapter: FakeAdapter) -> list[str]:
    """Broadcasts sent (officers' summaries go to private chats)."""
    return [out.chat.chat_id for out in adapter.sent if out.chat.chat_id.startswith("-")]


async def wait_sent(adapter: FakeAdapter, count: int, within: float = 5) -> None:
    async with asyncio.timeout(within):
        while len(to_groups(adapter)) < count:  # noqa: ASYNC110  (another task sends)
            await asyncio.sleep(0.05)


async def test_only_the_leader_schedules_and_sends_and_a_standby_takes_over(
    engine: Engine, db_url: str
) -> None:
    add_groups(engine, ["-101", "-102", "-103"])
    weekly = add_campaign(engine, "每周", cron="0 10 * * 1")
    leader, leader_out = await start_worker(engine, db_url)
    standby, standby_out = await start_worker(engine, db_url)
    try:
        assert leader.leadership.is_leader and not standby.leadership.is_leader
        assert [j.id for j in leader.scheduler.get_jobs()] == [str(weekly.id)]
        assert standby.scheduler.get_jobs() == []

        slot = datetime.now(UTC).replace(microsecond=0)
        open_slot(engine, weekly.id, slot)  # type: ignore[arg-type]
        leader.kick()
        await wait_sent(leader_out, 3)
        await asyncio.sleep(0.5)
        assert standby_out.sent == []  # not even a summary

        await leader.stop()
        open_slot(engine, weekly.id, slot + timedelta(minutes=1))  # type: ignore[arg-type]
        await wait_sent(standby_out, 3)  # took over: catch-up, jobs and the pump
        assert [j.id for j in standby.scheduler.get_jobs()] == [str(weekly.id)]
        assert len(to_groups(leader_out)) == 3
        assert {r.state for r in deliveries(engine)} == {"sent"}
    finally:
        await leader.stop()
        await standby.stop()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_worker_that_loses_its_lock_stops_scheduling(engine: Engine, db_url: str) -> None:
    add_campaign(engine, "每周", cron="0 10 * * 1")
    worker, _ = await start_worker(engine, db_url)
    key = lock_key(worker.leadership.lock_name)
    rival = engine.connect()  # queues for the lock, so it wins it when the worker loses it
    try:
        assert worker.scheduler.get_jobs() and worker.scheduler.state == STATE_RUNNING
        queued = asyncio.create_task(
            asyncio.to_thread(rival.execute, text("SELECT pg_advisory_lock(:k)"), {"k": key})
        )
        await asyncio.sleep(0.3)
        cut_leader_connection(engine)
        async with asyncio.timeout(3):
            await queued
            while worker.scheduler.get_jobs():  # noqa: ASYNC110  (the worker's task reacts)
                await asyncio.sleep(0.05)
        # no campaign jobs; the scheduler runs on (in `jingmin run` it has the worker's
        # own interval jobs too)
        assert worker.scheduler.state == STATE_RUNNING and not worker.leadership.is_leader

        rival.invalidate()  # the rival's connection ends (close() would pool it, lock held)
        async with asyncio.timeout(3):
            while not worker.scheduler.get_jobs():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        assert worker.scheduler.state == STATE_RUNNING
    finally:
        rival.close()
        await worker.stop()


# --------------------------------------------------------------------------------------
# Claims skip a row another worker holds


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_claim_skips_a_row_locked_by_another_transaction_without_waiting(
    engine: Engine,
) -> None:
    add_groups(engine, ["-101"])
    campaign = add_campaign(engine)
    slot = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    open_slot(engine, campaign.id, slot)  # type: ignore[arg-type]
    (row,) = deliveries(engine)
    lock_row = text("SELECT id FROM broadcast_delivery WHERE id = :id FOR UPDATE")
    with engine.connect() as holder:
        holder.execute(lock_row, {"id": row.id})  # another worker, mid-transaction
        with engine.begin() as conn:
            # Waiting for the lock would fail after 1 s; a skip returns at once.
            conn.execute(text("SET LOCAL lock_timeout = '1s'"))
            started = time.monotonic()
            assert not ledger.claim_on(conn, row.id, "w2", slot)  # type: ignore[arg-type]
            assert time.monotonic() - started < 0.5
        with pytest.raises(OperationalError, match="lock timeout"), engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '100ms'"))  # the row is really locked
            conn.execute(
                text("UPDATE broadcast_delivery SET attempts = 0 WHERE id = :id"), {"id": row.id}
            )
        holder.rollback()
    with engine.begin() as conn:
        assert ledger.claim_on(conn, row.id, "w2", slot)  # type: ignore[arg-type]
    (claimed,) = deliveries(engine)
    assert (claimed.state, claimed.claimed_by) == ("sending", "w2")


async def test_ticket_reminders_come_from_the_leader_only(db_url: str) -> None:
    """A standby sends no reminder for an overdue ticket (two workers would both send it);
    once it leads, it does."""
    from bot.runtime import run_bot
    from tests.integration.test_flow import Clock, said, start
    from tests.integration.test_flow import settings_for as flow_settings

    an_hour_ago = Clock()
    an_hour_ago.at = datetime.now(UTC) - timedelta(hours=1)
    services, residents = await start(db_url, an_hour_ago)
    await residents.inject(said("/bind", sender="王警官", at=an_hour_ago.at))
    await residents.inject(said("楼下有人在撬电动车 现在还在", at=an_hour_ago.at))
    other_worker = fast(services.engine)
    assert await other_worker.try_acquire()

    worker, stop = FakeAdapter(), asyncio.Event()
    running = asyncio.create_task(
        run_bot(flow_settings(db_url), {"console": worker}, stop=stop, tick_seconds=0.1)
    )
    try:
        await asyncio.sleep(1.0)
        assert not [out for out in worker.sent if "⏰" in out.text]
        await other_worker.release()
        async with asyncio.timeout(10):
            while not [out for out in worker.sent if "⏰" in out.text]:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        await running
        services.engine.dispose()


async def test_a_bind_on_one_worker_reaches_another_workers_cache_in_the_background(
    db_url: str,
) -> None:
    """Worker B caches the group; worker A binds it. B's periodic refresh reads the row
    again off the event loop, so B answers with the new binding without a lookup."""
    from handlers.common import refresh_group_cache
    from tests.integration.test_flow import GROUP, Clock, said, start

    clock = Clock()
    worker_a, bot_a = await start(db_url, clock)
    worker_b, bot_b = await start(db_url, clock)
    try:
        assert await bot_b.inject(said("身份证丢了咋补办"))
        cached = worker_b.groups.get(GROUP.platform, GROUP.chat_id, clock.now())
        assert cached is not None and cached.officer_id is None

        await bot_a.inject(said("/bind", sender="王警官"))
        await refresh_group_cache(worker_b)  # nothing is due yet
        assert worker_b.groups.get(GROUP.platform, GROUP.chat_id, clock.now()) == cached

        clock.at += worker_b.groups.ttl / 2
        await refresh_group_cache(worker_b)
        clock.at += worker_b.groups.ttl / 2  # past the first read's expiry: served renewed
        renewed = worker_b.groups.get(GROUP.platform, GROUP.chat_id, clock.now())
        assert renewed is not None and renewed.id == cached.id
        with Session(worker_a.engine) as db:
            officer = db.exec(select(Officer)).one()
        assert (renewed.station_id, renewed.officer_id) == ("xq", officer.id)
    finally:
        worker_a.engine.dispose()
        worker_b.engine.dispose()
