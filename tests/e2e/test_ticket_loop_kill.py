"""SIGKILL at 20 random points of the ticket loop, from the resident's message on.

The real `jingmin run` (PTB on the fake Bot API), on SQLite and on PostgreSQL: one bot
process killed and restarted 20 times with tickets in flight. Each round the resident asks a
new question (ticket r) and the officer at once decides the one before (ticket r-1), so a kill
finds one ticket being opened and another being decided. Where it falls is drawn from a
seeded RNG (``JINGMIN_TEST_SEED``, default 14), every point at least three times:

- resident: 3-80 ms after the resident's message;
- card: 0-40 ms after ticket r's card reached the officer;
- 批准 / 修改 text / 发送: 3-80 ms after the officer's message (修改 text: the answer typed
  after `修改 N`, or `修改 N 回复` in one message);
- on the wire: 0-300 ms into the answer's sendMessage, which the server holds either after
  taking it (the group has it, the bot never heard) or before (it never arrives).

After a kill the bot is started again and the test waits until it is through (update ledger
done, outbox idle), then goes on as a person would: an officer told "发送情况不明" looks in
the group and decides again only if the answer is not there.

Checked at the end, on the server's side and in the database: every question has exactly one
ticket and every ticket an owner; every answer is in the group exactly once; no card,
acknowledgement or "已发送" twice; a card or acknowledgement missing only where its row says
"unknown"; every answer row left "unknown" was reported to the officer as "发送情况不明".
``pytest -s`` prints the table; with ``JINGMIN_KILL_TABLE_DIR`` set it is also written there
(``bench/ticket_loop_kill.txt`` holds a run's tables on both databases).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.e2e.test_telegram_bot import BotProcess
from tests.e2e.test_update_ledger_e2e import bot_log, running, start_bound_bot
from tests.fakes.telegram_server import FakeTelegram, SentMessage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

__all__ = ["bot_log"]  # the fixture

KILLS = 20
SEED = int(os.environ.get("JINGMIN_TEST_SEED", "14"))
POINTS = ("resident", "card", "批准", "修改 text", "发送", "on the wire")
# Escalated with a drafted answer (批准 posts it) and without one.
WITH_DRAFT = (
    "孩子上户口的材料上周交了 审核到哪一步了 帮忙查下进度",
    "我家老人的居住证办了一个月还没下来 能帮查一下吗",
    "我申请的无犯罪记录证明到现在还没通知我取 怎么回事",
    "上周办的临时身份证 说好三天 现在还没好",
)
WITHOUT_DRAFT = (
    "小区门口的井盖松了 踩上去晃 能找人修一下吗",
    "楼道里的灯坏了好几天了 能不能找人来修",
    "我家电动车昨晚在楼下被偷了 能帮查监控吗",
)
UNKNOWN_NOTE = "：发送情况不明"
SENT_NOTE = "：回复已发送到群里"


@dataclass
class Round:
    """One kill: where it falls, and how the officer decides the ticket before it."""

    point: str
    after: float  # seconds after the event (on the wire: after the send reached the server)
    taken_first: bool  # on the wire: the group has the message before the kill
    path: str  # approve | edit (修改 N, the answer, 发送 N) | inline (修改 N 回复)
    ticket: int = 0  # the ticket the kill concerns (filled in as the round runs)
    at_kill: str = ""  # the state of what was in flight, read right after the kill


@dataclass
class Asked:
    n: int
    question: str
    path: str
    message_id: int = 0
    ticket: int = 0
    redecided: int = 0  # the officer decided again after "发送情况不明" with no answer there

    @property
    def answer(self) -> str:
        return f"您好，第{self.n}个问题已经安排社区民警处理，请留意电话。"


def plan(rng: random.Random) -> list[Round]:
    points = [p for p in POINTS for _ in range(3)] + rng.sample(POINTS, KILLS - 3 * len(POINTS))
    rng.shuffle(points)
    rounds = []
    for point in points:
        if point == "on the wire":
            after = rng.uniform(0.0, 0.3)
        elif point == "card":
            after = rng.uniform(0.0, 0.04)
        else:
            after = rng.uniform(0.003, 0.08)
        path = {"批准": "approve", "发送": "edit"}.get(point) or rng.choice(
            ("edit", "inline") if point == "修改 text" else ("approve", "edit", "inline")
        )
        rounds.append(Round(point, after, rng.random() < 0.5, path))
    return rounds


class Db:
    """Short reads of the bot's database (another process's), off the event loop."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]

    async def read(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        return await asyncio.to_thread(self.rows, sql, **params)

    async def one(self, sql: str, **params: Any) -> Any:
        found = await self.read(sql, **params)
        return found[0][0] if found else None

    async def until(self, sql: str, holds: Callable[[Any], bool], what: str, **params: Any) -> Any:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            value = await self.one(sql, **params)
            if holds(value):
                return value
            await asyncio.sleep(0.05)
        raise TimeoutError(f"gave up waiting for {what}")


class Loop:
    """The bot, the fake Telegram, the officer, the resident, the group; kills and restarts."""

    def __init__(
        self, server: FakeTelegram, bot: BotProcess, db: Db, officer: int, resident: int, group: int
    ) -> None:
        self.server, self.bot, self.db = server, bot, db
        self.officer, self.resident, self.group = officer, resident, group
        self.starts = 1

    # what the server saw

    def replies(self, asked: Asked) -> list[SentMessage]:
        return [
            m for m in self.server.sent_to(self.group) if m.reply_to_message_id == asked.message_id
        ]

    def answers(self, asked: Asked) -> int:
        return sum("工单号" not in m.text for m in self.replies(asked))

    def acks(self, asked: Asked) -> int:
        return sum("工单号" in m.text for m in self.replies(asked))

    def cards(self, ticket: int) -> int:
        return sum(
            any(b["callback_data"] == f"t:edit:{ticket}" for row in m.buttons for b in row)
            for m in self.server.sent_to(self.officer)
        )

    def notes(self, ticket: int, what: str) -> int:
        return sum(f"工单 #{ticket}{what}" in m.text for m in self.server.sent_to(self.officer))

    # the bot

    async def kill(self, what: Callable[[], Any]) -> str:
        """SIGKILL, note the state of what was in flight, start again, wait until through."""
        await self.bot.kill()
        state = str(await what())
        self.bot.start()
        self.starts += 1
        await running(self.bot.log, self.starts, within=60)
        await self.quiet()
        return state

    async def quiet(self) -> None:
        """The bot is through: every update taken and handled, nothing left to send."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = await self.db.one(
                "SELECT (SELECT count(*) FROM seenupdate WHERE done_at IS NULL)"
                " + (SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending'))"
            )
            if not busy and not self.server.pending_updates:
                return
            await asyncio.sleep(0.05)
        raise TimeoutError("the bot did not get through its updates and outbox")

    async def ledger(self, chat: int, message_id: int) -> str:
        found = await self.db.read(
            "SELECT sending_at, done_at FROM seenupdate WHERE chat_id = :chat"
            " AND message_id = :message",
            chat=str(chat),
            message=str(message_id),
        )
        if not found:
            return "not recorded"
        sending_at, done_at = found[0]
        return "done" if done_at else "sending" if sending_at else "in hand"

    async def outbox(self, ticket: int, kind: str) -> str:
        found = await self.db.read(
            "SELECT state FROM outbox WHERE ticket_id = :ticket AND kind = :kind ORDER BY id",
            ticket=ticket,
            kind=kind,
        )
        return "/".join(state for (state,) in found) or "none"

    # the people

    def ask(self, asked: Asked) -> None:
        message = self.server.user_says(self.group, self.resident, asked.question, mention_bot=True)
        asked.message_id = message["message_id"]

    async def ticket_of(self, asked: Asked) -> int:
        asked.ticket = int(
            await self.db.until(
                "SELECT id FROM escalation WHERE chat_id = :chat AND message_id = :message",
                lambda found: found is not None,
                f"a ticket for message {asked.message_id}",
                chat=str(self.group),
                message=str(asked.message_id),
            )
        )
        return asked.ticket

    async def card_arrived(self, asked: Asked) -> None:
        """Ticket's card at the officer (or its row ended without it: unknown)."""
        ticket = await self.ticket_of(asked)
        deadline = time.monotonic() + 60
        while not self.cards(ticket):
            if await self.outbox(ticket, "ticket card") in ("unknown", "failed"):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"no card for ticket {ticket}")
            await self.server.wait_for(lambda: bool(self.cards(ticket)), within=0.5, what="x")

    def says(self, words: str) -> int:
        message_id: int = self.server.private_says(self.officer, words)["message_id"]
        return message_id

    async def editing(self, ticket: int, with_draft: bool) -> None:
        column = "edit_draft" if with_draft else "editing_ticket_id"
        await self.db.until(
            f"SELECT {column} FROM officer WHERE telegram_id = :officer AND editing_ticket_id = :t",
            lambda found: found is not None,
            f"the officer's edit of ticket {ticket}",
            officer=str(self.officer),
            t=ticket,
        )

    async def decide(self, asked: Asked, kill: Round | None) -> None:
        """The officer decides ``asked``'s ticket along its path; ``kill`` falls on its way."""
        ticket = await self.ticket_of(asked)
        if kill is not None:
            kill.ticket = ticket

        async def after(point: str, message_id: int) -> bool:
            if kill is None or kill.point != point:
                return False
            await asyncio.sleep(kill.after)

            async def state() -> str:
                ledger = await self.ledger(self.officer, message_id)
                return f"{ledger}; answer {await self.outbox(ticket, 'ticket answer')}"

            kill.at_kill = await self.kill(state)
            return True

        def wire() -> None:
            if kill is not None and kill.point == "on the wire":
                self.server.hold_send(
                    self.group, asked.message_id, 3.0, taken_first=kill.taken_first
                )

        async def on_the_wire() -> None:
            if kill is None or kill.point != "on the wire":
                return
            await self.server.wait_for(lambda: self.server.holding > 0, 30, "the answer sent")
            await asyncio.sleep(kill.after)
            taken = "taken" if kill.taken_first else "not taken"

            async def state() -> str:
                return f"{taken}; answer {await self.outbox(ticket, 'ticket answer')}"

            kill.at_kill = await self.kill(state)

        if asked.path == "approve":
            wire()
            if not await after("批准", self.says(f"批准 {ticket}")):
                await on_the_wire()
        elif asked.path == "inline":
            wire()
            if not await after("修改 text", self.says(f"修改 {ticket} {asked.answer}")):
                await on_the_wire()
        else:
            self.says(f"修改 {ticket}")
            await self.editing(ticket, with_draft=False)
            if not await after("修改 text", self.says(asked.answer)):
                await self.editing(ticket, with_draft=True)
                wire()
                if not await after("发送", self.says(f"发送 {ticket}")):
                    await on_the_wire()
        await self.settle(asked)

    async def round(self, r: Round, before: Asked, now: Asked) -> None:
        """The resident asks ``now``, the officer decides ``before``; one kill on the way."""
        self.ask(now)
        if r.point == "resident":
            await asyncio.sleep(r.after)
            r.at_kill = await self.kill(lambda: self.ledger(self.group, now.message_id))
        await self.decide(before, r if r.point not in ("resident", "card") else None)
        await self.card_arrived(now)
        if r.point == "resident":
            r.ticket = now.ticket
        if r.point == "card":
            r.ticket = now.ticket
            await asyncio.sleep(r.after)

            async def card_state() -> str:
                return f"card {await self.outbox(now.ticket, 'ticket card')}"

            r.at_kill = await self.kill(card_state)

    async def settle(self, asked: Asked) -> None:
        """Until the answer is in the group: after a kill the officer goes on where the bot
        left off (a draft waiting: 发送; "发送情况不明" and nothing in the group: again)."""
        ticket = asked.ticket
        for _ in range(5):
            await self.quiet()
            if self.answers(asked):
                return
            state = await self.db.one("SELECT state FROM escalation WHERE id = :t", t=ticket)
            edit = await self.db.read(
                "SELECT editing_ticket_id, edit_draft FROM officer WHERE telegram_id = :o",
                o=str(self.officer),
            )
            editing, draft = edit[0]
            if state != "pending":
                continue  # sending: the outbox is at it
            if editing == ticket and draft:
                self.says(f"发送 {ticket}")
            elif editing == ticket:
                self.says(asked.answer)
            else:
                rows = await self.outbox(ticket, "ticket answer")
                assert "unknown" in rows, f"ticket {ticket}: the decision was lost ({rows})"
                assert self.notes(ticket, UNKNOWN_NOTE), f"ticket {ticket}: officer not told"
                asked.redecided += 1
                if asked.path == "approve":
                    self.says(f"批准 {ticket}")
                else:
                    self.says(f"修改 {ticket} {asked.answer}")
            await asyncio.sleep(0.3)
        raise AssertionError(f"ticket {ticket}'s answer never reached the group")


