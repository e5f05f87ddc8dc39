"""Two officers (or one double-tapping, with two workers) decide one ticket at once: exactly
one decision wins and is posted; the other is told who decided (issue 21), on both databases.

Each worker is its own bootstrap (engine, dispatcher, fake adapter) in its own thread, as
two webhook workers are. Both are held until both have read the ticket as pending, so the
decisions really race: only the database's compare-and-set can tell them apart.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

import handlers.officer
import handlers.onboarding
import tickets.service
from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_services
from core.db import AuditEntry, Escalation, Group, Officer, session
from core.events import ButtonPress, ChatRef, IncomingMessage, Outgoing
from handlers.services import Services
from tests.integration.test_authorization import two_stations
from tests.integration.test_flow import Clock, settings_for

GROUP = ChatRef("console", "group:1")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def worker(url: str) -> tuple[Services, FakeAdapter]:
    services = build_services(settings_for(url), Clock())
    bot = FakeAdapter()
    asyncio.run(bot.start(build_dispatcher(services, {"console": bot})))
    return services, bot


@pytest.fixture
def workers(db_url: str) -> Iterator[list[tuple[Services, FakeAdapter]]]:
    pair = [worker(db_url), worker(db_url)]
    yield pair
    for services, _ in pair:
        services.engine.dispose()


def a_ticket(services: Services) -> int:
    with session(services.engine) as db:
        officer = db.exec(select(Officer)).one()
        ticket = Escalation(
            platform="console",
            chat_id=GROUP.chat_id,
            message_id="m1",
            resident_id="r1",
            resident_name="张阿姨",
            question="孩子上户口要带什么",
            action="suggest",
            faq_id="newborn-hukou",
            draft="您好，请带出生医学证明和户口簿。",
            officer_id=officer.id,
        )
        db.add(ticket)
        db.commit()
        assert ticket.id is not None
        return ticket.id


@pytest.fixture
def both_read_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither decision goes on until both have read the ticket as pending."""
    barrier = threading.Barrier(2, timeout=10)
    original: Callable[..., Escalation] = tickets.service._pending

    def pending_then_wait(*args: Any) -> Escalation:
        ticket = original(*args)
        barrier.wait()
        return ticket

    monkeypatch.setattr(tickets.service, "_pending", pending_then_wait)


def at_once(workers: list[tuple[Services, FakeAdapter]], events: list[Any]) -> list[list[Outgoing]]:
    results: list[list[Outgoing]] = [[], []]

    def run(index: int) -> None:
        results[index] = asyncio.run(workers[index][1].inject(events[index]))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def posted(results: list[list[Outgoing]]) -> list[Outgoing]:
    return [o for out in results for o in out if o.chat == GROUP]


def press(verb: str, ticket_id: int) -> ButtonPress:
    officer_chat = ChatRef("console", "officer:王警官")
    return ButtonPress(officer_chat, "王警官", "王警官", f"t:{verb}:{ticket_id}", "1", NOW)


def typed(text: str) -> IncomingMessage:
    return IncomingMessage(
        ChatRef("console", "officer:王警官"), "王警官", "王警官", text, "x",
        is_group=False, addressed=True, received_at=NOW,
    )  # fmt: skip


@pytest.mark.usefixtures("both_read_first")
async def test_a_double_tapped_approval_posts_once(
    workers: list[tuple[Services, FakeAdapter]],
) -> None:
    ticket_id = a_ticket(workers[0][0])
    results = await asyncio.to_thread(
        at_once, workers, [press("approve", ticket_id), press("approve", ticket_id)]
    )
    assert len(posted(results)) == 1
    # Either worker's outbox sender may deliver the winner's rows: look at all that went.
    refusals = [o.text for out in results for o in out if "无需再处理" in o.text]
    assert refusals == [f"工单 #{ticket_id} 已由王警官处理（已回复），无需再处理。"]
    with session(workers[0][0].engine) as db:
        approvals = db.exec(select(AuditEntry).where(AuditEntry.action == "approve")).all()
    assert len(approvals) == 1


