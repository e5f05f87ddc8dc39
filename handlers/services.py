"""What handlers need, built once in bootstrap and passed explicitly (no globals).

``Services`` is the whole bag; a handler module says which part of it it uses with a
``Protocol`` of its own (``Needs``), built from the small ones below that several modules
share. ``Services`` satisfies them all structurally, and a test can hand a handler a
fake that has only what that module names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Protocol

from sqlalchemy import Engine, insert

from core.config import Settings, StationSettings
from core.db import QuestionEvent, commit_without_flush_wait
from core.ports import Clock
from core.unit import bookkeeping
from faq.knowledge import FaqTopic
from faq.live import KnowledgeBase
from guard.detect import GuardResult, check
from infra.groupcommit import GroupCommit
from infra.inbox import claim_window
from infra.metrics import Metrics
from tickets.service import LearnedKeys


class RecentQuestions:
    """What was answered in each chat, so a repeat within the window is skipped.

    Decided in the database, by one atomic claim per (chat, topic) in the update ledger's
    table (key ``answered:<topic>``): handlers running at once, in this worker or in
    another, agree, so a flood of one question is answered once per window. A claim made
    while an event is handled is written with the event's rows (rolled back with them);
    others share commits (``GroupCommit``). Old claims go with the ledger's retention."""

    def __init__(self, window: timedelta, engine: Engine) -> None:
        self.window = window
        sqlite = engine.dialect.name == "sqlite"
        self._claims = GroupCommit(engine, "repeat-window", inline=sqlite, durable=False)

    async def first_in_window(self, platform: str, chat_id: str, topic: str, now: datetime) -> bool:
        """True if ``topic`` was not answered in this chat within the window (and claims it)."""
        return await self.claim(platform, chat_id, f"answered:{topic}", now, self.window)

    async def claim(
        self, platform: str, chat_id: str, what: str, now: datetime, window: timedelta
    ) -> bool:
        """True if ``what`` was not claimed in this chat within ``window`` (and claims it):
        the one atomic claim behind every "at most once per … per group" of the bot."""
        key = (platform, chat_id, what)
        with bookkeeping(self._claims.engine) as in_event:
            if in_event is not None:  # with the event's rows, and no waiting (see core.unit)
                return claim_window(in_event, key, now, window)
        claim = partial(claim_window, key=key, now=now, window=window)
        return await self._claims.write(claim)


@dataclass(frozen=True, slots=True)
class GroupInfo:
    id: int
    station_id: str | None
    officer_id: int | None
    title: str


ChatKey = tuple[str, str]  # platform, chat id
CachedGroup = tuple[GroupInfo, datetime]  # and when it was read from the database


@dataclass
class GroupCache:
    """Chat -> its group row, so answering a question needs no lookup. Another worker's
    /bind is seen within ``ttl``: entries older than half of it are read again in one
    batch off the event loop (``stale``, then ``renew``); this worker forgets at once.

    Expiring entries one by one instead made every group that spoke in the same minute
    expire in the same minute, and under load the lookups, each a round trip on the event
    loop, piled up until replies took seconds."""

    ttl: timedelta = timedelta(seconds=60)
    _entries: dict[ChatKey, CachedGroup] = field(default_factory=dict)

    @property
    def renew_after(self) -> timedelta:
        """Age at which an entry is read again: half the TTL, so it is renewed before it
        expires however the refresh timer falls."""
        return self.ttl / 2

    def get(self, platform: str, chat_id: str, now: datetime) -> GroupInfo | None:
        entry = self._entries.get((platform, chat_id))
        return entry[0] if entry and now - entry[1] < self.ttl else None

    def put(self, platform: str, chat_id: str, info: GroupInfo, now: datetime) -> None:
        self._entries[(platform, chat_id)] = (info, now)

    def forget(self, platform: str, chat_id: str) -> None:
        self._entries.pop((platform, chat_id), None)

    def stale(self, now: datetime) -> dict[ChatKey, CachedGroup]:
        """The entries due to be read again (pass them back to ``renew``)."""
        due = now - self.renew_after
        return {key: entry for key, entry in self._entries.items() if entry[1] <= due}

    def renew(
        self, stale: Mapping[ChatKey, CachedGroup], fresh: Mapping[int, GroupInfo], now: datetime
    ) -> None:
        """``fresh``: the stale entries' rows by group id, read at ``now``. An entry put or
        forgotten meanwhile is left as it is (it is newer than what was read); a group
        whose row is gone is forgotten."""
        for key, entry in stale.items():
            if self._entries.get(key) is not entry:
                continue
            info = fresh.get(entry[0].id)
            if info is None:
                del self._entries[key]
            else:
                self._entries[key] = (info, now)


