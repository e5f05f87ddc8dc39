"""An account's day: its daily send cap, counted in the database, and its broadcast hours.

WeChat restricts accounts that send too much (issue 16), so each account has a cap of
messages per local day — replies to residents included — and hours in which broadcasts
may go out (default 08:00-21:00 in the configured time zone). Both must hold across
restarts: a crash loop that reset an in-memory counter would let an account send its cap
again after every restart.

- ``SendTally`` rows (``core.db``) count the sends of one (platform, account, local day).
  A send is counted just before its request leaves — a broadcast once its delivery row
  is claimed — so a crash mid-send counts it (it may have gone out), and a crash before
  the claim does not (the row is still pending and goes out, counted, after the
  restart: the count matches what the account sent). The count is one upsert
  that returns the day's total, so every send also learns what other processes on the
  same account (workers answering residents) have sent; with no send for ``refresh``
  the total is read again.
- ``DailyBudget.closed()`` says whether a broadcast may go out now, and if not, until
  when: a run cut by the cap continues at the next day's opening, a run outside the hours
  at the next opening — never just after midnight.
- The row also keeps when the account's latest send began, so after a restart (or in a
  crash loop) the first send still waits the gap after the last one instead of going at
  once.

A database write per send is done on the caller's thread (the event loop): WeChat sends
are spaced seconds apart (``seconds_between_sends``), so it is one short statement every
few seconds per account. A database error never stops a send: the count is then kept in
memory until the database answers again.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Table, func
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel

from core.db import as_utc
from core.hours import DEFAULT_ACCOUNT, BroadcastHours

log = logging.getLogger(__name__)


class BroadcastsClosed(Exception):
    """No broadcast may go out on this account before ``until`` (None: unknown)."""

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.until = until


class DailyCapReached(BroadcastsClosed):
    """The account's budget for today is spent; broadcasts continue at the next opening."""


class OutsideBroadcastHours(BroadcastsClosed):
    """Broadcasts wait for the account's next opening."""


# --------------------------------------------------------------------------------------
# Broadcast hours


# --------------------------------------------------------------------------------------
# Where the day's sends are counted


@dataclass(frozen=True, slots=True)
class Account:
    platform: str
    id: str = DEFAULT_ACCOUNT


class Tally(Protocol):
    def sent(self, account: Account, day: date) -> int: ...

    def last_send(self, account: Account) -> datetime | None:
        """When the account's latest counted send began (any process), if known."""
        ...

    def add(self, account: Account, day: date, count: int, at: datetime) -> int:
        """Add ``count`` (negative: a refund) at ``at``; return the day's new total."""
        ...


class MemoryTally:
    """For the console and tests that need no database: forgotten on restart."""

    def __init__(self) -> None:
        self._counts: dict[tuple[Account, date], int] = {}

    def sent(self, account: Account, day: date) -> int:
        return self._counts.get((account, day), 0)

    def last_send(self, account: Account) -> datetime | None:
        return None  # a process of its own: its limiter remembers its last send

    def add(self, account: Account, day: date, count: int, at: datetime) -> int:
        total = max(self._counts.get((account, day), 0) + count, 0)
        self._counts[account, day] = total
        return total


def _tallies() -> Table:
    return SQLModel.metadata.tables["send_tally"]


