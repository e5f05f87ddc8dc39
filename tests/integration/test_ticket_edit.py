"""Editing safely (SQLite and PostgreSQL): after 修改 the officer's next message is a draft,
shown back with 发送 / 取消; only 发送 posts it. 取消, the timeout or another command leave
the ticket pending, and nothing reaches the group."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.adapters.fake import FakeAdapter
from core.db import Escalation, session
from core.events import ButtonPress, Outgoing
from core.states import TicketState
from handlers.services import Services
from tests.integration.test_flow import GROUP, OFFICER_CHAT, Clock, said, start

QUESTION = "我家孩子走丢了 穿红衣服 在小区东门附近不见的 快帮忙找找"


async def opened(db_url: str) -> tuple[Services, FakeAdapter, Clock, int]:
    clock = Clock()
    services, bot = await start(db_url, clock)
    await bot.inject(said("/bind", sender="王警官"))
    await bot.inject(said(QUESTION, addressed=True))
    with session(services.engine) as db:
        ticket_id = db.exec(select(Escalation.id)).one()
    assert ticket_id is not None
    return services, bot, clock, ticket_id


def officer_says(text: str, clock: Clock) -> object:
    return said(text, sender="王警官", group=False, at=clock.now())


def press(data: str, clock: Clock) -> ButtonPress:
    return ButtonPress(OFFICER_CHAT, "王警官", "王警官", data, "1", clock.now())


def to_group(bot: FakeAdapter) -> list[Outgoing]:
    """Answers to the resident (not the acknowledgement)."""
    return [
        o
        for o in bot.sent
        if o.chat == GROUP and o.reply_to and not o.text.startswith("您的问题已转给")
    ]


def state(services: Services, ticket_id: int) -> str:
    with session(services.engine) as db:
        ticket = db.get(Escalation, ticket_id)
        assert ticket is not None
        return ticket.state


async def test_cancel_is_never_posted(db_url: str) -> None:
    """The issue's case: 取消 after 修改 went to the group as the answer."""
    services, bot, clock, ticket_id = await opened(db_url)
    prompt = await bot.inject(press(f"t:edit:{ticket_id}", clock))
    assert "点“发送”才会发到群里" in prompt[0].text
    cancelled = await bot.inject(officer_says("取消", clock))
    assert "已取消" in cancelled[0].text and to_group(bot) == []
    assert state(services, ticket_id) == TicketState.PENDING
    # Afterwards an ordinary message is no draft.
    again = await bot.inject(officer_says("你好", clock))
    assert to_group(bot) == [] and not any("草稿" in o.text for o in again)


async def test_a_draft_is_shown_back_and_posted_only_on_send(db_url: str) -> None:
    services, bot, clock, ticket_id = await opened(db_url)
    await bot.inject(press(f"t:edit:{ticket_id}", clock))
    answer = "已通知社区民警和物业查看东门监控，请保持电话畅通。"
    shown = await bot.inject(officer_says(answer, clock))
    (preview,) = shown
    assert answer in preview.text and to_group(bot) == []
    assert [b.label for b in preview.buttons[0]] == ["发送", "取消"]
    assert state(services, ticket_id) == TicketState.PENDING
    clock.at += timedelta(minutes=9)
    await bot.inject(press(preview.buttons[0][0].data, clock))
    (posted,) = to_group(bot)
    assert posted.text == answer and posted.reply_to is not None
    assert state(services, ticket_id) == TicketState.ANSWERED
    # A second 发送 (a double tap) posts nothing more.
    again = await bot.inject(press(preview.buttons[0][0].data, clock))
    assert len(to_group(bot)) == 1 and "没有等待发送的回复草稿" in again[0].text


async def test_the_text_commands_work_as_on_wechat(db_url: str) -> None:
    services, bot, clock, ticket_id = await opened(db_url)
    await bot.inject(officer_says(f"修改 {ticket_id}", clock))
    await bot.inject(officer_says("第一稿", clock))
    await bot.inject(officer_says("第二稿 已派人去东门", clock))  # replaces the draft
    cancelled = await bot.inject(officer_says(f"取消 {ticket_id}", clock))
    assert "已取消" in cancelled[0].text and to_group(bot) == []
    await bot.inject(officer_says(f"修改 {ticket_id}", clock))
    await bot.inject(officer_says("已派人去东门", clock))
    await bot.inject(officer_says(f"发送 {ticket_id}", clock))
    assert [o.text for o in to_group(bot)] == ["已派人去东门"]
    assert state(services, ticket_id) == TicketState.ANSWERED


async def test_the_timeout_leaves_the_ticket_pending(db_url: str) -> None:
    services, bot, clock, ticket_id = await opened(db_url)
    await bot.inject(press(f"t:edit:{ticket_id}", clock))
    clock.at += timedelta(minutes=11)  # past [tickets] edit_minutes (10)
    late = await bot.inject(officer_says("这句话是和同事说的", clock))
    assert "已超时" in late[0].text and to_group(bot) == []
    await bot.inject(press(f"t:edit:{ticket_id}", clock))
    await bot.inject(officer_says("草稿", clock))
    clock.at += timedelta(minutes=11)
    refused = await bot.inject(officer_says("发送", clock))
    assert "已超时" in refused[0].text and to_group(bot) == []
    assert state(services, ticket_id) == TicketState.PENDING


async def test_another_command_ends_the_edit_and_goes_ahead(db_url: str) -> None:
    services, bot, clock, ticket_id = await opened(db_url)
    await bot.inject(press(f"t:edit:{ticket_id}", clock))
    await bot.inject(officer_says("草稿", clock))
    out = await bot.inject(officer_says("待办", clock))
    assert "修改已结束" in out[0].text and f"#{ticket_id} " in out[1].text
    assert to_group(bot) == [] and state(services, ticket_id) == TicketState.PENDING
    # An incomplete command is a command too, not a draft.
    await bot.inject(press(f"t:edit:{ticket_id}", clock))
    usage = await bot.inject(officer_says("批准", clock))
    assert "修改已结束" in usage[0].text and "请在指令后写上工单号" in usage[1].text
    after = await bot.inject(officer_says("发送", clock))
    assert "没有等待发送的回复草稿" in after[0].text or after == []
    assert to_group(bot) == []
