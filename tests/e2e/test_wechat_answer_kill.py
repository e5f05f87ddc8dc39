"""The officer's answer on WeChat when the gateway dies mid-send, or refuses the room.

The real bot (`run_bot`) on the Node gateway, on SQLite and on PostgreSQL. A resident's
question becomes a ticket; the officer answers it (`批准 N` with the drafted answer, or
`修改 N 回复`), and the gateway holds the answer's send open (``hold_send``) and is SIGKILLed
while it does — after the room got the answer (the bot never heard back) or before (it never
arrived) — then started again. The rule, as in the Telegram kill test: the answer is in the
room exactly once, or it is missing and the officer was told "发送情况不明"; never twice,
never silently lost; the ticket keeps its owner. An officer told "发送情况不明" who finds no
answer in the room decides again, and it arrives once.

And a room that refuses the bot's message: the officer hears "发送失败：…", the ticket is back
in 待办, and nothing is in the room.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from core.config import Settings, parse_settings
from tests.e2e.wechat_fixtures import ConnectionLog, WechatGateway, running_bot

pytestmark = pytest.mark.e2e

UNKNOWN_NOTE = "：发送情况不明"
SENT_NOTE = "：回复已发送到群里"
FAILED_NOTE = "：发送失败："
WITH_DRAFT = "我申请的无犯罪记录证明到现在还没通知我取 怎么回事"  # drafted: 批准 posts it
WITHOUT_DRAFT = "小区门口的井盖松了 踩上去晃 能找人修一下吗"
ANSWER = "您好，井盖的事已经报给市政，这两天就来修。"


def bot_settings(db_url: str, officer: str) -> Settings:
    return parse_settings(
        {
            "database": {"url": db_url},
            "stations": [
                {"id": "xq", "name": "兴庆派出所", "address": "解放东街1号",
                 "phone": "0951-6000000", "hours": "9-17"}
            ],
            "officers": [{"name": "王警官", "station": "xq", "wechat_id": officer, "duty": True}],
            # Paced as a real account (3 s between sends), each officer's note took 3-5 s.
            "wechat": {"seconds_between_sends": 0.2},
        },
        "test",
    )  # fmt: skip


class Db:
    """Short reads of the bot's database, off the event loop."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)

    def all(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]

    async def one(self, sql: str, **params: Any) -> Any:
        found = await asyncio.to_thread(self.all, sql, params)
        return found[0][0] if found else None

    async def quiet(self, within: float = 60.0) -> None:
        """Nothing left to send: every outbox row sent, failed or unknown."""
        deadline = time.monotonic() + within
        busy = "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')"
        while await self.one(busy):
            if time.monotonic() > deadline:
                raise TimeoutError("the outbox did not get through its rows")
            await asyncio.sleep(0.05)