# What the end state is checked for; all but the last must be none.
FOUND = (
    "questions without a ticket",
    "answers lost",
    "sent twice",
    "tickets without an owner",
    "missing, not reported",
    "delivery unknown, reported",
)


async def check(loop: Loop, asked: list[Asked]) -> tuple[dict[int, str], dict[str, list[str]]]:
    """Each ticket's outcome (for the table), and what was found of each of ``FOUND``."""
    found: dict[str, list[str]] = {what: [] for what in FOUND}
    outcomes: dict[int, str] = {}
    kinds = ("ticket answer", "ticket card", "ticket acknowledgement")
    for a in asked:
        states = {kind: await loop.outbox(a.ticket, kind) for kind in kinds}
        outcomes[a.ticket] = outcome(loop, a, states)
        tickets = await loop.db.one(
            "SELECT count(*) FROM escalation WHERE chat_id = :c AND message_id = :m",
            c=str(loop.group),
            m=str(a.message_id),
        )
        if not tickets:
            found["questions without a ticket"].append(f"question {a.n}")
        if not loop.answers(a):
            found["answers lost"].append(f"#{a.ticket}")
        copies = {
            "tickets": tickets,
            "answers": loop.answers(a),
            "cards": loop.cards(a.ticket),
            "acknowledgements": loop.acks(a),
            "已发送 notes": loop.notes(a.ticket, SENT_NOTE),
        }
        found["sent twice"] += [f"#{a.ticket}: {n} {what}" for what, n in copies.items() if n > 1]
        for what, kind in (("card", "ticket card"), ("ack", "ticket acknowledgement")):
            if not copies["cards" if what == "card" else "acknowledgements"] and (
                "unknown" not in states[kind]
            ):
                found["missing, not reported"].append(f"#{a.ticket} {what} ({states[kind]})")
        unknown = states["ticket answer"].split("/").count("unknown")
        if loop.notes(a.ticket, UNKNOWN_NOTE) != unknown:
            found["missing, not reported"].append(f"#{a.ticket}: answer {unknown} unknown")
        found["delivery unknown, reported"] += [f"#{a.ticket}"] * unknown
    ownerless = await loop.db.read("SELECT id FROM escalation WHERE officer_id IS NULL")
    found["tickets without an owner"] = [f"#{ticket}" for (ticket,) in ownerless]
    return outcomes, found


