"""Station statistics, the weekly report to officers, and its chart."""

from __future__ import annotations

import io
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func
from sqlmodel import col, select

from core.db import AnswerVote, Escalation, Group, QuestionEvent, as_utc, session
from faq.gaps import Cluster, cluster_questions

OUTCOMES = ("answer", "clarify", "suggest", "escalate")


@dataclass
class Stats:
    since: datetime
    until: datetime
    questions: int = 0
    answered_automatically: int = 0
    escalated: int = 0
    answered_by_officers: int = 0
    minutes_to_answer: list[float] = field(default_factory=list)
    gaps: list[Cluster] = field(default_factory=list)
    daily: dict[date, Counter[str]] = field(default_factory=dict)
    broadcasts_delivered: int | None = None
    # Residents' votes on the bot's answers, by FAQ topic: [👍, 👎].
    votes: dict[str, list[int]] = field(default_factory=dict)

    @property
    def median_minutes(self) -> float | None:
        return statistics.median(self.minutes_to_answer) if self.minutes_to_answer else None

    @property
    def p90_minutes(self) -> float | None:
        values = sorted(self.minutes_to_answer)
        return values[min(len(values) - 1, int(0.9 * len(values)))] if values else None


def topic_outcomes(
    engine: Engine, since: datetime, until: datetime, station_id: str | None = None
) -> dict[str, Counter[str]]:
    """By FAQ topic: how often it was answered, clarified, drafted, escalated, and voted
    down (``disliked``) between ``since`` and ``until`` (for the console's topic list)."""
    events = (
        select(QuestionEvent.faq_id, QuestionEvent.action, func.count())
        .where(QuestionEvent.at >= since, QuestionEvent.at < until)
        .where(col(QuestionEvent.faq_id).is_not(None))
        .group_by(QuestionEvent.faq_id, QuestionEvent.action)
    )
    disliked = (
        select(AnswerVote.faq_id, func.count())
        .where(AnswerVote.at >= since, AnswerVote.at < until, col(AnswerVote.useful).is_(False))
        .where(col(AnswerVote.faq_id).is_not(None))
        .group_by(AnswerVote.faq_id)
    )
    if station_id:
        events = events.where(QuestionEvent.station_id == station_id)
        disliked = disliked.where(AnswerVote.station_id == station_id)
    found: dict[str, Counter[str]] = {}
    with session(engine) as db:  # counted by the database: a month of a city is many rows
        for faq_id, action, count in db.exec(events):
            found.setdefault(str(faq_id), Counter())[action] = count
        for faq_id, count in db.exec(disliked):
            found.setdefault(str(faq_id), Counter())["disliked"] = count
    return found


def compute_stats(
    engine: Engine, since: datetime, until: datetime, tz: ZoneInfo, station_id: str | None = None
) -> Stats:
    stats = Stats(since, until)
    with session(engine) as db:
        events = select(QuestionEvent).where(QuestionEvent.at >= since, QuestionEvent.at < until)
        if station_id:
            events = events.where(QuestionEvent.station_id == station_id)
        for event in db.exec(events):
            day = as_utc(event.at).astimezone(tz).date()
            stats.daily.setdefault(day, Counter())[event.action] += 1
            stats.questions += 1
            stats.answered_automatically += event.action == "answer"
            stats.escalated += event.action in ("suggest", "escalate")
        tickets = select(Escalation).where(
            Escalation.created_at >= since, Escalation.created_at < until
        )
        if station_id:
            chats = select(Group.chat_id).where(Group.station_id == station_id)
            tickets = tickets.where(col(Escalation.chat_id).in_(chats))
        unanswered = []
        for ticket in db.exec(tickets):
            if ticket.state == "answered":
                stats.answered_by_officers += 1
                waited = as_utc(ticket.updated_at) - as_utc(ticket.created_at)
                stats.minutes_to_answer.append(waited.total_seconds() / 60)
            if ticket.faq_id is None and ticket.question:
                unanswered.append(ticket.question)
        votes = select(AnswerVote).where(AnswerVote.at >= since, AnswerVote.at < until)
        if station_id:
            votes = votes.where(AnswerVote.station_id == station_id)
        for vote in db.exec(votes):
            counts = stats.votes.setdefault(vote.faq_id or "", [0, 0])
            counts[0 if vote.useful else 1] += 1
    stats.gaps = cluster_questions(unanswered)
    return stats


def last_week(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime, str]:
    """Monday 00:00 to Monday 00:00 of the week before ``now`` (local), and its ISO name."""
    local = now.astimezone(tz)
    this_monday = datetime.combine(
        local.date() - timedelta(days=local.weekday()), datetime.min.time(), tz
    )
    start = this_monday - timedelta(days=7)
    year, week, _ = start.isocalendar()
    return start, this_monday, f"{year}-W{week:02d}"


def chart_png(stats: Stats, labels: dict[str, str]) -> bytes:
    """Daily questions by outcome as stacked bars, rendered headless (Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    cjk = [
        f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name or "WenQuanYi" in f.name
    ]
    names = labels if cjk else {k: k for k in labels}  # no CJK font: plain ids, not boxes
    days = [stats.since.date() + timedelta(days=i) for i in range((stats.until - stats.since).days)]
    if cjk:
        plt.rcParams["font.family"] = cjk[0]
    plt.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack U+2212
    figure, axes = plt.subplots(figsize=(7, 3.5), dpi=100)
    bottom = [0] * len(days)
    for outcome in OUTCOMES:
        heights = [stats.daily.get(day, Counter())[outcome] for day in days]
        axes.bar([d.strftime("%m-%d") for d in days], heights, bottom=bottom, label=names[outcome])
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    axes.set_ylim(bottom=0)  # counts: no negative axis on a day without questions
    axes.legend()
    axes.set_ylabel(names.get("questions", "questions"))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
