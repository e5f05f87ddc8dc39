"""Kill test over several WeChat accounts: `send-now` to 120 rooms shared by three mock
accounts, SIGKILLed at 6 random points, restarted each time (issue 16's acceptance).

The sender is a real subprocess (``python -m bot.broadcast_cli send-now``) connecting to
three Node gateway processes, one per account, whose rooms overlap: account a is in
rooms 0-49, b in 40-89, c in 80-119, so every account has rooms it shares. At the end,
counted on the gateways' side, every room got the slot exactly once, through the account
its delivery row names, except rows recorded "delivery unknown", which got at most one;
no group was deactivated; and each account's daily count in the database equals what its
gateway received.

Where the kills land, as in ``test_broadcast_kill.py``: at a random moment (from the
start of the process, so also while it connects and reads the room lists, or after a
random number of messages of that run). The process is frozen (SIGSTOP), the gateways
are given a moment to finish any request already written to them, and then:

- if a delivery row is claimed ("sending") but its message reached no gateway, the
  process stands in the claim-to-request window no client can make exact (see
  ``broadcasts.fanout``): it is resumed and the kill moved a little later (counted);
- otherwise it is SIGKILLed there, also with a message on the wire or its answer not yet
  recorded (the row stays "sending" and must never be sent again).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from broadcasts import rules
from broadcasts.models import BroadcastRun, Delivery, DeliveryState
from core.db import Group, SendTally
from tests.conftest import STATION
from tests.e2e.test_broadcast_support import (
    add_campaign,
    add_groups,
    make_db,
    send_now_process,
    settings_for,
)
from tests.e2e.wechat_fixtures import (
    ACCOUNTS,
    WechatGateway,
    account_gateways,
    rooms_on,
    sent_by,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PLAN = {"a": range(0, 50), "b": range(40, 90), "c": range(80, 120)}
KILLS = 6
MOST_PER_RUN = 12  # messages a killed run gets out, give or take the last 0.1 s
PACE = 0.05  # seconds between one account's sends: scaled down from 3 s to keep it short


@pytest.fixture
def fresh_gateways(
    wechat_gateway_installed: None, tmp_path: Path
) -> Iterator[dict[str, WechatGateway]]:
    """Gateways of this test only: the bot reads every room an account is in, and each
    database must see only its own."""
    with account_gateways(lambda account: _mkdir(tmp_path / f"gateway-{account}")) as started:
        yield started


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def token_env(account: str) -> str:
    return f"JM_TEST_WECHAT_{account.upper()}"


def write_config(path: Path, db_url: str, gateways: dict[str, WechatGateway]) -> None:
    accounts = "".join(
        f'\n[[wechat.accounts]]\nid = "{a}"\nendpoint = "{g.endpoint}"\n'
        f'token_env = "{token_env(a)}"\n'
        for a, g in gateways.items()
    )
    path.write_text(
        f"""
[database]
url = "{db_url}"

