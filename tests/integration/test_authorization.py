"""Officers act only on their own station's tickets and groups (issue 21), on both databases.

The matrix: every officer action × own / other station / a city admin × button / text.
Two stations: 兴庆 (xq, configured first) with 王警官 (duty) and 李警官, and 金凤 (jf) with
赵警官 (duty) and the city admin 钱局长, who acts on every station's tickets (issue 17).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_outbox, build_services
from core.config import parse_settings
from core.db import AuditEntry, Escalation, Group, Officer, session
from core.events import ButtonPress, ChatRef, IncomingMessage, Outgoing
from handlers.services import Services
from tests.conftest import database_url

GROUP_A = ChatRef("console", "group:xq")
GROUP_B = ChatRef("console", "group:jf")
UNBOUND = ChatRef("console", "group:none")
OWN, OTHER = "王警官", "赵警官"  # to a ticket in GROUP_A
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
_ids = itertools.count(1)


class Clock:
    def now(self) -> datetime:
        return NOW


def two_stations(url: str):  # type: ignore[no-untyped-def]
    station = {"address": "a", "phone": "0951-6000000", "hours": "9-17"}
    return parse_settings(
        {
            "database": {"url": url},
            "stations": [
                station | {"id": "xq", "name": "兴庆派出所"},
                station | {"id": "jf", "name": "金凤派出所"},
            ],
            "officers": [
                {"name": "王警官", "station": "xq", "duty": True},
                {"name": "李警官", "station": "xq"},
                {"name": "赵警官", "station": "jf", "duty": True},
                {"name": "钱局长", "station": "jf", "city_admin": True},  # every station's
            ],
        },
        "test",
    )


@dataclass
class World:
    services: Services
    bot: FakeAdapter


def said(chat: ChatRef, sender: str, text: str, *, group: bool = True) -> IncomingMessage:
    return IncomingMessage(
        chat,
        sender,
        sender,
        text,
        str(next(_ids)),
        is_group=group,
        addressed=not group,
        received_at=NOW,
        chat_title="社区群",
    )


def private(officer: str, text: str) -> IncomingMessage:
    return said(ChatRef("console", f"officer:{officer}"), officer, text, group=False)


def pressed(officer: str, data: str) -> ButtonPress:
    return ButtonPress(ChatRef("console", f"officer:{officer}"), officer, officer, data, "1", NOW)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One bot per database for the whole module; each test opens its own tickets."""

    def build(url: str) -> World:
        services = build_services(two_stations(url), Clock())
        bot = FakeAdapter()
        asyncio.run(bot.start(build_dispatcher(services, {"console": bot})))
        asyncio.run(bot.inject(said(GROUP_A, "王警官", "/bind")))
        asyncio.run(bot.inject(said(GROUP_B, "赵警官", "/bind")))
        return World(services, bot)

    with database_url(request.param, tmp_path_factory.mktemp("authz")) as url:
        world = build(url)
        yield world
        world.services.engine.dispose()


def open_ticket(
    world: World,
    chat: ChatRef = GROUP_A,
    question: str = "楼道里的电动车充电 谁管",
    resident: str = "张阿姨",
) -> int:
    """A suggestion with a draft in ``chat``, for the group's officer (as the bot opens one)."""
    with session(world.services.engine) as db:
        group = db.exec(select(Group).where(Group.chat_id == chat.chat_id)).first()
        ticket = Escalation(
            platform=chat.platform,
            chat_id=chat.chat_id,
            message_id=str(next(_ids)),
            resident_id="r1",
            resident_name=resident,
            question=question,
            action="suggest",
            faq_id="newborn-hukou",
            draft="您好，这是拟回复。",
            officer_id=group.officer_id if group else None,
        )
        db.add(ticket)
        db.commit()
        assert ticket.id is not None
        return ticket.id


def ticket_of(world: World, ticket_id: int) -> Escalation:
    with session(world.services.engine) as db:
        ticket = db.get(Escalation, ticket_id)
        assert ticket is not None
        return ticket


