"""The real PTB-based TelegramAdapter against the fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from bot.adapters.telegram import (
    ALLOWED_UPDATES,
    PRIVACY_MODE_WARNING,
    PollingOptions,
    TelegramAdapter,
    TelegramSetupError,
)
from bot.observability import PrivacyFilter
from core.events import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    Button,
    ButtonPress,
    ChatMigrated,
    ChatRef,
    Event,
    IncomingMessage,
    Outgoing,
)
from core.ports import ChatGone, ChatMovedTo, RetryLater
from tests.conftest import free_port
from tests.e2e.conftest import FAST_POLLING, EventInbox
from tests.fakes.telegram_server import FakeTelegram

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def ref(chat_id: int) -> ChatRef:
    return ChatRef("telegram", str(chat_id))


def group_with_bot(fake: FakeTelegram) -> tuple[int, int]:
    """(resident id, group id) for a group the bot is already in."""
    resident = fake.add_user("伟", "张", username="zhangwei_sh")
    group = fake.add_group("幸福小区业主群", members=[resident], with_bot=True)
    return resident, group


async def test_start_reads_identity_and_polls_for_our_update_types(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    assert telegram_adapter.bot_id == fake_telegram.bot_id
    assert telegram_adapter.bot_username == "jingmin_test_bot"
    assert fake_telegram.calls_to("getMe")[0].status == 200
    await fake_telegram.wait_for(lambda: fake_telegram.waiting_polls > 0, what="a long poll")
    # PTB sends allowed_updates with every getUpdates; the fake remembers the last list.
    assert fake_telegram.allowed_updates == frozenset(ALLOWED_UPDATES)


async def test_group_message_is_unaddressed_until_the_bot_is_mentioned(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram, inbox: EventInbox
) -> None:
    resident, group = group_with_bot(fake_telegram)

    plain = fake_telegram.user_says(group, resident, "今晚小区停水吗")
    event = await inbox.next(IncomingMessage)
    assert event.chat == ref(group)
    assert event.message_id == str(plain["message_id"])
    assert event.text == "今晚小区停水吗"
    assert event.sender_id == str(resident)
    assert event.sender_name == "伟 张"
    assert event.chat_title == "幸福小区业主群"
    assert (event.is_group, event.addressed, event.sender_is_bot) == (True, False, False)
    assert event.received_at.tzinfo is not None

    fake_telegram.user_says(group, resident, "请问居住证怎么办", mention_bot=True)
    event = await inbox.next(IncomingMessage)
    assert event.addressed is True
    assert event.text == "请问居住证怎么办"


async def test_reply_to_the_bot_is_addressed(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram, inbox: EventInbox
) -> None:
    resident, group = group_with_bot(fake_telegram)
    sent = await telegram_adapter.send(Outgoing(ref(group), "您好，我是社区警务助手。"))

    fake_telegram.user_says(group, resident, "周末也能办吗", reply_to=int(sent.message_id))
    event = await inbox.next(IncomingMessage)
    assert event.addressed is True
    assert event.reply_to_message_id == sent.message_id


async def test_private_message_is_addressed(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram, inbox: EventInbox
) -> None:
    resident = fake_telegram.add_user("芳", "王")
    fake_telegram.private_says(resident, "你好")
    event = await inbox.next(IncomingMessage)
    assert event.chat == ref(resident)
    assert (event.is_group, event.addressed) == (False, True)


async def test_send_as_a_reply_carries_reply_parameters(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    resident, group = group_with_bot(fake_telegram)
    question = fake_telegram.user_says(group, resident, "身份证丢了怎么办")

    sent = await telegram_adapter.send(
        Outgoing(ref(group), "请到派出所挂失补办。", reply_to=str(question["message_id"]))
    )

    [record] = fake_telegram.sent_to(group)
    assert sent.chat == ref(group)
    assert sent.message_id == str(record.message_id)
    assert record.reply_to_message_id == question["message_id"]
    assert record.text == "请到派出所挂失补办。"
    params = fake_telegram.calls_to("sendMessage")[-1].params
    assert params["reply_parameters"] == {
        "message_id": question["message_id"],
        "allow_sending_without_reply": True,
    }
    stored = fake_telegram.message(group, record.message_id)
    assert stored["reply_to_message"]["text"] == "身份证丢了怎么办"


async def test_reply_to_a_deleted_message_is_still_sent(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    _, group = group_with_bot(fake_telegram)
    await telegram_adapter.send(Outgoing(ref(group), "答复", reply_to="9999"))
    [record] = fake_telegram.sent_to(group)
    assert record.reply_to_message_id is None


async def test_buttons_and_a_press_round_trip(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram, inbox: EventInbox
) -> None:
    officer = fake_telegram.add_user("警官", "李")
    fake_telegram.open_private_chat(officer)
    buttons = ((Button("批准", "t:approve:12"), Button("驳回", "t:reject:12")),)

    card = await telegram_adapter.send(Outgoing(ref(officer), "工单 #12", buttons=buttons))

    [record] = fake_telegram.sent_to(officer)
    assert record.buttons == [
        [
            {"text": "批准", "callback_data": "t:approve:12"},
            {"text": "驳回", "callback_data": "t:reject:12"},
        ]
    ]
    query_id = fake_telegram.press_button(officer, officer, int(card.message_id), "t:approve:12")
    press = await inbox.next(ButtonPress)
    assert press.chat == ref(officer)
    assert press.sender_id == str(officer)
    assert press.sender_name == "警官 李"
    assert press.data == "t:approve:12"
    assert press.message_id == card.message_id
    assert press.callback_id == query_id

    # The adapter answers every callback itself once the handler is done (the spinner
    # on the officer's phone stops); a second answer is refused and shrugged off.
    await fake_telegram.wait_for(
        lambda: any(a.callback_query_id == query_id for a in fake_telegram.callback_answers)
    )
    assert await telegram_adapter.answer_callback(press.callback_id) is False


async def test_edit_replaces_text_and_removes_the_keyboard(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    officer = fake_telegram.add_user("警官", "李")
    fake_telegram.open_private_chat(officer)
    card = await telegram_adapter.send(
        Outgoing(ref(officer), "工单 #12", buttons=((Button("批准", "t:approve:12"),),))
    )

    outcome = Outgoing(ref(officer), "工单 #12：已批准（李警官）", edit_message_id=card.message_id)
    edited = await telegram_adapter.send(outcome)

    assert edited == card
    message = fake_telegram.message(officer, int(card.message_id))
    assert message["text"] == "工单 #12：已批准（李警官）"
    assert "reply_markup" not in message
    assert len(fake_telegram.edits) == 1
    assert len(fake_telegram.sent_to(officer)) == 1  # edited, not sent again
    # Replaying the same edit (e.g. after a restart) is a success, not an error.
    assert await telegram_adapter.send(outcome) == card


# PTB itself reads RetryAfter.retry_after while constructing the error (22.2 deprecation).
@pytest.mark.filterwarnings("ignore:.*retry_after:DeprecationWarning")
async def test_flood_control_becomes_retry_later_with_telegrams_seconds(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    _, group = group_with_bot(fake_telegram)
    other = fake_telegram.add_group("阳光花园邻里群", with_bot=True)
    fake_telegram.fail_with_429(times=1, retry_after=7, chat_id=group)

    await telegram_adapter.send(Outgoing(ref(other), "不受影响"))
    with pytest.raises(RetryLater) as caught:
        await telegram_adapter.send(Outgoing(ref(group), "通知"))
    assert caught.value.retry_after == 7
    await telegram_adapter.send(Outgoing(ref(group), "通知"))
    assert [s.text for s in fake_telegram.sent_to(group)] == ["通知"]


async def test_forbidden_becomes_chat_gone(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    _, group = group_with_bot(fake_telegram)
    fake_telegram.fail_with_403(group)
    with pytest.raises(ChatGone, match="kicked"):
        await telegram_adapter.send(Outgoing(ref(group), "通知"))


async def test_unknown_chat_becomes_chat_gone(telegram_adapter: TelegramAdapter) -> None:
    with pytest.raises(ChatGone, match=r"(?i)chat not found"):
        await telegram_adapter.send(Outgoing(ref(-4999999999), "通知"))


async def test_bot_added_and_kicked(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram, inbox: EventInbox
) -> None:
    officer = fake_telegram.add_user("警官", "李")
    group = fake_telegram.add_group("幸福小区业主群", members=[officer])

    fake_telegram.add_bot_to_group(group, officer)
    added = await inbox.next(BotAddedToGroup)
    assert added.chat == ref(group)
    assert added.title == "幸福小区业主群"
    assert added.added_by_id == str(officer)
    # The "new_chat_members" service message that follows is not an IncomingMessage.
    fake_telegram.user_says(group, officer, "欢迎")
    assert (await inbox.next(IncomingMessage)).text == "欢迎"

    fake_telegram.remove_bot_from_group(group, officer)
    removed = await inbox.next(BotRemovedFromGroup)
    assert removed.chat == ref(group)
    with pytest.raises(ChatGone):
        await telegram_adapter.send(Outgoing(ref(group), "还在吗"))


async def test_migration_to_supergroup(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram, inbox: EventInbox
) -> None:
    _, group = group_with_bot(fake_telegram)

    new_id = fake_telegram.migrate_to_supergroup(group)
    migrated = await inbox.next(ChatMigrated)
    assert (migrated.old, migrated.new) == (ref(group), ref(new_id))

    with pytest.raises(ChatMovedTo) as caught:
        await telegram_adapter.send(Outgoing(ref(group), "通知"))
    assert caught.value.new_chat_id == str(new_id)
    await telegram_adapter.send(Outgoing(ref(new_id), "通知"))
    assert len(fake_telegram.sent_to(new_id)) == 1


async def test_delete_needs_admin_rights(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    resident, group = group_with_bot(fake_telegram)
    lure = fake_telegram.user_says(group, resident, "点击链接领取补贴")

    assert await telegram_adapter.delete_message(ref(group), str(lure["message_id"])) is False
    fake_telegram.promote(group, fake_telegram.bot_id)
    assert await telegram_adapter.delete_message(ref(group), str(lure["message_id"])) is True
    assert fake_telegram.deleted == [(group, lure["message_id"])]


async def test_set_commands(telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram) -> None:
    await telegram_adapter.set_commands([("pending", "待处理工单"), ("ticket", "查看工单")])
    assert fake_telegram.commands == [
        {"command": "pending", "description": "待处理工单"},
        {"command": "ticket", "description": "查看工单"},
    ]


async def test_privacy_mode_is_reported_and_hides_plain_group_messages(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram, inbox: EventInbox
) -> None:
    assert await telegram_adapter.check_setup() == []

    fake_telegram.set_privacy_mode(True)
    assert await telegram_adapter.check_setup() == [PRIVACY_MODE_WARNING]
    assert "/setprivacy" in PRIVACY_MODE_WARNING

    resident, group = group_with_bot(fake_telegram)
    fake_telegram.user_says(group, resident, "没人看得见我")
    fake_telegram.user_says(group, resident, "你看得见我", mention_bot=True)
    assert (await inbox.next(IncomingMessage)).text == "你看得见我"
    assert inbox.events == []


async def test_wrong_token_is_a_setup_error_without_the_token(
    fake_telegram: FakeTelegram, inbox: EventInbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(PrivacyFilter())  # as on the root handler of `jingmin run`
    wrong = "6543210987:WrongTokenWrongTokenWrongToken-xyz"
    adapter = TelegramAdapter(wrong, api_base_url=fake_telegram.api_base_url, polling=FAST_POLLING)

    with pytest.raises(TelegramSetupError) as caught:
        await adapter.start(inbox)

    message = str(caught.value)
    assert message.startswith("Telegram rejected the token in JINGMIN_TELEGRAM_TOKEN")
    assert wrong not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert wrong not in caplog.text
    assert fake_telegram.calls_to("getMe")[0].status == 401
    await adapter.stop()  # harmless after a failed start


async def test_unreachable_api_is_a_setup_error(inbox: EventInbox) -> None:
    port = free_port()  # nobody listens on it
    adapter = TelegramAdapter(
        "6543210987:AAFakeTokenForTestsOnly-0123456789abcd",
        api_base_url=f"http://127.0.0.1:{port}/bot",
        polling=PollingOptions(request_timeout=2.0),
    )
    with pytest.raises(TelegramSetupError, match="cannot reach the Telegram Bot API"):
        await adapter.start(inbox)


async def test_the_token_never_reaches_the_logs(
    fake_telegram: FakeTelegram, inbox: EventInbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(PrivacyFilter())  # as on the root handler of `jingmin run`
    adapter = TelegramAdapter(
        fake_telegram.token, api_base_url=fake_telegram.api_base_url, polling=FAST_POLLING
    )
    await adapter.start(inbox)
    resident, group = group_with_bot(fake_telegram)
    fake_telegram.user_says(group, resident, "你好", mention_bot=True)
    await inbox.next(IncomingMessage)
    await adapter.send(Outgoing(ref(group), "您好"))
    await adapter.stop()

    assert caplog.records, "PTB logged nothing at DEBUG: the check below proves nothing"
    assert "<token>" in caplog.text  # PTB's URL debug line was there, redacted
    assert fake_telegram.token not in caplog.text
    assert fake_telegram.token.split(":")[1] not in caplog.text


async def test_a_failing_handler_does_not_stop_polling(
    fake_telegram: FakeTelegram, inbox: EventInbox, caplog: pytest.LogCaptureFixture
) -> None:
    async def fragile(event: Event) -> None:
        if isinstance(event, IncomingMessage) and event.text == "炸":
            raise RuntimeError("handler bug")
        await inbox(event)

    adapter = TelegramAdapter(
        fake_telegram.token, api_base_url=fake_telegram.api_base_url, polling=FAST_POLLING
    )
    await adapter.start(fragile)
    try:
        resident, group = group_with_bot(fake_telegram)
        fake_telegram.user_says(group, resident, "炸")
        fake_telegram.user_says(group, resident, "还活着吗")
        assert (await inbox.next(IncomingMessage)).text == "还活着吗"
        assert "handling IncomingMessage failed" in caplog.text
    finally:
        await adapter.stop()


async def test_stop_is_prompt_during_a_long_poll_and_confirms_updates(
    fake_telegram: FakeTelegram, inbox: EventInbox
) -> None:
    adapter = TelegramAdapter(
        fake_telegram.token,
        api_base_url=fake_telegram.api_base_url,
        polling=PollingOptions(long_poll_seconds=30.0, request_timeout=5.0),
    )
    await adapter.start(inbox)
    resident, group = group_with_bot(fake_telegram)
    fake_telegram.user_says(group, resident, "第一条")
    await inbox.next(IncomingMessage)
    await fake_telegram.wait_for(lambda: fake_telegram.waiting_polls > 0, what="a long poll")

    started = time.monotonic()
    await adapter.stop()
    assert time.monotonic() - started < 1.0
    assert fake_telegram.pending_updates == []  # what we handled is confirmed to Telegram


async def test_messages_sent_while_down_arrive_after_start(
    fake_telegram: FakeTelegram, inbox: EventInbox
) -> None:
    resident, group = group_with_bot(fake_telegram)
    fake_telegram.user_says(group, resident, "有人吗")  # the bot is not running yet
    adapter = TelegramAdapter(
        fake_telegram.token, api_base_url=fake_telegram.api_base_url, polling=FAST_POLLING
    )
    await adapter.start(inbox)
    try:
        assert (await inbox.next(IncomingMessage)).text == "有人吗"
    finally:
        await adapter.stop()


async def test_standalone_server_in_another_process(tmp_path: Path, inbox: EventInbox) -> None:
    state = tmp_path / "fake.json"
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.fakes.telegram_server", "--port", "0", "--state", str(state),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        # It prints its address (and writes it to --state) once it is listening.
        line = await asyncio.wait_for(server.stdout.readline(), 10)
        address = json.loads(line)
        assert json.loads(state.read_text(encoding="utf-8")) == address
        adapter = TelegramAdapter(
            address["token"], api_base_url=address["base_url"], polling=FAST_POLLING
        )
        await adapter.start(inbox)
        try:
            async with aiohttp.ClientSession(address["control_url"]) as control:

                async def call(helper: str, **kwargs: object) -> object:
                    async with control.post(helper, json=kwargs) as response:
                        assert response.status == 200, await response.text()
                        return (await response.json())["result"]

                resident = await call("add_user", first_name="伟", last_name="张")
                group = await call("add_group", title="幸福小区业主群", with_bot=True)
                await call("user_says", chat_id=group, user_id=resident, text="停水吗")
                event = await inbox.next(IncomingMessage)
                await adapter.send(Outgoing(event.chat, "今晚不停水", reply_to=event.message_id))
                async with control.get("sent", params={"chat_id": str(group)}) as response:
                    sent = await response.json()
            assert [s["text"] for s in sent] == ["今晚不停水"]
        finally:
            await adapter.stop()
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 5) == 0
        final = json.loads(state.read_text(encoding="utf-8"))
        assert [s["text"] for s in final["sent"]] == ["今晚不停水"]
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()


async def test_a_picture_goes_out_as_a_photo_with_its_caption(
    telegram_adapter: TelegramAdapter, fake_telegram: FakeTelegram
) -> None:
    officer = fake_telegram.add_user("警官", "李")
    fake_telegram.open_private_chat(officer)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    sent = await telegram_adapter.send(Outgoing(ref(officer), "周报", image_png=png))
    assert fake_telegram.photos == [(officer, png)]
    assert fake_telegram.sent_to(officer)[-1].text == "周报"
    assert sent.message_id == str(fake_telegram.sent_to(officer)[-1].message_id)
