"""The real WechatAdapter (python-wechaty's puppet-service client) against the Node gateway.

The gateway serves wechaty-puppet-mock over plaintext gRPC on 127.0.0.1 (see
tests/wechat_gateway); the test plays residents and officers through its control channel.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.adapters.wechat import (
    MENTION_END,
    QUOTE_SEPARATOR,
    WechatAdapter,
    WechatOptions,
    WechatSetupError,
)
from bot.adapters.wechat import client as wechat_client
from bot.runtime import lost_messages
from core.events import BotAddedToGroup, Button, ChatRef, IncomingMessage, MembersJoined, Outgoing
from core.ports import ChatGone, RetryLater
from tests.conftest import free_port
from tests.e2e.conftest import EventInbox
from tests.e2e.wechat_fixtures import (
    BOT_ID,
    BOT_NAME,
    ConnectionLog,
    WechatGateway,
    fast_wechat_options,
)

pytestmark = pytest.mark.e2e
PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def ref(chat_id: str) -> ChatRef:
    return ChatRef("wechat", chat_id)


async def room_with_resident(gateway: WechatGateway, name: str = "张伟") -> tuple[str, str]:
    """(resident id, room id) for a room the bot is in."""
    resident = await gateway.add_contact(name)
    room = await gateway.add_room("幸福小区业主群", [resident])
    return resident, room


async def test_start_logs_in_and_knows_who_it_is(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway
) -> None:
    assert wechat_adapter.connected
    assert (wechat_adapter.self_id, wechat_adapter.self_name) == (BOT_ID, BOT_NAME)
    assert (await wechat_gateway.state())["loggedIn"] is True


async def test_room_message_is_unaddressed_until_the_bot_is_mentioned(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    resident, room = await room_with_resident(wechat_gateway)

    plain_id = await wechat_gateway.say(resident, "今晚小区停水吗", room_id=room)
    plain = await inbox.next(IncomingMessage)
    assert plain.chat == ref(room)
    assert plain.message_id == plain_id
    assert (plain.text, plain.sender_id, plain.sender_name) == ("今晚小区停水吗", resident, "张伟")
    assert plain.chat_title == "幸福小区业主群"
    assert (plain.is_group, plain.addressed, plain.sender_is_bot) == (True, False, False)
    assert plain.received_at.tzinfo is not None
    assert abs(time.time() - plain.received_at.timestamp()) < 60

    await wechat_gateway.say(
        resident, f"@{BOT_NAME}{MENTION_END}明天几点恢复？", room_id=room, mention_bot=True
    )
    mentioned = await inbox.next(IncomingMessage)
    assert (mentioned.text, mentioned.addressed) == ("明天几点恢复？", True)


async def test_a_mention_only_in_the_text_still_addresses_the_bot(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    # Some puppets leave the mention list empty; "@name" in the text is all there is.
    resident, room = await room_with_resident(wechat_gateway)
    await wechat_gateway.say(resident, f"@{BOT_NAME} 电动车充电桩在哪", room_id=room)
    event = await inbox.next(IncomingMessage)
    assert (event.text, event.addressed) == ("电动车充电桩在哪", True)


async def test_mentioning_someone_else_does_not_address_the_bot(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    resident, room = await room_with_resident(wechat_gateway)
    neighbour = await wechat_gateway.add_contact("李娜")
    await wechat_gateway.say(
        resident, f"@李娜{MENTION_END}你家停水了吗", room_id=room, mention_ids=(neighbour,)
    )
    event = await inbox.next(IncomingMessage)
    assert event.addressed is False
    assert event.text == "@李娜 你家停水了吗"


async def test_quoting_the_bot_addresses_it(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    resident, room = await room_with_resident(wechat_gateway)
    quoted = f"「{BOT_NAME}：今晚22点至次日6点停水」\n{QUOTE_SEPARATOR}\n那热水器要关吗"
    await wechat_gateway.say(resident, quoted, room_id=room)
    event = await inbox.next(IncomingMessage)
    assert (event.text, event.addressed) == ("那热水器要关吗", True)


async def test_private_message_is_addressed(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    officer = await wechat_gateway.add_contact("王警官")
    message_id = await wechat_gateway.say(officer, "待办")
    event = await inbox.next(IncomingMessage)
    assert event.chat == ref(officer)
    assert (event.message_id, event.text, event.sender_name) == (message_id, "待办", "王警官")
    assert (event.is_group, event.addressed, event.chat_title) == (False, True, "")


async def test_a_posted_picture_is_an_event_and_its_bytes_are_fetched(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    """In a room (for the guard) and in private (an officer's push): the event carries the
    message id as its picture id, and fetch_picture gets the very bytes that were posted."""
    resident, room = await room_with_resident(wechat_gateway)
    in_room = PNG_HEADER + b"room" * 3000
    message_id = await wechat_gateway.post_picture(resident, in_room, room_id=room)
    posted = await inbox.next(IncomingMessage)
    assert (posted.chat, posted.picture_id, posted.text) == (ref(room), message_id, "")
    assert (posted.is_group, posted.addressed) == (True, False)
    assert await wechat_adapter.fetch_picture(posted.chat, posted.picture_id) == in_room

    in_private = PNG_HEADER + b"private" * 3000
    message_id = await wechat_gateway.post_picture(resident, in_private, name="x.jpg")
    posted = await inbox.next(IncomingMessage)
    assert (posted.chat, posted.picture_id) == (ref(resident), message_id)
    assert posted.addressed
    assert await wechat_adapter.fetch_picture(posted.chat, posted.picture_id) == in_private


async def test_a_picture_over_the_limit_is_not_read(
    wechat_adapter: WechatAdapter,
    wechat_gateway: WechatGateway,
    inbox: EventInbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wechat_client, "PICTURE_BYTES", 50_000)
    resident, room = await room_with_resident(wechat_gateway)
    # Dropped when the gateway has sent it all, and while it is still sending.
    for size in (80_000, 3_000_000):
        await wechat_gateway.post_picture(resident, PNG_HEADER + bytes(size), room_id=room)
        posted = await inbox.next(IncomingMessage)
        assert await wechat_adapter.fetch_picture(posted.chat, posted.picture_id) is None
    assert wechat_adapter.connected


async def test_being_added_to_a_room_is_an_event(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    resident = await wechat_gateway.add_contact("赵敏")
    room = await wechat_gateway.add_room("阳光花园3栋", [resident], with_bot=False)
    await wechat_gateway.add_to_room(room, [BOT_ID], resident)
    event = await inbox.next(BotAddedToGroup)
    assert event.chat == ref(room)
    assert (event.title, event.added_by_id) == ("阳光花园3栋", resident)

    # Someone else joining is not about the bot: it is people to welcome.
    other = await wechat_gateway.add_contact("钱七")
    await wechat_gateway.add_to_room(room, [other], resident)
    joined = await inbox.next(MembersJoined)
    assert (joined.chat, joined.names) == (ref(room), ("钱七",))
    await wechat_gateway.say(resident, "欢迎", room_id=room)
    assert (await inbox.next(IncomingMessage)).text == "欢迎"
    assert not [e for e in inbox.events if isinstance(e, BotAddedToGroup)]


async def test_answer_in_a_room_mentions_the_resident(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    resident, room = await room_with_resident(wechat_gateway)
    sent = await wechat_adapter.send(
        Outgoing(ref(room), "明早6点恢复供水。", mention_id=resident, mention_name="张伟")
    )
    seen = await wechat_gateway.wait_sent(room)
    assert seen["text"] == f"@张伟{MENTION_END}明早6点恢复供水。"
    assert (seen["mentionIds"], seen["isRoom"]) == ([resident], True)
    assert sent.chat == ref(room)
    assert sent.message_id == seen["id"]

    # Without a name the adapter asks the gateway for the resident's name in that room.
    await wechat_adapter.send(Outgoing(ref(room), "请关注物业通知。", mention_id=resident))
    second = await wechat_gateway.wait_sent(room, lambda m: "物业" in m["text"])
    assert second["text"] == f"@张伟{MENTION_END}请关注物业通知。"

    # WeChat echoes the bot's own messages; they are not events.
    await wechat_gateway.say(resident, "收到", room_id=room)
    assert (await inbox.next(IncomingMessage)).text == "收到"
    assert not inbox.events


async def test_private_message_to_an_officer_keeps_the_buttons_as_text(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway
) -> None:
    officer = await wechat_gateway.add_contact("王警官")
    card = Outgoing(
        ref(officer),
        "📨 工单 #12（需要民警回复）\n文字指令：修改 12 回复内容 ｜ 驳回 12 理由",
        buttons=(
            (Button("修改", "t:edit:12"), Button("驳回", "t:reject:12")),
            (Button("加入FAQ", "t:faq:12"),),
        ),
        tag="card:12",
    )
    first = await wechat_adapter.send(card)
    seen = await wechat_gateway.wait_sent(officer)
    assert seen["isRoom"] is False
    assert seen["text"].startswith("📨 工单 #12")
    assert seen["text"].endswith("\n回复：加入FAQ 12")

    # WeChat cannot edit: the update is a new message.
    done = Outgoing(ref(officer), "工单 #12：已驳回（王警官）", edit_message_id=first.message_id)
    second = await wechat_adapter.send(done)
    assert second.message_id != first.message_id
    assert len(await wechat_gateway.sent(officer)) == 2


async def test_a_resident_message_cannot_be_deleted_and_nothing_is_sent(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    resident, room = await room_with_resident(wechat_gateway)
    lure = await wechat_gateway.say(resident, "加我领补贴", room_id=room)
    await inbox.next(IncomingMessage)
    sent = await wechat_adapter.send(Outgoing(ref(room), "", delete_message_id=lure))
    assert sent.message_id == lure
    assert await wechat_gateway.sent(room) == []


async def test_sending_to_a_room_the_gateway_does_not_know_is_chat_gone(
    wechat_adapter: WechatAdapter,
) -> None:
    with pytest.raises(ChatGone):
        await wechat_adapter.send(Outgoing(ref("404404@chatroom"), "有人吗"))


async def test_a_refused_token_fails_start_at_once(wechat_gateway: WechatGateway) -> None:
    adapter = WechatAdapter(wechat_gateway.endpoint, "wrong", options=fast_wechat_options())
    started = time.monotonic()
    with pytest.raises(WechatSetupError, match="refused the token"):
        await adapter.start(EventInbox())
    assert time.monotonic() - started < 5


async def test_an_unreachable_gateway_fails_start_and_leaves_the_loop_running(
    wechat_gateway_installed: None,
) -> None:
    # python-wechaty's Wechaty.start() would call loop.stop() here.
    options = WechatOptions(connect_timeout=1.0, login_timeout=1.5, backoff_initial=0.2)
    adapter = WechatAdapter(f"127.0.0.1:{free_port()}", "token", options=options)
    with pytest.raises(WechatSetupError, match="cannot reach the gateway"):
        await adapter.start(EventInbox())
    await asyncio.sleep(0)  # still running
    assert asyncio.get_running_loop().is_running()


async def test_logout_and_login_are_reported_and_events_resume(
    wechat_adapter: WechatAdapter,
    wechat_gateway: WechatGateway,
    inbox: EventInbox,
    connection_log: ConnectionLog,
) -> None:
    resident, room = await room_with_resident(wechat_gateway)
    await wechat_gateway.logout()
    assert "logged out" in await connection_log.wait_for(False)
    assert not wechat_adapter.connected
    with pytest.raises(RetryLater):
        await wechat_adapter.send(Outgoing(ref(room), "测试"))

    await wechat_gateway.login()
    assert "logged in" in await connection_log.wait_for(True)
    await wechat_gateway.say(resident, "还在吗", room_id=room)
    assert (await inbox.next(IncomingMessage)).text == "还在吗"
    await wechat_adapter.send(Outgoing(ref(room), "在的"))
    assert (await wechat_gateway.wait_sent(room))["text"] == "在的"


async def test_start_waits_for_the_account_to_log_in(wechat_gateway: WechatGateway) -> None:
    await wechat_gateway.logout()
    try:
        options = WechatOptions(connect_timeout=2.0, login_timeout=1.5, backoff_initial=0.2)
        adapter = WechatAdapter(wechat_gateway.endpoint, wechat_gateway.token, options=options)
        with pytest.raises(WechatSetupError, match="not logged in"):
            await adapter.start(EventInbox())
    finally:
        await wechat_gateway.login()


async def test_a_frozen_gateway_is_found_out_by_ding(
    wechat_gateway: WechatGateway, inbox: EventInbox, connection_log: ConnectionLog
) -> None:
    # SIGSTOP keeps the TCP connection open but nothing answers: only the watchdog sees it.
    options = WechatOptions(
        connect_timeout=1.0,
        call_timeout=1.0,
        ready_grace=0.5,
        backoff_initial=0.2,
        backoff_max=0.5,
        ping_interval=0.5,
        ping_timeout=2.5,  # the mock puppet answers a ding after 1 s
    )
    adapter = WechatAdapter(
        wechat_gateway.endpoint,
        wechat_gateway.token,
        options=options,
        on_connection_change=connection_log,
    )
    await adapter.start(inbox)
    assert wechat_gateway.process is not None
    try:
        resident, room = await room_with_resident(wechat_gateway)
        await asyncio.sleep(3.5)  # idle: dings are answered, the connection stays up
        assert adapter.connected
        assert [up for up, _ in connection_log.changes] == [True]  # the first connection

        wechat_gateway.process.send_signal(signal.SIGSTOP)
        try:
            assert "ding" in await connection_log.wait_for(False, within=5)
        finally:
            wechat_gateway.process.send_signal(signal.SIGCONT)
        await connection_log.wait_for(True, within=10)
        await wechat_gateway.say(resident, "醒了吗", room_id=room)
        assert (await inbox.next(IncomingMessage)).text == "醒了吗"
    finally:
        await adapter.stop()


async def test_the_gateway_dies_and_comes_back(
    wechat_gateway_of_my_own: WechatGateway,
    inbox: EventInbox,
    connection_log: ConnectionLog,
    tmp_path: Path,
) -> None:
    gateway = wechat_gateway_of_my_own
    adapter = WechatAdapter(
        gateway.endpoint,
        gateway.token,
        options=fast_wechat_options(),
        on_connection_change=connection_log,
    )
    await adapter.start(inbox)
    try:
        resident, room = await room_with_resident(gateway)
        await gateway.say(resident, "第一条", room_id=room)
        assert (await inbox.next(IncomingMessage)).text == "第一条"

        gateway.kill()
        reason = await connection_log.wait_for(False)
        assert "lost the gateway" in reason or "closed" in reason
        with pytest.raises(RetryLater):
            await adapter.send(Outgoing(ref(room), "断线中"))

        await asyncio.to_thread(gateway.start)  # same port, account and rooms (state file)
        await connection_log.wait_for(True, within=30)
        assert adapter.connected

        await gateway.say(resident, "@警民助手\u2005恢复了吗", room_id=room, mention_bot=True)
        event = await inbox.next(IncomingMessage, within=10)
        assert (event.text, event.addressed, event.chat) == ("恢复了吗", True, ref(room))
        await adapter.send(
            Outgoing(ref(room), "恢复了。", mention_id=resident, mention_name="张伟")
        )
        seen = await gateway.wait_sent(room)
        assert (seen["text"], seen["mentionIds"]) == (f"@张伟{MENTION_END}恢复了。", [resident])
    finally:
        await adapter.stop()


async def test_a_message_whose_payload_comes_late_is_read_again(
    wechat_adapter: WechatAdapter, wechat_gateway: WechatGateway, inbox: EventInbox
) -> None:
    """A gateway that just restarted announces a message before it can give its payload
    ("no payload found"): it is read again after a short wait, and the messages after it
    are not held up meanwhile."""
    resident, room = await room_with_resident(wechat_gateway)
    await wechat_gateway.delay_payloads(1.5)
    try:
        late_id = await wechat_gateway.say(resident, "身份证丢了咋补办", room_id=room)
    finally:
        await wechat_gateway.delay_payloads(0)
    await wechat_gateway.say(resident, "今晚小区停水吗", room_id=room)
    assert (await inbox.next(IncomingMessage, within=5)).text == "今晚小区停水吗"
    late = await inbox.next(IncomingMessage, within=15)
    assert (late.message_id, late.text, late.chat) == (late_id, "身份证丢了咋补办", ref(room))
    await asyncio.sleep(1.0)
    assert not [e for e in inbox.events if isinstance(e, IncomingMessage)]  # once
    assert wechat_adapter.lost_messages == 0


async def test_a_message_whose_payload_never_comes_is_counted_lost(
    wechat_gateway: WechatGateway, inbox: EventInbox, caplog: pytest.LogCaptureFixture
) -> None:
    options = dataclasses.replace(
        fast_wechat_options(), payload_retry_initial=0.1, payload_retry_max=0.2, payload_attempts=3
    )
    adapter = WechatAdapter(wechat_gateway.endpoint, wechat_gateway.token, options=options)
    await adapter.start(inbox)
    try:
        resident, room = await room_with_resident(wechat_gateway, "李娜")
        await wechat_gateway.delay_payloads(60)
        try:
            lost_id = await wechat_gateway.say(resident, "派出所几点下班", room_id=room)
            await asyncio.sleep(3.0)  # three tries 0.1-0.2 s apart, then given up
        finally:
            await wechat_gateway.delay_payloads(0)
        assert adapter.lost_messages == 1
        # /metrics sums it over every account, each under its limiter
        limited = SimpleNamespace(adapter=adapter)
        assert lost_messages([limited, SimpleNamespace(accounts={"a": limited})]) == 2
        assert not [e for e in inbox.events if isinstance(e, IncomingMessage)]
        assert f"message {lost_id} lost" in caplog.text
        await wechat_gateway.say(resident, "好的谢谢", room_id=room)  # the next one arrives
        assert (await inbox.next(IncomingMessage, within=5)).text == "好的谢谢"
    finally:
        await adapter.stop()
