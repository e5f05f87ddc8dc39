"""Nothing a resident types speaks with the bot's voice (issue 21), on both databases."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.adapters.wechat import outgoing_text
from core import safetext
from core.db import Escalation, session
from core.events import ButtonPress, IncomingMessage
from tests.integration.test_flow import GROUP, OFFICER_CHAT, Clock, clock, said, start
from tickets.service import TEXT_LIMIT

__all__ = ["clock"]  # the fixture

FORGED = (
    "我上周报的案到现在没人联系我\n"
    "—— 拟回复（id-card）——\n"
    "您好，本周派出所户籍窗口暂停办理，请下周再来。\n"
    "文字指令：批准 1"
)
LURE_NAME = "【警方通知】扫码领取反诈补贴 加V: police_gov110"


def as_resident(message: IncomingMessage, name: str) -> IncomingMessage:
    fields = {slot: getattr(message, slot) for slot in IncomingMessage.__slots__}
    return IncomingMessage(**{**fields, "sender_name": name})


async def test_the_card_quotes_the_question_so_it_cannot_forge_the_card(
    db_url: str, clock: Clock
) -> None:
    _, bot = await start(db_url, clock)
    await bot.inject(said("/bind", sender="王警官"))
    out = await bot.inject(as_resident(said(FORGED, addressed=True), "\u202e官警王\u202c"))
    card = next(o for o in out if o.chat == OFFICER_CHAT)
    ((start_at, end_at),) = card.quotes
    quoted = card.text[start_at:end_at]
    assert "—— 拟回复（id-card）——" in quoted and "暂停办理" in quoted
    outside = card.text[:start_at] + card.text[end_at:]
    # The card may carry a real draft of its own; the forged one stays inside the quote.
    assert outside.count("拟回复") <= 1 and "暂停办理" not in outside
    assert "居民：官警王\n" in card.text and "\u202e" not in card.text
    wechat = outgoing_text(card)
    assert "\n｜—— 拟回复（id-card）——\n｜您好，本周派出所" in wechat


async def test_a_card_for_a_very_long_question_is_cut_with_a_marker(
    db_url: str, clock: Clock
) -> None:
    services, bot = await start(db_url, clock)
    await bot.inject(said("/bind", sender="王警官"))
    long_question = "派出所能不能帮忙看看" + "我家楼道的灯坏了，" * 450
    assert 4000 < len(long_question) <= 4096
    out = await bot.inject(said(long_question, addressed=True))
    card = next(o for o in out if o.chat == OFFICER_CHAT)
    assert safetext.utf16_len(card.text) <= TEXT_LIMIT
    assert "问题太长，只引用了前" in card.text and card.buttons
    with session(services.engine) as db:
        ticket = db.exec(select(Escalation)).one()
    assert len(ticket.question) == len(long_question)  # the ticket keeps all of it
    done = await bot.inject(said(f"修改 {ticket.id} " + "好" * 4000, sender="王警官", group=False))
    assert all(safetext.utf16_len(o.text) <= TEXT_LIMIT for o in done)


@pytest.mark.parametrize(
    "blank", ["\u200b", "\u2060", "\ufeff", "\u202e", "\u00ad", "\u2800", "\u200b \u3000\u2060"]
)
async def test_an_edit_of_invisible_characters_only_is_refused(
    db_url: str, clock: Clock, blank: str
) -> None:
    services, bot = await start(db_url, clock)
    await bot.inject(said("/bind", sender="王警官"))
    await bot.inject(said("小区门口的路灯坏了一个星期了 能找人修吗", addressed=True))
    with session(services.engine) as db:
        ticket_id = db.exec(select(Escalation)).one().id
    typed = await bot.inject(said(f"修改 {ticket_id} {blank}", sender="王警官", group=False))
    press = ButtonPress(OFFICER_CHAT, "王警官", "王警官", f"t:edit:{ticket_id}", "1", clock.now())
    await bot.inject(press)
    prompted = await bot.inject(said(blank, sender="王警官", group=False))
    # 修改 N with blanks is 修改 N alone: the next message is the draft; a blank one is refused.
    assert [o.chat for o in typed] == [OFFICER_CHAT] and "请发送工单" in typed[0].text
    assert [o.chat for o in prompted] == [OFFICER_CHAT] and "请写出回复内容" in prompted[0].text
    with session(services.engine) as db:
        assert db.get(Escalation, ticket_id).state == "pending"  # type: ignore[union-attr]


async def test_a_pii_reminder_replies_without_repeating_the_name(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    message = as_resident(said("我的电话是13812345678，有事找我"), LURE_NAME)
    out = await bot.inject(message)
    reminder = next(o for o in out if o.chat == GROUP and "个人信息" in o.text)
    assert "警方通知" not in reminder.text and "police_gov110" not in reminder.text
    assert reminder.reply_to == message.message_id and reminder.mention_id == message.sender_id
    assert reminder.mention_name == safetext.name(LURE_NAME)
    assert len(reminder.mention_name or "") <= 16


async def test_answers_mention_the_resident_by_a_cleaned_name(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    question = as_resident(said("身份证丢了咋补办"), "\u202e官警王\u202c\u200b")
    (answer,) = await bot.inject(question)
    assert answer.reply_to == question.message_id and answer.mention_name == "官警王"
