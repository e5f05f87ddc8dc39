"""Every message of the ticket loop is an outbox row written with the state change that
causes it (SQLite and PostgreSQL): a card an officer cannot receive goes to the duty
officer with an admin alert, a failed answer reaches the duty officer too, and no ticket
loses its officer."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_outbox, build_services
from core.config import parse_settings
from core.db import Escalation, Officer, OutboxMessage, session
from core.events import ChatRef, Outgoing, SentRef
from core.ports import ChatGone
from core.states import OutboxState
from handlers.services import Services
from tests.integration.test_flow import GROUP, Clock, said
from tickets.service import ACK_KIND, ANSWER_KIND, CARD_KIND, TicketState

LI, WANG = "李警官", "王警官"  # 李 (not on duty) has the group; 王 is the duty officer
LI_CHAT, WANG_CHAT = ChatRef("console", f"officer:{LI}"), ChatRef("console", f"officer:{WANG}")
NEVER_STARTED = "Forbidden: bot can't initiate conversation with a user"


@dataclass
class RefusingAdapter(FakeAdapter):
    """Refuses every send to the chats in ``refused`` (403), as Telegram does to a user
    who never started the bot."""

    refused: set[ChatRef] = field(default_factory=set)

    async def send(self, out: Outgoing) -> SentRef:
        if out.chat in self.refused:
            raise ChatGone(NEVER_STARTED)
        return await super().send(out)


@dataclass
class World:
    services: Services
    bot: RefusingAdapter

    def to(self, chat: ChatRef) -> list[Outgoing]:
        return [o for o in self.bot.sent if o.chat == chat]

    def ticket(self) -> Escalation:
        with session(self.services.engine) as db:
            return db.exec(select(Escalation)).one()

    def rows(self, kind: str) -> list[OutboxMessage]:
        with session(self.services.engine) as db:
            query = select(OutboxMessage).where(OutboxMessage.kind == kind)
            return list(db.exec(query.order_by(col(OutboxMessage.id))).all())


async def world(db_url: str, refused: set[ChatRef]) -> World:
    settings = parse_settings(
        {
            "database": {"url": db_url},
            "stations": [
                {"id": "xq", "name": "兴庆派出所", "address": "a", "phone": "p", "hours": "h"}
            ],
            "officers": [
                {"name": LI, "station": "xq"},
                {"name": WANG, "station": "xq", "duty": True},
            ],
        },
        "test",
    )
    services = build_services(settings, Clock())
    bot = RefusingAdapter(refused=refused)
    adapters = {"console": bot}
    await bot.start(build_dispatcher(services, adapters, build_outbox(services, adapters)))
    await bot.inject(said("/bind", sender=LI))
    return World(services, bot)


QUESTION = "小区门口那个井盖松了 踩上去晃 谁管 能找警察吗"


async def test_the_ticket_its_card_and_the_acknowledgement_are_written_together(
    db_url: str,
) -> None:
    w = await world(db_url, refused=set())
    out = await w.bot.inject(said(QUESTION, addressed=True))
    (ack,) = w.rows(ACK_KIND)
    (card,) = w.rows(CARD_KIND)
    ticket = w.ticket()
    assert ack.ticket_id == card.ticket_id == ticket.id and card.officer_id == ticket.officer_id
    assert ack.created_at == card.created_at == ticket.created_at  # one transaction
    assert ack.state == card.state == OutboxState.SENT
    assert [o.chat for o in out] == [GROUP, LI_CHAT]  # the resident's reply first
    assert "工单号" in out[0].text and out[0].reply_to and out[1].buttons
    assert ticket.card_chat_id == LI_CHAT.chat_id and ticket.card_message_id


async def test_a_card_the_officer_cannot_receive_goes_to_the_duty_officer(db_url: str) -> None:
    w = await world(db_url, refused={LI_CHAT})
    await w.bot.inject(said(QUESTION, addressed=True))
    (failed, forwarded) = w.rows(CARD_KIND)
    assert failed.state == OutboxState.FAILED and forwarded.state == OutboxState.SENT
    card, alert = w.to(WANG_CHAT)
    assert "李警官 收不到机器人的私信" in card.text and card.buttons
    assert "机器人联系不上 李警官" in alert.text and "/start" in alert.text
    assert "Forbidden" not in card.text + alert.text  # no English reaches an officer
    with session(w.services.engine) as db:
        li = db.exec(select(Officer).where(Officer.name == LI)).one()
    assert w.ticket().officer_id == li.id  # still 李's: in his 待办 once he can be reached
    w.bot.refused.clear()
    listed = await w.bot.inject(said("待办", sender=LI, group=False))
    assert f"#{w.ticket().id} " in listed[0].text

    # A second ticket's card fails too: the duty officer gets it, the alert is not repeated.
    await w.bot.inject(said("楼下有人在撬电动车 现在还在", sender="r2"))
    assert w.to(LI_CHAT)[-1].buttons  # reachable now: the card is his
    w.bot.refused.add(LI_CHAT)
    await w.bot.inject(said("小区里有人发传单说能办低保 是真的吗", sender="r3", addressed=True))
    assert len([o for o in w.to(WANG_CHAT) if "机器人联系不上" in o.text]) == 1


async def test_a_failed_answer_is_told_to_the_officer_and_handed_to_the_duty_officer(
    db_url: str,
) -> None:
    w = await world(db_url, refused=set())
    await w.bot.inject(said(QUESTION, addressed=True))
    w.bot.refused.add(GROUP)
    await w.bot.inject(
        said(f"修改 {w.ticket().id} 井盖属于市政，已联系处理。", sender=LI, group=False)
    )
    (answer,) = w.rows(ANSWER_KIND)
    assert answer.state == OutboxState.FAILED and w.ticket().state == TicketState.PENDING
    told = w.to(LI_CHAT)[-1].text
    assert "发送失败：机器人已不在该群" in told and "已转值班民警" in told
    (card,) = w.to(WANG_CHAT)
    assert "李警官 的回复没能发到群里" in card.text and card.buttons
    # The duty officer sends it again once the group takes messages: answered, and he is told.
    w.bot.refused.clear()
    await w.bot.inject(said(f"批准 {w.ticket().id}", sender=WANG, group=False))  # no draft
    await w.bot.inject(said(f"修改 {w.ticket().id} 已联系市政处理。", sender=WANG, group=False))
    assert w.ticket().state == TicketState.ANSWERED
    assert "回复已发送到群里" in w.to(WANG_CHAT)[-1].text
    assert [o.text for o in w.to(GROUP) if o.reply_to and "市政" in o.text] == ["已联系市政处理。"]
