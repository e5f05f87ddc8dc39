"""The console's reports (issue 17, point 7): what the database counts for a visitor's scope.

Each figure is one grouped query, as ``reports.stats.topic_outcomes`` does: a city's month is
many rows, and only the counts leave the database. Two things are finished in Python on
few rows: the median per officer (no median in SQLite) and the grouping of unanswered
questions by similarity (``faq.gaps``), over the latest ``GAP_QUESTIONS`` of them. A
report is kept for ``FRESH`` per scope and period: the page, its chart and its CSV ask
for the same one, and a busy month costs about a second to count and group.

Days are the deployment's local days. PostgreSQL converts each moment with the time zone
itself; SQLite shifts by the zone's UTC offset at the period's end (exact for zones without
summer time, such as China's).
"""

from __future__ import annotations

import csv
import io
import statistics
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, func, literal
from sqlmodel import Session, col, select

from broadcasts.models import Delivery, DeliveryState
from core.db import Escalation, Group, QuestionEvent, as_utc
from faq.gaps import Cluster, cluster_questions
from reports.stats import OUTCOMES, Stats

TOP = 10
GAP_QUESTIONS = 500  # the latest unanswered questions grouped (1 ms of jieba each)
FRESH = timedelta(minutes=5)  # a report is reused this long (the page, its chart, its CSV)


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose figures: one station's (``None``: every station), and within it only some
    groups' (an officer's own; ``None``: all of them)."""

    station_id: str | None
    chats: tuple[str, ...] | None = None


@dataclass
class Report:
    since: datetime  # local midnight of the first day
    until: datetime  # local midnight after the last day
    daily: dict[date, Counter[str]] = field(default_factory=dict)
    questions: int = 0
    answered_by_bot: int = 0
    tickets: int = 0
    answered_by_officers: int = 0
    officer_minutes: dict[str, float] = field(default_factory=dict)  # median, by officer
    topics: list[tuple[str, int]] = field(default_factory=list)
    gaps: list[tuple[str, int]] = field(default_factory=list)  # a sample question, how many
    clusters: list[Cluster] = field(default_factory=list)  # every group of them, largest first
    broadcasts_delivered: int = 0

    @property
    def answer_rate(self) -> float | None:
        """Questions answered, by the bot or by an officer, of all questions."""
        if not self.questions:
            return None
        return min(1.0, (self.answered_by_bot + self.answered_by_officers) / self.questions)

    def stats(self) -> Stats:
        """For ``reports.stats.chart_png``: the weekly report's chart of these days."""
        return Stats(self.since, self.until, daily=self.daily)


@dataclass
class Recent:
    """Reports built in the last ``FRESH``, by scope and period (one console process)."""

    kept: dict[tuple[Scope, datetime, datetime], tuple[datetime, Report]] = field(
        default_factory=dict
    )
    lock: threading.Lock = field(default_factory=threading.Lock)  # pages run on threads

    def get(
        self,
        db: Session,
        scope: Scope,
        since: datetime,
        until: datetime,
        tz: ZoneInfo,
        now: datetime,
    ) -> Report:
        key = (scope, since, until)
        with self.lock:
            self.kept = {k: v for k, v in self.kept.items() if v[0] > now - FRESH}
            found = self.kept.get(key)
        if found is not None:
            return found[1]
        report = build(db, scope, since, until, tz)
        with self.lock:
            self.kept[key] = (now, report)
        return report


