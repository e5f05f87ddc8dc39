"""Pictures sent to the bot on WeChat, end to end: the whole bot (``run_bot``) with the real
python-wechaty client against the Node gateway, whose contacts post the pictures.

- A resident posts a 刷单返利 poster with a QR code in a room: the guard's warning reaches
  the room and the officer gets the alert; a harmless poster gets nothing.
- The station admin sends a picture in private, then 推送, picks the station, confirms: the
  station's rooms get the picture once each, the other station's room nothing.

The posters are rendered as tests/unit/test_guard_picture.py renders them (over 20 KB, as
real pictures are: the gateway then serves them as a UUID file box, see fetch_picture).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings, parse_settings
from tests.e2e.wechat_fixtures import ConnectionLog, WechatGateway, running_bot
from tests.unit.test_guard_picture import poster, qr_poster

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STATION = {"address": "解放东街1号", "phone": "0951-6000000", "hours": "9-17"}


def settings_for(db_url: str, media_dir: Path, officers: list[dict[str, Any]]) -> Settings:
    return parse_settings(
        {
            "database": {"url": db_url},
            "wechat": {
                "enabled": True,
                "seconds_between_sends": 0,  # the pace is tested in test_broadcast_wechat.py
                "broadcast_hours": "00:00-24:00",
            },
            "broadcasts": {"media_dir": str(media_dir)},
            "stations": [
                {"id": "xq", "name": "兴庆派出所", **STATION},
                {"id": "jf", "name": "金凤派出所", **STATION},
            ],
            "officers": officers,
        },
        "test",
    )


async def bind(gateway: WechatGateway, officer: str, room: str, station: str) -> None:
    await gateway.say(officer, "/bind", room_id=room)
    await gateway.wait_sent(room, lambda m: station in m["text"], within=15)


def texts(messages: list[dict[str, Any]], where: Callable[[str], bool]) -> list[str]:
    return [m["text"] for m in messages if m["kind"] == "text" and where(m["text"])]


async def test_a_lure_poster_in_a_room_is_warned_of_and_the_officer_alerted(
    wechat_gateway: WechatGateway, db_url: str, tmp_path: Path, connection_log: ConnectionLog
) -> None:
    gateway = wechat_gateway
    officer = await gateway.add_contact("王警官", friend=True)
    resident = await gateway.add_contact("刘先生")
    room = await gateway.add_room("丽景花园业主群", [officer, resident])
    officers = [{"name": "王警官", "station": "xq", "wechat_id": officer, "duty": True}]
    settings = settings_for(db_url, tmp_path / "media", officers)
    lure = qr_poster("https://qm.qq.com/q/Zk8Yb2mP", ["刷单返利 日结三百", "扫码进群 佣金秒返"])
    harmless = poster(["社区文艺晚会", "本周六晚七点", "中心广场 欢迎参加"], 3)
    assert min(len(lure), len(harmless)) > 20 * 1024  # served as a UUID box, as real ones

    async with running_bot(gateway, settings, connection_log):
        await bind(gateway, officer, room, "兴庆派出所")
        room_before = len(await gateway.sent(room))
        officer_before = len(await gateway.sent(officer))

        await gateway.post_picture(resident, harmless, room_id=room)
        await gateway.post_picture(resident, lure, room_id=room)
        warning = await gateway.wait_sent(room, lambda m: "诈骗" in m["text"], within=20)
        assert "刷单返利" in warning["text"]
        alert = await gateway.wait_sent(officer, lambda m: "群内风险提醒" in m["text"], within=20)
        assert "丽景花园业主群" in alert["text"] and "刘先生" in alert["text"]
        assert "[图片]" in alert["text"] and "刷单返利" in alert["text"]

        # The harmless poster, read first (one message at a time), got nothing: the room
        # has the warning alone and the officer the alert alone.
        await asyncio.sleep(1.0)
        assert len(await gateway.sent(room)) == room_before + 1
        assert len(await gateway.sent(officer)) == officer_before + 1
        assert all(m["kind"] == "text" for m in await gateway.sent(officer))  # never forwarded


async def test_an_officers_picture_pushed_to_the_station_reaches_its_rooms_once(
    wechat_gateway: WechatGateway, db_url: str, tmp_path: Path, connection_log: ConnectionLog
) -> None:
    gateway = wechat_gateway
    names = {"赵": ("赵所长", "xq"), "王": ("王警官", "xq"), "李": ("李警官", "jf")}
    ids = {k: await gateway.add_contact(name, friend=True) for k, (name, _) in names.items()}
    residents = {k: await gateway.add_contact(f"居民{k}") for k in names}
    rooms = {k: await gateway.add_room(f"{k}的小区群", [ids[k], residents[k]]) for k in names}
    officers = [
        {"name": name, "station": station, "wechat_id": ids[k], "admin": k == "赵"}
        for k, (name, station) in names.items()
    ]
    settings = settings_for(db_url, tmp_path / "media", officers)
    picture = poster(["停水通知", "周三上午八点至十二点", "请提前储水"], 1)
    digest = hashlib.sha256(picture).hexdigest()

    async with running_bot(gateway, settings, connection_log):
        for k, room in rooms.items():
            await bind(gateway, ids[k], room, "金凤派出所" if k == "李" else "兴庆派出所")
        before = {k: len(await gateway.sent(room)) for k, room in rooms.items()}

        zhao = ids["赵"]
        await gateway.post_picture(zhao, picture)
        held = await gateway.wait_sent(zhao, lambda m: "要把这条消息推送" in m["text"], within=20)
        assert "[图片]" in held["text"]
        await gateway.say(zhao, "推送")
        await gateway.wait_sent(zhao, lambda m: "请选择发到哪里" in m["text"], within=10)
        scopes = texts(await gateway.sent(zhao), lambda t: "请选择发到哪里" in t)[-1]
        assert "2. 本所全部的群（2 个）" in scopes and "全市" not in scopes
        await gateway.say(zhao, "推送 2")
        await gateway.wait_sent(zhao, lambda m: "将发往本所全部的群，共 2 个群" in m["text"])
        await gateway.say(zhao, "确认推送")

        for k in ("赵", "王"):
            await gateway.wait_sent(rooms[k], lambda m: m["kind"] == "file", within=30)
        await gateway.wait_sent(zhao, lambda m: "已发完" in m["text"], within=30)
        report = texts(await gateway.sent(zhao), lambda t: "已发完" in t)[-1]
        assert "送达 2 个群" in report

        await asyncio.sleep(1.0)  # nothing more comes
        for k, room in rooms.items():
            new = (await gateway.sent(room))[before[k] :]
            files = [m for m in new if m["kind"] == "file"]
            if k == "李":
                assert new == []  # the other station's room
            else:
                assert [m["sha256"] for m in files] == [digest]  # the very picture, once
                assert files[0]["fileName"].endswith(".png")  # named as what it is
