"""One event, one transaction (core.unit): what the handlers of an event write is committed
once, before the first reply is sent, and not at all when one of them fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, text
from sqlmodel import Session, col, select

import core.unit
from bot import migrate
from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_services
from bot.runtime import deduplicated
from core.db import AuditEntry, DatabaseBusy, Escalation, OutboxMessage, make_engine, session
from core.dispatcher import Continue, Dispatcher, Handler, Route
from core.events import ChatRef, Event, IncomingMessage, Outgoing, SentRef
from core.unit import event_session
from handlers import questions
from handlers.services import RecentQuestions
from tests.integration.test_flow import GROUP, Clock, said, settings_for

CHAT = ChatRef("console", "group:1")
NOW = datetime(2026, 12, 6, 10, tzinfo=UTC)


def message(text: str = "你好") -> IncomingMessage:
    return IncomingMessage(CHAT, "r1", "居民", text, "m1", True, False, NOW)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    migrate.prepare(engine)
    yield engine
    engine.dispose()


def audited(engine: Engine) -> list[str]:
    with session(engine) as db:
        return [row.action for row in db.exec(select(AuditEntry).order_by(col(AuditEntry.id)))]


def writes(action: str, engine: Engine) -> Route:
    async def write(event: Event) -> Continue:
        with event_session(engine) as db:
            db.add(AuditEntry(actor="test", action=action))
            db.flush()
        return Continue([Outgoing(CHAT, action)])

    return Route(action, lambda _: True, write)


class Counting(FakeAdapter):
    """Counts, at each send, the rows another connection sees (committed ones)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.seen: list[list[str]] = []

    async def send(self, out: Outgoing) -> SentRef:
        self.seen.append(audited(self.engine))
        return await super().send(out)


async def test_the_rows_of_all_groups_are_committed_before_the_first_reply(
    engine: Engine,
) -> None:
    adapter = Counting(engine)
    routes = [writes("guard", engine), Route("answer", lambda _: True, answers(engine), group=1)]
    await Dispatcher(routes, {"console": adapter}, database=engine)(message())
    assert [o.text for o in adapter.sent] == ["guard", "answer"]
    assert adapter.seen[0] == ["guard", "answer"]  # both, before anything was sent


def answers(engine: Engine) -> Handler:
    async def answer(event: Event) -> list[Outgoing]:
        with event_session(engine) as db:
            db.add(AuditEntry(actor="test", action="answer"))
        return [Outgoing(CHAT, "answer")]

    return answer


async def test_a_handler_that_fails_after_writing_leaves_nothing_of_the_event(
    engine: Engine,
) -> None:
    recent = RecentQuestions(timedelta(minutes=10), engine)
    told: list[str] = []

    async def fails(event: Event) -> list[Outgoing]:
        with event_session(engine) as db:
            db.add(AuditEntry(actor="test", action="half"))
            db.commit()  # a domain function's commit: inside the event it writes nothing yet
        assert await recent.claim("console", "group:1", "answered:x", NOW, timedelta(minutes=10))
        raise RuntimeError("a bug after the write")

    async def tell(event: Event, route: str) -> None:
        told.append(route)

    adapter = FakeAdapter()
    routes = [writes("guard", engine), Route("answer", lambda _: True, fails, group=1)]
    await Dispatcher(routes, {"console": adapter}, on_error=tell, database=engine)(message())
    assert audited(engine) == []  # neither the guard's row nor the failing handler's
    assert told == ["answer"]
    assert [o.text for o in adapter.sent] == ["guard"]  # an earlier group's reply still goes
    # The claim went with the event: the event handled again answers.
    assert await recent.claim("console", "group:1", "answered:x", NOW, timedelta(minutes=10))


async def test_a_handler_rolling_back_the_event_is_refused_at_commit(engine: Engine) -> None:
    told: list[str] = []

    async def rolls_back(event: Event) -> list[Outgoing]:
        with event_session(engine) as db:
            db.add(AuditEntry(actor="test", action="before"))
            db.flush()
            db.rollback()
            db.add(AuditEntry(actor="test", action="after"))
        return [Outgoing(CHAT, "done")]

    async def tell(event: Event, route: str) -> None:
        told.append(route)

    adapter = FakeAdapter()
    routes = [Route("rolls back", lambda _: True, rolls_back)]
    await Dispatcher(routes, {"console": adapter}, on_error=tell, database=engine)(message())
    assert adapter.sent == [] and told == ["commit"]
    assert "before" not in audited(engine)


