"""Events taken while the bot stops are kept, and handled at the next start.

On SIGTERM the bot must be gone within seconds (systemd kills it 30 s later), but a
flooded group can have hundreds of updates taken from the platform and waiting for their
turn; the platform counts them as delivered. ``Intake`` sits between the adapters and the
dispatcher: once ``stopping`` is set it keeps every event instead of handling it (the
adapters' queues then empty at once), the runtime stores them with ``keep`` after the
adapters stopped, and ``take`` hands them back (oldest first, each to one worker) when
the bot starts again. They go through the update ledger then, as any event does.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert
from sqlmodel import col

from bot.db import PendingEvent, utcnow
from bot.events import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    ButtonPress,
    ChatMigrated,
    ChatRef,
    Event,
    IncomingMessage,
)

log = logging.getLogger(__name__)

EVENT_TYPES: dict[str, type[Any]] = {
    kind.__name__: kind
    for kind in (IncomingMessage, ButtonPress, BotAddedToGroup, BotRemovedFromGroup, ChatMigrated)
}


def _plain(value: object) -> object:
    if isinstance(value, ChatRef):
        return {"platform": value.platform, "chat_id": value.chat_id}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_json(event: Event) -> str:
    values = {f.name: _plain(getattr(event, f.name)) for f in fields(event)}
    return json.dumps({"type": type(event).__name__, "values": values}, ensure_ascii=False)


def from_json(text: str) -> Event:
    data = json.loads(text)
    kind = EVENT_TYPES[data["type"]]
    values = dict(data["values"])
    for name, value in values.items():
        if isinstance(value, dict):
            values[name] = ChatRef(value["platform"], value["chat_id"])
        elif name.endswith("_at") and isinstance(value, str):
            values[name] = datetime.fromisoformat(value)
    event: Event = kind(**values)
    return event


def keep(engine: Engine, events: Sequence[Event]) -> None:
    if not events:
        return
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(
            insert(PendingEvent), [{"payload": to_json(e), "taken_at": now} for e in events]
        )
    log.info("kept %d event(s) taken while stopping, for the next start", len(events))


def take(engine: Engine) -> list[Event]:
    """The kept events, oldest first, removed in the same statement (a second worker
    starting at the same time gets the others, never the same ones)."""
    statement = delete(PendingEvent).returning(col(PendingEvent.id), col(PendingEvent.payload))
    with engine.begin() as connection:
        rows = sorted(connection.execute(statement).all())
    events = []
    for _, payload in rows:
        try:
            events.append(from_json(payload))
        except (ValueError, KeyError, TypeError):
            log.error("a kept event could not be read back; dropped: %.200s", payload)
    return events


class Intake:
    """The adapters' event sink: handles events, or keeps them once ``stopping``."""

    def __init__(self, handle: Callable[[Event], Awaitable[None]]) -> None:
        self._handle = handle
        self.stopping = False
        self.kept: list[Event] = []

    async def __call__(self, event: Event) -> None:
        if self.stopping:
            self.kept.append(event)
            return
        await self._handle(event)

    async def replay(self, events: Sequence[Event]) -> None:
        """Handle events kept by the last run, in order; cancelled (the bot stopping), the
        ones not reached yet are kept again."""
        for index, event in enumerate(events):
            try:
                await self(event)
            except asyncio.CancelledError:
                self.kept.extend(events[index + 1 :])
                raise
            except Exception:
                log.exception("a kept event failed")
