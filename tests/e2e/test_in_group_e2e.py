"""In the group (issue 20), the whole bot on each platform's fake, one lean pass each:
welcome (batched), an answer with its vote, a repeat pointed to it, 👎 to the officer, a
follow-up with its context, an unaddressed incident acknowledged, and /隐私."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.wechat import QUOTE_SEPARATOR, WechatAdapter
from bot.runtime import run_bot
from core.config import Settings, parse_settings
from core.db import make_engine
from reports.stats import compute_stats
from tests.e2e.conftest import FAST_POLLING
from tests.e2e.wechat_fixtures import (
    BOT_NAME,
    ConnectionLog,
    WechatGateway,
    fast_wechat_options,
)
from tests.fakes.telegram_server import FakeTelegram, SentMessage

pytestmark = pytest.mark.e2e

LOST_ID = "身份证丢了咋补办"
RULES = "不发广告，不传谣"


def settings_for(db_url: str, officer: dict[str, Any]) -> Settings:
    return parse_settings(
        {
            "database": {"url": db_url},
            "behaviour": {"welcome_batch_seconds": 1.5},
            "wechat": {"seconds_between_sends": 0},
            "stations": [
                {"id": "xq", "name": "兴庆派出所", "address": "解放东街1号",
                 "phone": "0951-6000000", "hours": "9-17"}
            ],
            "officers": [{"name": "王警官", "station": "xq", "duty": True} | officer],
        },
        "test",
    )  # fmt: skip


def votes_this_week(db_url: str) -> dict[str, list[int]]:
    now = datetime.now(UTC)
    stats = compute_stats(make_engine(db_url), now - timedelta(days=1), now, UTC)
    return stats.votes


async def test_in_a_telegram_group(fake_telegram: FakeTelegram, db_url: str) -> None:
    server = fake_telegram
    officer = server.add_user("王", "警官")
    resident, neighbour = server.add_user("张", "阿姨"), server.add_user("李", "叔")
    group = server.add_group("幸福里社区群", members=(resident, officer))
    server.open_private_chat(officer)
    adapter = TelegramAdapter(server.token, api_base_url=server.api_base_url, polling=FAST_POLLING)
    stop = asyncio.Event()
    bot = asyncio.create_task(
        run_bot(
            settings_for(db_url, {"telegram_id": str(officer)}), {"telegram": adapter}, stop=stop
        )
    )

    async def sent(chat: int, where: Callable[[SentMessage], bool]) -> SentMessage:
        async with asyncio.timeout(15):
            while True:
                found = [m for m in server.sent_to(chat) if where(m)]
                if found:
                    return found[-1]
                await asyncio.sleep(0.05)

    try:
        await server.wait_for(lambda: server.waiting_polls > 0, within=30, what="polling")
        server.add_bot_to_group(group, by_user_id=officer)
        for command, reply in (
            ("/bind", "兴庆派出所"),
            ("/welcome on", "已打开"),
            (f"/rules {RULES}", "群规已更新"),
        ):
            server.user_says(group, officer, command)
            await sent(group, lambda m, reply=reply: reply in m.text)

        # Two people join within the batch time: one welcome names both.
        server.users_join(group, [neighbour])
        newcomer = server.add_user("赵", "六")
        server.users_join(group, [newcomer])
        welcome = await sent(group, lambda m: m.text.startswith("欢迎"))
        assert "李 叔" in welcome.text and "赵 六" in welcome.text and RULES in welcome.text

        asked = server.user_says(group, resident, LOST_ID)
        answer = await sent(group, lambda m: "40元" in m.text)
        assert answer.reply_to_message_id == asked["message_id"]
        assert [b["text"] for b in answer.buttons[0]] == ["👍有用", "👎没解决"]

        server.user_says(group, neighbour, "身份证丢了怎么补办啊")
        pointer = await sent(group, lambda m: "上面刚回答过" in m.text)
        assert pointer.reply_to_message_id == answer.message_id

        server.press_button(
            neighbour, group, answer.message_id, answer.buttons[0][1]["callback_data"]
        )
        await sent(group, lambda m: "已转告社区民警" in m.text and "群里回复您" in m.text)
        card = await sent(officer, lambda m: "没解决" in m.text)
        assert LOST_ID in card.text

        server.user_says(group, resident, "那要带户口本吗", reply_to=answer.message_id)
        follow_up = await sent(officer, lambda m: "那要带户口本吗" in m.text)
        assert LOST_ID in follow_up.text and "追问" in follow_up.text
        await sent(group, lambda m: "工单号" in m.text)

        server.user_says(group, neighbour, "楼下有人在撬电动车 现在还在")
        ack = await sent(
            group, lambda m: "110" in m.text and "已转告社区民警，民警会尽快处理" in m.text
        )
        assert ack.reply_to_message_id is not None

        server.user_says(group, neighbour, "/隐私")
        assert "180 天" in (await sent(group, lambda m: "存多久" in m.text)).text
        assert list(votes_this_week(db_url).values()) == [[0, 1]]
    finally:
        stop.set()
        await asyncio.wait_for(bot, 30)


async def test_in_a_wechat_room(
    wechat_gateway_of_my_own: WechatGateway, db_url: str, connection_log: ConnectionLog
) -> None:
    gateway = wechat_gateway_of_my_own
    officer = await gateway.add_contact("王警官", "wxid_officer_wang")
    resident, neighbour = await gateway.add_contact("张阿姨"), await gateway.add_contact("李叔")
    room = await gateway.add_room("幸福里社区警民群", [officer, resident, neighbour])
    adapter = WechatAdapter(
        gateway.endpoint, gateway.token, options=fast_wechat_options(),
        on_connection_change=connection_log,
    )  # fmt: skip
    stop = asyncio.Event()
    settings = settings_for(db_url, {"wechat_id": officer})
    bot = asyncio.create_task(run_bot(settings, {"wechat": adapter}, stop=stop))

    async def sent(to: str, where: Callable[[str], bool]) -> str:
        message = await gateway.wait_sent(to, lambda m: where(m["text"]), within=15)
        return str(message["text"])

    try:
        await connection_log.wait_for(True, within=30)
        for command, reply in (
            ("/bind", "兴庆派出所"),
            ("欢迎 开", "已打开"),
            (f"群规 {RULES}", "群规已更新"),
        ):
            await gateway.say(officer, command, room_id=room)
            await sent(room, lambda text, reply=reply: reply in text)

        first, second = await gateway.add_contact("赵六"), await gateway.add_contact("钱七")
        await gateway.add_to_room(room, [first], officer)
        await gateway.add_to_room(room, [second], officer)
        welcome = await sent(room, lambda text: text.startswith("欢迎"))
        assert "赵六、钱七" in welcome and RULES in welcome

        await gateway.say(resident, LOST_ID, room_id=room, mention_bot=True)
        answer = await sent(room, lambda text: "40元" in text)
        assert "回复“没解决”" in answer

        await gateway.say(neighbour, "身份证丢了怎么补办啊", room_id=room)
        assert "身份证" in await sent(room, lambda text: "上面刚回答过" in text)

        await gateway.say(resident, "没解决", room_id=room)
        await sent(room, lambda text: "已转告社区民警" in text and "群里回复您" in text)
        assert LOST_ID in await sent(officer, lambda text: "没解决" in text)

        quote = f"「{BOT_NAME}：{answer[:20]}」\n{QUOTE_SEPARATOR}\n那要带户口本吗"
        await gateway.say(resident, quote, room_id=room)
        follow_up = await sent(officer, lambda text: "那要带户口本吗" in text)
        assert LOST_ID in follow_up and "追问" in follow_up

        await gateway.say(neighbour, "楼下有人在撬电动车 现在还在", room_id=room)
        await sent(room, lambda text: "已转告社区民警，民警会尽快处理" in text and "110" in text)

        await gateway.say(neighbour, "隐私", room_id=room)
        assert "180 天" in await sent(room, lambda text: "存多久" in text)
        assert list(votes_this_week(db_url).values()) == [[0, 1]]
        ticket_ids = re.findall(
            r"工单 #(\d+)", " ".join(m["text"] for m in await gateway.sent(officer))
        )
        assert len(set(ticket_ids)) >= 3  # 👎, the follow-up, the incident
    finally:
        stop.set()
        await asyncio.wait_for(bot, 30)
