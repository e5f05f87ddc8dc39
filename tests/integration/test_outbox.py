"""The officer's answer through the outbox, on SQLite and PostgreSQL: delivered once after
transient failures, reported after a permanent one, never resent after a crash mid-send."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlmodel import select

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_outbox, build_services
from core.db import Escalation, OutboxMessage, session
from core.events import BotAddedToGroup, Outgoing, SentRef
from core.ports import ChatGone, ChatMovedTo, RetryLater
from core.states import OutboxState
from handlers.services import Services
from infra.outbox import OutboxSender, claim
from tests.integration.test_flow import GROUP, OFFICER_CHAT, Clock, said, settings_for
from tickets.service import ANSWER_KIND, TicketState


@dataclass
class FlakyAdapter(FakeAdapter):
    """Sends to the group fail with the queued errors first (officers' chats never do)."""

    failures: list[Exception] = field(default_factory=list)

    async def send(self, out: Outgoing) -> SentRef:
        if out.chat == GROUP and self.failures:
            raise self.failures.pop(0)
        return await super().send(out)


@dataclass
class World:
    services: Services
    bot: FlakyAdapter
    sender: OutboxSender
    clock: Clock


async def world(db_url: str) -> World:
    clock = Clock()
    services = build_services(settings_for(db_url), clock)
    bot = FlakyAdapter()
    sender = build_outbox(services, {"console": bot}, worker="worker-under-test")
    await bot.start(build_dispatcher(services, {"console": bot}, sender))
    await bot.inject(BotAddedToGroup(GROUP, "幸福里社区群", "u9", clock.now()))
    await bot.inject(said("/bind", sender="王警官"))
    await bot.inject(said("小区门口那个井盖松了 踩上去晃 谁管 能找警察吗", addressed=True))
    return World(services, bot, sender, clock)


def ticket(w: World) -> Escalation:
    with session(w.services.engine) as db:
        return db.exec(select(Escalation)).one()


def row(w: World) -> OutboxMessage:
    """The answer's row."""
    with session(w.services.engine) as db:
        return db.exec(select(OutboxMessage).where(OutboxMessage.kind == ANSWER_KIND)).one()


def answers(w: World) -> list[Outgoing]:
    return [o for o in w.bot.sent if o.chat == GROUP and "市政" in o.text]


def to_officer(w: World) -> list[str]:
    return [o.text for o in w.bot.sent if o.chat == OFFICER_CHAT]


async def answer(w: World) -> list[Outgoing]:
    return await w.bot.inject(
        said(f"修改 {ticket(w).id} 井盖属于市政，已联系处理。", sender="王警官", group=False)
    )


async def test_transient_failures_then_delivered_once_and_answered(db_url: str) -> None:
    w = await world(db_url)
    w.bot.failures = [RetryLater(1.0), ConnectionError("network down")]
    await answer(w)
    assert answers(w) == [] and ticket(w).state == TicketState.SENDING_ANSWER
    assert row(w).state == OutboxState.PENDING and row(w).attempts == 1
    assert await w.sender.deliver_due() == 0  # not due yet: backing off
    w.clock.at += timedelta(seconds=3)
    assert await w.sender.deliver_due() == 1  # fails again: network
    assert answers(w) == [] and row(w).attempts == 2
    w.clock.at += timedelta(seconds=5)
    assert await w.sender.deliver_due() == 3  # the answer, the card edited, the note
    w.clock.at += timedelta(minutes=10)
    assert await w.sender.deliver_due() == 0  # nothing left to send
    (posted,) = answers(w)
    assert posted.reply_to is not None and ticket(w).state == TicketState.ANSWERED
    assert row(w).state == OutboxState.SENT and row(w).attempts == 3
    assert "回复已发送到群里" in to_officer(w)[-1]


async def test_a_permanent_failure_leaves_the_ticket_open_and_tells_the_officer(
    db_url: str,
) -> None:
    w = await world(db_url)
    w.bot.failures = [ChatGone("Forbidden: bot was kicked from the group chat")]
    await answer(w)
    assert answers(w) == [] and row(w).state == OutboxState.FAILED
    assert ticket(w).state == TicketState.PENDING
    assert "发送失败：机器人已不在该群" in to_officer(w)[-1]
    w.clock.at += timedelta(hours=1)
    assert await w.sender.deliver_due() == 0 and answers(w) == []


async def test_a_migrated_group_is_followed(db_url: str) -> None:
    w = await world(db_url)
    w.bot.failures = [ChatMovedTo("group:2")]
    await answer(w)
    assert row(w).state == OutboxState.SENT and row(w).chat_id == "group:2"
    assert [o.chat.chat_id for o in w.bot.sent if o.reply_to and "市政" in o.text] == ["group:2"]
    assert ticket(w).state == TicketState.ANSWERED and ticket(w).chat_id == "group:2"


async def test_a_crash_between_claim_and_send_is_reported_unknown_never_resent(
    db_url: str,
) -> None:
    w = await world(db_url)
    w.bot.failures = [RetryLater(1.0)]
    await answer(w)
    w.clock.at += timedelta(seconds=5)
    # Another worker claims the row, then dies before its send (it holds no worker lock).
    assert claim(w.services.engine, row(w).id or 0, "worker-that-died", w.clock.now())
    assert await w.sender.deliver_due() == 0  # claimed: not ours to send
    assert await w.sender.recover() == 1
    assert row(w).state == OutboxState.UNKNOWN and ticket(w).state == TicketState.PENDING
    assert "发送情况不明" in to_officer(w)[-1]
    w.clock.at += timedelta(hours=1)
    assert await w.sender.deliver_due() == 0 and await w.sender.recover() == 0
    assert answers(w) == []
