"""The weekly report to each station's officers: sent once per station and week."""

from __future__ import annotations

import logging
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from core.db import Officer, ReportSent, session
from core.events import Outgoing
from core.templates import render
from handlers.services import HasClock, HasEngine, HasQuestionLog, HasSettings, HasTopics
from officers.directory import first_private_chat
from reports.stats import chart_png, compute_stats, last_week


class Needs(HasSettings, HasEngine, HasClock, HasTopics, HasQuestionLog, Protocol):
    """What the weekly reports use of ``Services``."""


log = logging.getLogger(__name__)
LABELS_FILE = Path(__file__).parent / "templates" / "chart_labels.toml"
SEND_FROM_HOUR = 9  # Monday morning, local time


async def due_weekly_reports(services: Needs) -> list[Outgoing]:
    tz = services.settings.tz
    now = services.clock.now()
    if now.astimezone(tz).weekday() == 0 and now.astimezone(tz).hour < SEND_FROM_HOUR:
        return []  # the week is over, but officers read it from Monday morning
    since, until, week = last_week(now, tz)
    services.questions.flush(services.engine)
    labels = tomllib.loads(LABELS_FILE.read_text(encoding="utf-8"))
    out: list[Outgoing] = []
    for station in services.settings.stations:
        with session(services.engine) as db:
            db.add(ReportSent(station_id=station.id, week=week))
            try:
                db.commit()  # claimed first: a crash now loses a report, never doubles one
            except IntegrityError:
                continue
            officers = db.exec(select(Officer).where(Officer.station_id == station.id)).all()
        stats = compute_stats(services.engine, since, until, tz, station.id)
        text = render(
            "weekly_report.j2",
            station=station,
            stats=stats,
            since=since,
            until_day=until - timedelta(days=1),
            titles={topic: services.topics[topic].title for topic in services.topics},
        )
        chart = chart_png(stats, labels)
        for officer in officers:
            chat = first_private_chat(officer, ("telegram", "wechat"))
            if chat is not None:
                out.append(Outgoing(chat, text, image_png=chart))
        log.info("weekly report %s for station %s to %d officer(s)", week, station.id, len(out))
    return out
