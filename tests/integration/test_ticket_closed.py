"""Closed tickets look closed and residents are told the truth (SQLite and PostgreSQL):
cards show the final state, who and when, with no buttons; 加入FAQ works after answering;
a command without its number gets its usage, never a ticket; 驳回 N 理由 tells the
resident, 驳回 alone does not."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from bot.adapters.fake import FakeAdapter
from core.db import Escalation, session
from core.events import ButtonPress, Outgoing
from handlers.services import Services
from tests.integration.test_flow import GROUP, OFFICER_CHAT, Clock, said, start

QUESTION = "小区里能不能烧纸钱 会不会被罚款"


async def opened(db_url: str) -> tuple[Services, FakeAdapter, Clock, int]:
    clock = Clock()
    services, bot = await start(db_url, clock)
    await bot.inject(said("/bind", sender="王警官"))
    await bot.inject(said(QUESTION, addressed=True))
    return services, bot, clock, tickets(services)[-1].id or 0


def tickets(services: Services) -> list[Escalation]:
    with session(services.engine) as db:
        return list(db.exec(select(Escalation).order_by(Escalation.id)).all())  # type: ignore[arg-type]


def officer(text: str, clock: Clock) -> object:
    return said(text, sender="王警官", group=False, at=clock.now())


def card_edits(bot: FakeAdapter, message_id: str) -> list[Outgoing]:
    return [o for o in bot.sent if o.edit_message_id == message_id]


async def test_a_closed_card_shows_the_final_state_who_and_when_without_buttons(
    db_url: str,
) -> None:
    services, bot, clock, ticket_id = await opened(db_url)
    card_id = tickets(services)[0].card_message_id
    assert card_id is not None
    await bot.inject(officer(f"修改 {ticket_id} 小区内请勿焚烧，可到指定祭扫点。", clock))
    decided, answered = card_edits(bot, card_id)
    assert "正在发到群里" in decided.text and not decided.buttons
    # 09:00 UTC is 17:00 in the configured zone (Asia/Shanghai).
    assert "已回复到群里（王警官，11-28 17:00）" in answered.text and not answered.buttons
    shown = await bot.inject(officer(f"工单 {ticket_id}", clock))
    assert "已回复到群里" in shown[0].text and not shown[0].buttons


async def test_add_to_faq_after_answering_learns(db_url: str) -> None:
    _, bot, clock, ticket_id = await opened(db_url)
    answer = "小区内请勿焚烧，清明可到指定文明祭扫点。"
    await bot.inject(officer(f"修改 {ticket_id} {answer}", clock))
    learned = await bot.inject(officer(f"加入FAQ {ticket_id}", clock))
    assert "已加入FAQ" in learned[0].text and not learned[0].buttons
    clock.at += timedelta(hours=1)  # past the repeat window
    again = await bot.inject(said("@警务助手 小区里能不能烧纸钱，会不会被罚款？", at=clock.now()))
    assert [o.text for o in again] == [answer]


async def test_a_command_without_its_number_gets_its_usage_never_a_ticket(db_url: str) -> None:
    services, bot, clock, _ = await opened(db_url)
    for text in ("批准", "驳回 重复的问题", "加入FAQ"):
        usage = await bot.inject(officer(text, clock))
        assert [o.chat for o in usage] == [OFFICER_CHAT] and "请在指令后写上工单号" in usage[0].text
    assert await bot.inject(said("批准")) == []  # in a group: nobody's question either
    assert len(tickets(services)) == 1


async def test_a_rejection_tells_the_resident_only_with_a_reason(db_url: str) -> None:
    services, bot, clock, first = await opened(db_url)
    await bot.inject(officer(f"驳回 {first} 这个问题请咨询社区居委会。", clock))
    (told,) = [o for o in bot.sent if o.chat == GROUP and "不作回复" in o.text]
    assert "请咨询社区居委会" in told.text and told.reply_to is not None
    assert told.mention_id == "r1"
    await bot.inject(said("楼下有人在撬电动车 现在还在", sender="r2"))
    second = tickets(services)[-1].id
    press = ButtonPress(OFFICER_CHAT, "王警官", "王警官", f"t:reject:{second}", "1", clock.now())
    await bot.inject(press)
    assert len([o for o in bot.sent if o.chat == GROUP and "不作回复" in o.text]) == 1
    with session(services.engine) as db:
        states = db.exec(select(Escalation.state, func.count()).group_by(Escalation.state)).all()
    assert dict(states) == {"rejected": 2}


async def test_a_ticket_pending_too_long_expires_and_looks_closed(db_url: str) -> None:
    """After ``[tickets] expire_days`` (7) a pending ticket is expired: its card is edited
    to say so without buttons, an edit the officer left open ends, the resident gets one
    short reply with the station's phone, and a late 批准 is told it is closed."""
    from bot.bootstrap import build_outbox
    from handlers.reminders import due_reminders

    services, bot, clock, ticket_id = await opened(db_url)
    card_id = tickets(services)[0].card_message_id
    assert card_id is not None
    await bot.inject(officer(f"修改 {ticket_id}", clock))  # begun, never finished

    async def expiries() -> int:
        moved = await due_reminders(services)
        await build_outbox(services, {"console": bot}).deliver_due()
        return moved

    clock.at += timedelta(days=7) - timedelta(minutes=1)
    await expiries()  # reminders and the hand-over, not the expiry yet
    assert tickets(services)[0].state == "pending"
    before = len(bot.sent)
    clock.at += timedelta(minutes=1)
    assert await expiries() == 1
    assert tickets(services)[0].state == "expired"
    sent = bot.sent[before:]
    (told,) = [o for o in sent if o.chat == GROUP]
    assert "没能及时回复" in told.text and "0951-6000000" in told.text and "110" in told.text
    (closed,) = card_edits(bot, card_id)[-1:]
    assert "已自动关闭" in closed.text and "机器人" in closed.text and not closed.buttons
    assert await expiries() == 0  # once
    late = await bot.inject(officer(f"批准 {ticket_id}", clock))
    assert "已自动关闭" in late[0].text
    draft = await bot.inject(officer("井盖的事已经报修", clock))  # the edit ended with it
    assert not [o for o in draft if "发送" in o.text]
    assert [o for o in bot.sent if o.chat == GROUP and "报修" in o.text] == []


