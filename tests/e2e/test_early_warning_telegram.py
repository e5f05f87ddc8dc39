"""Scam early warning end to end: the whole bot (``run_bot``, real PTB) against the fake Bot
API. The same lure in 2 of a station's groups drafts nothing, nor does it in another
station's group; a slightly altered copy in a 3rd group gets the officer one card; one tap
on its button delivers the warning to the station's other groups, exactly once each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.config import Settings, parse_settings
from bot.runtime import run_bot
from tests.e2e.conftest import FAST_POLLING
from tests.fakes.telegram_server import FakeTelegram, SentMessage

pytestmark = pytest.mark.e2e

PHONE = "13912345678"
LURE = f"【兼职】在家刷单，垫付本金立返佣金15%，日结不押金，加微信 sd88866 或打{PHONE}带你做"
ALTERED = "兼职：在家刷单!垫付本金马上返佣金20%，当天结不收押金，加薇信sd88866带您做第一单"
DRAFT = "防骗预警草稿"
WARNING = "防骗预警（兴庆派出所）"


def settings_for(db_url: str, wang: int, li: int) -> Settings:
    return parse_settings(
        {
            "database": {"url": db_url},
            "stations": [
                {"id": "xq", "name": "兴庆派出所", "address": "解放东街1号",
                 "phone": "0951-6000000", "hours": "9-17"},
                {"id": "jf", "name": "金凤派出所", "address": "北京中路2号",
                 "phone": "0951-6000001", "hours": "9-17"},
            ],
            "officers": [
                {"name": "王警官", "station": "xq", "duty": True, "telegram_id": str(wang)},
                {"name": "李警官", "station": "jf", "duty": True, "telegram_id": str(li)},
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
        run_bot(settings_for(db_url, wang, li), {"telegram": adapter}, stop=stop)
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
