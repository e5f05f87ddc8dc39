"""Scam early warning end to end: the whole bot (``run_bot``) against the fake Bot API (real
PTB) and against the Node WeChat gateway (real python-wechaty). The same lure in 2 of a
station's groups drafts nothing, nor does it in another station's group; a slightly
altered copy in a 3rd group gets the officer one card; one tap on its button (WeChat:
发送预警 N) delivers the warning to the station's other groups, exactly once each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.wechat import WechatAdapter
from bot.runtime import run_bot
from core.config import Settings, parse_settings
from tests.e2e.conftest import FAST_POLLING
from tests.e2e.wechat_fixtures import ConnectionLog, WechatGateway, fast_wechat_options
from tests.fakes.telegram_server import FakeTelegram, SentMessage

pytestmark = pytest.mark.e2e

PHONE = "13912345678"
LURE = f"【兼职】在家刷单，垫付本金立返佣金15%，日结不押金，加微信 sd88866 或打{PHONE}带你做"
ALTERED = "兼职：在家刷单!垫付本金马上返佣金20%，当天结不收押金，加薇信sd88866带您做第一单"
DRAFT = "防骗预警草稿"
WARNING = "防骗预警（兴庆派出所）"


def settings_for(db_url: str, wang: int | str, li: int | str, platform: str) -> Settings:
    ids = "telegram_id" if platform == "telegram" else "wechat_id"
    return parse_settings(
        {
            "database": {"url": db_url},
            # The test must not depend on the hour it runs at (WeChat's broadcast hours).
            "wechat": {"seconds_between_sends": 0, "broadcast_hours": "00:00-24:00"},
            "stations": [
                {"id": "xq", "name": "兴庆派出所", "address": "解放东街1号",
                 "phone": "0951-6000000", "hours": "9-17"},
                {"id": "jf", "name": "金凤派出所", "address": "北京中路2号",
                 "phone": "0951-6000001", "hours": "9-17"},
            ],
            "officers": [
                {"name": "王警官", "station": "xq", "duty": True, ids: str(wang)},
                {"name": "李警官", "station": "jf", "duty": True, ids: str(li)},
            ],
        },
        "test",
    )  # fmt: skip


async def test_an_early_warning_on_telegram(fake_telegram: FakeTelegram, db_url: str) -> None:
    server = fake_telegram
    wang, li = server.add_user("王", "警官"), server.add_user("李", "警官")
    resident = server.add_user("张", "三")
    for officer in (wang, li):
        server.open_private_chat(officer)
    ours = [server.add_group(f"幸福里{n}号楼", members=(wang, resident)) for n in range(1, 6)]
    theirs = server.add_group("金凤花园群", members=(li, resident))
    adapter = TelegramAdapter(server.token, api_base_url=server.api_base_url, polling=FAST_POLLING)
    stop = asyncio.Event()
    bot = asyncio.create_task(
        run_bot(settings_for(db_url, wang, li, "telegram"), {"telegram": adapter}, stop=stop)
    )

    async def sent(chat: int, where: Callable[[SentMessage], bool]) -> SentMessage:
        async with asyncio.timeout(20):
            while True:
                found = [m for m in server.sent_to(chat) if where(m)]
                if found:
                    return found[-1]
                await asyncio.sleep(0.05)

    def drafts(chat: int) -> list[SentMessage]:
        return [m for m in server.sent_to(chat) if DRAFT in m.text]

    async def lure(chat: int, text: str) -> None:
        posted = server.user_says(chat, resident, text)["message_id"]
        await sent(chat, lambda m: "诈骗" in m.text and m.reply_to_message_id == posted)

    try:
        await server.wait_for(lambda: server.waiting_polls > 0, within=30, what="polling")
        for chat, officer in [*((g, wang) for g in ours), (theirs, li)]:
            server.add_bot_to_group(chat, by_user_id=officer)
            server.user_says(chat, officer, "/bind")
            await sent(chat, lambda m: "派出所" in m.text and "绑定" in m.text)

        await lure(ours[0], LURE)
        await lure(ours[1], LURE)
        await lure(theirs, LURE)  # another station's group does not count
        await asyncio.sleep(0.5)
        assert drafts(wang) == [] and drafts(li) == []

        await lure(ours[2], ALTERED)
        card = await sent(wang, lambda m: DRAFT in m.text)
        assert "本所 3 个群" in card.text and "其他 2 个群" in card.text
        assert "sd88866" in card.text and PHONE not in card.text
        assert [e["type"] for e in card.entities] == ["blockquote"]
        (button,) = card.buttons[0]
        assert button["text"] == "发送预警" and button["callback_data"] == "b:warn:1"

        await lure(ours[0], ALTERED)  # the same wave again: no second card
        await asyncio.sleep(0.5)
        assert len(drafts(wang)) == 1 and drafts(li) == []

        server.press_button(wang, wang, card.message_id, "b:warn:1")
        await server.wait_for(
            lambda: "正在发往本所 2 个群" in server.message(wang, card.message_id)["text"],
            within=20,
            what="the card turned into the outcome",
        )
        assert "reply_markup" not in server.message(wang, card.message_id)  # pressed once
        for chat in ours[3:]:
            warning = await sent(chat, lambda m: WARNING in m.text)
            assert "sd88866" in warning.text and PHONE not in warning.text
        summary = await sent(wang, lambda m: "已送达 2 个群" in m.text)
        assert summary is not None

        server.private_says(wang, "发送预警 1")  # again, by text: nothing sent twice
        await sent(wang, lambda m: "已由王警官发送过" in m.text)
        await asyncio.sleep(1.0)
        for chat in ours[3:]:
            assert len([m for m in server.sent_to(chat) if WARNING in m.text]) == 1
        for chat in [*ours[:3], theirs]:
            assert not [m for m in server.sent_to(chat) if WARNING in m.text]
    finally:
        stop.set()
        await asyncio.wait_for(bot, 30)


async def test_an_early_warning_on_wechat(
    wechat_gateway: WechatGateway, db_url: str, connection_log: ConnectionLog
) -> None:
    gateway = wechat_gateway
    wang = await gateway.add_contact("王警官")
    li = await gateway.add_contact("李警官")
    resident = await gateway.add_contact("张三")
    ours = [await gateway.add_room(f"幸福里{n}号楼", [wang, resident]) for n in range(1, 6)]
    theirs = await gateway.add_room("金凤花园群", [li, resident])
    adapter = WechatAdapter(
        gateway.endpoint, gateway.token, options=fast_wechat_options(),
        on_connection_change=connection_log,
    )  # fmt: skip
    stop = asyncio.Event()
    settings = settings_for(db_url, wang, li, "wechat")
    bot = asyncio.create_task(run_bot(settings, {"wechat": adapter}, stop=stop))

    async def sent(to: str, where: Callable[[str], bool], within: float = 20) -> str:
        message = await gateway.wait_sent(to, lambda m: where(m["text"]), within=within)
        return str(message["text"])

    async def texts(to: str, part: str) -> list[str]:
        return [m["text"] for m in await gateway.sent(to) if part in m["text"]]

    async def lure(room: str, text: str) -> None:
        """Posted, and the room's warning came (the bot's next message there)."""
        seen = {m["seq"] for m in await gateway.sent(room)}
        await gateway.say(resident, text, room_id=room)
        await gateway.wait_sent(room, lambda m: m["seq"] not in seen and "诈骗" in m["text"], 20)

    try:
        await connection_log.wait_for(True, within=30)
        for room, officer in [*((r, wang) for r in ours), (theirs, li)]:
            await gateway.say(officer, "/bind", room_id=room)
            await sent(room, lambda text: "派出所" in text and "绑定" in text)

        await lure(ours[0], LURE)
        await lure(ours[1], LURE)
        await lure(theirs, LURE)  # another station's room does not count
        await asyncio.sleep(0.5)
        assert await texts(wang, DRAFT) == [] and await texts(li, DRAFT) == []

        await lure(ours[2], ALTERED)
        card = await sent(wang, lambda text: DRAFT in text)
        assert "本所 3 个群" in card and "其他 2 个群" in card and card.count("发送预警 1") == 1
        assert "｜" in card and "sd88866" in card and PHONE not in card

        await lure(ours[0], ALTERED)  # the same wave again: no second card
        await asyncio.sleep(0.5)
        assert len(await texts(wang, DRAFT)) == 1

        await gateway.say(wang, "发送预警 1")
        await sent(wang, lambda text: "正在发往本所 2 个群" in text)
        for room in ours[3:]:
            warning = await sent(room, lambda text: WARNING in text)
            assert "sd88866" in warning and PHONE not in warning
        await sent(wang, lambda text: "已送达 2 个群" in text)

        await gateway.say(wang, "发送预警 1")
        await sent(wang, lambda text: "已由王警官发送过" in text)
        await asyncio.sleep(1.0)
        for room in ours[3:]:
            assert len(await texts(room, WARNING)) == 1
        for room in [*ours[:3], theirs]:
            assert await texts(room, WARNING) == []
    finally:
        stop.set()
        await asyncio.wait_for(bot, 30)
