"""An officer's alert from the phone, end to end: the real bot process (`jingmin run`)
against the fake Bot API. The station admin forwards a picture with a caption, taps 推送,
picks the station, confirms: every group of the station gets it once, the other station's
group nothing, and the admin a report. An officer without rights is offered his own
groups only, never the station or the city."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_telegram_bot import BotProcess, bot_log, server, wait_polling
from tests.fakes.telegram_server import FakeTelegram, SentMessage

__all__ = ["bot_log", "server"]  # the fixtures, shared
pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NOTICE = "【寻人】王某某，男，78岁，今早在丽景街走失，身穿蓝色外套。请见到的居民拨打110。"


def write_config(tmp_path: Path, db_url: str, api: str, ids: dict[str, int]) -> Path:
    config = tmp_path / "config.toml"
    station = 'address = "解放东街1号"\nphone = "0951-6000000"\nhours = "9-17"'
    config.write_text(
        f"""
[database]
url = "{db_url}"
[telegram]
enabled = true
api_base_url = "{api}"
[broadcasts]
media_dir = "{tmp_path / "media"}"
[[stations]]
id = "xq"
name = "兴庆派出所"
{station}
[[stations]]
id = "jf"
name = "金凤派出所"
{station}
[[officers]]
name = "赵所长"
station = "xq"
telegram_id = "{ids["赵"]}"
admin = true
[[officers]]
name = "王警官"
station = "xq"
telegram_id = "{ids["王"]}"
[[officers]]
name = "李警官"
station = "jf"
telegram_id = "{ids["李"]}"
""",
        encoding="utf-8",
    )
    return config


def buttons_of(message: SentMessage) -> list[str]:
    return [b["callback_data"] for row in message.buttons for b in row]


async def test_a_station_admins_forwarded_picture_reaches_the_station_only(
    server: FakeTelegram, tmp_path: Path, db_url: str, bot_log: Path
) -> None:
    ids = {name: server.add_user(name, "警官") for name in ("赵", "王", "李")}
    groups = {
        name: server.add_group(f"{name}的小区群", members=(ids[name],))
        for name in ("赵", "王", "李")
    }
    for user in ids.values():
        server.open_private_chat(user)
    bot = BotProcess(
        write_config(tmp_path, db_url, server.api_base_url, ids), server.token, bot_log
    )
    bot.start()
    try:
        await wait_polling(server)
        for name, group in groups.items():
            server.add_bot_to_group(group, by_user_id=ids[name])
            await server.wait_for_sent(group, 1, within=10)
            server.user_says(group, ids[name], "/bind")
            await server.wait_for_sent(group, 2, within=10)

        # An officer without rights: his own group only, never the station or the city.
        wang = ids["王"]
        before = len(server.sent_to(wang))
        server.private_says(wang, "今晚小区停水，请大家提前储水。")
        await server.wait_for_sent(wang, before + 1, within=10)  # the preview
        server.private_says(wang, "推送")
        offer = (await server.wait_for_sent(wang, before + 2, within=10))[-1]
        assert "将发往我负责的群，共 1 个群" in offer.text
        assert "本所" not in offer.text and "全市" not in offer.text
        server.private_says(wang, "取消")
        await server.wait_for_sent(wang, before + 3, within=10)

        # The station admin forwards a picture with a caption.
        zhao = ids["赵"]
        before = len(server.sent_to(zhao))
        photo = [{"file_id": "AgACforwarded-1", "file_unique_id": "f1", "width": 1280,
                  "height": 960, "file_size": 180_000}]  # fmt: skip
        server.files["AgACforwarded-1"] = b"\xff\xd8\xff" + bytes(2000)  # Telegram has it
        server.user_sends(zhao, zhao, photo=photo, caption=NOTICE)
        held = (await server.wait_for_sent(zhao, before + 1, within=10))[-1]
        assert "[图片]" in held.text and NOTICE in held.text
        assert buttons_of(held) == ["a:push:2:", "a:urgent:2:"]

        server.press_button(zhao, zhao, held.message_id, "a:push:2:")
        await server.wait_for(
            lambda: "请选择发到哪里" in server.message(zhao, held.message_id)["text"],
            10,
            "the scopes on the card",
        )
        card = server.message(zhao, held.message_id)
        assert "1. 我负责的群（1 个）" in card["text"] and "2. 本所全部的群（2 个）" in card["text"]
        assert "全市" not in card["text"]
        server.press_button(zhao, zhao, held.message_id, "a:scope:2:2")
        await server.wait_for(
            lambda: (
                "将发往本所全部的群，共 2 个群" in server.message(zhao, held.message_id)["text"]
            ),
            10,
            "the confirmation",
        )
        assert all(len(server.sent_to(g)) == 2 for g in groups.values())  # nothing yet
        server.press_button(zhao, zhao, held.message_id, "a:confirm:2:")

        await server.wait_for(
            lambda: all(len(server.sent_to(groups[n])) == 3 for n in ("赵", "王")),
            20,
            "the alert in the station's groups",
        )
        for name in ("赵", "王"):
            sent = server.sent_to(groups[name])[-1]
            assert (sent.media, sent.file_id, sent.text) == ("photo", "AgACforwarded-1", NOTICE)
        # The officer's own file_id went to every group: nothing downloaded, nothing uploaded.
        assert server.uploads == [] and server.calls_to("getFile") == []
        await server.wait_for(
            lambda: any("已发完" in m.text for m in server.sent_to(zhao)), 20, "the report"
        )
        report = [m for m in server.sent_to(zhao) if "已发完" in m.text][-1]
        assert "推送 #2" in report.text and "送达 2 个群" in report.text
        assert len(server.sent_to(groups["李"])) == 2  # the other station: nothing
        for name in ("赵", "王"):
            assert len(server.sent_to(groups[name])) == 3  # once each
    finally:
        assert await bot.stop() == 0, "the bot did not stop cleanly on SIGTERM"
