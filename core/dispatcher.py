"""Routes in groups: in each group the first route that handles an event answers it.

Groups run in order (``Route.group``, lowest first; routes keep their order within one).
In a group, a route whose predicate matches runs its handler, which returns:
- ``None``: not mine, the next route of the group is tried;
- a list of messages: handled, and the event goes no further;
- ``Continue(messages)``: handled, and the event goes on to the next group, whose replies
  are sent after these (the guard reminds a resident who posted a phone number, then the
  question in the same message is answered).
A predicate returns something falsy for "not mine"; a route made with ``Route.parsed``
hands what its predicate returned (a parsed command) to the handler, so it is parsed once.

Middleware wraps the handling of every event (metrics, timing), replies sent included.
The unit of work (``core.unit``) wraps the handlers alone: what they write is one
transaction, committed after the last of them and before the first reply is sent, and
rolled back when one raises. Handlers never raise into an adapter: an error is logged, the
event's writes are rolled back, the replies of earlier groups still go out (a reminder
that needs no row), and the error hook tells a person (the group's duty officer); only a
busy database is raised (``handle``), for the update ledger to try the event again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import Engine

from core.db import DatabaseBusy, is_busy
from core.events import Event, Outgoing, SentRef
from core.ports import ChatAdapter
from core.unit import EventUnit

log = logging.getLogger(__name__)

Predicate = Callable[[Event], Any]
Handler = Callable[..., Awaitable["Sequence[Outgoing] | Continue | None"]]
Next = Callable[[Event], Awaitable[list[SentRef]]]
Middleware = Callable[[Event, Next], Awaitable[list[SentRef]]]
ErrorHook = Callable[[Event, str], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Continue:
    """A handler's replies, after which the event goes on to the next group."""

    outgoing: Sequence[Outgoing] = ()


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    predicate: Predicate
    handler: Handler
    group: int = 0
    takes_parsed: bool = False  # the handler is called as handler(event, predicate(event))

    @classmethod
    def parsed(
        cls, name: str, parse: Callable[[Event], Any], handler: Handler, group: int = 0
    ) -> Route:
        return cls(name, parse, handler, group, takes_parsed=True)


class Dispatcher:
    def __init__(
        self,
        routes: Sequence[Route],
        adapters: Mapping[str, ChatAdapter],
        on_sent: Callable[[Outgoing, SentRef], None] | None = None,
        observe_send: Callable[[str, float], None] | None = None,
        after_handled: Callable[[], Awaitable[object]] | None = None,
        middleware: Sequence[Middleware] = (),
        on_error: ErrorHook | None = None,
        database: Engine | None = None,
    ) -> None:
        ordered = sorted(routes, key=lambda r: r.group)  # stable: order within a group kept
        self._groups = tuple(tuple(g) for _, g in groupby(ordered, key=lambda r: r.group))
        # Runs once a handler's replies are sent: the outbox delivers what the handler
        # wrote there (e.g. an officer's answer) at once, not at the sender's next pass.
        self._after_handled = after_handled
        self._adapters = adapters
        self._on_sent = on_sent  # e.g. where an answer landed, for the votes under it
        self._observe_send = observe_send
        self._middleware = tuple(middleware)
        self._on_error = on_error
        self._database = database  # each event's writes are one transaction there

    async def __call__(self, event: Event) -> list[SentRef]:
        try:
            return await self.handle(event)
        except DatabaseBusy:
            log.exception("the database was busy; a %s event is dropped", type(event).__name__)
            return []

    async def handle(
        self, event: Event, before_send: Callable[[Event], Awaitable[object]] | None = None
    ) -> list[SentRef]:
        """As calling the dispatcher, but a handler that failed because the database was
        busy raises ``DatabaseBusy`` (nothing was sent yet): the caller may try again.
        ``before_send`` runs once the replies are known, before the first is sent."""

        async def dispatch(event: Event) -> list[SentRef]:
            return await self._dispatch(event, before_send)

        chain: Next = dispatch
        for middleware in reversed(self._middleware):
            chain = _wrap(middleware, chain)
        return await chain(event)

    async def _dispatch(
        self, event: Event, before_send: Callable[[Event], Awaitable[object]] | None
    ) -> list[SentRef]:
        with self._unit_of_work() as unit:
            outgoing, handled = await self._run_groups(event, unit)
            # The event's rows are durable before anyone is told of them.
            try:
                unit.commit()
            except DatabaseBusy:
                raise
            except Exception:  # e.g. a constraint checked at commit: nothing was written
                log.exception("committing a %s event failed", type(event).__name__)
                await self._report(event, "commit")
                return []
        if not handled:
            return []
        if outgoing and before_send is not None:
            await before_send(event)
        sent = await self.send_all(outgoing)
        if self._after_handled is not None:
            try:
                await self._after_handled()
            except Exception:
                log.exception("after handling a %s event", type(event).__name__)
        return sent

    def _unit_of_work(self) -> EventUnit | _NoDatabase:
        return EventUnit(self._database) if self._database is not None else _NoDatabase()

    async def _run_groups(
        self, event: Event, unit: EventUnit | _NoDatabase
    ) -> tuple[list[Outgoing], bool]:
        """The replies of the groups that handled ``event``, and whether any did."""
        outgoing: list[Outgoing] = []
        handled = False
        for group in self._groups:
            result = await self._run_group(group, event)
            if isinstance(result, _Failed):
                unit.rollback()  # before the error hook writes, with a connection of its own
                await self._report(event, result.route)
                break
            if result is None:
                continue
            handled = True
            if isinstance(result, Continue):
                outgoing.extend(result.outgoing)
                continue
            outgoing.extend(result)
            break
        return outgoing, handled

    async def _run_group(self, group: Sequence[Route], event: Event) -> Any:
        for route in group:
            match = route.predicate(event)
            if not match:
                continue
            try:
                if route.takes_parsed:
                    result = await route.handler(event, match)
                else:
                    result = await route.handler(event)
            except Exception as error:
                if is_busy(error):
                    raise DatabaseBusy(str(error)) from error
                log.exception("handler %s failed on a %s event", route.name, type(event).__name__)
                return _Failed(route.name)
            if result is not None:
                return result
        return None

    async def _report(self, event: Event, route: str) -> None:
        if self._on_error is None:
            return
        try:
            await self._on_error(event, route)
        except Exception:
            log.exception("telling a person that handler %s failed", route)

    async def send_all(self, outgoing: Sequence[Outgoing]) -> list[SentRef]:
        sent = []
        for out in outgoing:
            adapter = self._adapters.get(out.chat.platform)
            if adapter is None:
                log.error("no adapter for platform %s; message dropped", out.chat.platform)
                continue
            started = time.perf_counter()
            try:
                ref = await adapter.send(out)
            except Exception:
                log.exception("sending to a %s chat failed", out.chat.platform)
                continue
            if self._observe_send:
                self._observe_send(out.chat.platform, time.perf_counter() - started)
            sent.append(ref)
            if out.tag and self._on_sent:
                self._on_sent(out, ref)
        return sent


@dataclass(frozen=True, slots=True)
class _Failed:
    """A handler raised: the groups after it do not run."""

    route: str


class _NoDatabase:
    """The unit of work of a dispatcher given no database (tests of the routing alone)."""

    def __enter__(self) -> _NoDatabase:
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        pass


def _wrap(middleware: Middleware, inner: Next) -> Next:
    async def wrapped(event: Event) -> list[SentRef]:
        return await middleware(event, inner)

    return wrapped
