"""A handler that fails leaves someone without an answer: a person is told.

The dispatcher's error hook. The group's officer (else the station's duty officer) gets a
note as an outbox row, at most one per chat each ``QUIET`` (a bug must not flood their
chat), saying where; what went wrong is in the log, never in a chat.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from core.db import session
from core.dispatcher import ErrorHook
from core.events import ChatRef, Event
from core.templates import render
from handlers.common import default_station
from handlers.services import HasClock, HasEngine, HasStations
from officers.directory import find_group, officer_for
from tickets.service import tell

QUIET = timedelta(minutes=15)
FAILURE_KIND = "handler failure"


class Needs(HasEngine, HasClock, HasStations, Protocol):
    """What telling someone of a failure uses of ``Services``."""


def tell_on_failure(services: Needs) -> ErrorHook:
    told: dict[ChatRef, datetime] = {}

    async def on_error(event: Event, route: str) -> None:
        chat = getattr(event, "chat", None)
        if not isinstance(chat, ChatRef):
            return
        now = services.clock.now()
        last = told.get(chat)
        if last is not None and now - last < QUIET:
            return
        told[chat] = now
        with session(services.engine) as db:
            group = find_group(db, chat)
            officer = officer_for(db, group, default_station(services))
            if officer is None:
                return
            text = render("handler_failed.j2", title=group.title if group else None)
            if tell(db, officer, chat.platform, text, now, kind=FAILURE_KIND):
                db.commit()

    return on_error
