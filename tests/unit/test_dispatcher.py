"""The dispatcher's composition: groups, Continue, parsed routes, middleware, errors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from bot.adapters.fake import FakeAdapter
from core.db import DatabaseBusy
from core.dispatcher import Continue, Dispatcher, Next, Route
from core.events import ChatRef, Event, IncomingMessage, Outgoing, SentRef

CHAT = ChatRef("console", "group:1")


def message(text: str) -> IncomingMessage:
    return IncomingMessage(
        CHAT, "r1", "居民", text, "m1", True, False, datetime(2026, 12, 6, tzinfo=UTC)
    )


def says(text: str) -> list[Outgoing]:
    return [Outgoing(CHAT, text)]


def texts(adapter: FakeAdapter) -> list[str]:
    return [o.text for o in adapter.sent]


def dispatcher(routes: Sequence[Route], **kwargs: object) -> tuple[Dispatcher, FakeAdapter]:
    adapter = FakeAdapter()
    return Dispatcher(routes, {"console": adapter}, **kwargs), adapter  # type: ignore[arg-type]


def anything(event: Event) -> bool:
    return True


async def test_in_a_group_the_first_route_that_handles_answers_and_the_event_stops() -> None:
    async def not_mine(event: Event) -> None:
        return None

    async def mine(event: Event) -> list[Outgoing]:
        return says("甲")

    async def later(event: Event) -> list[Outgoing]:
        return says("乙")

    routes = [Route("a", anything, not_mine), Route("b", anything, mine)]
    routes.append(Route("c", anything, later, group=1))
    d, adapter = dispatcher(routes)
    await d(message("你好"))
    assert texts(adapter) == ["甲"]


async def test_continue_sends_its_replies_then_the_next_group_answers_too() -> None:
    async def guard(event: Event) -> Continue:
        return Continue(says("请勿在群里发手机号"))

    async def answer(event: Event) -> list[Outgoing]:
        return says("答案")

    # Registered out of order: groups run by number, routes within one keep their order.
    d, adapter = dispatcher(
        [Route("answer", anything, answer, 2), Route("guard", anything, guard, 1)]
    )
    await d(message("我的电话13912345678，身份证怎么办"))
    assert texts(adapter) == ["请勿在群里发手机号", "答案"]


async def test_a_group_with_nothing_to_say_passes_the_event_on() -> None:
    async def guard(event: Event) -> None:
        return None

    async def answer(event: Event) -> list[Outgoing]:
        return says("答案")

    d, adapter = dispatcher([Route("guard", anything, guard, 1), Route("ans", anything, answer, 2)])
    await d(message("身份证怎么办"))
    assert texts(adapter) == ["答案"]


async def test_a_parsed_route_hands_its_predicates_result_to_the_handler() -> None:
    seen: list[object] = []

    def parse(event: Event) -> tuple[str, int] | None:
        if isinstance(event, IncomingMessage) and event.text.startswith("批准 "):
            return ("approve", int(event.text.split()[1]))
        return None

    async def handle(event: Event, command: tuple[str, int]) -> list[Outgoing]:
        seen.append(command)
        return []

    d, _ = dispatcher([Route.parsed("approve", parse, handle)])
    await d(message("批准 12"))
    await d(message("你好"))
    assert seen == [("approve", 12)]


async def test_middleware_wraps_every_event_outermost_first() -> None:
    calls: list[str] = []

    def named(name: str):  # type: ignore[no-untyped-def]
        async def middleware(event: Event, handle: Next) -> list[SentRef]:
            calls.append(f"{name} in")
            sent = await handle(event)
            calls.append(f"{name} out")
            return sent

        return middleware

    async def answer(event: Event) -> list[Outgoing]:
        calls.append("handler")
        return says("答案")

    d, _ = dispatcher([Route("a", anything, answer)], middleware=[named("outer"), named("inner")])
    await d(message("x"))
    assert calls == ["outer in", "inner in", "handler", "inner out", "outer out"]


async def test_a_failing_handler_is_reported_and_earlier_replies_still_go_out() -> None:
    reported: list[tuple[str, str]] = []

    async def on_error(event: Event, route: str) -> None:
        assert isinstance(event, IncomingMessage)
        reported.append((event.text, route))

    async def guard(event: Event) -> Continue:
        return Continue(says("提醒"))

    async def broken(event: Event) -> list[Outgoing]:
        raise ValueError("a bug")

    routes = [Route("guard", anything, guard, 1), Route("answer", anything, broken, 2)]
    d, adapter = dispatcher(routes, on_error=on_error)
    await d(message("你好"))
    assert texts(adapter) == ["提醒"]
    assert reported == [("你好", "answer")]


async def test_a_busy_database_is_raised_for_the_ledger_to_try_again() -> None:
    async def busy(event: Event) -> list[Outgoing]:
        raise OperationalError("UPDATE …", {}, Exception("database is locked"))

    d, adapter = dispatcher([Route("a", anything, busy)])
    with pytest.raises(DatabaseBusy):
        await d.handle(message("你好"))
    assert adapter.sent == []
