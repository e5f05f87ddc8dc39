"""Several WeChat accounts over overlapping rooms, against a real database (SQLite and
PostgreSQL), with scripted per-account senders: who serves which room, fan-out through
the right account only, an account in trouble, a room one account cannot see."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from broadcasts import ledger
from broadcasts.fanout import FanOut
from broadcasts.models import Campaign
from broadcasts.runs import Broadcaster
from core.db import Group, Officer
from core.events import BotRemovedFromGroup, ChatRef, Event, IncomingMessage, Outgoing
from core.ports import AccountRestricted, ChatGone
from infra.accounts import AccountDirectory, AccountRouter, Handover
from tests.e2e.test_broadcast_support import (
    FakeSender,
    ManualClock,
    add_campaign,
    add_groups,
    deliveries,
    make_db,
    settings_for,
)
from tests.fakes.notices import deliver_notices

SLOT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ACCOUNTS = ("a", "b", "c")
# a: rooms 0-14, b: 10-24, c: 20-29 — 10-14 and 20-24 are shared.
MEMBERSHIP = {"a": range(0, 15), "b": range(10, 25), "c": range(20, 30)}


def room(i: int) -> str:
    return f"{1000 + i}@chatroom"


@dataclass
class Station:
    engine: Engine
    directory: AccountDirectory
    senders: dict[str, FakeSender]
    router: AccountRouter
    clock: ManualClock
    told: list[tuple[str, Handover]] = field(default_factory=list)

    def fanout(self) -> FanOut:
        fanout = FanOut(self.engine, {"wechat": self.router}, clock=self.clock)  # type: ignore[dict-item]

        async def tell(account: str, reason: str, until: datetime, handover: Handover) -> None:
            self.told.append((account, handover))

        fanout.on_trouble = tell
        return fanout

    def serving(self) -> dict[str, str | None]:
        with Session(self.engine) as db:
            return {g.chat_id: g.account for g in db.exec(select(Group))}

    def sent_by(self) -> dict[str, list[str]]:
        return {a: [o.chat.chat_id for o in s.sent] for a, s in self.senders.items()}


@pytest.fixture
def station(db_url: str) -> Any:
    engine = make_db(settings_for(db_url))
    add_groups(engine, [room(i) for i in range(30)], platform="wechat")
    clock = ManualClock(SLOT)
    directory = AccountDirectory(engine, "wechat", ACCOUNTS, clock)
    for account, rooms in MEMBERSHIP.items():
        directory.roster(account, [(room(i), f"楼{i}") for i in rooms])
    senders = {a: FakeSender(platform="wechat") for a in ACCOUNTS}
    yield Station(engine, directory, senders, AccountRouter(senders, directory), clock)  # type: ignore[arg-type]
    engine.dispose()


def open_slot(engine: Engine) -> int:
    campaign = add_campaign(engine)
    with Session(engine) as db:
        found = db.get(Campaign, campaign.id)
        assert found is not None and campaign.id is not None
        ledger.open_run(db, found, SLOT, "test", approved_by="test", now=SLOT)
    return campaign.id


def text(_: str | None) -> str:
    return "反诈提醒"


async def test_a_shared_room_is_served_by_one_account_and_each_room_gets_one_copy(
    station: Station,
) -> None:
    serving = station.serving()
    assert all(serving[room(i)] == "a" for i in range(15))  # first in config order
    assert all(serving[room(i)] == "b" for i in range(15, 25))
    assert all(serving[room(i)] == "c" for i in range(25, 30))
    campaign_id = open_slot(station.engine)
    assert {r.chat_id: r.account for r in deliveries(station.engine, campaign_id)} == serving

    result = await station.fanout().run(campaign_id, SLOT, text)

    assert result.sent == 30 and result.pending == 0
    sent = station.sent_by()
    every = [chat for chats in sent.values() for chat in chats]
    assert sorted(every) == sorted(room(i) for i in range(30))  # each room exactly once
    for account, chats in sent.items():
        assert all(serving[chat] == account for chat in chats)
        assert {int(c[:4]) - 1000 for c in chats} <= set(MEMBERSHIP[account])


async def test_an_account_in_trouble_rests_and_its_shared_rooms_finish_through_the_spare(
    station: Station,
) -> None:
    campaign_id = open_slot(station.engine)
    station.senders["a"].script = {
        room(i): [AccountRestricted("WeChat restricts the account: 操作过于频繁", 6 * 3600)]
        for i in range(15)
    }

    result = await station.fanout().run(campaign_id, SLOT, text)

    rows = {r.chat_id: r for r in deliveries(station.engine, campaign_id)}
    sent = station.sent_by()
    assert sent["a"] == []  # it refused the first one: nothing went out through it
    shared = {room(i) for i in range(10, 15)}
    assert shared <= set(sent["b"])  # its rooms with a spare finished through the spare
    alone = {room(i) for i in range(10)}
    assert {rows[c].state for c in alone} == {"pending"}  # the rest wait for it
    assert result.pending == 10 and result.sent == 20
    assert result.resume_at == SLOT + timedelta(hours=6)
    assert station.directory.resting_until("a") == SLOT + timedelta(hours=6)
    with Session(station.engine) as db:
        assert all(g.active for g in db.exec(select(Group)))  # nothing deactivated
    ((account, handover),) = station.told
    assert account == "a" and (handover.moved, handover.stuck) == (5, 10)
    assert handover.stations == {"xq"}
    # while it rests, another pass leaves its rooms alone
    again = await station.fanout().run(campaign_id, SLOT, text)
    assert again.pending == 10 and station.sent_by()["a"] == []


async def test_a_room_one_account_cannot_see_goes_to_the_spare_and_is_not_retired(
    station: Station,
) -> None:
    campaign_id = open_slot(station.engine)
    station.senders["a"].script = {
        room(12): [ChatGone("the bot is no longer in room")],  # shared with b
        room(3): [ChatGone("the bot is no longer in room")],  # a alone
    }

    result = await station.fanout().run(campaign_id, SLOT, text)

    assert result.sent == 29 and result.failed == 1
    assert room(12) in station.sent_by()["b"]
    with Session(station.engine) as db:
        active = {g.chat_id: g.active for g in db.exec(select(Group))}
    assert active[room(12)] is True and station.serving()[room(12)] == "b"
    assert active[room(3)] is False  # nobody else is in it: really gone


def message(chat: str, sender: str = "wxid_resident") -> IncomingMessage:
    return IncomingMessage(
        chat=ChatRef("wechat", chat),
        sender_id=sender,
        sender_name="居民",
        text="请问户口怎么迁",
        message_id=f"m-{chat}",
        is_group=chat.endswith("@chatroom"),
        addressed=True,
        received_at=SLOT,
    )


async def test_a_shared_room_is_answered_once_and_replies_go_through_its_account(
    station: Station,
) -> None:
    handled: list[Event] = []

    async def sink(event: Event) -> None:
        handled.append(event)

    take_a = station.router._sink("a", sink)
    take_b = station.router._sink("b", sink)
    await take_a(message(room(12)))
    await take_b(message(room(12)))  # the same words, seen by the spare: not answered twice
    await take_b(message("wxid_officer"))  # a private message: always handled
    assert [e.chat.chat_id for e in handled if hasattr(e, "chat")] == [room(12), "wxid_officer"]

    await station.router.send(Outgoing(ChatRef("wechat", room(12)), "答复"))
    await station.router.send(Outgoing(ChatRef("wechat", "wxid_officer"), "工单"))
    assert [o.chat.chat_id for o in station.senders["a"].replies] == [room(12)]
    assert [o.chat.chat_id for o in station.senders["b"].replies] == ["wxid_officer"]

    # a is removed from the shared room: b serves it, the group stays
    await take_a(BotRemovedFromGroup(ChatRef("wechat", room(12)), SLOT))
    assert len(handled) == 2 and station.serving()[room(12)] == "b"
    await take_b(replace(message(room(12)), message_id="m-2"))
    assert len(handled) == 3


class RestrictedSender(FakeSender):
    async def send(self, out: Outgoing) -> Any:
        raise AccountRestricted("WeChat restricts the account: 操作过于频繁", 3600)


async def test_a_reply_refused_as_too_frequent_goes_through_the_spare(station: Station) -> None:
    station.router.accounts["a"] = RestrictedSender(platform="wechat")
    told: list[tuple[str, Handover]] = []

    async def tell(account: str, reason: str, until: datetime, handover: Handover) -> None:
        told.append((account, handover))

    station.router.on_rest = tell

    await station.router.send(Outgoing(ChatRef("wechat", room(12)), "答复"))

    assert [(account, h.moved, h.stuck) for account, h in told] == [("a", 5, 10)]

    assert [o.chat.chat_id for o in station.senders["b"].replies] == [room(12)]
    assert station.directory.resting_until("a") == SLOT + timedelta(hours=1)
    assert station.serving()[room(12)] == "b"
    with pytest.raises(AccountRestricted):  # a room of a alone has nobody else to go through
        await station.router.send(Outgoing(ChatRef("wechat", room(3)), "答复"))


async def test_rooms_of_an_account_no_longer_configured_go_to_those_still_in_them(
    station: Station,
) -> None:
    campaign_id = open_slot(station.engine)
    del station.router.accounts["a"]  # the admin took account a out of the config
    station.directory.order = ("b", "c")

    result = await station.fanout().run(campaign_id, SLOT, text)

    assert result.sent == 20 and result.pending == 10  # a's own rooms 0-9 wait
    assert {room(i) for i in range(10, 15)} <= set(station.sent_by()["b"])


async def test_officers_and_the_duty_officer_are_told_in_chinese(db_url: str) -> None:
    settings = settings_for(
        db_url,
        officers=[
            {"name": "王警官", "station": "xq", "telegram_id": "9001"},
            {"name": "李警官", "station": "jf", "telegram_id": "9002"},
            {"name": "值班", "station": "jf", "telegram_id": "9003", "duty": True},
        ],
    )
    engine = make_db(settings)
    with Session(engine) as db:  # make_db leaves duty out
        for officer in db.exec(select(Officer).where(Officer.name == "值班")):
            officer.duty = True
            db.add(officer)
        db.commit()
    telegram = FakeSender()
    broadcaster = Broadcaster(engine, settings, {"telegram": telegram})
    handover = Handover("xq-1", moved=5, stuck=2, stations={"xq"})

    await broadcaster.account_rests(
        "xq-1", "WeChat restricts the account: UNKNOWN: 操作过于频繁", SLOT, handover
    )
    await deliver_notices(broadcaster)

    assert sorted(o.chat.chat_id for o in telegram.replies) == ["9001", "9003"]
    text = telegram.replies[0].text
    assert "「xq-1」" in text and "操作过于频繁" in text and "2026-03-02 10:00" in text
    assert "5 个群已改由备用账号发送" in text and "2 个群没有备用账号" in text
    assert "UNKNOWN" not in text and "WeChat" not in text  # no English reaches officers
    engine.dispose()


async def test_rooms_an_account_left_while_away_go_to_their_spare_on_its_next_connect(
    station: Station,
) -> None:
    station.directory.reached("a", "wxid_officer")  # a contact of a: not a room, stays
    station.directory.roster("a", [(room(i), f"楼{i}") for i in range(10)])  # left 10-14

    serving = station.serving()
    assert all(serving[room(i)] == "b" for i in range(10, 15))
    assert all(serving[room(i)] == "a" for i in range(10))
    assert station.directory.contact_accounts(room(12)) == ["b"]
    assert station.directory.contact_accounts("wxid_officer") == ["a"]
    station.directory.roster("a", [])  # a gateway that has not loaded its rooms yet
    assert station.serving() == serving