def refusals(world: World, ticket_id: int) -> list[AuditEntry]:
    with session(world.services.engine) as db:
        query = select(AuditEntry).where(
            AuditEntry.escalation_id == ticket_id, AuditEntry.action == "refused"
        )
        return list(db.exec(query).all())


async def act(world: World, officer: str, action: str, via: str, ticket_id: int) -> list[Outgoing]:
    if via == "button":
        out = await world.bot.inject(pressed(officer, f"t:{action}:{ticket_id}"))
        if action == "edit" and "请发送工单" in out[0].text:  # the next message is the draft
            out += await world.bot.inject(private(officer, "您好，电动车请到楼下充电棚充电。"))
            out += await world.bot.inject(pressed(officer, f"t:send:{ticket_id}"))  # 发送
        return out
    command = {
        "approve": f"批准 {ticket_id}",
        "edit": f"修改 {ticket_id} 您好，电动车请到楼下充电棚充电。",
        "reject": f"驳回 {ticket_id} 已电话联系",
        "faq": f"加入FAQ {ticket_id}",
        "show": f"工单 {ticket_id}",
    }[action]
    return await world.bot.inject(private(officer, command))


MATRIX = [
    pytest.param(action, station, via, id=f"{action}-{station}-{via}")
    for action in ("approve", "edit", "reject", "faq", "show")
    for station in ("own", "other", "city")
    for via in ("button", "text")
    if not (action == "show" and via == "button")  # a card has no 工单 button
]


@pytest.mark.parametrize(("action", "station", "via"), MATRIX)
async def test_officers_act_only_on_their_own_stations_tickets(
    world: World, action: str, station: str, via: str
) -> None:
    ticket_id = open_ticket(world)
    officer = {"own": OWN, "other": OTHER, "city": "钱局长"}[station]
    out = await act(world, officer, action, via, ticket_id)
    ticket = ticket_of(world, ticket_id)
    to_group = [o for o in out if o.chat == GROUP_A]
    if station == "other":
        assert [o.text for o in out] == [
            f"工单 #{ticket_id} 来自其他派出所辖区的群，您不能查看或处理。"
        ]
        assert ticket.state == "pending" and not ticket.add_to_faq and ticket.decided_by is None
        assert len(refusals(world, ticket_id)) == 1
        return
    expected_state = {"approve": "answered", "edit": "answered", "reject": "rejected"}
    assert ticket.state == expected_state.get(action, "pending")
    # An answer, or a rejection's reason (驳回 N 理由: told to the resident; the button: not).
    told = action in ("approve", "edit") or (action == "reject" and via == "text")
    assert len(to_group) == (1 if told else 0)
    if action == "faq":
        assert ticket.add_to_faq
    if action == "show":
        assert "电动车充电" in out[0].text and out[0].buttons
    assert refusals(world, ticket_id) == []


async def test_an_edit_started_by_button_is_checked_again_when_it_arrives(world: World) -> None:
    """The 修改 button of the right station, then the group is bound elsewhere: the answer
    typed next is refused, not posted."""
    ticket_id = open_ticket(world, GROUP_B)
    prompt = await world.bot.inject(pressed(OTHER, f"t:edit:{ticket_id}"))
    assert "请发送工单" in prompt[0].text
    with session(world.services.engine) as db:
        group = db.exec(select(Group).where(Group.chat_id == GROUP_B.chat_id)).one()
        group.station_id = "xq"
        db.add(group)
        db.commit()
    try:
        out = await world.bot.inject(private(OTHER, "这条不该发到群里"))
        assert "其他派出所" in out[0].text and not [o for o in out if o.chat == GROUP_B]
        assert ticket_of(world, ticket_id).state == "pending"
    finally:
        with session(world.services.engine) as db:
            group = db.exec(select(Group).where(Group.chat_id == GROUP_B.chat_id)).one()
            group.station_id = "jf"
            db.add(group)
            db.commit()


