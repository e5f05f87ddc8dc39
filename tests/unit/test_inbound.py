"""Input cleaned once at the edge (issue 21): surrogates, control characters, length."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import Bot, Update

from bot.adapters import wechat
from bot.adapters.telegram import to_event
from bot.inbound import CUT_MARK, MAX_NAME, MAX_TEXT, clean_name, clean_text
from core.events import IncomingMessage

DATA = Path(__file__).parent.parent / "data" / "telegram"
NOW = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
BOT_ID = 6543210987
LONE = "\ud83d"  # the first half of 😀, alone


def telegram_event(text: str, name: str, title: str, **extra: Any) -> IncomingMessage:
    payload: dict[str, Any] = json.loads((DATA / "group_text.json").read_text(encoding="utf-8"))
    payload["message"].update(text=text, **extra)
    payload["message"]["from"]["first_name"] = name
    payload["message"]["chat"]["title"] = title
    bot = Bot("6543210987:AAFakeTokenForTestsOnly-0123456789abcd")
    event = to_event(Update.de_json(payload, bot), bot_id=BOT_ID, bot_username="x_bot", now=NOW)
    assert isinstance(event, IncomingMessage)
    return event


def test_lone_surrogates_become_replacement_characters_and_encode() -> None:
    text = clean_text(f"身份证{LONE}丢了\udc00")
    assert text == "身份证\ufffd丢了\ufffd"
    text.encode("utf-8")  # never UnicodeEncodeError after the edge


def test_surrogate_pairs_written_as_two_code_points_join_up() -> None:
    assert clean_text("\ud83d\ude00好") == "😀好"


def test_control_and_format_characters_are_dropped_but_lines_and_emoji_stay() -> None:
    raw = "\x00请\x1b[31m问\u200b身\u2060份\ufeff证\u00ad\r\n第二行\u2028👨\u200d👩\u200d👧"
    assert clean_text(raw) == "请[31m问身份证\n第二行\n👨\u200d👩\u200d👧"


def test_bidi_override_names_read_as_typed_on_one_line() -> None:
    assert clean_name("\u202e官警王\u202c") == "官警王"
    assert clean_name("【警方通知】\n扫码\t领取") == "【警方通知】 扫码 领取"


def test_text_is_nfc() -> None:
    assert clean_text("e\u0301") == "\u00e9"


def test_long_text_and_names_are_capped_with_a_mark() -> None:
    text = clean_text("5栋301," * 1000)
    assert len(text) == MAX_TEXT and text.endswith(CUT_MARK)
    name = clean_name("王" * 500)
    assert len(name) == MAX_NAME and name.endswith(CUT_MARK)
    assert clean_text("短") == "短"


def test_telegram_mapping_cleans_text_name_and_title() -> None:
    event = telegram_event(
        f"请问{LONE}\u202e居住证" + "啊" * 5000, name="\u202e王\x07", title="群\u200b名"
    )
    assert event.text.startswith("请问\ufffd居住证啊")
    assert len(event.text) == MAX_TEXT
    assert event.sender_name == "王 张" and event.chat_title == "群名"


def test_telegram_mention_offsets_survive_a_lone_surrogate() -> None:
    mention = {"type": "mention", "offset": 0, "length": 6}
    event = telegram_event(f"@x_bot {LONE}在吗", "伟", "群", entities=[mention])
    assert event.addressed and event.text == "\ufffd在吗"


def test_wechat_mapping_cleans_too() -> None:
    message = wechat.WechatMessage(
        message_id="m1",
        talker_id="wxid_a",
        talker_name="\u202e官警王",
        text="\x00你好" + LONE,
        room_id="1@chatroom",
        room_topic="群\u2060",
        timestamp=0,
    )
    event = wechat.to_event(message, me=wechat.Identity("wxid_bot", ("助手",)), now=NOW)
    assert event is not None
    assert (event.text, event.sender_name, event.chat_title) == ("你好\ufffd", "官警王", "群")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=300))
def test_cleaned_text_always_encodes_and_is_stable(raw: str) -> None:
    text = clean_text(raw)
    text.encode("utf-8")
    assert len(text) <= MAX_TEXT
    assert clean_text(text) == text


def test_numbers_in_names_and_titles_are_masked_at_the_edge() -> None:
    event = telegram_event("你好", "【警方通知】加V 13912345678", "幸福里 138-1234-5678 群")
    assert "13912345678" not in event.sender_name and "139****5678" in event.sender_name
    assert event.chat_title == "幸福里 138-****-5678 群"
    assert event.text == "你好"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("王姐 5栋2单元301", "王姐 *栋*单元***"),
        ("3号楼1605室 李", "*号楼****室 李"),
        ("幸福小区2-3-501 张", "幸福小区*-*-*** 张"),
        ("12栋业主群", "12栋业主群"),  # a building alone says nothing about a home
        ("阳光花园3栋业主群", "阳光花园3栋业主群"),  # an estate's building names the group
    ],
)
def test_home_addresses_in_names_are_masked(name: str, shown: str) -> None:
    assert clean_name(name) == shown
