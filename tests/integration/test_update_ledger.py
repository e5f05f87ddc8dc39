"""The update ledger: "done" only once handled; a gone worker's updates are handled again;
a busy database is waited out; a redelivered update is handled exactly once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_outbox, build_services
from bot.runtime import deduplicated
from core.db import DatabaseBusy, Escalation, OutboxMessage, SeenUpdate, session
from core.events import Event, IncomingMessage, event_from_json, event_to_json
from core.states import OutboxState
from infra.inbox import Inbox, UpdateLedger
from infra.outbox import OutboxSender
from tests.integration.test_flow import GROUP, Clock, clock, said, settings_for

__all__ = ["clock"]  # the fixture


def rows(url_engine: object) -> list[SeenUpdate]:
    with session(url_engine) as db:  # type: ignore[arg-type]
        return list(db.exec(select(SeenUpdate)).all())


def test_events_survive_json() -> None:
    message = said("身份证丢了咋办", addressed=True)
    assert event_from_json(event_to_json(message)) == message


async def test_an_update_taken_by_a_killed_worker_is_handled_once_by_the_next(
    db_url: str, clock: Clock
) -> None:
    services = build_services(settings_for(db_url), clock)
    killed = UpdateLedger(services.engine, worker="killed")
    message = said("身份证丢了咋办", addressed=True)
    assert await killed.take([message]) == [True]  # recorded, then the process died
    killed._alive.unlock()  # what the kernel does to a SIGKILLed process's lock

    bot = FakeAdapter()
    inbox = deduplicated(services, build_dispatcher(services, {"console": bot}))
    await bot.start(inbox)
    assert await bot.inject(message) == []  # redelivered: the row is someone else's
    assert await inbox.recover() == 1  # the worker is gone: handled now
    assert len(bot.sent) == 1 and "补" in bot.sent[0].text
    assert await bot.inject(message) == []  # and never again
    assert await inbox.recover() == 0
    # (the other row is the repeat window's claim of the answered topic)
    [row] = [r for r in rows(services.engine) if r.message_id == message.message_id]
    assert row.done_at is not None and row.event_json is None  # the words are not kept
    await inbox.close()


async def test_a_live_workers_updates_are_left_to_it(db_url: str, clock: Clock) -> None:
    services = build_services(settings_for(db_url), clock)
    alive = UpdateLedger(services.engine, worker="alive")
    await alive.take([said("身份证丢了咋办", addressed=True)])
    handled: list[Event] = []

    async def handle(event: Event, before_send: object) -> None:
        handled.append(event)

    inbox = Inbox(UpdateLedger(services.engine), handle)
    assert await inbox.recover() == 0 and handled == []
    await alive.close()  # stopped: its leftovers are for the others
    assert await inbox.recover() == 1 and len(handled) == 1
    await inbox.close()


async def test_a_busy_database_is_waited_out(db_url: str, clock: Clock) -> None:
    services = build_services(settings_for(db_url), clock)
    attempts: list[Event] = []

    async def handle(event: Event, before_send: object) -> None:
        attempts.append(event)
        if len(attempts) < 3:
            locked = OperationalError("INSERT ...", {}, Exception("database is locked"))
            raise DatabaseBusy("database is locked") from locked

    inbox = Inbox(UpdateLedger(services.engine), handle)
    message = said("身份证丢了咋办", addressed=True)
    await inbox(message)
    assert len(attempts) == 3
    await inbox(message)  # done: a redelivery is not handled
    assert len(attempts) == 3
    [row] = rows(services.engine)
    assert row.done_at is not None
    await inbox.close()


async def test_a_failure_after_the_replies_went_out_is_not_retried(
    db_url: str, clock: Clock
) -> None:
    services = build_services(settings_for(db_url), clock)
    attempts: list[Event] = []

    async def handle(event: Event, before_send: object) -> None:
        attempts.append(event)  # replies sent, then recording where a card landed fails
        raise OperationalError("UPDATE ...", {}, Exception("database is locked"))

    inbox = Inbox(UpdateLedger(services.engine), handle)
    await inbox(said("身份证丢了咋办", addressed=True))
    await inbox.close()
    assert len(attempts) == 1
    [row] = rows(services.engine)
    assert row.done_at is not None


async def test_a_ticket_opened_before_the_crash_is_not_opened_again(
    db_url: str, clock: Clock
) -> None:
    services = build_services(settings_for(db_url), clock)
    bot = FakeAdapter()
    first = deduplicated(services, build_dispatcher(services, {"console": bot}))
    await bot.start(first)
    await bot.inject(said("/bind", sender="王警官"))
    asked = said("小区门口的路灯坏了一个星期了 能找人修吗", addressed=True)
    await bot.inject(asked)  # ticket #1 opened and announced
    await first.close()
    with session(services.engine) as db:  # as if killed after the commit, before the replies
        row = db.exec(select(SeenUpdate).where(SeenUpdate.message_id == asked.message_id)).one()
        row.done_at, row.sending_at, row.event_json = None, None, event_to_json(asked)
        db.add(row)
        db.commit()

    second = deduplicated(services, build_dispatcher(services, {"console": bot}))
    before = len(bot.sent)
    assert await second.recover() == 1
    assert len(bot.sent) == before
    with session(services.engine) as db:
        assert len(db.exec(select(Escalation)).all()) == 1
    await second.close()


class NotYet(OutboxSender):
    """A sender that has not got to the new rows yet (the process is killed before)."""

    async def deliver_new(self) -> int:
        return 0


async def test_a_decision_committed_before_the_crash_is_not_taken_again(
    db_url: str, clock: Clock
) -> None:
    """The officer's 修改 N is committed with its update marked done. Killed while the answer
    was on the wire, the worker leaves the answer "unknown" and the ticket back in 待办:
    handling the 修改 again after the restart would post the answer a second time."""
    services = build_services(settings_for(db_url), clock)
    bot = FakeAdapter()
    first = deduplicated(services, build_dispatcher(services, {"console": bot}))
    await bot.start(first)
    await bot.inject(said("/bind", sender="王警官"))
    await bot.inject(said("小区门口的路灯坏了一个星期了 能找人修吗", addressed=True))
    await first.close()

    killed = UpdateLedger(services.engine, worker="killed")
    sender = build_outbox(services, {"console": bot}, worker="killed")
    dying = NotYet(services.engine, {"console": bot}, clock, "killed", sender.settle)
    decision = said("修改 1 已经报修，明天来修。", sender="王警官", group=False)
    await killed.take([decision])
    assert await killed.begin(decision)
    await build_dispatcher(services, {"console": bot}, dying).handle(decision, killed.sending)
    with session(services.engine) as db:  # the answer's send begun, then SIGKILL
        [answer] = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "ticket answer"))
        answer.state, answer.claimed_by = OutboxState.SENDING, "killed"
        db.add(answer)
        db.commit()
    killed._alive.unlock()

    restarted = build_outbox(services, {"console": bot})
    assert await restarted.recover() == 1  # unknown: the officer is asked to look
    with session(services.engine) as db:
        assert db.get(Escalation, 1).state == "pending"  # type: ignore[union-attr]
    second = deduplicated(services, build_dispatcher(services, {"console": bot}, restarted))
    assert await second.recover() == 0  # the 修改 is not handled again
    await second.close()
    with session(services.engine) as db:
        kinds = [row.kind for row in db.exec(select(OutboxMessage))]
    assert kinds.count("ticket answer") == 1
    assert not [o for o in bot.sent if o.chat == GROUP and "明天来修" in o.text]  # not sent


async def test_replies_being_sent_at_a_crash_are_not_sent_again(db_url: str, clock: Clock) -> None:
    services = build_services(settings_for(db_url), clock)
    killed = UpdateLedger(services.engine, worker="killed")
    message = said("身份证丢了咋办", addressed=True)
    await killed.take([message])
    assert await killed.begin(message)
    await killed.sending(message)  # then SIGKILL, before or after the platform took the reply
    killed._alive.unlock()

    bot = FakeAdapter()
    inbox = deduplicated(services, build_dispatcher(services, {"console": bot}))
    assert await inbox.recover() == 0  # nothing to handle again:
    assert bot.sent == []  # delivery unknown, logged, never sent twice blindly
    await inbox.close()
    [row] = rows(services.engine)
    assert row.done_at is not None and row.sending_at is not None


async def test_a_batch_is_one_write_and_each_update_is_said_once(db_url: str) -> None:
    services = build_services(settings_for(db_url))
    ledger = UpdateLedger(services.engine)
    batch: Sequence[IncomingMessage] = [said(f"第{n}条") for n in range(5)]
    assert await ledger.take(batch) == [True] * 5
    assert await ledger.take(batch[2:]) == [False] * 3
    assert ledger._writes.commits == 2
    await ledger.close()


async def test_done_marks_share_the_next_commit(db_url: str) -> None:
    services = build_services(settings_for(db_url))
    ledger = UpdateLedger(services.engine)
    first, second = said("第一条"), said("第二条")
    await ledger.take([first])
    assert await ledger.begin(first)
    await ledger.sending(first)
    await ledger.done(first)
    await ledger.take([second])  # writes first's "done" in the same commit
    assert ledger._writes.commits == 3
    assert [row.done_at is not None for row in rows(services.engine)] == [True, False]
    await ledger.close()