async def test_pending_lists_only_the_officers_station(world: World) -> None:
    ours, theirs, unbound = (
        open_ticket(world),
        open_ticket(world, GROUP_B),
        open_ticket(world, UNBOUND),
    )
    listed_a = (await world.bot.inject(private(OWN, "待办")))[0].text
    listed_b = (await world.bot.inject(private(OTHER, "待办")))[0].text
    assert f"#{ours} " in listed_a and f"#{theirs} " not in listed_a
    assert f"#{theirs} " in listed_b and f"#{ours} " not in listed_b
    # A group bound to no station is the first station's (whose details answer there).
    assert f"#{unbound} " in listed_a and f"#{unbound} " not in listed_b
    # 李警官 is not on duty: only tickets assigned to him (none).
    assert "目前没有待处理的工单" in (await world.bot.inject(private("李警官", "待办")))[0].text


async def test_a_ticket_of_an_unbound_group_belongs_to_the_first_station(world: World) -> None:
    ticket_id = open_ticket(world, UNBOUND)
    refused = await world.bot.inject(private(OTHER, f"批准 {ticket_id}"))
    assert "其他派出所" in refused[0].text
    done = await world.bot.inject(private(OWN, f"批准 {ticket_id}"))
    assert [o.chat for o in done if o.chat == UNBOUND] == [UNBOUND]


def bound_to(world: World, chat: ChatRef) -> tuple[str | None, int | None]:
    with session(world.services.engine) as db:
        group = db.exec(select(Group).where(Group.chat_id == chat.chat_id)).one()
        return group.station_id, group.officer_id


def audited(world: World, action: str) -> list[AuditEntry]:
    with session(world.services.engine) as db:
        query = select(AuditEntry).where(AuditEntry.action == action)
        return list(db.exec(query.order_by(col(AuditEntry.id))).all())


async def test_a_group_bound_to_another_station_cannot_be_taken(world: World) -> None:
    before = bound_to(world, GROUP_A)
    refused = await world.bot.inject(said(GROUP_A, OTHER, "/bind"))
    assert refused[0].text == "本群已绑定到兴庆派出所，只有该所的民警可以重新绑定。"
    assert bound_to(world, GROUP_A) == before
    assert any(
        a.actor == f"officer:{OTHER}" and GROUP_A.chat_id in a.detail
        for a in audited(world, "bind refused")
    )


async def test_rebinding_within_the_station_is_audited(world: World) -> None:
    chat = ChatRef("console", "group:rebind")
    await world.bot.inject(said(chat, OWN, "/bind"))
    first = bound_to(world, chat)
    ok = await world.bot.inject(said(chat, "李警官", "/bind"))
    assert "李警官" in ok[0].text
    assert bound_to(world, chat)[0] == "xq" and bound_to(world, chat) != first
    rebind = audited(world, "rebind")[-1]
    assert rebind.actor == "officer:李警官" and chat.chat_id in rebind.detail
    assert f"officer {first[1]}" in rebind.detail


async def test_bind_addressed_to_another_bot_is_ignored(world: World) -> None:
    chat = ChatRef("console", "group:otherbot")
    assert await world.bot.inject(said(chat, OTHER, "/bind@other_bot")) == []
    with session(world.services.engine) as db:
        group = db.exec(select(Group).where(Group.chat_id == chat.chat_id)).first()
    assert group is None or group.station_id is None


@pytest.mark.parametrize(
    "text",
    ["驳回 1", "驳回广播 3", "批准 2", "批准广播 1 20261128T010000Z", "修改 1 好的", "待办",
     "工单 1", "加入FAQ 1", "/send 3", "/approve 1", "/bind@other_bot"],
)  # fmt: skip
async def test_officer_command_words_in_a_group_open_no_ticket(world: World, text: str) -> None:
    with session(world.services.engine) as db:
        before = len(db.exec(select(Escalation)).all())
    message = said(GROUP_A, "r9", text)
    addressed = IncomingMessage(**{**_fields(message), "addressed": True})
    assert await world.bot.inject(message) == []
    assert await world.bot.inject(addressed) == []
    with session(world.services.engine) as db:
        assert len(db.exec(select(Escalation)).all()) == before