async def test_an_answer_that_may_be_in_the_group_expires_without_a_word_to_the_resident(
    db_url: str,
) -> None:
    """An answer reported "delivery unknown" puts the ticket back in 待办; the officer looked,
    found it in the group and did nothing more. It expires then without telling the
    resident that no answer came."""
    from bot.bootstrap import build_outbox
    from core.db import OutboxMessage
    from core.states import OutboxState
    from handlers.reminders import due_reminders

    services, bot, clock, ticket_id = await opened(db_url)
    with session(services.engine) as db:  # what the outbox recovery leaves after a crash
        ticket = db.get(Escalation, ticket_id)
        assert ticket is not None
        answer = OutboxMessage(
            platform="console", chat_id=GROUP.chat_id, text="", kind="ticket answer",
            ticket_id=ticket_id, state=OutboxState.UNKNOWN,
        )  # fmt: skip
        db.add(answer)
        db.commit()
    clock.at += timedelta(days=8)
    before = len(bot.sent)
    assert await due_reminders(services) >= 1
    await build_outbox(services, {"console": bot}).deliver_due()
    assert tickets(services)[0].state == "expired"
    sent = bot.sent[before:]
    assert [o for o in sent if o.chat == GROUP] == []
    (closed,) = [o for o in sent if o.edit_message_id]
    assert "已自动关闭" in closed.text and "告诉居民" not in closed.text
    assert "resident" not in closed.text
