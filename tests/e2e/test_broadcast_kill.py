"""Kill test: `send-now` to 300 groups, SIGKILLed at 10 random points, restarted each time.

The sender is a real subprocess (``python -m bot.broadcast_cli send-now``) using the real
PTB-based adapter against the fake Bot API server running in this test's event loop. At
the end every group must hold exactly one copy of the slot, counted on the server's side.

Where the kills land: at a random moment (after a random delay from the start of the
process, or from its first message of that run). The process is frozen (SIGSTOP) there,
the server is given a moment to finish any request already written to it, and then:

- if some delivery row is claimed ("sending") but its message never reached the server,
  the process stands in the one window no design can make exact against Telegram (the
  microseconds between committing the claim and writing the request; see
  ``broadcasts.fanout``): under the at-most-once policy a kill here leaves that group
  without its copy and reports it as "delivery unknown". The process is resumed and the
  kill moved a little later; the number of such moves is printed.
  ``test_broadcast_fanout.py`` covers what happens in that window.
- otherwise it is SIGKILLed there, including while a message is on the wire or its
  answer not yet recorded (the row stays "sending" and must never be sent again).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from broadcasts import rules
from broadcasts.models import BroadcastRun, Delivery
from broadcasts.render import rotation_source
from tests.conftest import STATION
from tests.e2e.test_broadcast_support import (
    add_campaign,
    add_groups,
    make_db,
    send_now_process,
    settings_for,
)
from tests.fakes.telegram_server import FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

GROUPS = 300
KILLS = 10
CONCURRENCY = 8  # send-now's default
RATE = 50  # messages/s: scaled up from Telegram's 30 so the test takes seconds, not minutes


def write_config(path: Path, db_url: str, api_base_url: str) -> None:
    path.write_text(
        f"""
[database]
url = "{db_url}"

[telegram]
enabled = true
api_base_url = "{api_base_url}"
max_messages_per_second = {RATE}.0

{STATION}
""",
        encoding="utf-8",
    )


async def spawn(
    campaign_id: int, config: Path, token: str, log: Path
) -> asyncio.subprocess.Process:
    return await send_now_process(campaign_id, config, {"JINGMIN_TELEGRAM_TOKEN": token}, log)


def claimed_but_not_delivered(engine: Engine, fake: FakeTelegram) -> list[str]:
    with Session(engine) as db:
        sending = db.exec(select(Delivery.chat_id).where(Delivery.state == "sending")).all()
    return [chat for chat in sending if not fake.sent_to(int(chat))]


async def sigkill_outside_the_window(
    pid: int, engine: Engine, fake: FakeTelegram, rng: random.Random
) -> int:
    """SIGKILL ``pid`` here, or a little later if it stands in the claim-to-request window
    (see the module docstring); returns how many times the kill was moved."""
    moved = 0
    while True:
        os.kill(pid, signal.SIGSTOP)
        await asyncio.sleep(0.03)  # the server finishes any request already written
        if not claimed_but_not_delivered(engine, fake):
            os.kill(pid, signal.SIGKILL)
            return moved
        moved += 1
        os.kill(pid, signal.SIGCONT)
        # Let it settle back into its stride (a resumed process first catches up).
        await asyncio.sleep(rng.uniform(0.01, 0.06))


async def wait_for_first_send(
    fake: FakeTelegram, before: int, proc: asyncio.subprocess.Process
) -> None:
    deadline = time.monotonic() + 20
    # Polls two things at once (the server's record and the child process): no event fits.
    while len(fake.sent) <= before and proc.returncode is None and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.002)


async def test_sigkill_at_random_points_leaves_exactly_one_copy_per_group(
    db_url: str, tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    fake = fake_telegram
    config = tmp_path / "config.toml"
    write_config(config, db_url, fake.api_base_url)
    engine = make_db(settings_for(db_url))
    chats = [fake.add_group(f"幸福里{i}号楼", with_bot=True) for i in range(GROUPS)]
    add_groups(engine, chats)
    campaign = add_campaign(engine, "每周反诈提醒", template=rotation_source())
    seed = int(os.environ.get("JINGMIN_KILL_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    log = tmp_path / "send-now.log"

    kills = moved = 0
    finished = False
    progress_at_kill: list[int] = []
    while kills < KILLS:
        before = len(fake.sent)
        proc = await spawn(campaign.id, config, fake.token, log)  # type: ignore[arg-type]
        if kills % 5 == 0:  # from the start: may land in start-up, planning or sending
            await asyncio.sleep(rng.uniform(0.2, 2.5))
        else:  # somewhere in the middle of sending
            await wait_for_first_send(fake, before, proc)
            await asyncio.sleep(rng.uniform(0.0, 0.3))
        if proc.returncode is not None:
            finished = True  # it got to the end before we got to it
            break
        moved += await sigkill_outside_the_window(proc.pid, engine, fake, rng)
        await proc.wait()
        kills += 1
        progress_at_kill.append(len(fake.sent))

    if not finished:
        final = await spawn(campaign.id, config, fake.token, log)  # type: ignore[arg-type]
        async with asyncio.timeout(60):
            code = await final.wait()
        assert code == 0, log.read_text(encoding="utf-8")[-3000:]

    print(
        f"\nkill test seed={seed}: {kills} kills at {progress_at_kill} messages sent; "
        f"{moved} kill points moved out of the claim-to-request window"
    )
    assert kills == KILLS, f"the run finished after {kills} kills (seed {seed})"
    copies = {chat: len(fake.sent_to(chat)) for chat in chats}
    assert sorted(set(copies.values())) == [1], (
        f"seed {seed}: groups without a copy: {[c for c, n in copies.items() if n == 0][:5]}, "
        f"with more than one: {[c for c, n in copies.items() if n > 1][:5]}"
    )

    with Session(engine) as db:
        runs = db.exec(select(BroadcastRun)).all()
        rows = db.exec(select(Delivery)).all()
    assert len(runs) == 1 and runs[0].state == "done"  # every restart resumed the same slot
    assert len(rows) == GROUPS
    for row in rows:
        # Killed with its message on the wire: delivered once, recorded as unknown, not resent.
        assert row.state == "sent" or (row.state == "failed" and row.reason == rules.INTERRUPTED)
    unknown = sum(row.state == "failed" for row in rows)
    assert unknown <= KILLS * CONCURRENCY  # at most the sends in flight at each kill
    print(f"{unknown} deliveries recorded as unknown (all of them did arrive, once)")
    engine.dispose()
