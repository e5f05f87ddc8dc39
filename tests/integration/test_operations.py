"""Structured logs without personal data; /healthz and /metrics from a running bot."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from bot.adapters.fake import FakeAdapter
from bot.observability import configure_logging
from bot.runtime import run_bot
from tests.conftest import free_port
from tests.integration.test_flow import said, settings_for


def test_json_logs_are_one_object_per_line_and_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    try:
        logging.getLogger("jingmin.test").info("resident wrote %s", "电话13912345678 身份证号见上")
        try:
            raise ValueError("card 6222021234567890128")
        except ValueError:
            logging.getLogger("jingmin.test").exception("failed")
    finally:
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["level"] == "info" and lines[0]["logger"] == "jingmin.test"
    assert "13912345678" not in lines[0]["msg"] and "139" in lines[0]["msg"]
    assert "6222021234567890128" not in lines[1]["exc"] and "ValueError" in lines[1]["exc"]


async def test_healthz_and_metrics(db_url: str) -> None:
    port = free_port()
    settings = settings_for(db_url).model_copy(
        update={
            "operations": settings_for(db_url).operations.model_copy(update={"metrics_port": port})
        }
    )
    adapter = FakeAdapter()
    stop = asyncio.Event()
    bot = asyncio.create_task(run_bot(settings, {"console": adapter}, stop=stop))
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(100):  # until the bot is up
            try:
                async with http.get(f"{base}/healthz") as response:
                    assert response.status == 200 and (await response.json()) == {"ok": True}
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        now = datetime.now(UTC)
        await adapter.inject(said("身份证丢了咋补办", at=now))
        await adapter.inject(said("楼下有人在撬电动车 现在还在", at=now))
        async with http.get(f"{base}/metrics") as response:
            page = await response.text()
    stop.set()
    await bot
    assert 'jingmin_messages_total{platform="console"} 2.0' in page
    assert 'jingmin_actions_total{action="answer"} 1.0' in page
    assert 'jingmin_actions_total{action="escalate"} 1.0' in page
    assert "jingmin_escalations_open 1.0" in page
    assert 'jingmin_send_seconds_count{platform="console"}' in page


async def test_the_console_runs_inside_the_bot_when_enabled(db_url: str) -> None:
    """`[web] enabled = true`: `jingmin run` serves the console on its own services; a
    second bot on the same port goes on without one."""
    port = free_port()
    base = settings_for(db_url)
    web = base.web.model_copy(update={"enabled": True, "port": port, "secure_cookies": False})
    settings = base.model_copy(update={"web": web})
    stop = asyncio.Event()
    bot = asyncio.create_task(run_bot(settings, {"console": FakeAdapter()}, stop=stop))
    async with aiohttp.ClientSession() as http:
        for _ in range(200):  # until the bot (and its console) is up
            try:
                async with http.get(f"http://127.0.0.1:{port}/login?t=x") as response:
                    assert response.status == 200 and "确认登录" in await response.text()
                    break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the console did not answer")
        second_stop = asyncio.Event()
        second = asyncio.create_task(
            run_bot(settings, {"console": FakeAdapter()}, stop=second_stop)
        )
        await asyncio.sleep(1.5)
        assert not second.done()  # the port was taken: that bot runs without a console
        second_stop.set()
        await second
    stop.set()
    await bot
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as http:
            await http.get(f"http://127.0.0.1:{port}/login")


async def test_the_interval_jobs_and_the_broadcasts_share_one_scheduler(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`jingmin run` makes one APScheduler scheduler: the broadcasts' campaign jobs and the
    interval jobs (each one run at a time, coalesced, with its period of before) are on it,
    and stopping the bot stops it."""
    from bot import runtime
    from bot.scheduler import INTERVALS

    made: list[Any] = []
    handles: list[Any] = []
    new_scheduler, start_broadcasting = runtime.new_scheduler, runtime.start_broadcasting

    def spy_new_scheduler(tz: Any) -> Any:
        made.append(new_scheduler(tz))
        return made[-1]

    async def spy_start_broadcasting(*args: Any, **kwargs: Any) -> Any:
        handles.append(await start_broadcasting(*args, **kwargs))
        return handles[-1]

    monkeypatch.setattr(runtime, "new_scheduler", spy_new_scheduler)
    monkeypatch.setattr(runtime, "start_broadcasting", spy_start_broadcasting)
    settings = settings_for(db_url)
    stop = asyncio.Event()
    bot = asyncio.create_task(run_bot(settings, {"console": FakeAdapter()}, stop=stop))
    try:
        async with asyncio.timeout(30):
            while not (made and len(made[0].get_jobs("default")) == 10):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        (scheduler,) = made
        assert handles[0].scheduler is scheduler and scheduler.running
        periods = {
            job.name: job.trigger.interval.total_seconds() for job in scheduler.get_jobs("default")
        }
        assert periods == {
            "ticket reminders": 60,
            "retention purge": 24 * 3600,
            "officer reach": 24 * 3600,
            "weekly reports": 600,
            "question log": 1,
            "knowledge base reload": settings.faq.reload_seconds,
            "update recovery": 5,
            "outbox": 1,
            "outbox recovery": 5,
            "group cache": 30,  # half the cache's 60 s
        }
        for job in scheduler.get_jobs("default"):
            assert job.executor == INTERVALS and job.max_instances == 1 and job.coalesce
            assert job.misfire_grace_time >= 1
    finally:
        stop.set()
        await bot
    assert not scheduler.running
