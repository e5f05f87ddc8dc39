"""The whole bot on WeChat: the real python-wechaty client against the Node gateway.

A resident asks in a room -> the answer @mentions them; an unknown question -> the officer's
private chat -> `修改 N …` -> the room gets the answer; the gateway is killed and restarted
-> the bot reconnects and answers again, also a message announced before the restarted
gateway could describe it.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from core.config import parse_settings
from tests.e2e.wechat_fixtures import ConnectionLog, WechatGateway, running_bot

pytestmark = pytest.mark.e2e


async def test_resident_officer_and_a_gateway_restart(
    wechat_gateway_of_my_own: WechatGateway, db_url: str, connection_log: ConnectionLog
) -> None:
    gateway = wechat_gateway_of_my_own
    officer = await gateway.add_contact("王警官", "wxid_officer_wang")
    resident = await gateway.add_contact("张阿姨")
    room = await gateway.add_room("幸福里社区警民群", [officer, resident])
    settings = parse_settings(
        {
            "database": {"url": db_url},
            "stations": [
                {"id": "xq", "name": "兴庆派出所", "address": "解放东街1号",
                 "phone": "0951-6000000", "hours": "9-17"}
            ],
            "officers": [{"name": "王警官", "station": "xq", "wechat_id": officer, "duty": True}],
        },
        "test",
    )  # fmt: skip
    async with running_bot(gateway, settings, connection_log):
        await gateway.say(officer, "/bind", room_id=room)
        await gateway.wait_sent(room, lambda m: "兴庆派出所" in m["text"], within=10)

        await gateway.say(resident, "身份证丢了咋补办", room_id=room, mention_bot=True)
        answer = await gateway.wait_sent(room, lambda m: "40元" in m["text"], within=10)
        assert resident in answer.get("mentionIds", []) and answer["text"].startswith("@张阿姨")

        await gateway.say(
            resident, "小区门口的井盖松了 能找人修一下吗", room_id=room, mention_bot=True
        )
        card = await gateway.wait_sent(officer, lambda m: "井盖" in m["text"], within=10)
        ticket = re.search(r"工单 #(\d+)", card["text"])
        assert ticket is not None and "修改 " in card["text"]
        await gateway.say(officer, f"修改 {ticket.group(1)} 您好，井盖归市政管，已经报修了。")
        await gateway.wait_sent(room, lambda m: "已经报修" in m["text"], within=10)

        gateway.kill()
        await connection_log.wait_for(False, within=30)
        gateway.start()
        await connection_log.wait_for(True, within=60)
        await gateway.say(resident, "良民证咋开", room_id=room, mention_bot=True)
        # back (a gateway just restarted may take a while to describe its first message)
        await gateway.wait_sent(room, lambda m: "无犯罪" in m["text"], within=30)
        # A restarted gateway may announce a message it cannot describe yet ("no payload
        # found", here for 2 s): it is read again, and answered once.
        await gateway.delay_payloads(2.0)
        await gateway.say(resident, "居住证怎么办理", room_id=room, mention_bot=True)
        await gateway.delay_payloads(0)
        await gateway.wait_sent(room, lambda m: "暂住证" in m["text"], within=15)
        await asyncio.sleep(1.0)
        assert len([m for m in await gateway.sent(room) if "暂住证" in m["text"]]) == 1