async def test_outside_an_event_a_block_commits_its_own_rows(engine: Engine) -> None:
    recent = RecentQuestions(timedelta(minutes=10), engine)
    with event_session(engine) as db:
        db.add(AuditEntry(actor="test", action="job"))
        await recent.claim("console", "group:1", "answered:y", NOW, timedelta(minutes=10))
    assert audited(engine) == ["job"]
    assert not await recent.claim("console", "group:1", "answered:y", NOW, timedelta(minutes=10))
    with pytest.raises(RuntimeError), event_session(engine) as db:
        db.add(AuditEntry(actor="test", action="failed job"))
        raise RuntimeError
    assert audited(engine) == ["job"]


async def test_a_busy_database_raises_for_the_ledger_to_try_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    schema = make_engine(url)
    migrate.prepare(schema)
    schema.dispose()
    impatient = create_engine(url, connect_args={"timeout": 0.05})
    holder = create_engine(url).connect()
    holder.execute(text("BEGIN IMMEDIATE"))  # another process holds SQLite's write lock
    adapter = FakeAdapter()
    d = Dispatcher([Route("answer", lambda _: True, answers(impatient))], {"console": adapter})
    busy_at_commit = Dispatcher(
        [Route("answer", lambda _: True, answers(impatient))],
        {"console": adapter},
        database=impatient,
    )
    try:
        for dispatcher in (d, busy_at_commit):
            with pytest.raises(DatabaseBusy):
                await dispatcher.handle(message())
        assert adapter.sent == []
    finally:
        holder.rollback()
        holder.close()
    await busy_at_commit.handle(message())  # the lock is free: handled, and answered
    assert [o.text for o in adapter.sent] == ["answer"]
    assert audited(impatient) == ["answer"]
    impatient.dispose()


async def test_a_ticket_and_its_card_are_not_written_when_the_handler_fails_after_them(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = build_services(settings_for(db_url), Clock())
    bot = FakeAdapter()
    await bot.start(deduplicated(services, build_dispatcher(services, {"console": bot})))
    await bot.inject(said("/bind", sender="王警官"))

    async def broken(*args: object) -> bool:
        raise RuntimeError("a bug after the ticket was opened")

    monkeypatch.setattr(questions, "_incident_to_acknowledge", broken)
    assert not [o for o in await bot.inject(said("我家门口有人打架，快来人")) if o.chat == GROUP]
    with Session(services.engine) as db:
        assert db.exec(select(func.count()).select_from(Escalation)).one() == 0
        cards = select(func.count()).select_from(OutboxMessage)
        cards = cards.where(col(OutboxMessage.ticket_id).is_not(None))
        assert db.exec(cards).one() == 0


async def test_only_an_event_with_rows_of_its_own_waits_for_the_disk(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A claim alone is bookkeeping (committed as it was in a group commit of its own, not
    waiting for PostgreSQL's WAL flush); a row of the event's own makes the commit durable."""
    recent = RecentQuestions(timedelta(minutes=10), engine)
    quick: list[bool] = []
    monkeypatch.setattr(core.unit, "commit_without_flush_wait", lambda _: quick.append(True))

    async def claims(event: Event) -> list[Outgoing]:
        await recent.claim("console", "group:1", f"answered:{event_text(event)}", NOW, HOUR)
        return [Outgoing(CHAT, "answer")]

    d = Dispatcher(
        [Route("claims", lambda _: True, claims)], {"console": FakeAdapter()}, database=engine
    )
    await d(message("a"))
    assert quick == [True]
    await Dispatcher(
        [writes("guard", engine), Route("claims", lambda _: True, claims, group=1)],
        {"console": FakeAdapter()},
        database=engine,
    )(message("b"))
    assert quick == [True]


HOUR = timedelta(hours=1)


def event_text(event: Event) -> str:
    assert isinstance(event, IncomingMessage)
    return event.text