def outcome(loop: Loop, asked: Asked, states: dict[str, str]) -> str:
    parts = [f"answer x{loop.answers(asked)}"]
    if "unknown" in states["ticket answer"]:
        there = "was there" if not asked.redecided else "not there, decided again"
        parts.append(f"unknown→told ({there})")
    if loop.cards(asked.ticket) != 1:
        parts.append(f"card x{loop.cards(asked.ticket)} ({states['ticket card']})")
    if loop.acks(asked) != 1:
        parts.append(f"ack x{loop.acks(asked)} ({states['ticket acknowledgement']})")
    return ", ".join(parts)


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` columns (a Chinese character takes two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - columns, 0)


def table(rounds: list[Round], outcomes: dict[int, str], db: str) -> str:
    lines = [
        f"\nSIGKILL at {len(rounds)} points of the ticket loop on {db} (seed {SEED})",
        f"{'#':>3} {pad('kill point (decided by)', 26)}{'after':>6}  {'ticket':<7}"
        f"{pad('in flight at the kill', 35)}how the ticket ended",
    ]
    for n, r in enumerate(rounds, 1):
        point = r.point if r.point in ("resident", "card") else f"{r.point} ({r.path})"
        lines.append(
            f"{n:>3} {pad(point, 26)}{r.after * 1000:>3.0f} ms  "
            f"{pad(f'#{r.ticket}', 7)}{pad(r.at_kill, 35)}{outcomes[r.ticket]}"
        )
    return "\n".join(lines)


@pytest.mark.timeout(900)  # 20 restarts: about 2 min on an idle machine
async def test_sigkill_at_20_points_of_the_ticket_loop(
    tmp_path: Path, db_url: str, bot_log: Path
) -> None:
    rng = random.Random(SEED)
    rounds = plan(rng)
    paths = [r.path for r in rounds] + [rng.choice(("approve", "edit", "inline"))]
    asked = [
        Asked(n, rng.choice(WITH_DRAFT if path == "approve" else WITH_DRAFT + WITHOUT_DRAFT), path)
        for n, path in enumerate(paths, 1)
    ]
    db = Db(db_url)
    started = time.monotonic()
    async with FakeTelegram() as server:
        bot, officer, resident, group = await start_bound_bot(server, tmp_path, db_url, bot_log)
        loop = Loop(server, bot, db, officer, resident, group)
        try:
            await running(bot_log, 1, within=60)
            loop.ask(asked[0])
            await loop.card_arrived(asked[0])
            for r, (before, now) in zip(rounds, itertools.pairwise(asked), strict=True):
                await loop.round(r, before, now)
            await loop.decide(asked[-1], None)
            await loop.quiet()
            await asyncio.sleep(1.0)  # a late second copy of anything would show now

            outcomes, found = await check(loop, asked)
        finally:
            assert await bot.stop() == 0
            db.engine.dispose()
    name = "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"
    shown = table(rounds, outcomes, name)
    shown += f"\n{len(asked)} questions; " + ", ".join(
        f"{what}: {len(found[what])}" for what in FOUND
    )
    shown += f"; {time.monotonic() - started:.0f} s"
    print(shown)
    if os.environ.get("JINGMIN_KILL_TABLE_DIR"):
        out = Path(os.environ["JINGMIN_KILL_TABLE_DIR"]) / f"ticket_loop_kill_{name.lower()}.txt"
        out.write_text(shown.lstrip() + "\n", encoding="utf-8")
    problems = [f"{what}: {', '.join(found[what])}" for what in FOUND[:-1] if found[what]]
    assert not problems, "\n".join(problems) + shown


def test_the_kill_points_cover_the_loop() -> None:
    """The seeded plan puts every point of the loop at least three times among the 20."""
    rounds = plan(random.Random(SEED))
    assert len(rounds) == KILLS
    assert all(sum(r.point == p for r in rounds) >= 3 for p in POINTS)
    assert all(r.path == "approve" for r in rounds if r.point == "批准")
    assert all(r.path == "edit" for r in rounds if r.point == "发送")
