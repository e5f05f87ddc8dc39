"""The real bot process (`jingmin run`, PTB unchanged) against the fake Bot API server.

Bot added -> officer /bind -> FAQ answer in the group -> unknown question -> officer card
-> 修改 with a typed answer -> answer in the group as a reply to the resident -> another
ticket approved after the bot process was SIGKILLed and restarted.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import every_row, free_port
from tests.e2e.conftest import switch_to_webhook
from tests.fakes.telegram_server import FakeTelegram, SentMessage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def write_config(tmp_path: Path, db_url: str, api_base_url: str, officer_id: int) -> Path:
    """The bot's config on this test's database (already migrated when on PostgreSQL)."""
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[database]
url = "{db_url}"
[telegram]
enabled = true
api_base_url = "{api_base_url}"
[[stations]]
id = "xq"
name = "兴庆派出所"
address = "解放东街1号"
phone = "0951-6000000"
hours = "周一至周五 9:00-17:00"
[[officers]]
name = "王警官"
station = "xq"
telegram_id = "{officer_id}"
duty = true
""",
        encoding="utf-8",
    )
    return config


class BotProcess:
    def __init__(self, config: Path, token: str, log: Path) -> None:
        self.config, self.token, self.log = config, token, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = os.environ | {"JINGMIN_TELEGRAM_TOKEN": self.token}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(self.config)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.config.parent,
            )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(self.process.wait, 10)

    async def stop(self, within: float = 15.0) -> int:
        """SIGTERM and wait, off the event loop (the fake server must keep answering)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            return await asyncio.to_thread(self.process.wait, within)
        return self.process.returncode


@pytest.fixture
async def server() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def bot_log(tmp_path: Path) -> Iterator[Path]:
    log = tmp_path / "bot.log"
    yield log
    if log.exists():
        print(log.read_text(encoding="utf-8", errors="replace"))  # shown when a test fails


async def wait_polling(server: FakeTelegram) -> None:
    await server.wait_for(lambda: server.waiting_polls > 0, within=30, what="the bot polling")


async def test_full_scenario_with_a_kill_and_restart(
    server: FakeTelegram, tmp_path: Path, db_url: str, bot_log: Path
) -> None:
    officer = server.add_user("王", "警官")
    resident = server.add_user("张", "阿姨")
    group = server.add_group("幸福里社区群", members=(resident, officer))
    server.open_private_chat(officer)
    config = write_config(tmp_path, db_url, server.api_base_url, officer)
    bot = BotProcess(config, server.token, bot_log)
    bot.start()
    try:
        await wait_polling(server)
        server.add_bot_to_group(group, by_user_id=officer)
        intro = await server.wait_for_sent(group, 1, within=10)
        assert "社区警务助手" in intro[0].text

        server.user_says(group, officer, "/bind")
        bound = await server.wait_for_sent(group, 2, within=10)
        assert "兴庆派出所" in bound[-1].text

        asked = server.user_says(group, resident, "身份证丢了咋补办")
        answer = (await server.wait_for_sent(group, 3, within=10))[-1]
        assert answer.reply_to_message_id == asked["message_id"] and "40元" in answer.text

        unknown = server.user_says(
            group, resident, "小区门口的井盖松了 踩上去晃 能找人修一下吗", mention_bot=True
        )
        ack = (await server.wait_for_sent(group, 4, within=10))[-1]
        assert "工单号 #1" in ack.text
        card = (await server.wait_for_sent(officer, 1, within=10))[-1]
        assert "井盖" in card.text
        # The question is a blockquote: the resident's words, apart from the card's own.
        (quote,) = [e for e in card.entities if e["type"] == "blockquote"]
        quoted = card.text.encode("utf-16-le")[quote["offset"] * 2 :][: quote["length"] * 2]
        assert quoted.decode("utf-16-le") == "小区门口的井盖松了 踩上去晃 能找人修一下吗"
        server.press_button(officer, officer, card.message_id, "t:edit:1")
        await server.wait_for_sent(officer, 2, within=10)  # "请发送工单 #1 的回复内容"
        server.private_says(officer, "您好，井盖归市政管，我已经报给了市政热线。")
        draft = (await server.wait_for_sent(officer, 3, within=10))[-1]  # shown back
        assert "市政" in draft.text and len(server.sent_to(group)) == 4  # not posted yet
        server.press_button(officer, officer, draft.message_id, "t:send:1")  # 发送
        posted = (await server.wait_for_sent(group, 5, within=10))[-1]
        assert posted.reply_to_message_id == unknown["message_id"] and "市政" in posted.text
        await server.wait_for(
            lambda: any(e.message_id == card.message_id for e in server.edits), 10, "card edit"
        )

        case = server.user_says(
            group,
            resident,
            "孩子上户口的材料上周交了 审核到哪一步了 帮忙查下进度",
            mention_bot=True,
        )
        await server.wait_for_sent(group, 6, within=10)
        # The officer hears the first answer went out (the outbox), then gets the card.
        await server.wait_for(
            lambda: any("回复已发送到群里" in m.text for m in server.sent_to(officer)),
            10,
            "the officer told the answer went out",
        )

        def approve_cards() -> list[SentMessage]:
            return [
                m
                for m in server.sent_to(officer)
                if any(b["callback_data"] == "t:approve:2" for row in m.buttons for b in row)
            ]

        await server.wait_for(lambda: bool(approve_cards()), 10, "the second card")
        second_card = approve_cards()[-1]

        await bot.kill()  # no clean shutdown: whatever was in flight is lost with the process
        bot.start()
        await wait_polling(server)
        server.press_button(officer, officer, second_card.message_id, "t:approve:2")
        approved = (await server.wait_for_sent(group, 7, within=15))[-1]
        assert approved.reply_to_message_id == case["message_id"]
        await asyncio.sleep(1.0)  # give a wrong second answer the chance to appear
        replies = [m.reply_to_message_id for m in server.sent_to(group) if m.reply_to_message_id]
        assert replies.count(case["message_id"]) == 2  # the ticket ack, then the answer
        assert replies.count(unknown["message_id"]) == 2
        assert replies.count(asked["message_id"]) == 1
    finally:
        assert await bot.stop() == 0, "the bot did not stop cleanly on SIGTERM"
    assert server.token not in bot_log.read_text(encoding="utf-8")


async def test_rejected_token_stops_with_a_clear_message(
    server: FakeTelegram, tmp_path: Path, db_url: str
) -> None:
    config = write_config(tmp_path, db_url, server.api_base_url, 1)
    wrong = "123456:not-the-right-token"
    done = await asyncio.to_thread(  # off the loop: the fake server lives on it
        subprocess.run,
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        env=os.environ | {"JINGMIN_TELEGRAM_TOKEN": wrong},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "rejected the token" in done.stderr and "Traceback" not in done.stderr
    assert wrong not in done.stderr + done.stdout


async def test_privacy_mode_warning_at_start(tmp_path: Path, db_url: str, bot_log: Path) -> None:
    async with FakeTelegram(privacy_mode=True) as server:
        config = write_config(tmp_path, db_url, server.api_base_url, 1)
        bot = BotProcess(config, server.token, bot_log)
        bot.start()
        try:
            await wait_polling(server)
            for _ in range(50):
                if "privacy" in bot_log.read_text(encoding="utf-8"):
                    break
                await asyncio.sleep(0.1)
        finally:
            assert await bot.stop() == 0
        text = bot_log.read_text(encoding="utf-8")
        assert "telegram ready as @" in text and "privacy" in text.lower()


async def test_guard_end_to_end(
    server: FakeTelegram, tmp_path: Path, db_url: str, bot_log: Path
) -> None:
    from tests.integration.test_guard_flow import LURE, valid_id

    officer = server.add_user("王", "警官")
    resident = server.add_user("张", "阿姨")
    group = server.add_group("幸福里社区群", members=(resident, officer), with_bot=True)
    server.open_private_chat(officer)
    config = write_config(tmp_path, db_url, server.api_base_url, officer)
    bot = BotProcess(config, server.token, bot_log)
    bot.start()
    id_number = valid_id("64010419851120301")
    try:
        await wait_polling(server)
        server.user_says(group, officer, "/bind")
        await server.wait_for_sent(group, 1, within=10)

        lure = server.user_says(group, resident, LURE)
        warning = (await server.wait_for_sent(group, 2, within=10))[-1]
        assert warning.reply_to_message_id == lure["message_id"] and "96110" in warning.text
        alert = (await server.wait_for_sent(officer, 1, within=10))[-1]
        assert "刷单" in alert.text

        posted = server.user_says(group, resident, f"我的身份证号是{id_number} 麻烦看下")
        reminder = (await server.wait_for_sent(group, 3, within=10))[-1]
        assert reminder.reply_to_message_id == posted["message_id"] and "撤回" in reminder.text

        checker = server.add_user("李", "大爷")
        server.private_says(checker, f"/check {LURE}")
        verdict = (await server.wait_for_sent(checker, 1, within=10))[-1]
        assert "诈骗" in verdict.text
    finally:
        assert await bot.stop() == 0
    dump = " ".join(str(values) for _, values in every_row(db_url))
    assert "幸福里社区群" in dump  # the dump does see what the bot stored
    assert id_number not in dump
    assert id_number not in bot_log.read_text(encoding="utf-8")


async def test_command_menu_is_offered(tmp_path: Path, db_url: str, bot_log: Path) -> None:
    async with FakeTelegram() as server:
        config = write_config(tmp_path, db_url, server.api_base_url, 1)
        bot = BotProcess(config, server.token, bot_log)
        bot.start()
        try:
            await server.wait_for(lambda: bool(server.commands), within=30, what="setMyCommands")
        finally:
            assert await bot.stop() == 0
        assert {c["command"] for c in server.commands} >= {"pending", "ticket", "check"}


async def test_webhook_mode_checks_the_secret(tmp_path: Path, db_url: str, bot_log: Path) -> None:
    import aiohttp

    port = free_port()
    async with FakeTelegram() as server:
        officer = server.add_user("王", "警官")
        config = write_config(tmp_path, db_url, server.api_base_url, officer)
        switch_to_webhook(config, "https://bot.example/tg/hook", port)
        bot = BotProcess(config, server.token, bot_log)
        secret = "s3cret-token_1"
        os.environ["JINGMIN_TELEGRAM_WEBHOOK_SECRET"] = secret
        try:
            bot.start()
            await server.wait_for(lambda: server.webhook is not None, within=30, what="setWebhook")
            assert server.webhook == {"url": "https://bot.example/tg/hook", "secret_token": secret}
            private = server.open_private_chat(officer)
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": private, "type": "private", "first_name": "王"},
                    "from": server.users[officer],
                    "text": "良民证咋开",
                },
            }
            async with aiohttp.ClientSession() as http:
                url = f"http://127.0.0.1:{port}/tg/hook"
                for _ in range(100):
                    try:
                        async with http.post(url, json=update) as refused:
                            assert refused.status == 403  # no secret, no entry
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
                async with http.post(url, json=update, headers=headers) as accepted:
                    assert accepted.status == 200
            answer = (await server.wait_for_sent(private, 1, within=10))[-1]
            assert "无犯罪记录" in answer.text
        finally:
            del os.environ["JINGMIN_TELEGRAM_WEBHOOK_SECRET"]
            assert await bot.stop() == 0
        assert secret not in bot_log.read_text(encoding="utf-8")


async def test_the_answer_survives_a_bot_api_outage_and_arrives_once(
    server: FakeTelegram, tmp_path: Path, db_url: str, bot_log: Path
) -> None:
    """sendMessage to the group answers 502 twice, then 200: the officer's answer is in the
    group exactly once, and the officer is told it was sent only after it was."""
    officer = server.add_user("王", "警官")
    resident = server.add_user("张", "阿姨")
    group = server.add_group("幸福里社区群", members=(resident, officer))
    server.open_private_chat(officer)
    bot = BotProcess(
        write_config(tmp_path, db_url, server.api_base_url, officer), server.token, bot_log
    )
    bot.start()
    try:
        await wait_polling(server)
        server.add_bot_to_group(group, by_user_id=officer)
        server.user_says(group, officer, "/bind")
        await server.wait_for_sent(group, 2, within=10)
        asked = server.user_says(group, resident, "楼道里的灯坏了好几天 谁来修", mention_bot=True)
        await server.wait_for_sent(group, 3, within=10)  # the ticket's acknowledgement
        await server.wait_for_sent(officer, 1, within=10)  # the card
        server.fail_with_server_error(times=2, status=502, chat_id=group)
        server.private_says(officer, "修改 1 您好，已通知物业今天修好楼道灯。")
        posted = (await server.wait_for_sent(group, 4, within=40))[-1]
        assert posted.reply_to_message_id == asked["message_id"] and "物业" in posted.text
        await server.wait_for(
            lambda: any("回复已发送到群里" in m.text for m in server.sent_to(officer)),
            within=10,
            what="the officer told it was sent",
        )
        await asyncio.sleep(2.0)  # give a second copy the chance to appear
        answers = [m for m in server.sent_to(group) if "物业" in m.text]
        assert len(answers) == 1
        failed = [c for c in server.calls_to("sendMessage") if c.status == 502]
        assert len(failed) == 2
        rows = every_row(db_url)
        (outbox,) = [v for table, v in rows if table == "outbox" and "ticket answer" in v]
        (ticket,) = [values for table, values in rows if table == "escalation"]
        assert "sent" in outbox and "answered" in ticket
    finally:
        assert await bot.stop() == 0, "the bot did not stop cleanly on SIGTERM"


async def test_a_card_for_an_officer_who_never_started_the_bot_reaches_the_duty_officer(
    server: FakeTelegram, tmp_path: Path, db_url: str, bot_log: Path
) -> None:
    """李警官 binds the group but never opened a private chat with the bot: Telegram
    answers his card 403, so the card goes to 王警官 (on duty) with an alert saying what
    李警官 must do, and the ticket stays 李警官's."""
    duty = server.add_user("王", "警官")
    never_started = server.add_user("李", "警官")
    resident = server.add_user("张", "阿姨")
    group = server.add_group("幸福里社区群", members=(resident, never_started))
    server.open_private_chat(duty)
    config = write_config(tmp_path, db_url, server.api_base_url, duty)
    second = f'[[officers]]\nname = "李警官"\nstation = "xq"\ntelegram_id = "{never_started}"\n'
    config.write_text(config.read_text(encoding="utf-8") + second, encoding="utf-8")
    bot = BotProcess(config, server.token, bot_log)
    bot.start()
    try:
        await wait_polling(server)
        # At start the duty officer hears whom the bot cannot write to.
        (reach,) = await server.wait_for_sent(duty, 1, within=15)
        assert "机器人还不能给这些民警发私信：李警官" in reach.text
        server.add_bot_to_group(group, by_user_id=never_started)
        server.user_says(group, never_started, "/bind")
        bound = (await server.wait_for_sent(group, 2, within=10))[-1]
        assert "t.me/jingmin_test_bot?start=officer" in bound.text  # how to open the chat
        server.user_says(group, resident, "楼道里的灯坏了好几天 谁来修", mention_bot=True)
        _, card, alert = await server.wait_for_sent(duty, 3, within=15)
        assert "李警官 收不到机器人的私信" in card.text and card.buttons
        assert "机器人联系不上 李警官" in alert.text and "/start" in alert.text
        refused = [c for c in server.calls_to("sendMessage") if c.status == 403]
        assert [int(c.params["chat_id"]) for c in refused] == [never_started]
        assert server.sent_to(never_started) == []
        server.private_says(never_started, "/start officer")  # the deep link
        assert "民警指令" in (await server.wait_for_sent(never_started, 1))[0].text
        server.private_says(never_started, "待办")  # the ticket is still his
        assert "楼道里的灯" in (await server.wait_for_sent(never_started, 2))[-1].text
    finally:
        assert await bot.stop() == 0, "the bot did not stop cleanly on SIGTERM"
