"""The WeChat adapter's pure half: gateway values -> events, Outgoing -> text."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip(
    "wechaty_puppet_service",
    reason="the `wechat` extra is not installed (pip install -e '.[wechat]')",
)

from bot.adapters.wechat import (
    MENTION_END,
    QUOTE_SEPARATOR,
    TEXT_MESSAGE_TYPE,
    Identity,
    WechatAdapter,
    WechatMessage,
    WechatSetupError,
    default_button_command,
    is_room_id,
    mention_text,
    outgoing_text,
    parse_endpoint,
    room_join_event,
    room_leave_event,
    split_quote,
    strip_mentions,
    timestamp_to_datetime,
    to_event,
)
from bot.adapters.wechat.client import _RawEvent
from bot.adapters.wechat.supervisor import _backoff
from bot.observability import PrivacyFilter
from core.events import (
    QUOTED_BOT,
    BotAddedToGroup,
    BotRemovedFromGroup,
    Button,
    ChatRef,
    IncomingMessage,
    Outgoing,
)
from core.ports import RetryLater

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ME = Identity("wxid_bot", ("警民助手",))
ROOM = "12345@chatroom"


def room_msg(text: str, **changes: Any) -> WechatMessage:
    values: dict[str, Any] = {
        "message_id": "m1",
        "talker_id": "wxid_zhang",
        "talker_name": "张伟",
        "text": text,
        "room_id": ROOM,
        "room_topic": "幸福小区业主群",
        "timestamp": 1_795_891_265_762,
    }
    values.update(changes)
    return WechatMessage(**values)


def event(msg: WechatMessage, me: Identity = ME) -> IncomingMessage:
    result = to_event(msg, me=me, now=NOW)
    assert result is not None
    return result


# -- incoming ----------------------------------------------------------------------------


def test_plain_room_message_is_unaddressed() -> None:
    got = event(room_msg("今晚小区停水吗"))
    assert got.chat == ChatRef("wechat", ROOM)
    assert (got.sender_id, got.sender_name, got.message_id) == ("wxid_zhang", "张伟", "m1")
    assert (got.text, got.is_group, got.addressed) == ("今晚小区停水吗", True, False)
    assert got.chat_title == "幸福小区业主群"
    assert got.received_at == datetime.fromtimestamp(1_795_891_265.762, UTC)
    assert got.reply_to_message_id is None and got.sender_is_bot is False


def test_mention_list_addresses_the_bot_and_the_mention_is_cut() -> None:
    got = event(room_msg(f"@警民助手{MENTION_END}今晚停水吗", mention_ids=("wxid_bot",)))
    assert (got.text, got.addressed) == ("今晚停水吗", True)


def test_mention_in_text_alone_addresses_the_bot() -> None:
    assert event(room_msg("@警民助手 今晚停水吗")).addressed is True
    assert event(room_msg(f"请问@警民助手{MENTION_END}")).text == "请问"
    assert event(room_msg("@警民助手，充电桩在哪")).text == "充电桩在哪"


def test_mention_list_alone_addresses_the_bot_even_under_another_name() -> None:
    # The bot's group nickname may be unknown to us: the gateway's list still counts.
    got = event(room_msg(f"@小区警务助理{MENTION_END}在吗", mention_ids=("wxid_bot",)))
    assert got.addressed is True
    assert got.text == "@小区警务助理 在吗"


def test_a_longer_name_is_not_the_bot() -> None:
    got = event(room_msg(f"@警民助手小王{MENTION_END}你好"))
    assert got.addressed is False
    assert got.text == "@警民助手小王 你好"


def test_other_mentions_stay_and_do_not_address_the_bot() -> None:
    got = event(room_msg(f"@李娜{MENTION_END}你家停水了吗", mention_ids=("wxid_li",)))
    assert (got.text, got.addressed) == ("@李娜 你家停水了吗", False)


def test_group_nickname_counts_as_a_name() -> None:
    me = Identity("wxid_bot", ("警民助手", "幸福社区民警"))
    got = event(room_msg(f"@幸福社区民警{MENTION_END}你好"), me)
    assert (got.text, got.addressed) == ("你好", True)


def test_multiline_text_keeps_its_lines() -> None:
    got = event(room_msg(f"@警民助手{MENTION_END}第一行\n  第二行  \n\n第三行"))
    assert got.text == "第一行\n第二行\n第三行"


def test_quoting_the_bot_addresses_it_and_keeps_only_the_reply() -> None:
    text = f"「警民助手：今晚22点停水」\n{QUOTE_SEPARATOR}\n那热水器要关吗"
    got = event(room_msg(text))
    assert (got.text, got.addressed) == ("那热水器要关吗", True)
    assert got.reply_to_message_id == QUOTED_BOT  # a reply to the bot, which message unknown


def test_quoting_someone_else_does_not_address_the_bot() -> None:
    text = f"「李娜：我家也停了」\n{QUOTE_SEPARATOR}\n几点来水"
    got = event(room_msg(text))
    assert (got.text, got.addressed, got.reply_to_message_id) == ("几点来水", False, None)


def test_private_message_is_addressed_and_its_chat_is_the_sender() -> None:
    got = event(room_msg("待办", room_id="", room_topic="", talker_name="王警官"))
    assert got.chat == ChatRef("wechat", "wxid_zhang")
    assert (got.is_group, got.addressed, got.chat_title) == (False, True, "")


def test_own_messages_and_non_text_are_ignored() -> None:
    assert to_event(room_msg("hi", talker_id="wxid_bot"), me=ME, now=NOW) is None
    assert to_event(room_msg("", is_text=False), me=ME, now=NOW) is None
    assert to_event(room_msg("hi", talker_id=""), me=ME, now=NOW) is None


def test_a_room_picture_is_for_the_guard_a_private_one_may_be_an_alert() -> None:
    got = event(room_msg("", is_text=False, is_picture=True))
    assert (got.text, got.picture_id, got.is_group) == ("", "m1", True)
    private = event(room_msg("", is_text=False, is_picture=True, room_id="", room_topic=""))
    assert (private.text, private.picture_id, private.is_group) == ("", "m1", False)


def test_sender_without_name_is_named_by_id() -> None:
    assert event(room_msg("hi", talker_name="")).sender_name == "wxid_zhang"


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (0, NOW),
        (-5, NOW),
        (1_795_891_265, datetime.fromtimestamp(1_795_891_265, UTC)),
        (1_795_891_265_000, datetime.fromtimestamp(1_795_891_265, UTC)),
    ],
)
def test_timestamps_in_seconds_or_milliseconds(timestamp: float, expected: datetime) -> None:
    assert timestamp_to_datetime(timestamp, NOW) == expected


def test_split_quote() -> None:
    assert split_quote("你好") == (None, "你好")
    assert split_quote(f"「张伟: 图片」\n{QUOTE_SEPARATOR}\n这是哪") == ("张伟", "这是哪")
    multi = f"「警民助手：第一行\n第二行」\n{QUOTE_SEPARATOR}\n回复\n两行"
    assert split_quote(multi) == ("警民助手", "回复\n两行")


def test_strip_mentions_without_names() -> None:
    assert strip_mentions(f"@警民助手{MENTION_END}hi", []) == (False, "@警民助手 hi")


def test_room_join_and_leave_of_the_bot() -> None:
    joined = room_join_event(
        room_id=ROOM,
        topic="阳光花园",
        invitee_ids=["wxid_bot"],
        inviter_id="wxid_zhang",
        timestamp=0,
        me=ME,
        now=NOW,
    )
    assert joined == BotAddedToGroup(ChatRef("wechat", ROOM), "阳光花园", "wxid_zhang", NOW)
    others = room_join_event(
        room_id=ROOM,
        topic="阳光花园",
        invitee_ids=["wxid_li"],
        inviter_id="wxid_zhang",
        timestamp=0,
        me=ME,
        now=NOW,
    )
    assert others is None
    left = room_leave_event(room_id=ROOM, removed_ids=["wxid_bot"], timestamp=0, me=ME, now=NOW)
    assert left == BotRemovedFromGroup(ChatRef("wechat", ROOM), NOW)
    assert room_leave_event(room_id=ROOM, removed_ids=["x"], timestamp=0, me=ME, now=NOW) is None


# -- outgoing ----------------------------------------------------------------------------


def test_buttons_become_text_commands() -> None:
    assert default_button_command(Button("批准", "t:approve:12")) == "批准 12"
    assert default_button_command(Button("加入FAQ ✓", "t:faq:12")) == "加入FAQ 12"
    assert default_button_command(Button("帮助", "help")) == "帮助"


def test_outgoing_text_adds_only_commands_the_text_lacks() -> None:
    chat = ChatRef("wechat", "wxid_officer")
    assert outgoing_text(Outgoing(chat, "你好")) == "你好"
    card = Outgoing(
        chat,
        "工单 #12\n文字指令：批准 12 ｜ 修改 12 回复内容 ｜ 驳回 12 理由",
        buttons=(
            (
                Button("批准", "t:approve:12"),
                Button("修改", "t:edit:12"),
                Button("驳回", "t:reject:12"),
            ),
            (Button("加入FAQ", "t:faq:12"),),
        ),
    )
    assert outgoing_text(card).endswith("理由\n回复：加入FAQ 12")
    bare = Outgoing(chat, "工单 #13", buttons=((Button("批准", "t:approve:13"),),))
    assert outgoing_text(bare) == "工单 #13\n回复：批准 13"
    custom = outgoing_text(bare, lambda b: f"{b.label}#{b.data}")
    assert custom == "工单 #13\n回复：批准#t:approve:13"


def test_mention_text_and_room_ids() -> None:
    assert mention_text("张伟", "明早恢复") == "@张伟\u2005明早恢复"
    assert is_room_id("123@chatroom") and is_room_id("R:10696051737575876")
    assert not is_room_id("wxid_zhang")


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("127.0.0.1:8788", ("127.0.0.1", 8788)),
        (" gateway:30001 ", ("gateway", 30001)),
        ("[::1]:8788", ("::1", 8788)),
    ],
)
def test_parse_endpoint(endpoint: str, expected: tuple[str, int]) -> None:
    assert parse_endpoint(endpoint) == expected


@pytest.mark.parametrize("endpoint", ["", "127.0.0.1", "http://x:1/path", "host:port", ":8788"])
def test_parse_endpoint_rejects(endpoint: str) -> None:
    with pytest.raises(WechatSetupError, match="host:port"):
        parse_endpoint(endpoint)


def test_backoff_grows_and_is_capped() -> None:
    assert _backoff(0, 1.0, 60.0) == 1.0
    assert 0.9 <= _backoff(1, 1.0, 60.0) <= 1.1
    assert 7.2 <= _backoff(4, 1.0, 60.0) <= 8.8
    assert _backoff(10_000, 1.0, 60.0) == 60.0


# -- the adapter without a gateway -------------------------------------------------------


def test_the_token_is_required_and_never_shown() -> None:
    with pytest.raises(WechatSetupError, match="JINGMIN_WECHAT_TOKEN"):
        WechatAdapter("127.0.0.1:8788", "  ")
    with pytest.raises(WechatSetupError, match="endpoint"):
        WechatAdapter("no-port", "secret")


def test_log_filter_redacts_the_token() -> None:
    WechatAdapter("127.0.0.1:8788", "s3cret-wechat-token")  # registers its token
    record = logging.LogRecord(
        "PuppetService",
        logging.WARNING,
        "",
        0,
        "endpoint<%s> token<%s> %s",
        ("e", "x1", "s3cret-wechat-token"),
        None,
    )
    PrivacyFilter().filter(record)
    assert "x1" not in record.getMessage() and "s3cret" not in record.getMessage()


async def test_send_while_disconnected_asks_to_retry_later() -> None:
    adapter = WechatAdapter("127.0.0.1:8788", "secret")
    with pytest.raises(RetryLater):
        await adapter.send(Outgoing(ChatRef("wechat", ROOM), "hi"))
    with pytest.raises(ValueError, match="telegram"):
        await adapter.send(Outgoing(ChatRef("telegram", "1"), "hi"))


class _FlakyStub:
    """A gateway connection that drops while an event is being read."""

    def __init__(self, adapter: WechatAdapter, fails: bool) -> None:
        self.adapter, self.fails = adapter, fails

    async def message_payload(self, id: str) -> SimpleNamespace:
        if self.fails:
            raise ConnectionResetError("connection lost")
        return SimpleNamespace(
            from_id="wxid_zhang",
            room_id="",
            text="还在吗",
            type=TEXT_MESSAGE_TYPE,
            mention_ids=[],
            timestamp=0,
        )


class _Puppet:
    async def contact_payload(self, contact_id: str) -> SimpleNamespace:
        return SimpleNamespace(name="张伟")


def _connection(adapter: WechatAdapter, *, fails: bool) -> Any:
    return SimpleNamespace(stub=_FlakyStub(adapter, fails), puppet=_Puppet(), last_event=0.0)


@pytest.mark.parametrize("noticed", [True, False])
async def test_an_event_outlives_a_lost_connection(noticed: bool) -> None:
    # The read fails on a dying connection; the supervisor notices (before or after the
    # failure) and connects again; the event is read on the new connection.
    adapter = WechatAdapter("127.0.0.1:8788", "secret")
    adapter.self_id = "wxid_bot"
    adapter._conn = _connection(adapter, fails=True)
    adapter._connected.set()
    resolving = asyncio.create_task(adapter._resolve_with_retry(_RawEvent(2, {"messageId": "m9"})))
    await asyncio.sleep(0.1)
    if noticed:
        adapter._connected.clear()
        await asyncio.sleep(0.1)
    assert not resolving.done()  # waiting for the next connection

    adapter._conn = _connection(adapter, fails=False)
    adapter._connected.set()
    got = await asyncio.wait_for(resolving, timeout=2)
    assert isinstance(got, IncomingMessage)
    assert (got.message_id, got.text, got.sender_name) == ("m9", "还在吗", "张伟")