@dataclass
class Room:
    """The gateway, the room, the officer and the resident (what the room got is kept
    across the gateway's kills: ``sent_log``)."""

    gateway: WechatGateway
    db: Db
    room: str
    officer: str
    resident: str

    async def count(self, to: str, words: str) -> int:
        return sum(words in m["text"] for m in await self.gateway.sent(to))

    async def kill_and_restart(self, connection_log: ConnectionLog) -> None:
        """SIGKILL the gateway, start it again, wait until the bot is back on it."""
        self.gateway.kill()
        await connection_log.wait_for(False, within=30)
        self.gateway.start()
        await connection_log.wait_for(True, within=60)

    async def ask(self, question: str) -> int:
        """The resident asks; the ticket's number, once its card reached the officer."""
        await self.gateway.say(self.resident, question, room_id=self.room, mention_bot=True)
        card = await self.gateway.wait_sent(
            self.officer, lambda m: question[:6] in m["text"] and "工单 #" in m["text"], 15
        )
        found = re.search(r"工单 #(\d+)", card["text"])
        assert found is not None, card["text"]
        ticket = int(found.group(1))
        await self.gateway.wait_sent(self.room, lambda m: f"工单号 #{ticket}" in m["text"], 15)
        return ticket

    async def question(self, path: str) -> tuple[int, str, str]:
        """The resident asks (a question with a drafted answer for 批准); the ticket, words
        its answer starts with, and the officer's decision along ``path``."""
        ticket = await self.ask(WITH_DRAFT if path == "approve" else WITHOUT_DRAFT)
        if path == "edit":
            return ticket, ANSWER[:12], f"修改 {ticket} {ANSWER}"
        draft = await self.db.one("SELECT draft FROM escalation WHERE id = :t", t=ticket)
        assert draft, "the question was meant to come with a drafted answer"
        return ticket, str(draft)[:12], f"批准 {ticket}"

    async def note(self, ticket: int, words: str, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while not await self.count(self.officer, f"工单 #{ticket}{words}"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the officer was not told {words!r} about #{ticket}")
            await asyncio.sleep(0.05)

    async def answer_rows(self, ticket: int) -> str:
        """The states of the ticket's answer rows, oldest first ("unknown/sent")."""
        states = await asyncio.to_thread(
            self.db.all,
            "SELECT state FROM outbox WHERE ticket_id = :t AND kind = 'ticket answer' ORDER BY id",
            {"t": ticket},
        )
        return "/".join(str(state) for (state,) in states)

    async def ticket(self, ticket: int) -> tuple[str, int | None]:
        state = await self.db.one("SELECT state FROM escalation WHERE id = :t", t=ticket)
        owner = await self.db.one("SELECT officer_id FROM escalation WHERE id = :t", t=ticket)
        return str(state), owner


@pytest.fixture
def gateway(wechat_gateway_installed: None, tmp_path: Path) -> Iterator[WechatGateway]:
    """A gateway for one test, to kill: its rooms and what it sent survive the kill."""
    gateway = WechatGateway(
        tmp_path, state_file=tmp_path / "gateway-state.json", sent_log=tmp_path / "sent.jsonl"
    )
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
async def room(
    gateway: WechatGateway, db_url: str, connection_log: ConnectionLog
) -> AsyncIterator[Room]:
    """The real bot running on the test's gateway, the officer bound to the room."""
    officer = await gateway.add_contact("王警官", "wxid_officer_wang")
    resident = await gateway.add_contact("张阿姨")
    room_id = await gateway.add_room("幸福里社区警民群", [officer, resident])
    db = Db(db_url)
    try:
        async with running_bot(gateway, bot_settings(db_url, officer), connection_log):
            await gateway.say(officer, "/bind", room_id=room_id)
            await gateway.wait_sent(room_id, lambda m: "兴庆派出所" in m["text"], within=10)
            yield Room(gateway, db, room_id, officer, resident)
    finally:
        db.engine.dispose()


@pytest.mark.parametrize(
    ("path", "taken_first"),
    [("approve", True), ("approve", False), ("edit", True), ("edit", False)],
    ids=["批准-taken", "批准-not-taken", "修改-taken", "修改-not-taken"],
)
async def test_gateway_killed_while_the_answer_is_sent(
    room: Room, connection_log: ConnectionLog, path: str, taken_first: bool
) -> None:
    ticket, words, decision = await room.question(path)
    await room.gateway.hold_send(room.room, 30.0, taken_first=taken_first)
    await room.gateway.say(room.officer, decision)
    await room.gateway.wait_holding(within=15)
    await asyncio.sleep(0.2)
    await room.kill_and_restart(connection_log)
    await room.db.quiet()

    in_room = await room.count(room.room, words)
    assert in_room == (1 if taken_first else 0), "the gateway recorded the answer as held"
    # The bot cannot know whether the dead gateway passed it on: never resent, and the
    # officer is told so.
    await room.note(ticket, UNKNOWN_NOTE)
    assert await room.answer_rows(ticket) == "unknown"
    state, owner = await room.ticket(ticket)
    assert owner is not None, f"ticket #{ticket} has no owner"
    assert state == "pending", f"ticket #{ticket} is {state} after an unknown delivery"
    if not in_room:  # the officer looks in the room, finds nothing, decides again
        await room.gateway.say(room.officer, decision)
        await room.note(ticket, SENT_NOTE)
        await room.db.quiet()
    await asyncio.sleep(1.0)  # a late second copy would show now

    assert await room.count(room.room, words) == 1, "the answer is not in the room once"
    assert await room.count(room.officer, f"工单 #{ticket}{UNKNOWN_NOTE}") == 1
    assert await room.answer_rows(ticket) == ("unknown" if in_room else "unknown/sent")
    assert await room.count(room.officer, f"工单 #{ticket}{SENT_NOTE}") == (0 if in_room else 1)
    state, owner = await room.ticket(ticket)
    assert owner is not None
    assert state == ("pending" if in_room else "answered")


async def test_a_refused_answer_goes_back_to_the_officer(room: Room) -> None:
    ticket = await room.ask(WITHOUT_DRAFT)
    await room.gateway.refuse_sends("该群已被限制发言", to=room.room)
    await room.gateway.say(room.officer, f"修改 {ticket} {ANSWER}")
    await room.note(ticket, FAILED_NOTE)
    await room.db.quiet()

    assert not await room.count(room.room, ANSWER[:12]), "a refused answer is in the room"
    state, owner = await room.ticket(ticket)
    assert state == "pending" and owner is not None
    failed = [m["text"] for m in await room.gateway.sent(room.officer) if FAILED_NOTE in m["text"]]
    assert len(failed) == 1 and "平台拒绝了这条消息" in failed[0], failed
    assert not re.search(r"[A-Za-z]{4,}", failed[0]), f"English to the officer: {failed[0]}"

    # Back in 待办: the officer's list shows it, and once the room takes messages again
    # the same ticket can be answered.
    await room.gateway.say(room.officer, "待办")
    await room.gateway.wait_sent(
        room.officer, lambda m: "待处理工单" in m["text"] and f"#{ticket} " in m["text"], 10
    )
    await room.gateway.refuse_sends(None, to=room.room)
    await room.gateway.say(room.officer, f"修改 {ticket} {ANSWER}")
    await room.note(ticket, SENT_NOTE)
    await room.db.quiet()
    assert await room.count(room.room, ANSWER[:12]) == 1
    assert (await room.ticket(ticket))[0] == "answered"


@pytest.mark.parametrize(
    ("path", "taken_first", "after"),
    [
        ("approve", True, 0.1),
        ("edit", False, 0.2),
        ("approve", False, 0.28),
        ("edit", True, 0.32),
        ("approve", True, 0.4),
        ("edit", False, 0.6),
    ],
)
async def test_gateway_killed_around_the_end_of_the_send(
    room: Room, connection_log: ConnectionLog, path: str, taken_first: bool, after: float
) -> None:
    """The answer's send is held only 0.3 s and the gateway killed ``after`` s into it:
    before the bot hears back, about when it does, or just after; whatever the moment, the
    answer is in the room once, or it is not and the officer was told."""
    ticket, words, decision = await room.question(path)
    await room.gateway.hold_send(room.room, 0.3, taken_first=taken_first)
    await room.gateway.say(room.officer, decision)
    await room.gateway.wait_holding(within=15)
    await asyncio.sleep(after)
    await room.kill_and_restart(connection_log)
    await room.db.quiet()
    await asyncio.sleep(1.0)

    in_room = await room.count(room.room, words)
    rows = await room.answer_rows(ticket)
    state, owner = await room.ticket(ticket)
    told = {
        note: await room.count(room.officer, f"工单 #{ticket}{note}")
        for note in (SENT_NOTE, UNKNOWN_NOTE, FAILED_NOTE)
    }
    seen = f"in room x{in_room}, rows {rows}, ticket {state}, told {told}"
    taken = "taken first" if taken_first else "taken last"
    print(f"{path}, {taken}, killed {after * 1000:.0f} ms into a 300 ms send: {seen}")
    assert owner is not None, seen
    assert in_room <= 1, seen
    if in_room:
        assert rows in ("sent", "unknown"), seen
    else:  # never silently lost: the officer heard it did not, or may not have, arrive
        assert rows in ("unknown", "failed") and state == "pending", seen
        assert told[UNKNOWN_NOTE] + told[FAILED_NOTE] == 1, seen
        await room.gateway.say(room.officer, decision)  # they look, find nothing, again
        await room.note(ticket, SENT_NOTE)
        await room.db.quiet()
        await asyncio.sleep(1.0)
        assert await room.count(room.room, words) == 1, seen
