"""Officers the bot cannot write to: named to their station's duty officers at start-up
and daily, so someone asks them to open a private chat before a ticket needs them. Each
check is also kept on the officer's row (``unreachable_since``) for the web console."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, select

from core.db import Officer, session
from core.ports import ChatAdapter
from core.templates import render
from handlers.services import HasBotUsernames, HasClock, HasEngine
from tickets.service import alert


class Needs(HasEngine, HasClock, HasBotUsernames, Protocol):
    """What reporting unreachable officers uses of ``Services``."""


def cannot_reach(officer: Officer) -> bool:
    """The bot has no way to write to ``officer``: no account on any platform, or the
    last check found a platform that cannot (what the console lists)."""
    return officer.unreachable_since is not None or not (officer.telegram_id or officer.wechat_id)


async def report_unreachable(services: Needs, adapters: Mapping[str, ChatAdapter]) -> int:
    """Asks each platform that can tell (``can_reach``) about every officer's id there;
    writes one admin alert per station naming those it cannot reach (outbox rows, for the
    caller's sender to deliver) and marks them. Returns how many officers cannot be reached."""
    with session(services.engine) as db:
        officers = list(db.exec(select(Officer).where(col(Officer.active))).all())
    unreachable: dict[str, list[str]] = defaultdict(list)
    missed: set[int] = set()
    for officer in officers:
        for platform, user_id in (("telegram", officer.telegram_id), ("wechat", officer.wechat_id)):
            probe = getattr(adapters.get(platform), "can_reach", None)
            if user_id and probe is not None and not await probe(user_id):
                unreachable[officer.station_id].append(officer.name)
                missed.add(officer.id or 0)
    await asyncio.to_thread(_record, services, dict(unreachable), missed, tuple(adapters))
    return sum(len(names) for names in unreachable.values())


def _record(
    services: Needs,
    unreachable: dict[str, list[str]],
    missed: set[int],
    platforms: tuple[str, ...],
) -> None:
    now = services.clock.now()
    with session(services.engine) as db:
        _mark(db, missed, now)
        for station_id, names in unreachable.items():
            text = render(
                "officers_unreachable.j2",
                names=sorted(set(names)),
                bot_username=services.bot_usernames.get("telegram", ""),
            )
            alert(db, station_id, text, now, platforms=platforms)
        db.commit()


def _mark(db: Session, missed: set[int], now: datetime) -> None:
    """``unreachable_since`` on the officers just missed (kept if already set), cleared
    on everyone else."""
    for officer in db.exec(select(Officer)).all():
        if officer.id in missed:
            officer.unreachable_since = officer.unreachable_since or now
        else:
            officer.unreachable_since = None
        db.add(officer)
