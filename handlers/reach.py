"""Officers the bot cannot write to: named to their station's duty officers at start-up
and daily, so someone asks them to open a private chat before a ticket needs them."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping

from sqlmodel import select

from bot.db import Officer, session
from bot.ports import ChatAdapter
from bot.services import Services
from bot.templates import render
from handlers.tickets import alert


async def report_unreachable(services: Services, adapters: Mapping[str, ChatAdapter]) -> int:
    """Asks each platform that can tell (``can_reach``) about every officer's id there;
    writes one admin alert per station naming those it cannot reach (outbox rows, for the
    caller's sender to deliver). Returns how many officers cannot be reached."""
    with session(services.engine) as db:
        officers = list(db.exec(select(Officer)).all())
    unreachable: dict[str, list[str]] = defaultdict(list)
    for officer in officers:
        for platform, user_id in (("telegram", officer.telegram_id), ("wechat", officer.wechat_id)):
            probe = getattr(adapters.get(platform), "can_reach", None)
            if user_id and probe is not None and not await probe(user_id):
                unreachable[officer.station_id].append(officer.name)
    if unreachable:
        await asyncio.to_thread(_alert, services, dict(unreachable), tuple(adapters))
    return sum(len(names) for names in unreachable.values())


def _alert(
    services: Services, unreachable: dict[str, list[str]], platforms: tuple[str, ...]
) -> None:
    now = services.clock.now()
    with session(services.engine) as db:
        for station_id, names in unreachable.items():
            text = render(
                "officers_unreachable.j2",
                names=sorted(set(names)),
                bot_username=services.bot_usernames.get("telegram", ""),
            )
            alert(db, station_id, text, now, platforms=platforms)
        db.commit()
