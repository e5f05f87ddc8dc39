"""Telegram Update -> platform-neutral event, from recorded Bot API payloads (no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Update

from bot.adapters.telegram import (
    DEFAULT_API_BASE_URL,
    TelegramAdapter,
    TelegramSetupError,
    api_urls,
    to_event,
)
from core.events import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    ButtonPress,
    ChatMigrated,
    ChatRef,
    IncomingMessage,
    MembersJoined,
)

DATA = Path(__file__).parent.parent / "data" / "telegram"
BOT_ID = 6543210987
BOT_USERNAME = "jingmin_test_bot"
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
T0 = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)  # the payloads' dates count from here
GROUP = ChatRef("telegram", "-4000000001")
SUPERGROUP = ChatRef("telegram", "-1001000000001")


@pytest.fixture(scope="module")
def bot() -> Bot:
    # Only used to deserialize; constructing a Bot makes no request.
    return Bot("6543210987:AAFakeTokenForTestsOnly-0123456789abcd")


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))
    return payload


def event_of(name: str, bot: Bot) -> object:
    update = Update.de_json(load(name), bot)
    return to_event(update, bot_id=BOT_ID, bot_username=BOT_USERNAME, now=NOW)


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(T0.timestamp() + seconds, UTC)


def test_group_text_is_an_unaddressed_group_message(bot: Bot) -> None:
    assert event_of("group_text", bot) == IncomingMessage(
        chat=GROUP,
        sender_id="100000001",
        sender_name="伟 张",
        text="请问办理居住证需要什么材料？",
        message_id="41",
        is_group=True,
        addressed=False,
        received_at=T0,
        sender_is_bot=False,
        chat_title="幸福小区业主群",
        reply_to_message_id=None,
    )


def test_received_at_is_timezone_aware(bot: Bot) -> None:
    event = event_of("group_text", bot)
    assert isinstance(event, IncomingMessage)
    assert event.received_at.tzinfo is not None
    assert event.received_at.utcoffset() is not None


def test_private_text_is_always_addressed(bot: Bot) -> None:
    assert event_of("private_text", bot) == IncomingMessage(
        chat=ChatRef("telegram", "100000001"),
        sender_id="100000001",
        sender_name="伟 张",
        text="你好，我想咨询一下户口迁移",
        message_id="7",
        is_group=False,
        addressed=True,
        received_at=at(60),
        chat_title="",
    )


def test_mention_addresses_the_bot_and_is_stripped_but_other_mentions_stay(bot: Bot) -> None:
    event = event_of("group_mention", bot)
    assert isinstance(event, IncomingMessage)
    assert event.addressed is True
    assert event.is_group is True
    assert event.text == "请问身份证丢了怎么办？@wangfang88 你也来看看"
    assert event.message_id == "42"
    assert event.received_at == at(120)


def test_mention_offsets_are_utf16_and_case_insensitive(bot: Bot) -> None:
    # The emoji before the mention is two UTF-16 units: a naive str slice would cut wrong.
    event = event_of("mention_after_emoji", bot)
    assert isinstance(event, IncomingMessage)
    assert event.addressed is True
    assert event.text == "👮 电动车被偷了怎么报警"
    assert event.chat == SUPERGROUP
    assert event.chat_title == "阳光花园邻里群"
    assert event.sender_name == "Fang Wang"


def test_reply_to_the_bot_is_addressed(bot: Bot) -> None:
    event = event_of("group_reply_to_bot", bot)
    assert isinstance(event, IncomingMessage)
    assert event.addressed is True
    assert event.reply_to_message_id == "44"
    assert event.text == "周末也可以办吗"
    assert event.sender_id == "100000003"


def test_reply_to_another_resident_is_not_addressed(bot: Bot) -> None:
    event = event_of("group_reply_to_user", bot)
    assert isinstance(event, IncomingMessage)
    assert event.addressed is False
    assert event.reply_to_message_id == "46"


def test_caption_is_the_text_of_a_photo(bot: Bot) -> None:
    event = event_of("photo_caption", bot)
    assert isinstance(event, IncomingMessage)
    assert event.text == "这个是诈骗电话吗"
    assert event.addressed is True
    assert event.message_id == "50"
    assert event.picture_id == "AgACAgUAAxkBAAIB"  # the guard reads the picture too


def test_a_group_photo_alone_is_a_picture_for_the_guard(bot: Bot) -> None:
    event = event_of("photo_only", bot)
    assert isinstance(event, IncomingMessage)
    assert (event.text, event.picture_id) == ("", "medium-1280")  # the largest quick to read


def private_media(bot: Bot, **content: Any) -> IncomingMessage:
    """An officer's private message carrying ``content`` (a photo, a video), as Telegram
    sends it when they forward one to the bot."""
    payload = load("private_text")
    message = payload["message"]
    del message["text"]
    message.update(content)
    event = to_event(
        Update.de_json(payload, bot), bot_id=BOT_ID, bot_username=BOT_USERNAME, now=NOW
    )
    assert isinstance(event, IncomingMessage)
    return event


def test_a_private_photo_is_kept_whole_for_an_officers_alert(bot: Bot) -> None:
    photo = load("photo_only")["message"]["photo"]
    event = private_media(bot, photo=photo, caption="【寻人】请大家留意")
    assert (event.text, event.picture_id, event.video_id) == (
        "【寻人】请大家留意",
        "large-2560",
        "",
    )
    alone = private_media(bot, photo=photo)
    assert (alone.text, alone.picture_id, alone.is_group) == ("", "large-2560", False)


def test_a_private_video_carries_its_file_id(bot: Bot) -> None:
    video = {"file_id": "BAACvideo", "file_unique_id": "v1", "width": 720, "height": 1280,
             "duration": 30, "mime_type": "video/mp4", "file_size": 2_300_000}  # fmt: skip
    event = private_media(bot, video=video, caption="这条情景剧小视频大家一定要看")
    assert (event.text, event.video_id, event.picture_id) == (
        "这条情景剧小视频大家一定要看",
        "BAACvideo",
        "",
    )


def test_command_with_our_username_is_addressed_and_normalised(bot: Bot) -> None:
    event = event_of("command_with_username", bot)
    assert isinstance(event, IncomingMessage)
    assert event.text == "/bind"
    assert event.addressed is True
    assert event.sender_id == "100000002"


def test_text_mention_of_the_bot_is_addressed(bot: Bot) -> None:
    event = event_of("text_mention", bot)
    assert isinstance(event, IncomingMessage)
    assert event.addressed is True
    assert event.text == "小区消防通道被占了"


def test_other_bots_are_flagged(bot: Bot) -> None:
    event = event_of("other_bot", bot)
    assert isinstance(event, IncomingMessage)
    assert event.sender_is_bot is True
    assert event.sender_id == "5555555555"


def test_anonymous_admin_speaks_as_the_group_and_is_not_a_bot(bot: Bot) -> None:
    event = event_of("anonymous_admin", bot)
    assert isinstance(event, IncomingMessage)
    assert event.sender_id == "-1001000000001"
    assert event.sender_name == "阳光花园邻里群"
    assert event.sender_is_bot is False


def test_bot_added_to_group(bot: Bot) -> None:
    assert event_of("my_chat_member_added", bot) == BotAddedToGroup(
        chat=GROUP, title="幸福小区业主群", added_by_id="100000002", received_at=at(300)
    )


def test_bot_kicked_from_group(bot: Bot) -> None:
    assert event_of("my_chat_member_kicked", bot) == BotRemovedFromGroup(
        chat=SUPERGROUP, received_at=at(360)
    )


def test_promotion_to_admin_is_not_a_new_membership(bot: Bot) -> None:
    assert event_of("my_chat_member_promoted", bot) is None


def test_group_migrated_to_supergroup(bot: Bot) -> None:
    assert event_of("migrate_to_chat_id", bot) == ChatMigrated(
        old=GROUP, new=ChatRef("telegram", "-1001000000002"), received_at=at(420)
    )


def test_the_supergroup_side_of_a_migration_is_not_a_second_event(bot: Bot) -> None:
    assert event_of("migrate_from_chat_id", bot) is None


def test_callback_query_is_a_button_press_on_the_card(bot: Bot) -> None:
    assert event_of("callback_query", bot) == ButtonPress(
        chat=ChatRef("telegram", "100000002"),
        sender_id="100000002",
        sender_name="警官 李",
        data="t:approve:12",
        message_id="12",
        received_at=NOW,
        callback_id="4382165193726155001",
    )


def test_people_joining_a_group_are_one_event_without_the_bots(bot: Bot) -> None:
    payload = load("group_text")
    message = payload["message"]
    del message["text"]
    resident = message["from"]
    other_bot = {"id": 555, "is_bot": True, "first_name": "Spam", "username": "spam_bot"}
    message["new_chat_members"] = [resident, other_bot]
    mapped = to_event(
        Update.de_json(payload, bot), bot_id=BOT_ID, bot_username=BOT_USERNAME, now=NOW
    )
    assert mapped == MembersJoined(ChatRef("telegram", "-4000000001"), ("伟 张",), at(0))
    message["new_chat_members"] = [other_bot]
    only_bots = Update.de_json(payload, bot)
    assert to_event(only_bots, bot_id=BOT_ID, bot_username=BOT_USERNAME, now=NOW) is None


@pytest.mark.parametrize("name", ["sticker", "edited_message", "channel_post"])
def test_everything_else_is_ignored(name: str, bot: Bot) -> None:
    assert event_of(name, bot) is None


@pytest.mark.parametrize(
    ("setting", "base", "files"),
    [
        (DEFAULT_API_BASE_URL, DEFAULT_API_BASE_URL, "https://api.telegram.org/file/bot"),
        (
            "http://127.0.0.1:8081/bot/",
            "http://127.0.0.1:8081/bot",
            "http://127.0.0.1:8081/file/bot",
        ),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        (
            "http://tg.local/api/bot{token}",
            "http://tg.local/api/bot{token}",
            "http://tg.local/api/file/bot{token}",
        ),
    ],
)
def test_api_urls(setting: str, base: str, files: str) -> None:
    assert api_urls(setting) == (base, files)


@pytest.mark.parametrize("setting", ["api.telegram.org/bot", "http://127.0.0.1:8081/api"])
def test_api_urls_refuses_what_ptb_would_garble(setting: str) -> None:
    with pytest.raises(TelegramSetupError, match="api_base_url"):
        api_urls(setting)


@pytest.mark.parametrize("token", [None, "", "   "])
def test_missing_token_is_a_setup_error(token: str | None) -> None:
    with pytest.raises(TelegramSetupError, match="JINGMIN_TELEGRAM_TOKEN is not set"):
        TelegramAdapter(token)