[wechat]
enabled = true
seconds_between_sends = {PACE}
daily_send_cap = 1000
broadcast_hours = "00:00-24:00"
{accounts}
{STATION}
""",
        encoding="utf-8",
    )


async def spawn(
    campaign_id: int, config: Path, gateways: dict[str, WechatGateway], log: Path
) -> asyncio.subprocess.Process:
    return await send_now_process(
        campaign_id, config, {token_env(a): g.token for a, g in gateways.items()}, log
    )


def claimed_but_not_delivered(engine: Engine, got: dict[str, list[str]]) -> list[str]:
    delivered = {room for rooms in got.values() for room in rooms}
    with Session(engine) as db:
        sending = db.exec(
            select(Delivery.chat_id).where(Delivery.state == DeliveryState.SENDING)
        ).all()
    return [room for room in sending if room not in delivered]


@dataclass
class Kill:
    number: int
    aimed: str  # where the kill was aimed
    moved: int = 0  # times it was moved out of the claim-to-request window
    delivered: int = 0  # messages the gateways had received when it landed
    on_the_wire: int = 0  # rows "sending" whose message had arrived (to become "unknown")
    count_ahead: int = 0  # sends the accounts' daily counts hold that no gateway got


async def sigkill_outside_the_window(
    proc: asyncio.subprocess.Process,
    engine: Engine,
    gateways: dict[str, WechatGateway],
    rooms: list[str],
    rng: random.Random,
    kill: Kill,
) -> None:
    """SIGKILL ``proc`` here, or a little later if it stands in the claim-to-request
    window (see the module docstring)."""
    while True:
        os.kill(proc.pid, signal.SIGSTOP)
        await asyncio.sleep(0.05)  # the gateways finish any request already written
        got = await sent_by(gateways, rooms)
        if not claimed_but_not_delivered(engine, got):
            os.kill(proc.pid, signal.SIGKILL)
            with Session(engine) as db:
                kill.on_the_wire = len(
                    db.exec(
                        select(Delivery.id).where(Delivery.state == DeliveryState.SENDING)
                    ).all()
                )
            kill.delivered = sum(len(r) for r in got.values())
            counts = daily_counts(engine)
            kill.count_ahead = sum(counts.get(a, 0) - len(got[a]) for a in ACCOUNTS)
            return
        kill.moved += 1
        os.kill(proc.pid, signal.SIGCONT)
        await asyncio.sleep(rng.uniform(0.005, 0.03))


async def wait_for_messages(
    gateways: dict[str, WechatGateway],
    rooms: list[str],
    count: int,
    proc: asyncio.subprocess.Process,
    within: float = 30.0,
) -> None:
    """Until the gateways hold ``count`` messages, the process ends, or ``within`` s."""
    deadline = time.monotonic() + within
    # Polls two things at once (the gateways' record and the child process): no event fits.
    while proc.returncode is None and time.monotonic() < deadline:
        if sum(len(r) for r in (await sent_by(gateways, rooms)).values()) >= count:
            return
        await asyncio.sleep(0.01)


def daily_counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as db:
        rows = db.exec(
            select(SendTally.account, func.sum(SendTally.sent)).group_by(SendTally.account)
        ).all()
    return {account: int(total) for account, total in rows}


async def test_sigkill_mid_campaign_over_several_accounts_each_room_once_through_its_account(
    fresh_gateways: dict[str, WechatGateway], db_url: str, tmp_path: Path
) -> None:
    gateways = fresh_gateways
    rooms = await rooms_on(gateways, PLAN)
    config = tmp_path / "config.toml"
    write_config(config, db_url, gateways)
    engine = make_db(settings_for(db_url))
    add_groups(engine, rooms, platform="wechat")
    campaign = add_campaign(engine, "每周反诈提醒")
    assert campaign.id is not None
    seed = int(os.environ.get("JINGMIN_KILL_SEED", random.randrange(1_000_000)))
    rng = random.Random(seed)
    log = tmp_path / "send-now.log"

    kills: list[Kill] = []
    finished = False
    while len(kills) < KILLS:
        before = sum(len(r) for r in (await sent_by(gateways, rooms)).values())
        proc = await spawn(campaign.id, config, gateways, log)
        number = len(kills) + 1
        if number % 3 == 1:  # from the start: start-up, reading the rooms, or sending
            delay = rng.uniform(0.3, 2.5)
            kill = Kill(number, f"{delay:.2f} s after start")
            # at most MOST_PER_RUN messages in, so the kills come before the campaign ends
            await wait_for_messages(gateways, rooms, before + MOST_PER_RUN, proc, delay)
        else:  # somewhere in the middle of sending
            messages, delay = rng.randint(1, MOST_PER_RUN), rng.uniform(0.0, 0.1)
            kill = Kill(number, f"{delay:.2f} s after its message {messages}")
            await wait_for_messages(gateways, rooms, before + messages, proc)
            await asyncio.sleep(delay)
        if proc.returncode is not None:
            finished = True  # it got to the end before we got to it
            break
        await sigkill_outside_the_window(proc, engine, gateways, rooms, rng, kill)
        await proc.wait()
        kills.append(kill)

    if not finished:
        final = await spawn(campaign.id, config, gateways, log)
        async with asyncio.timeout(60):
            code = await final.wait()
        assert code == 0, log.read_text(encoding="utf-8")[-3000:]

    print(f"\nseveral-account kill test seed={seed} ({len(rooms)} rooms, {PLAN}):")
    print(" kill  aimed at                      moved  delivered  on the wire  count ahead")
    for k in kills:
        print(
            f" {k.number:>4}  {k.aimed:<28}  {k.moved:>5}  {k.delivered:>9}  "
            f"{k.on_the_wire:>11}  {k.count_ahead:>11}"
        )
    assert len(kills) == KILLS, f"the run finished after {len(kills)} kills (seed {seed})"

    got = await sent_by(gateways, rooms)
    with Session(engine) as db:
        runs = db.exec(select(BroadcastRun)).all()
        rows = {row.chat_id: row for row in db.exec(select(Delivery))}
        groups = {g.chat_id: g for g in db.exec(select(Group))}
    assert len(runs) == 1 and runs[0].state == "done"  # every restart resumed the same slot
    assert sorted(rows) == sorted(rooms)
    copies = Counter(room for through in got.values() for room in through)
    unknown = [r for r in rooms if rows[r].state != DeliveryState.SENT]
    for room in rooms:
        row = rows[room]
        # Killed with its message on the wire: recorded as unknown, never resent.
        assert row.state == DeliveryState.SENT or row.reason == rules.INTERRUPTED, (seed, row)
        assert copies[room] == 1 if row.state == DeliveryState.SENT else copies[room] <= 1, (
            seed,
            room,
        )
        if copies[room]:  # through the account its row names, which serves the room
            assert [a for a, through in got.items() if room in through] == [row.account]
            assert groups[room].account == row.account
    assert all(g.active for g in groups.values())  # nothing deactivated
    assert daily_counts(engine) == {a: len(got[a]) for a in ACCOUNTS if got[a]}, seed
    print(
        f" sent through a/b/c: {[len(got[a]) for a in ACCOUNTS]}; "
        f"{len(unknown)} recorded as delivery unknown, "
        f"{sum(copies[r] for r in unknown)} of them arrived (once)"
    )
    engine.dispose()
