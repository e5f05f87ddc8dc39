"""Two workers on PostgreSQL: the scheduler leader is SIGKILLed mid-broadcast.

Two real ``python -m bot run`` processes share one Telegram token (webhook mode) and one
PostgreSQL database; a campaign to 300 groups falls due a few seconds after they start.
Once the leader has sent about a third, it is SIGKILLed (outside the claim-to-request
window, as in ``test_broadcast_kill``). The standby must take over within seconds and
finish, every group holding exactly one copy on the fake server's side, and it must not
have sent anything while the leader lived.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from broadcasts import rules
from broadcasts.models import to_db
from broadcasts.render import rotation_source
from core.db import as_utc
from tests.conftest import free_port
from tests.e2e.conftest import switch_to_webhook
from tests.e2e.test_broadcast_kill import GROUPS, sigkill_outside_the_window, write_config
from tests.e2e.test_broadcast_support import (
    add_campaign,
    add_groups,
    deliveries,
    make_db,
    settings_for,
)
from tests.e2e.test_telegram_bot import BotProcess
from tests.fakes.telegram_server import FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

LEADS = "now leads the broadcast scheduler"
STANDS_BY = "standby"
DUE_AFTER = timedelta(seconds=8)  # both workers are up by then
TAKEOVER_BOUND = 10.0  # seconds from the kill to the standby's first broadcast


def worker(name: str, tmp_path: Path, db_url: str, fake: FakeTelegram) -> BotProcess:
    """A ``jingmin run`` process in webhook mode on a port of its own."""
    folder = tmp_path / name
    folder.mkdir()
    config = folder / "config.toml"
    write_config(config, db_url, fake.api_base_url)
    switch_to_webhook(config, f"https://bot.example/tg/{name}", free_port())
    return BotProcess(config, fake.token, folder / "bot.log")


def log_of(bot: BotProcess) -> str:
    return bot.log.read_text(encoding="utf-8", errors="replace") if bot.log.exists() else ""


async def eventually(predicate: Callable[[], bool], within: float, what: str) -> None:
    """For what the fake server does not see (logs, rows): poll."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110  (other processes make it true)
            await asyncio.sleep(0.05)
    assert predicate(), what


async def roles(workers: list[BotProcess]) -> tuple[BotProcess, BotProcess]:
    """(leader, standby), once each has said which it is."""
    await eventually(
        lambda: all(LEADS in log_of(w) or STANDS_BY in log_of(w) for w in workers),
        within=60,
        what="both workers to start",
    )
    leaders = [w for w in workers if LEADS in log_of(w)]
    assert len(leaders) == 1, [log_of(w)[-2000:] for w in workers]
    (standby,) = [w for w in workers if w is not leaders[0]]
    return leaders[0], standby


def claimed_by_pid(engine: Engine, pid: int) -> list[datetime]:
    """When the rows a worker claimed were claimed (worker id: host:pid:nonce)."""
    return [
        as_utc(row.claimed_at)
        for row in deliveries(engine)
        if row.claimed_by and row.claimed_by.split(":")[1] == str(pid) and row.claimed_at
    ]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_the_standby_takes_over_from_a_killed_leader_and_every_group_gets_one_copy(
    db_url: str, tmp_path: Path, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_telegram
    engine = make_db(settings_for(db_url, officers=[]))
    chats = [fake.add_group(f"幸福里{i}号楼", with_bot=True) for i in range(GROUPS)]
    add_groups(engine, chats)
    now = datetime.now(UTC)
    add_campaign(
        engine, "反诈提醒", template=rotation_source(), run_at=now + DUE_AFTER, created=now
    )
    monkeypatch.setenv("JINGMIN_TELEGRAM_WEBHOOK_SECRET", "s3cret-token_1")
    workers = [worker(name, tmp_path, db_url, fake) for name in ("one", "two")]
    try:
        for w in workers:
            w.start()
        leader, standby = await roles(workers)
        assert fake.webhook is not None  # both registered their webhook
        assert leader.process is not None and standby.process is not None

        await fake.wait_for(lambda: len(fake.sent) >= GROUPS // 3, within=60, what="sending")
        # A third of the way through, the standby has neither led nor claimed a row.
        standby_pid = standby.process.pid
        assert LEADS not in log_of(standby) and claimed_by_pid(engine, standby_pid) == []
        await sigkill_outside_the_window(leader.process.pid, engine, fake, random.Random())
        killed_at, killed_wall = time.monotonic(), datetime.now(UTC)
        sent_at_kill = len(fake.sent)
        await asyncio.to_thread(leader.process.wait, 10)

        await fake.wait_for(
            lambda: any(m.at > killed_at for m in fake.sent), within=30, what="the standby"
        )
        first = min(m.at for m in fake.sent if m.at > killed_at)
        takeover = first - killed_at
        await fake.wait_for(
            lambda: len({m.chat_id for m in fake.sent}) == GROUPS, within=60, what="all groups"
        )
        print(
            f"\ntwo workers: leader killed after {sent_at_kill} of {GROUPS} groups; "
            f"the standby sent its first broadcast {takeover:.2f} s later"
        )
        assert takeover < TAKEOVER_BOUND
        assert LEADS in log_of(standby)
        # Stored in whole seconds: nothing claimed by the standby before the kill's second.
        assert all(at >= to_db(killed_wall) for at in claimed_by_pid(engine, standby_pid))

        await asyncio.sleep(1)  # nothing more should arrive
        copies = {chat: len(fake.sent_to(chat)) for chat in chats}
        assert sorted(set(copies.values())) == [1], {c: n for c, n in copies.items() if n != 1}
        await eventually(
            lambda: {r.state for r in deliveries(engine)} <= {"sent", "failed"},
            within=10,
            what="every row to end",
        )
        for row in deliveries(engine):
            assert row.state == "sent" or row.reason == rules.INTERRUPTED
    finally:
        for w in workers:
            if w.process is not None and w.process.poll() is None:
                assert await w.stop() == 0, log_of(w)[-3000:]
        engine.dispose()