def local_day(db: Session, column: Any, tz: ZoneInfo, at: datetime) -> Any:
    if db.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(tz.key, column), Date)
    offset = at.astimezone(tz).utcoffset()
    seconds = int(offset.total_seconds()) if offset else 0
    return func.date(column, literal(f"{seconds:+d} seconds"))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def build(db: Session, scope: Scope, since: datetime, until: datetime, tz: ZoneInfo) -> Report:
    report = Report(since, until)
    day = local_day(db, QuestionEvent.at, tz, until)
    events = (
        select(day, QuestionEvent.action, func.count())
        .where(QuestionEvent.at >= since, QuestionEvent.at < until)
        .group_by(day, QuestionEvent.action)
    )
    topics = (
        select(QuestionEvent.faq_id, func.count().label("n"))
        .where(QuestionEvent.at >= since, QuestionEvent.at < until)
        .where(col(QuestionEvent.faq_id).is_not(None))
        .group_by(QuestionEvent.faq_id)
        .order_by(func.count().desc(), col(QuestionEvent.faq_id))
        .limit(TOP)
    )
    tickets = (
        select(Escalation.state, func.count())
        .where(Escalation.created_at >= since, Escalation.created_at < until)
        .group_by(Escalation.state)
    )
    answered = select(Escalation.decided_by, Escalation.created_at, Escalation.updated_at).where(
        Escalation.created_at >= since,
        Escalation.created_at < until,
        Escalation.state == "answered",
    )
    unanswered = (
        select(Escalation.question)
        .where(Escalation.created_at >= since, Escalation.created_at < until)
        .where(col(Escalation.faq_id).is_(None), Escalation.question != "")
        .order_by(col(Escalation.id).desc())
        .limit(GAP_QUESTIONS)
    )
    delivered = select(func.count()).where(
        Delivery.state == DeliveryState.SENT,
        col(Delivery.sent_at) >= since,
        col(Delivery.sent_at) < until,
    )
    if scope.station_id is not None:
        events = events.where(QuestionEvent.station_id == scope.station_id)
        topics = topics.where(QuestionEvent.station_id == scope.station_id)
        station_chats = select(Group.chat_id).where(Group.station_id == scope.station_id)
        tickets = tickets.where(col(Escalation.chat_id).in_(station_chats))
        answered = answered.where(col(Escalation.chat_id).in_(station_chats))
        unanswered = unanswered.where(col(Escalation.chat_id).in_(station_chats))
        delivered = delivered.where(Delivery.station_id == scope.station_id)
    if scope.chats is not None:
        chats = list(scope.chats)
        events = events.where(col(QuestionEvent.chat_id).in_(chats))
        topics = topics.where(col(QuestionEvent.chat_id).in_(chats))
        tickets = tickets.where(col(Escalation.chat_id).in_(chats))
        answered = answered.where(col(Escalation.chat_id).in_(chats))
        unanswered = unanswered.where(col(Escalation.chat_id).in_(chats))
        delivered = delivered.where(col(Delivery.chat_id).in_(chats))

    for when, action, count in db.exec(events).all():
        report.daily.setdefault(_day(when), Counter())[action] = count
        report.questions += count
        report.answered_by_bot += count if action == "answer" else 0
    report.topics = [(str(faq_id), int(count)) for faq_id, count in db.exec(topics).all()]
    for state, count in db.exec(tickets).all():
        report.tickets += count
        report.answered_by_officers += count if state == "answered" else 0
    waits: dict[str, list[float]] = {}
    for name, created, updated in db.exec(answered).all():
        minutes = (as_utc(updated) - as_utc(created)).total_seconds() / 60
        waits.setdefault(name or "", []).append(minutes)
    report.officer_minutes = {name: statistics.median(w) for name, w in sorted(waits.items())}
    clusters = cluster_questions(str(q) for q in db.exec(unanswered).all())
    report.clusters = clusters
    report.gaps = [(c.sample, c.size) for c in clusters[:TOP]]
    report.broadcasts_delivered = int(db.exec(delivered).one())
    return report


def days(report: Report) -> list[date]:
    first, last = report.since.date(), report.until.date()
    return [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal())]


def as_csv(report: Report, headings: dict[str, str]) -> str:
    """One row per day and outcome count, then the summary figures (headings from the
    console's texts, so the file opens in Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([headings["day"], *(headings[o] for o in OUTCOMES), headings["total"]])
    for day in days(report):
        counts = report.daily.get(day, Counter())
        writer.writerow([day.isoformat(), *(counts[o] for o in OUTCOMES), sum(counts.values())])
    writer.writerow([])
    rate = report.answer_rate
    writer.writerow([headings["questions"], report.questions])
    writer.writerow([headings["answer_rate"], f"{rate:.1%}" if rate is not None else ""])
    writer.writerow([headings["broadcasts"], report.broadcasts_delivered])
    for name, minutes in report.officer_minutes.items():
        writer.writerow([headings["median"], cell(name), f"{minutes:.1f}"])
    for topic, count in report.topics:
        writer.writerow([headings["topic"], cell(topic), count])
    for sample, count in report.gaps:
        writer.writerow([headings["gap"], cell(sample), count])
    return out.getvalue()


def cell(text: str) -> str:
    """A resident's or officer's words as a spreadsheet shows them, never as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
