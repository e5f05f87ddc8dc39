"""Helpers shared by the broadcast tests (unit, integration, e2e); no tests in here."""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

import broadcasts  # noqa: F401  (registers the broadcast tables)
from bot.bootstrap import open_database
from broadcasts.models import Campaign, Delivery, to_db
from broadcasts.planner import Targets
from core.config import Settings, parse_settings
from core.db import Group, Officer, Station
from core.events import ChatRef, Outgoing, SentRef

SIMPLE_TEMPLATE = "{{ station.name }}提醒：{{ tip }} 拨打96110咨询，110报警，安装国家反诈中心App。"
OFFICER_IDS = {"xq": "9001", "jf": "9002"}


def settings_for(url: str, **sections: Any) -> Settings:
    data: dict[str, Any] = {
        "database": {"url": url},
        "stations": [
            {
                "id": "xq",
                "name": "兴庆派出所",
                "address": "解放东街1号",
                "phone": "0951-6000000",
                "hours": "9-17",
            },
            {
                "id": "jf",
                "name": "金凤派出所",
                "address": "北京中路2号",
                "phone": "0951-5000000",
                "hours": "9-17",
            },
        ],
        "officers": [
            {"name": "王警官", "station": "xq", "telegram_id": OFFICER_IDS["xq"]},
            {"name": "李警官", "station": "jf", "telegram_id": OFFICER_IDS["jf"]},
        ],
    }
    data.update(sections)
    return parse_settings(data, "test")


def make_db(settings: Settings) -> Engine:
    """Tables (by the migrations, as every entry point opens the database), stations and
    officers, as bootstrap leaves them."""
    engine = open_database(settings)
    with Session(engine) as db:
        for s in settings.stations:
            db.add(Station(id=s.id, name=s.name, address=s.address, phone=s.phone, hours=s.hours))
        db.flush()
        for o in settings.officers:
            db.add(Officer(name=o.name, station_id=o.station, telegram_id=o.telegram_id))
        db.commit()
    return engine


def add_groups(
    engine: Engine,
    chat_ids: Iterable[str | int],
    *,
    station: str | None = "xq",
    platform: str = "telegram",
    active: bool = True,
) -> list[Group]:
    with Session(engine, expire_on_commit=False) as db:
        groups = [
            Group(
                platform=platform,
                chat_id=str(chat_id),
                title=f"群{chat_id}",
                station_id=station,
                active=active,
            )
            for chat_id in chat_ids
        ]
        db.add_all(groups)
        db.commit()
        for g in groups:
            db.refresh(g)
        return groups


def add_campaign(
    engine: Engine,
    name: str = "测试广播",
    *,
    template: str = SIMPLE_TEMPLATE,
    cron: str | None = None,
    run_at: datetime | None = None,
    targets: Targets | None = None,
    requires_approval: bool = False,
    created: datetime | None = None,
) -> Campaign:
    stamp = to_db(created or datetime(2026, 1, 1, tzinfo=UTC))
    campaign = Campaign(
        name=name,
        template_source=template,
        cron=cron,
        run_at=to_db(run_at) if run_at else None,
        targets_json=(targets or Targets()).to_json(),
        requires_approval=requires_approval,
        created_at=stamp,
        updated_at=stamp,
    )
    with Session(engine, expire_on_commit=False) as db:
        db.add(campaign)
        db.commit()
        db.refresh(campaign)
        return campaign


def deliveries(engine: Engine, campaign_id: int | None = None) -> list[Delivery]:
    with Session(engine) as db:
        query = select(Delivery).order_by(Delivery.id)  # type: ignore[arg-type]
        if campaign_id is not None:
            query = query.where(Delivery.campaign_id == campaign_id)
        return list(db.exec(query))


def group(engine: Engine, group_id: int) -> Group:
    with Session(engine) as db:
        found = db.get(Group, group_id)
        assert found is not None
        return found


class ManualClock:
    def __init__(self, at: datetime | None = None) -> None:
        self.at = at or datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


class VirtualTime:
    """Monotonic seconds that only move when the limiter's timer sleeps: no real waiting.

    ``freeze()`` stops time (sleepers wait) until ``thaw()``, to look at a moment.
    """

    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []
        self._flowing = asyncio.Event()
        self._flowing.set()

    def clock(self) -> float:
        return self.t

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    async def sleep(self, seconds: float) -> None:
        target = self.t + seconds
        await asyncio.sleep(0)  # a cancelled timer never moves time
        await self._flowing.wait()
        self.slept.append(seconds)
        self.t = max(self.t, target)


class Killed(BaseException):
    """The process dies here (nothing catches a BaseException that is not an Exception)."""


@dataclass
class FakeSender:
    """A broadcast sender (what ``RateLimitedAdapter`` offers) with scripted failures.

    ``script[chat_id]`` lists what each send to that chat does in turn: an exception to
    raise after the claim (as the platform refusing it), or None for success.
    ``crash_after_delivery`` chats get the message and then the process "dies"
    (``Killed`` propagates through everything, as a SIGKILL would end it).
    """

    platform: str = "telegram"
    script: dict[str, list[BaseException | None]] = field(default_factory=dict)
    crash_after_delivery: set[str] = field(default_factory=set)
    delay: float = 0.0
    sent: list[Outgoing] = field(default_factory=list)
    replies: list[Outgoing] = field(default_factory=list)
    attempts: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    async def send(self, out: Outgoing) -> SentRef:
        self.replies.append(out)
        return SentRef(out.chat, str(next(self._ids)))

    async def send_broadcast(
        self, out: Outgoing, claim: Callable[[], Awaitable[bool]] | None = None
    ) -> SentRef | None:
        if self.delay:
            await asyncio.sleep(self.delay)
        else:
            await asyncio.sleep(0)
        if claim is not None and not await claim():
            return None
        chat = out.chat.chat_id
        self.attempts.append(chat)
        steps = self.script.get(chat)
        if steps:
            step = steps.pop(0)
            if step is not None:
                raise step
        self.sent.append(out)
        if chat in self.crash_after_delivery:
            raise Killed("killed after the platform took the message")
        return SentRef(out.chat, str(next(self._ids)))

    def copies(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for out in self.sent:
            counts[out.chat.chat_id] = counts.get(out.chat.chat_id, 0) + 1
        return counts


@dataclass
class LightServices:
    """What the broadcast handlers use of ``handlers.services.Services``."""

    settings: Settings
    engine: Engine
    clock: Any


def officer_chat(station: str) -> ChatRef:
    return ChatRef("telegram", OFFICER_IDS[station])


async def send_now_process(
    campaign_id: int, config: Path, tokens: dict[str, str], log: Path
) -> asyncio.subprocess.Process:
    """``jingmin``'s real ``send-now`` as a child process (for the kill tests), with the
    platforms' tokens (env name -> token) in its environment and its output in ``log``."""
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.broadcast_cli",
            "send-now",
            str(campaign_id),
            "--config",
            str(config),
            "--no-progress",
            cwd=Path(__file__).resolve().parents[2],
            env=dict(os.environ, **tokens),
            stdout=out,
            stderr=out,
        )
