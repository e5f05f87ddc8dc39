"""/隐私 (WeChat: 隐私): what the bot reads, keeps, for how long, and how to have it erased."""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from core.events import IncomingMessage, Outgoing
from core.templates import render
from core.unit import event_session
from handlers.common import group_info
from handlers.services import HasClock, HasEngine, HasGroups, HasRecent, HasSettings, HasStations


class Needs(HasSettings, HasEngine, HasClock, HasStations, HasRecent, HasGroups, Protocol):
    """What the privacy notice uses of ``Services``."""


COMMANDS = frozenset({"隐私", "/隐私", "/privacy", "隐私说明"})


def is_privacy_request(event: object) -> bool:
    return isinstance(event, IncomingMessage) and event.text.strip() in COMMANDS


async def on_privacy_request(services: Needs, msg: IncomingMessage) -> list[Outgoing]:
    """In a group, once per repeat window unless the bot is addressed: a flood of 隐私
    gets one notice."""
    now = services.clock.now()
    station_id = None
    if msg.is_group:
        window = timedelta(seconds=services.settings.behaviour.repeat_window_seconds)
        if not msg.addressed and not await services.recent.claim(
            msg.chat.platform, msg.chat.chat_id, "privacy", now, window
        ):
            return []
        with event_session(services.engine) as db:
            station_id = group_info(db, services.groups, msg.chat, msg.chat_title, now).station_id
    text = render(
        "privacy.j2",
        retention_days=services.settings.privacy.retention_days,
        station=services.station_details(station_id),
    )
    return [Outgoing(msg.chat, text, reply_to=msg.message_id)]