class DatabaseTally:
    """``SendTally`` rows: shared by every process on the database, kept across restarts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sent(self, account: Account, day: date) -> int:
        t = _tallies()
        query = core_select(t.c.sent).where(
            t.c.platform == account.platform, t.c.account == account.id, t.c.day == day
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return int(found or 0)

    def last_send(self, account: Account) -> datetime | None:
        t = _tallies()
        query = core_select(func.max(t.c.updated_at)).where(
            t.c.platform == account.platform, t.c.account == account.id, t.c.sent > 0
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return as_utc(found) if found is not None else None

    def add(self, account: Account, day: date, count: int, at: datetime) -> int:
        t = _tallies()
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        values = {
            "platform": account.platform,
            "account": account.id,
            "day": day,
            "sent": max(count, 0),
            "updated_at": at,  # the last send's start, for the next process's gap
        }
        statement = insert(t).values(values)
        upsert = statement.on_conflict_do_update(
            index_elements=["platform", "account", "day"],
            set_={"sent": t.c.sent + count, "updated_at": statement.excluded.updated_at},
        ).returning(t.c.sent)
        with self.engine.begin() as conn:
            return int(conn.execute(upsert).scalar_one())


# --------------------------------------------------------------------------------------
# The budget


def _utcnow() -> datetime:
    return datetime.now(UTC)


class DailyBudget:
    """One account's cap and broadcast hours; ``wall`` is the (injectable) clock."""

    def __init__(
        self,
        tally: Tally,
        account: Account,
        *,
        cap: int,
        hours: BroadcastHours | None = None,
        tz: ZoneInfo | None = None,
        wall: Callable[[], datetime] | None = None,
        refresh: timedelta = timedelta(seconds=30),
    ) -> None:
        self.tally, self.account, self.cap = tally, account, cap
        self.hours = hours or BroadcastHours()
        self.tz = tz or ZoneInfo("Asia/Shanghai")
        self.wall, self.refresh = wall or _utcnow, refresh
        self._day: date | None = None
        self._count = 0
        self._read_at: datetime | None = None

    def today(self) -> date:
        return self.wall().astimezone(self.tz).date()

    def sent_today(self) -> int:
        """Sends of the local day so far, every process's (re-read after ``refresh``)."""
        now = self.wall()
        day = now.astimezone(self.tz).date()
        stale = self._read_at is None or now - self._read_at >= self.refresh
        if day != self._day or stale:
            if day != self._day:
                self._day, self._count = day, 0
            try:
                self._count = self.tally.sent(self.account, day)
            except Exception:
                log.warning("%s: could not read the day's send count", self._name(), exc_info=True)
            self._read_at = now
        return self._count

    def spend(self, count: int = 1) -> None:
        """Count a send that begins (``-1``: refund one that did not go out)."""
        now = self.wall()
        day = now.astimezone(self.tz).date()
        if day != self._day:
            self._day, self._count, self._read_at = day, 0, None
        try:
            self._count = self.tally.add(self.account, day, count, now)
            self._read_at = now
        except Exception:
            log.warning("%s: could not count a send", self._name(), exc_info=True)
            self._count = max(self._count + count, 0)

    def seconds_since_last_send(self) -> float | None:
        """How long ago the account's latest send began, by any process (None: unknown)."""
        try:
            last = self.tally.last_send(self.account)
        except Exception:
            log.warning("%s: could not read the last send", self._name(), exc_info=True)
            return None
        return None if last is None else max((self.wall() - last).total_seconds(), 0.0)

    def closed(self) -> BroadcastsClosed | None:
        """None if a broadcast may begin now; otherwise why not, and until when."""
        now = self.wall()
        local = now.astimezone(self.tz)
        sent = self.sent_today()
        if sent >= self.cap:
            return DailyCapReached(
                f"{self._name()}: {sent} messages sent today (daily cap {self.cap})",
                self.hours.opening_after(local.date(), self.tz),
            )
        if not self.hours.is_open(now, self.tz):
            return OutsideBroadcastHours(
                f"{self._name()}: outside broadcast hours {self.hours.describe()}",
                self.hours.next_opening(now, self.tz),
            )
        return None

    def _name(self) -> str:
        return f"{self.account.platform} account {self.account.id}"


# --------------------------------------------------------------------------------------
# Planning: when would N sends finish at this pace?


@dataclass(frozen=True, slots=True)
class DayShare:
    """The part of a run that goes out on one local day."""

    day: date
    sends: int
    first: datetime
    last: datetime
    stopped_by: str = ""  # "daily cap" | "broadcast hours" | "" (the run is done)


def project_sends(
    count: int,
    start: datetime,
    *,
    seconds_per_send: float,
    tz: ZoneInfo,
    cap: int | None = None,
    hours: BroadcastHours | None = None,
    sent_today: int = 0,
) -> list[DayShare]:
    """How ``count`` sends from ``start`` spread over days at one per ``seconds_per_send``,
    under a daily ``cap`` (of which ``sent_today`` is spent) and broadcast ``hours``."""
    shares: list[DayShare] = []
    spacing = timedelta(seconds=max(seconds_per_send, 0.0))
    remaining, moment = count, start
    day, used = start.astimezone(tz).date(), sent_today
    while remaining > 0:
        if hours is not None:
            moment = hours.next_opening(moment, tz)
        local_day = moment.astimezone(tz).date()
        if local_day != day:
            day, used = local_day, 0
        if cap is not None and used >= cap:
            next_day = datetime.combine(day + timedelta(days=1), clock_time(), tz)
            moment = hours.opening_after(day, tz) if hours is not None else next_day
            continue
        fits = remaining if cap is None else min(remaining, cap - used)
        stopped = "daily cap" if fits < remaining else ""
        if hours is not None:
            left = hours.closing_on(day, tz) - moment
            in_hours = math.ceil(left / spacing) if spacing else remaining  # start < closing
            if in_hours < fits:
                fits, stopped = in_hours, "broadcast hours"
        last = moment + spacing * (fits - 1)
        shares.append(DayShare(day, fits, moment, last, stopped))
        remaining, used, moment = remaining - fits, used + fits, last + spacing
    return shares
