"""A broadcast on WeChat: the real client against the Node gateway, through the same
delivery ledger, at the configured pace (scaled down from 3 s to 0.4 s for the test)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from bot.adapters.wechat import WechatAdapter
from bot.broadcast_cli import app as cli_app
from broadcasts import ledger
from broadcasts.fanout import FanOut, Progress
from broadcasts.models import Campaign
from core.config import Settings
from infra.ratelimit import RateLimitedAdapter, limiter_for
from tests.conftest import STATION
from tests.e2e.test_broadcast_support import (
    add_campaign,
    add_groups,
    deliveries,
    make_db,
    settings_for,
)
from tests.e2e.wechat_fixtures import WechatGateway, fast_wechat_options

pytestmark = pytest.mark.e2e
SLOT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
PACE = 0.4
ALL_DAY = "00:00-24:00"
TEXT = "【反诈提醒】陌生人让您下载App、共享屏幕？立即挂断！拨打96110咨询，110报警。"


@asynccontextmanager
async def started(gateway: WechatGateway) -> AsyncIterator[WechatAdapter]:
    """A WeChat adapter that only sends (incoming events are ignored)."""
    adapter = WechatAdapter(gateway.endpoint, gateway.token, options=fast_wechat_options())

    async def ignore(_: object) -> None:
        return None

    await adapter.start(ignore)
    try:
        yield adapter
    finally:
        await adapter.stop()


async def send_the_slot(engine: Engine, sender: RateLimitedAdapter, campaign_id: int) -> Progress:
    """One pass over the slot's pending rooms, as the bot's pump makes."""
    return await FanOut(engine, {"wechat": sender}).run(campaign_id, SLOT, lambda _: TEXT)


async def rooms_with_an_open_slot(
    gateway: WechatGateway, db_url: str, pace: float
) -> tuple[list[str], Settings, Engine, int]:
    """Six rooms on the gateway, known to the database, and a campaign slot ready to send."""
    resident = await gateway.add_contact("居民")
    rooms = [await gateway.add_room(f"幸福里{i}号楼", [resident]) for i in range(6)]
    settings = settings_for(
        db_url,
        wechat={
            "enabled": True,
            "seconds_between_sends": pace,
            "daily_send_cap": 100,
            "broadcast_hours": ALL_DAY,  # the test must not depend on the hour it runs at
        },
    )
    engine = make_db(settings)
    add_groups(engine, rooms, platform="wechat")
    campaign = add_campaign(engine)
    with Session(engine) as db:
        found = db.get(Campaign, campaign.id)
        assert found is not None and campaign.id is not None
        ledger.open_run(db, found, SLOT, "test", approved_by="test", now=SLOT)
    return rooms, settings, engine, campaign.id


async def test_every_room_once_at_the_configured_pace(
    wechat_gateway: WechatGateway, db_url: str
) -> None:
    rooms, settings, engine, campaign_id = await rooms_with_an_open_slot(
        wechat_gateway, db_url, PACE
    )
    async with started(wechat_gateway) as wechat:
        sender = RateLimitedAdapter(wechat, limiter_for("wechat", settings))
        result = await send_the_slot(engine, sender, campaign_id)
        # and again: the ledger knows the slot is done, nothing goes out twice
        again = await send_the_slot(engine, sender, campaign_id)

    assert result.sent == 6 and again.sent == 6 and again.pending == 0  # totals for the slot
    sent = [m for m in await wechat_gateway.sent() if m["conversationId"] in rooms]
    assert sorted(m["conversationId"] for m in sent) == sorted(rooms)  # each room exactly once
    times = sorted(datetime.fromisoformat(m["at"].replace("Z", "+00:00")).timestamp() for m in sent)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= PACE * 0.9, gaps  # never faster than the configured pace
    engine.dispose()


async def test_the_gateway_dies_mid_broadcast_and_the_run_finishes(
    wechat_gateway_of_my_own: WechatGateway, db_url: str
) -> None:
    gateway = wechat_gateway_of_my_own
    rooms, settings, engine, campaign_id = await rooms_with_an_open_slot(gateway, db_url, 0.5)
    async with started(gateway) as adapter:
        sender = RateLimitedAdapter(adapter, limiter_for("wechat", settings))
        run = asyncio.create_task(send_the_slot(engine, sender, campaign_id))
        # the gateway's HTTP record is the thing to watch; there is no event to wait on
        while len([m for m in await gateway.sent() if m["conversationId"] in rooms]) < 2:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        gateway.kill()
        await asyncio.sleep(1.0)
        gateway.start()
        result = await asyncio.wait_for(run, 60)
        # what is left after the outage goes out in a later pass, as the bot's pump does
        while result.pending:
            result = await send_the_slot(engine, sender, campaign_id)
    delivered = [m["conversationId"] for m in await gateway.sent() if m["conversationId"] in rooms]
    # The gateway's record restarts with the process: rooms sent before the kill are in the
    # ledger, the rest on the new gateway; no room twice, none missing unless "unknown".
    rows = {d.chat_id: d for d in deliveries(engine, campaign_id)}
    assert set(rows) == set(rooms)
    assert len(delivered) == len(set(delivered))
    assert all(rows[r].state in ("sent", "failed") for r in rooms)
    assert sum(rows[r].state == "sent" for r in rooms) >= 5
    engine.dispose()


async def test_send_now_in_a_wechat_only_deployment(
    wechat_gateway: WechatGateway, db_url: str, tmp_path: Path
) -> None:
    """`jingmin broadcast send-now` with WeChat alone: no Telegram token, the real client."""
    resident = await wechat_gateway.add_contact("居民")
    rooms = [await wechat_gateway.add_room(f"阳光小区{i}栋", [resident]) for i in range(3)]
    engine = make_db(settings_for(db_url))
    add_groups(engine, rooms, platform="wechat")
    campaign = add_campaign(engine)
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[database]
url = "{db_url}"

[wechat]
enabled = true
endpoint = "{wechat_gateway.endpoint}"
seconds_between_sends = 0.2
broadcast_hours = "{ALL_DAY}"

{STATION}
""",
        encoding="utf-8",
    )
    env = {"JINGMIN_TELEGRAM_TOKEN": "", "JINGMIN_WECHAT_TOKEN": wechat_gateway.token}
    args = ["send-now", str(campaign.id), "--no-progress", "--config", str(config)]
    result = await asyncio.to_thread(CliRunner().invoke, cli_app, args, env=env)

    assert result.exit_code == 0, result.output
    assert "sent 3, failed 0, skipped 0, pending 0" in result.output
    sent = [m["conversationId"] for m in await wechat_gateway.sent()]
    assert sorted(r for r in sent if r in rooms) == sorted(rooms)  # each room exactly once
    engine.dispose()