async def test_a_resident_asking_about_their_ticket_is_heard(world: World) -> None:
    asked = IncomingMessage(
        **{**_fields(said(GROUP_A, "r9", "工单 12 怎么还没人处理")), "addressed": True}
    )
    assert await world.bot.inject(asked) != []


def _fields(message: IncomingMessage) -> dict[str, object]:
    return {name: getattr(message, name) for name in IncomingMessage.__slots__}


@pytest.mark.parametrize(
    "data",
    ["t:approve:999999", "t:approve:99999999999999999999", "t:approve:²", "t:approve:-1",
     "t:approve:0", "t:approve:", "t:approve:١٢", "t:bogus:1", "t:approve:1:2", "garbage",
     "b:approve:²:20261128T010000Z", "b:approve:99999999999999999999:x", "b:approve:1:x",
     "b:approve"],
)  # fmt: skip
@pytest.mark.parametrize("who", ["officer", "resident"])
async def test_malformed_button_data_gets_a_short_answer(world: World, data: str, who: str) -> None:
    press = pressed(OWN, data) if who == "officer" else ButtonPress(
        ChatRef("console", "r1"), "r1", "张阿姨", data, "1", NOW
    )  # fmt: skip
    out = await world.bot.inject(press)
    assert len(out) == 1 and out[0].chat == press.chat and 0 < len(out[0].text) < 100
    if who == "resident":
        assert "只有社区民警" in out[0].text


@pytest.mark.parametrize(
    "text", ["批准 99999999999999999999", "批准 999999", "工单 0", "预览广播 99999999999999999999"]
)
async def test_malformed_ticket_numbers_in_text_get_a_short_answer(world: World, text: str) -> None:
    out = await world.bot.inject(private(OWN, text))
    assert len(out) == 1 and ("找不到" in out[0].text or "没有编号" in out[0].text)


async def test_an_officer_editing_a_ticket_another_decided_is_told_once(world: World) -> None:
    ticket_id = open_ticket(world)
    await world.bot.inject(pressed(OWN, f"t:edit:{ticket_id}"))
    await world.bot.inject(private("李警官", f"批准 {ticket_id}"))  # same station: allowed
    late = await world.bot.inject(private(OWN, "您好，请到户籍窗口办理。"))
    assert [o.text for o in late] == [f"工单 #{ticket_id} 已由李警官处理（已回复），无需再处理。"]
    again = await world.bot.inject(private(OWN, "身份证丢了怎么补办"))
    assert "已由李警官处理" not in again[0].text  # no longer editing: an ordinary question


async def test_reminders_and_hand_overs_go_to_the_tickets_station(world: World) -> None:
    from handlers.reminders import due_reminders

    stale, orphan = open_ticket(world), open_ticket(world, UNBOUND)
    with session(world.services.engine) as db:
        zhao = db.exec(select(Officer).where(Officer.name == OTHER)).one()
        for ticket_id, minutes in ((stale, 31), (orphan, 121)):
            ticket = db.get(Escalation, ticket_id)
            assert ticket is not None
            ticket.created_at = NOW - timedelta(minutes=minutes)
            ticket.officer_id = zhao.id if ticket_id == stale else None
            db.add(ticket)
        db.commit()
    before = len(world.bot.sent)
    assert await due_reminders(world.services) == 2
    await build_outbox(world.services, {"console": world.bot}).deliver_due()
    out = world.bot.sent[before:]
    # 赵警官 (金凤) is not reminded of a 兴庆 group's ticket; the orphan reaches 兴庆's duty.
    assert [o.chat.chat_id for o in out] == ["officer:王警官"]
    assert f"#{orphan}" in out[0].text and out[0].buttons
