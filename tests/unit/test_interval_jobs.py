"""The interval jobs of `jingmin run` on the process's one APScheduler scheduler."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.runtime import IntervalJobs
from bot.scheduler import BROADCASTS, INTERVALS, new_scheduler


async def test_a_job_runs_one_period_after_start_one_run_at_a_time() -> None:
    timers = IntervalJobs(new_scheduler(UTC))
    timers.scheduler.start()
    try:

        async def job() -> None:
            pass

        before = datetime.now(UTC)
        later = timers.add(600, job, "weekly reports")
        now = timers.add(5, job, "outbox recovery", at_once=True)
        assert later.executor == INTERVALS and later._jobstore_alias != BROADCASTS
        assert later.max_instances == 1 and later.coalesce is True
        assert later.misfire_grace_time == 600 and now.misfire_grace_time == 5
        assert later.trigger.interval == timedelta(seconds=600)
        # as the loop it replaced: first run one period after start, unless asked at once
        assert later.next_run_time - before >= timedelta(seconds=599)
        assert now.next_run_time - before < timedelta(seconds=1)
        assert timers.add(0.1, job, "fast").misfire_grace_time == 1
    finally:
        await timers.stop()


async def test_a_failing_job_is_logged_and_runs_again(caplog: pytest.LogCaptureFixture) -> None:
    timers = IntervalJobs(new_scheduler(UTC))
    timers.scheduler.start()
    runs = 0

    async def job() -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("boom")

    try:
        with caplog.at_level(logging.ERROR, logger="jingmin"):
            timers.add(0.05, job, "flaky")
            async with asyncio.timeout(5):
                while runs < 3:  # noqa: ASYNC110  (the scheduler runs it)
                    await asyncio.sleep(0.02)
    finally:
        await timers.stop()
    assert "flaky failed; will try again in 0.05s" in caplog.text


async def test_a_slow_run_does_not_overlap_itself() -> None:
    timers = IntervalJobs(new_scheduler(UTC))
    timers.scheduler.start()
    running = most = runs = 0

    async def slow() -> None:
        nonlocal running, most, runs
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.25)
        running -= 1
        runs += 1

    try:
        timers.add(0.05, slow, "slow")
        async with asyncio.timeout(5):
            while runs < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        await timers.stop()
    assert most == 1


async def test_stop_ends_the_scheduler_and_a_run_in_flight() -> None:
    timers = IntervalJobs(new_scheduler(UTC))
    timers.scheduler.start()
    started = asyncio.Event()
    ended: list[str] = []

    async def long_job() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        finally:
            ended.append("cancelled")

    timers.add(0.05, long_job, "long")
    await asyncio.wait_for(started.wait(), 5)
    async with asyncio.timeout(2):
        await timers.stop()
    assert ended == ["cancelled"] and not timers.scheduler.running
    await timers.stop()  # a second stop (start-up failing half-way) does nothing
