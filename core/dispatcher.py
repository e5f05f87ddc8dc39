"""An ordered list of (predicate, handler) routes; the first handler that handles stops.

Handlers return the messages to send (``None`` = not mine, try the next route). They never
raise into an adapter: an error is logged and the event is dropped, so one bad message
cannot stop polling; only a busy database (``handle``) is raised, for the update ledger to
try the event again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.db import DatabaseBusy, is_busy
from core.events import Event, Outgoing, SentRef
from core.ports import ChatAdapter

log = logging.getLogger(__name__)

Predicate = Callable[[Event], bool]
Handler = Callable[[Any], Awaitable[Sequence[Outgoing] | None]]


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    predicate: Predicate
    handler: Handler


class Dispatcher:
    def __init__(
        self,
        routes: Sequence[Route],
        adapters: Mapping[str, ChatAdapter],
        on_sent: Callable[[Outgoing, SentRef], None] | None = None,
        observe_send: Callable[[str, float], None] | None = None,
        after_handled: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._routes = tuple(routes)
        # Runs once a handler's replies are sent: the outbox delivers what the handler
        # wrote there (e.g. an officer's answer) at once, not at the sender's next pass.
        self._after_handled = after_handled
        self._adapters = adapters
        self._on_sent = on_sent  # e.g. where an answer landed, for the votes under it
        self._observe_send = observe_send

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
        for route in self._routes:
            if not route.predicate(event):
                continue
            try:
                outgoing = await route.handler(event)
            except Exception as error:
                if is_busy(error):
                    raise DatabaseBusy(str(error)) from error
                log.exception("handler %s failed on a %s event", route.name, type(event).__name__)
                return []
            if outgoing is not None:
                if outgoing and before_send is not None:
                    await before_send(event)
                sent = await self.send_all(outgoing)
                if self._after_handled is not None:
                    try:
                        await self._after_handled()
                    except Exception:
                        log.exception("after handling a %s event", type(event).__name__)
                return sent
        return []

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
