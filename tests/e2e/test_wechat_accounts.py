"""Several WeChat accounts, each its own Node gateway (mock puppet), with overlapping rooms:
the real clients, router, limiters and delivery ledger (issue 16's acceptance)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.runtime import build_wechat_accounts, run_bot
from broadcasts import ledger
from broadcasts.fanout import FanOut, Progress
from broadcasts.models import Campaign
from core.config import Settings
from core.db import Group, make_engine
from core.events import ChatRef, Outgoing
from infra.accounts import AccountRouter
from tests.e2e.test_broadcast_support import (
    add_campaign,
    add_groups,
    deliveries,
    make_db,
    settings_for,
)
from tests.e2e.wechat_fixtures import (
    WechatGateway,
    fast_wechat_options,
    rooms_on,
    sent_by,
)

pytestmark = pytest.mark.e2e
PACE = 0.1
TEXT = "【反诈提醒】陌生人让您下载App、共享屏幕？立即挂断！"


def settings_of(db_url: str, gateways: dict[str, WechatGateway], cap: int = 100) -> Settings:
    return settings_for(
        db_url,
        wechat={
            "enabled": True,
            "seconds_between_sends": PACE,
            "daily_send_cap": cap,
            "broadcast_hours": "00:00-24:00",  # the test must not depend on the hour
            "accounts": [
                {"id": a, "endpoint": g.endpoint, "token_env": f"JM_TEST_WECHAT_{a.upper()}"}
                for a, g in gateways.items()
            ],
        },
    )


@asynccontextmanager
async def station(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, gateways: Any
) -> AsyncIterator[AccountRouter]:
    for account, gateway in gateways.items():
        monkeypatch.setenv(f"JM_TEST_WECHAT_{account.upper()}", gateway.token)
    router = build_wechat_accounts(settings, engine, options=fast_wechat_options())

    async def ignore(_: object) -> None:
        return None

    await router.start(ignore)
    try:
        yield router
    finally:
        await router.stop()


def open_slot(engine: Engine) -> tuple[int, datetime]:
    slot = datetime.now(UTC).replace(microsecond=0)
    campaign = add_campaign(engine, f"提醒{uuid.uuid4().hex[:6]}")
    with Session(engine) as db:
        found = db.get(Campaign, campaign.id)
        assert found is not None and campaign.id is not None
        ledger.open_run(db, found, slot, "test", approved_by="test", now=slot)
    return campaign.id, slot


async def send(engine: Engine, router: AccountRouter, campaign: tuple[int, datetime]) -> Progress:
    return await FanOut(engine, {"wechat": router}).run(*campaign, lambda _: TEXT)  # type: ignore[dict-item]


def serving(engine: Engine, rooms: list[str]) -> dict[str, str | None]:
    with Session(engine) as db:
        found = {g.chat_id: g for g in db.exec(select(Group))}
    return {r: found[r].account for r in rooms}


async def test_a_campaign_over_overlapping_rooms_reaches_each_once_through_its_account(
    gateways: dict[str, WechatGateway], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = {"a": range(0, 4), "b": range(2, 7), "c": range(5, 9)}
    rooms = await rooms_on(gateways, plan)
    settings = settings_of(db_url, gateways)
    engine = make_db(settings)
    add_groups(engine, rooms, platform="wechat")
    async with station(settings, engine, monkeypatch, gateways) as router:
        # the room lists were read on connect: every room has its account before anyone spoke
        served = serving(engine, rooms)
        assert [served[r] for r in rooms] == ["a"] * 4 + ["b"] * 3 + ["c"] * 2
        result = await send(engine, router, open_slot(engine))

    assert result.sent == len(rooms) and result.pending == 0
    sent = await sent_by(gateways, rooms)
    assert sorted(r for chats in sent.values() for r in chats) == sorted(rooms)  # once each
    for account, chats in sent.items():
        assert all(served[r] == account for r in chats)  # through the right account
    engine.dispose()


async def test_an_account_answering_too_frequent_rests_and_its_rooms_finish_through_spares(
    gateways: dict[str, WechatGateway], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = {"a": range(0, 4), "b": range(2, 6)}  # a's rooms 2 and 3 have b as their spare
    rooms = await rooms_on(gateways, plan)
    settings = settings_of(db_url, gateways)
    engine = make_db(settings)
    add_groups(engine, rooms, platform="wechat")
    await gateways["a"].refuse_sends("操作过于频繁，请稍后再试")
    try:
        async with station(settings, engine, monkeypatch, gateways) as router:
            campaign = open_slot(engine)
            result = await send(engine, router, campaign)
    finally:
        await gateways["a"].refuse_sends(None)

    sent = await sent_by(gateways, rooms)
    assert sent["a"] == []
    assert sorted(sent["b"]) == sorted(rooms[2:])  # its own and a's shared rooms
    rows = {r.chat_id: r for r in deliveries(engine, campaign[0])}
    assert [rows[r].state for r in rooms] == ["pending"] * 2 + ["sent"] * 4  # 0, 1 wait for a
    assert result.resume_at is not None and result.pending == 2
    with Session(engine) as db:
        assert all(g.active for g in db.exec(select(Group)))  # nothing deactivated wrongly
    assert serving(engine, rooms)[rooms[2]] == "b"
    engine.dispose()


async def test_the_daily_count_holds_across_a_restart(
    gateways: dict[str, WechatGateway], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rooms = await rooms_on(gateways, {"c": range(0, 5)})
    settings = settings_of(db_url, gateways, cap=3)
    engine = make_db(settings)
    add_groups(engine, rooms, platform="wechat")
    campaign = open_slot(engine)
    async with station(settings, engine, monkeypatch, gateways) as router:
        first = await send(engine, router, campaign)
    assert first.sent == 3 and first.pending == 2 and first.resume_at is not None
    # a new process: its limiter reads the day's count from the database
    async with station(settings, engine, monkeypatch, gateways) as router:
        again = await send(engine, router, campaign)
    assert again.sent == 3 and again.pending == 2
    assert len((await sent_by(gateways, rooms))["c"]) == 3
    engine.dispose()


async def test_an_officer_is_written_to_through_an_account_they_are_a_contact_of(
    gateways: dict[str, WechatGateway], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = await gateways["b"].add_contact(
        "王警官", f"wxid_officer_{uuid.uuid4().hex[:6]}", friend=True
    )
    await gateways["a"].add_contact("王警官", officer)  # known to a, not its contact
    settings = settings_of(db_url, gateways)
    engine = make_db(settings)
    async with station(settings, engine, monkeypatch, gateways) as router:
        await router.send(Outgoing(ChatRef("wechat", officer), "工单 12：请处理"))
        await router.send(Outgoing(ChatRef("wechat", officer), "工单 13：请处理"))
    assert [m["text"] for m in await gateways["b"].sent(officer)] == [
        "工单 12：请处理",
        "工单 13：请处理",
    ]
    assert await gateways["a"].sent(officer) == []
    engine.dispose()


async def test_one_gateway_killed_mid_campaign_and_back_each_room_at_most_once(
    gateways: dict[str, WechatGateway], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rooms = await rooms_on(gateways, {"a": range(0, 3), "b": range(3, 9)})
    settings = settings_of(db_url, gateways)
    engine = make_db(settings)
    add_groups(engine, rooms, platform="wechat")
    b = gateways["b"]
    before: list[str] = []
    async with station(settings, engine, monkeypatch, gateways) as router:
        campaign = open_slot(engine)
        run = asyncio.create_task(send(engine, router, campaign))
        while len(before) < 2:  # the gateway's record is the thing to watch
            before = [m["conversationId"] for m in await b.sent() if m["conversationId"] in rooms]
            await asyncio.sleep(0.02)
        b.kill()
        await asyncio.sleep(1.0)
        b.start()
        result = await asyncio.wait_for(run, 60)
        while result.pending:  # what the outage left goes out in a later pass, as the pump does
            result = await send(engine, router, campaign)
    after = [m["conversationId"] for m in await b.sent() if m["conversationId"] in rooms]
    through_a = (await sent_by(gateways, rooms))["a"]
    delivered = before + after + through_a
    assert len(delivered) == len(set(delivered))  # no room twice
    rows = {r.chat_id: r for r in deliveries(engine, campaign[0])}
    assert all(rows[r].state in ("sent", "failed") for r in rooms)
    assert {r for r in rooms if rows[r].state == "sent"} <= set(delivered)
    assert sum(rows[r].state == "failed" for r in rooms) <= 1  # at most one "delivery unknown"
    with Session(engine) as db:
        assert all(g.active for g in db.exec(select(Group)))
    engine.dispose()


async def test_the_bot_answers_a_shared_room_once_through_its_serving_account(
    gateways: dict[str, WechatGateway], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = gateways["a"], gateways["b"]
    suffix = uuid.uuid4().hex[:6]
    officer, resident = f"wxid_officer_{suffix}", f"wxid_resident_{suffix}"
    await a.add_contact("王警官", officer)
    await b.add_contact("王警官", officer, friend=True)  # b has the officer as a contact
    room = f"{uuid.uuid4().int % 10**11}@chatroom"
    for gateway in (a, b):
        await gateway.add_contact("张阿姨", resident)
        await gateway.add_room("幸福里社区警民群", [officer, resident], room_id=room)
    settings = settings_for(
        db_url,
        wechat={
            "enabled": True,
            "seconds_between_sends": PACE,
            "accounts": [
                {"id": n, "endpoint": gateways[n].endpoint, "token_env": f"JM_TEST_WECHAT_{n}"}
                for n in ("a", "b")
            ],
        },
        officers=[{"name": "王警官", "station": "xq", "wechat_id": officer, "duty": True}],
    )
    for n in ("a", "b"):
        monkeypatch.setenv(f"JM_TEST_WECHAT_{n}", gateways[n].token)
    engine = make_engine(db_url)
    router = build_wechat_accounts(settings, engine, options=fast_wechat_options())
    stop = asyncio.Event()
    bot = asyncio.create_task(run_bot(settings, {"wechat": router}, stop=stop))
    try:
        async with asyncio.timeout(30):
            while not router.connected:  # noqa: ASYNC110 (no event to wait on)
                await asyncio.sleep(0.05)
        for gateway in (a, b):  # WeChat delivers a shared room's message to both accounts
            await gateway.say(officer, "/bind", room_id=room)
        await a.wait_sent(room, lambda m: "兴庆派出所" in m["text"], within=10)
        for gateway in (a, b):
            await gateway.say(
                resident, "小区门口的井盖松了 能找人修一下吗", room_id=room, mention_bot=True
            )
        card = await b.wait_sent(officer, lambda m: "井盖" in m["text"], within=10)
        assert "修改 " in card["text"]
        await asyncio.sleep(0.5)  # anything doubled would be out by now
    finally:
        stop.set()
        await asyncio.wait_for(bot, 30)
    assert await b.sent(room) == []  # the spare stayed quiet in the room
    assert len([m for m in await a.sent(room) if "兴庆派出所" in m["text"]]) == 1
    assert await a.sent(officer) == [] and len(await b.sent(officer)) == 1  # one card
    engine.dispose()


async def test_an_account_that_logs_out_rests_and_its_shared_rooms_go_to_the_spare(
    gateways: dict[str, WechatGateway], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rooms = await rooms_on(gateways, {"a": range(0, 3), "b": range(2, 4)})
    settings = settings_of(db_url, gateways)
    engine = make_db(settings)
    add_groups(engine, rooms, platform="wechat")
    told: list[tuple[str, int, int]] = []
    try:
        async with station(settings, engine, monkeypatch, gateways) as router:

            async def tell(account: str, reason: str, until: datetime, handover: Any) -> None:
                told.append((account, handover.moved, handover.stuck))

            router.on_rest = tell
            assert serving(engine, rooms)[rooms[2]] == "a"
            await gateways["a"].logout()
            async with asyncio.timeout(10):
                while not told:  # noqa: ASYNC110 (the listener is the thing to watch)
                    await asyncio.sleep(0.05)
            assert told[0][0] == "a" and told[0][1] >= 1  # room 2 (and older shared ones)
            assert serving(engine, rooms) == {
                rooms[0]: "a",  # nobody else is in them: they wait for a
                rooms[1]: "a",
                rooms[2]: "b",
                rooms[3]: "b",
            }
            assert router.directory.resting_until("a") is not None
    finally:
        await gateways["a"].login()  # the module's other tests use the account
    with Session(engine) as db:
        assert all(g.active for g in db.exec(select(Group)))
    engine.dispose()