@dataclass
class DemotedTopics:
    """Topics residents found unhelpful (many 👎 in a week, not yet reviewed by an
    officer): suggested to the officer instead of answered. Read again now and then, like
    ``LearnedKeys``; this worker's own votes and reviews reload it at once."""

    ttl: timedelta = timedelta(seconds=60)
    topics: frozenset[str] = frozenset()
    loaded_at: datetime | None = None

    def stale(self, now: datetime) -> bool:
        return self.loaded_at is None or now - self.loaded_at >= self.ttl


@dataclass
class AnswersInFlight:
    """Answers handed to the dispatcher, by their tag, until the platform took them and
    their row is written. Bounded: an answer whose send failed is forgotten in time."""

    limit: int = 10_000
    _columns: dict[str, dict[str, Any]] = field(default_factory=dict)

    def put(self, tag: str, columns: dict[str, Any]) -> None:
        if len(self._columns) >= self.limit:
            self._columns.pop(next(iter(self._columns)))
        self._columns[tag] = columns

    def pop(self, tag: str) -> dict[str, Any] | None:
        return self._columns.pop(tag, None)


@dataclass
class QuestionLog:
    """Question records buffered in memory and written in batches: one commit per message
    costs more than the answer itself, and statistics can lose a second on a crash."""

    batch: int = 200
    pending: list[dict[str, Any]] = field(default_factory=list)

    def add(self, engine: Engine, **columns: Any) -> None:
        """One ``QuestionEvent`` row, as its column values (a model instance per message
        cost more than the rest of the answer)."""
        self.pending.append(columns)
        if len(self.pending) >= self.batch:
            self.flush(engine)

    def flush(self, engine: Engine) -> None:
        if not self.pending:
            return
        rows, self.pending = self.pending, []
        with bookkeeping(engine) as in_event:
            # With the event's rows, not waiting for them (core.unit); an event that fails
            # loses the batch, as a crash would: statistics, not records.
            if in_event is not None:
                in_event.execute(insert(QuestionEvent), rows)
                return
        with engine.begin() as connection:
            commit_without_flush_wait(connection)
            connection.execute(insert(QuestionEvent), rows)


class GuardCheck(Protocol):
    """What the guard makes of one text (``guard.detect.check``)."""

    def __call__(self, text: str, *, exempt_numbers: frozenset[str] = ...) -> GuardResult: ...


@dataclass
class Services:
    settings: Settings
    engine: Engine
    knowledge: KnowledgeBase
    clock: Clock
    recent: RecentQuestions
    metrics: Metrics = field(default_factory=Metrics)
    groups: GroupCache = field(default_factory=GroupCache)
    learned: LearnedKeys = field(default_factory=LearnedKeys)
    questions: QuestionLog = field(default_factory=QuestionLog)
    # The bot's own @username per platform, once its adapter started (for deep links).
    bot_usernames: dict[str, str] = field(default_factory=dict)
    demoted: DemotedTopics = field(default_factory=DemotedTopics)
    answers_in_flight: AnswersInFlight = field(default_factory=AnswersInFlight)
    # Decides every resident's text, as ``knowledge`` does every question.
    guard: GuardCheck = check

    @property
    def topics(self) -> Mapping[str, FaqTopic]:
        return self.knowledge

    def station_details(self, station_id: str | None) -> StationSettings | None:
        """The group's station, or the first configured one for a group not yet bound."""
        if station_id:
            found = self.settings.station(station_id)
            if found:
                return found
        return self.settings.stations[0] if self.settings.stations else None


# What several handler modules read of ``Services``, one thing each; a module's ``Needs``
# inherits the ones it uses. Read-only, so ``Services`` (or a frozen fake) satisfies them.
# List them in a ``Needs`` in the order they stand here: a ``Needs`` that combines other
# modules' (``handlers.guard``'s) fails at import if two of them order the bases otherwise.


class HasSettings(Protocol):
    @property
    def settings(self) -> Settings: ...


class HasEngine(Protocol):
    @property
    def engine(self) -> Engine: ...


class HasClock(Protocol):
    @property
    def clock(self) -> Clock: ...


class HasStations(Protocol):
    def station_details(self, station_id: str | None) -> StationSettings | None: ...


class HasTopics(Protocol):
    @property
    def topics(self) -> Mapping[str, FaqTopic]: ...


class HasKnowledge(Protocol):
    @property
    def knowledge(self) -> KnowledgeBase: ...


class HasRecent(Protocol):
    @property
    def recent(self) -> RecentQuestions: ...


class HasGroups(Protocol):
    @property
    def groups(self) -> GroupCache: ...


class HasLearned(Protocol):
    @property
    def learned(self) -> LearnedKeys: ...


class HasQuestionLog(Protocol):
    @property
    def questions(self) -> QuestionLog: ...


class HasBotUsernames(Protocol):
    @property
    def bot_usernames(self) -> Mapping[str, str]: ...


class HasGuard(Protocol):
    @property
    def guard(self) -> GuardCheck: ...
