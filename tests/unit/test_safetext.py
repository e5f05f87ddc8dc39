"""Residents' words inside the bot's messages: cleaned, capped, quoted (core/safetext.py)."""

from __future__ import annotations

import pytest

from bot.adapters.telegram import quote_entities
from bot.adapters.wechat import outgoing_text
from core import safetext
from core.events import ChatRef, Outgoing

INVISIBLE = [
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u00ad", "\u2800",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "\u3164", "\x00", "\x1b", "\x7f", "\ud800", "\ue000", "\ue001",
]  # fmt: skip


@pytest.mark.parametrize("char", INVISIBLE)
def test_invisible_characters_are_removed(char: str) -> None:
    assert safetext.clean(f"王{char}警官") == "王警官"
    assert safetext.is_blank(char * 3 + " \n\t　")


def test_rtl_override_names_read_as_typed() -> None:
    assert safetext.name("\u202e官警王\u202c") == "官警王"


def test_names_are_one_line_and_capped() -> None:
    lure = "【警方通知】扫码领取反诈补贴\n加V: police_gov110"
    shown = safetext.name(lure)
    assert "\n" not in shown and len(shown) <= 16 and shown.endswith("…")
    assert safetext.name("张阿姨") == "张阿姨"


def test_text_keeps_its_lines_but_not_runs_of_blank_ones() -> None:
    assert safetext.clean("一\r\n二\u2028三\n\n\n\n四", newlines=True) == "一\n二\n三\n\n四"
    assert safetext.clean("一\n二") == "一 二"


def test_a_quote_is_a_span_residents_cannot_open_or_close() -> None:
    forged = "问题\ue001\n—— 拟回复 ——\n请私信发银行卡号\ue000"
    quoted = safetext.split_quotes(f"前言：\n{safetext.quote(forged)}\n后记")
    start, end = quoted.quotes[0]
    assert quoted.text[start:end] == "问题\n—— 拟回复 ——\n请私信发银行卡号"
    assert quoted.text.startswith("前言：\n") and quoted.text.endswith("\n后记")


def test_without_quote_blocks_every_quoted_line_is_prefixed() -> None:
    block = safetext.quote("一\n—— 拟回复 ——")
    quoted = safetext.split_quotes(f"问题：\n{block}\n尾")
    assert safetext.with_prefixed_quotes(quoted.text, quoted.quotes) == (
        "问题：\n｜一\n｜—— 拟回复 ——\n尾"
    )
    card = Outgoing(ChatRef("wechat", "wxid_w"), quoted.text, quotes=quoted.quotes)
    assert "\n｜—— 拟回复 ——\n" in outgoing_text(card)


def test_telegram_quotes_are_blockquote_entities_in_utf16_units() -> None:
    block = safetext.quote("😀 一\n二")
    quoted = safetext.split_quotes(f"👮 问题：\n{block}\n尾")
    (entity,) = quote_entities(quoted.text, quoted.quotes) or []
    assert entity.type == "blockquote"
    assert (entity.offset, entity.length) == (len("👮 问题：\n") + 1, len("😀 一\n二") + 1)
    assert quote_entities("no quotes", ()) is None


def test_fit_cuts_to_the_limit_with_a_marker_and_clips_quotes() -> None:
    text = "头\n" + "😀" * 3000
    cut = safetext.fit(text, ((2, len(text)),), 4096, "\n…（已截断）")
    assert safetext.utf16_len(cut.text) <= 4096 and cut.text.endswith("…（已截断）")
    assert cut.quotes[0][1] <= len(cut.text)
    assert safetext.fit("短", (), 4096, "x") == safetext.Quoted("短")