@pytest.mark.usefixtures("both_read_first")
async def test_an_approval_racing_a_rejection_does_one_of_them(
    workers: list[tuple[Services, FakeAdapter]],
) -> None:
    ticket_id = a_ticket(workers[0][0])
    results = await asyncio.to_thread(
        at_once, workers, [typed(f"批准 {ticket_id}"), typed(f"驳回 {ticket_id} 重复")]
    )
    with session(workers[0][0].engine) as db:
        ticket = db.get(Escalation, ticket_id)
        assert ticket is not None
        decisions = db.exec(select(AuditEntry).where(AuditEntry.escalation_id == ticket_id)).all()
    assert len([a for a in decisions if a.action in ("approve", "reject")]) == 1
    # The winner's one message to the resident: the answer, or the rejection's reason.
    (told,) = posted(results)
    assert ("重复" in told.text) == (ticket.state == "rejected")
    told = [o.text for out in results for o in out]
    assert any("已由王警官处理" in text for text in told)


async def test_two_stations_binding_one_group_at_once_bind_it_once(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    barrier = threading.Barrier(2, timeout=10)
    original: Callable[..., bool] = handlers.onboarding._claim

    def read_then_claim(*args: Any) -> bool:
        barrier.wait()  # both have read the group as unbound
        return original(*args)

    monkeypatch.setattr(handlers.onboarding, "_claim", read_then_claim)
    pair = []
    for _ in range(2):
        services = build_services(two_stations(db_url), Clock())
        bot = FakeAdapter()
        await bot.start(build_dispatcher(services, {"console": bot}))
        pair.append((services, bot))
    group = ChatRef("console", "group:contested")
    # The bot is in the group already: each /bind is one transaction, so a group row the
    # first added would keep the second waiting until the first is done, not reading it.
    with session(pair[0][0].engine) as db:
        db.add(Group(platform=group.platform, chat_id=group.chat_id))
        db.commit()

    def bind(officer: str) -> IncomingMessage:
        return IncomingMessage(
            group, officer, officer, "/bind", officer, is_group=True, addressed=False,
            received_at=NOW,
        )  # fmt: skip

    results = await asyncio.to_thread(at_once, pair, [bind("王警官"), bind("赵警官")])
    texts = sorted(out[0].text for out in results)
    assert len([t for t in texts if "社区民警：" in t]) == 1
    assert len([t for t in texts if "只有该所的民警可以重新绑定" in t]) == 1
    with session(pair[0][0].engine) as db:
        bound = db.exec(select(Group).where(Group.chat_id == group.chat_id)).one()
        binds = db.exec(select(AuditEntry).where(AuditEntry.action == "bind")).all()
    assert bound.station_id in ("xq", "jf") and len(binds) == 1
    for services, _ in pair:
        services.engine.dispose()


async def test_two_faq_taps_at_once_toggle_twice(
    workers: list[tuple[Services, FakeAdapter]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both workers read the ticket (加入FAQ off) before either writes: each tap flips the
    stored value, so two taps leave it off again, never lose one."""
    barrier = threading.Barrier(2, timeout=10)
    original = handlers.officer.may_act

    def may_act_then_wait(*args: Any) -> bool:
        allowed = original(*args)
        barrier.wait()
        return allowed

    monkeypatch.setattr(handlers.officer, "may_act", may_act_then_wait)
    ticket_id = a_ticket(workers[0][0])
    await asyncio.to_thread(at_once, workers, [press("faq", ticket_id), press("faq", ticket_id)])
    with session(workers[0][0].engine) as db:
        ticket = db.get(Escalation, ticket_id)
        assert ticket is not None and ticket.add_to_faq is False
        toggles = db.exec(select(AuditEntry).where(AuditEntry.action == "faq toggle")).all()
    assert sorted(t.detail for t in toggles) == ["False", "True"]
