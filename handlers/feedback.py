"""What residents make of the bot's answers.

- Every answer in a group is a ``BotAnswer`` row, so it can be voted on, replied to and
  pointed back to; written once the platform took it, with where it landed.
- 👍有用 / 👎没解决: Telegram buttons under the answer; in WeChat "没解决" or "人工" replied
  to it (WeChat keeps no id of a quoted message: the latest answer in the feedback window
  is meant, the resident's own first). One vote per resident per answer; 👎 opens a ticket
  with the question, the answer given and the resident's words.
- A topic with ``downvotes_to_review`` 👎 in 7 days is only suggested to the officer until
  an officer reviews it (复核 topic-id).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from core.db import (
    AnswerVote,
    BotAnswer,
    Escalation,
    TopicReview,
    as_utc,
    commit_without_flush_wait,
    insert_once,
)
from core.events import QUOTED_BOT, Button, ButtonPress, ChatRef, IncomingMessage, Outgoing
from core.templates import render
from core.unit import event_session
from faq.matcher import Decision
from handlers.common import reply_to_resident
from handlers.services import (
    AnswersInFlight,
    DemotedTopics,
    HasClock,
    HasEngine,
    HasSettings,
    HasTopics,
)
from officers.directory import officer_by_platform_id
from tickets.service import masked_question, open_ticket


class Needs(HasSettings, HasEngine, HasClock, HasTopics, Protocol):
    """What votes, downvotes and reviews use of ``Services``."""

    @property
    def demoted(self) -> DemotedTopics: ...


VOTE_BUTTON = re.compile(r"v:(?P<vote>up|down):(?P<question>[^:]{1,48})")
DOWNVOTE_WORDS = frozenset({"没解决", "没有解决", "人工", "转人工", "找人工"})
REVIEW_COMMAND = re.compile(r"^\s*(?:复核|/review)(?:\s+(?P<topic>\S+))?\s*$", re.I)
WEEK = timedelta(days=7)
ANSWER_TAG = "answer:"
_PUNCTUATION = " \t。.!！~～,，?？"


# -- answers ---------------------------------------------------------------------------


def answer_outgoing(
    answers: AnswersInFlight,
    msg: IncomingMessage,
    station_id: str | None,
    topic: str,
    faq_id: str | None,
    text: str,
    now: datetime,
) -> Outgoing:
    """The answer as a reply to the question: with 👍/👎 buttons on Telegram (their data
    names the question's message, so no row is needed before the send); WeChat has no
    buttons (they would become text commands), so one line says what to reply. The row
    is written once the platform took the answer (``record_sent``)."""
    tag = f"{ANSWER_TAG}{msg.chat.platform}:{msg.chat.chat_id}:{msg.message_id}"
    answers.put(
        tag,
        {
            "platform": msg.chat.platform,
            "chat_id": msg.chat.chat_id,
            "station_id": station_id,
            "topic": topic,
            "faq_id": faq_id,
            "question_message_id": msg.message_id,
            "resident_id": msg.sender_id,
            "question": masked_question(msg.text),
            "answer": text,
            "created_at": now,
        },
    )
    buttons: tuple[tuple[Button, ...], ...] = ()
    if msg.chat.platform == "wechat":
        text = f"{text}\n{render('vote_hint.j2')}"
    else:
        buttons = (
            (
                Button("👍有用", f"v:up:{msg.message_id}"),
                Button("👎没解决", f"v:down:{msg.message_id}"),
            ),
        )
    return reply_to_resident(
        msg.chat, msg.message_id, msg.sender_id, msg.sender_name, text, buttons, tag
    )


def record_sent(engine: Engine, answers: AnswersInFlight, tag: str, message_id: str) -> None:
    """The platform took the answer tagged ``tag``: its row, with where it landed (one
    write per answer, not committed to disk before returning on PostgreSQL: bookkeeping
    like the question log). A copy answered again after a crash keeps the first row."""
    columns = answers.pop(tag)
    if columns is None:
        return
    insert = _INSERT_ANSWER_PG if engine.dialect.name == "postgresql" else _INSERT_ANSWER_SQLITE
    with engine.begin() as connection:
        commit_without_flush_wait(connection)
        connection.execute(insert, {**columns, "sent_message_id": message_id})


# One statement, the row as parameters: ``.values(**row)`` made a new statement per answer,
# whose building and cache key cost more than the insert itself (0.3 of 0.8 ms a message).
_INSERT_ANSWER_PG = pg_insert(BotAnswer).on_conflict_do_nothing()
_INSERT_ANSWER_SQLITE = sqlite_insert(BotAnswer).on_conflict_do_nothing()


def earlier_answer(db: Session, chat: ChatRef, topic: str, since: datetime) -> BotAnswer | None:
    """The latest answer on ``topic`` in the chat since ``since`` that reached the group."""
    return db.exec(
        select(BotAnswer)
        .where(
            BotAnswer.platform == chat.platform,
            BotAnswer.chat_id == chat.chat_id,
            BotAnswer.topic == topic,
            col(BotAnswer.created_at) >= since,
            col(BotAnswer.sent_message_id).is_not(None),
        )
        .order_by(col(BotAnswer.id).desc())
    ).first()


def answer_meant(
    db: Session, msg: IncomingMessage, window: timedelta, *, anyones: bool
) -> BotAnswer | None:
    """The answer ``msg`` refers to: the one it replies to; for a reply whose platform does
    not say to which message (WeChat's quote, ``QUOTED_BOT``), the latest answer to its
    sender within ``window``; with ``anyones`` (the words "没解决"/"人工", which refer to
    an answer even unquoted), also without a reply, the sender's latest or else anyone's."""
    in_chat = select(BotAnswer).where(
        BotAnswer.platform == msg.chat.platform, BotAnswer.chat_id == msg.chat.chat_id
    )
    if msg.reply_to_message_id not in (None, QUOTED_BOT):
        return db.exec(in_chat.where(BotAnswer.sent_message_id == msg.reply_to_message_id)).first()
    if msg.reply_to_message_id is None and not anyones:
        return None
    recent = in_chat.where(col(BotAnswer.created_at) >= msg.received_at - window).order_by(
        col(BotAnswer.id).desc()
    )
    own = db.exec(recent.where(BotAnswer.resident_id == msg.sender_id)).first()
    return own if own is not None or not anyones else db.exec(recent).first()


# -- votes -----------------------------------------------------------------------------


def is_vote_button(event: object) -> bool:
    return isinstance(event, ButtonPress) and event.data.startswith("v:")


def is_downvote_text(text: str) -> bool:
    return text.strip(_PUNCTUATION) in DOWNVOTE_WORDS


def cast_vote(db: Session, answer: BotAnswer, voter_id: str, useful: bool, now: datetime) -> bool:
    """One vote per resident per answer: False (and nothing written) for a second one,
    whichever worker takes it (INSERT … ON CONFLICT DO NOTHING)."""
    statement = (
        insert_once(db, AnswerVote)
        .values(
            answer_id=answer.id,
            voter_id=voter_id,
            useful=useful,
            faq_id=answer.faq_id,
            station_id=answer.station_id,
            at=now,
        )
        .returning(col(AnswerVote.id))
    )
    return db.connection().execute(statement).first() is not None


async def on_vote_button(services: Needs, press: ButtonPress) -> list[Outgoing]:
    """👍 is counted silently; 👎 also opens a ticket and says so in the group."""
    button = VOTE_BUTTON.fullmatch(press.data)
    if button is None:
        return []
    now = services.clock.now()
    with event_session(services.engine) as db:
        answer = db.exec(
            select(BotAnswer).where(
                BotAnswer.platform == press.chat.platform,
                BotAnswer.chat_id == press.chat.chat_id,
                BotAnswer.question_message_id == button["question"],
            )
        ).first()
        if answer is None:
            return []
        useful = button["vote"] == "up"
        if not cast_vote(db, answer, press.sender_id, useful, now) or useful:
            return []
        services.demoted.loaded_at = None
        return _downvote_ticket(
            db, answer, press.sender_id, press.sender_name, "", press.message_id, now
        )


async def on_downvote_text(services: Needs, msg: IncomingMessage) -> list[Outgoing] | None:
    """ "没解决"/"人工" about a recent answer: a 👎 from its sender; None when no answer in
    the feedback window is meant (the words are then an ordinary message)."""
    if not msg.is_group or not is_downvote_text(msg.text):
        return None
    now = services.clock.now()
    window = timedelta(seconds=services.settings.behaviour.feedback_window_seconds)
    with event_session(services.engine) as db:
        answer = answer_meant(db, msg, window, anyones=True)
        if answer is None:
            return None
        if not cast_vote(db, answer, msg.sender_id, False, now):
            return []
        services.demoted.loaded_at = None
        return _downvote_ticket(
            db, answer, msg.sender_id, msg.sender_name, msg.text, msg.message_id, now
        )


def _downvote_ticket(
    db: Session,
    answer: BotAnswer,
    voter_id: str,
    voter_name: str,
    words: str,
    message_id: str,
    now: datetime,
) -> list[Outgoing]:
    chat = ChatRef(answer.platform, answer.chat_id)  # type: ignore[arg-type]
    text = render("feedback_question.j2", answer=answer, words=words)
    open_with_context(db, chat, voter_id, voter_name, text, message_id, answer, now)
    ack = reply_to_resident(chat, message_id, voter_id, voter_name, render("feedback_ack.j2"))
    return [ack]  # the officer's card is an outbox row written with the ticket


def open_with_context(
    db: Session,
    chat: ChatRef,
    resident_id: str,
    resident_name: str,
    text: str,
    message_id: str,
    answer: BotAnswer,
    now: datetime,
    draft: str | None = None,
) -> Escalation:
    """A ticket whose question carries the earlier question and answer (``text``), so the
    officer sees what the resident is reacting to."""
    msg = IncomingMessage(
        chat,
        resident_id,
        resident_name,
        text,
        message_id,
        is_group=True,
        addressed=False,
        received_at=now,
    )
    decision = Decision("suggest" if draft else "escalate", answer.faq_id, 0.0, "feedback")
    return open_ticket(db, msg, decision, draft, now, answer.station_id)


# -- topics residents found unhelpful --------------------------------------------------


def demoted_topics(services: Needs, db: Session, now: datetime) -> frozenset[str]:
    """Topics with ``downvotes_to_review`` 👎 in the last 7 days after their last review."""
    known = services.demoted
    if known.stale(now):
        known.topics = frozenset(
            topic
            for topic, count in downvotes_since_review(db, now).items()
            if count >= services.settings.behaviour.downvotes_to_review
        )
        known.loaded_at = now
    return known.topics


def downvotes_since_review(db: Session, now: datetime) -> dict[str, int]:
    reviewed: dict[str | None, datetime] = dict(
        db.exec(
            select(TopicReview.faq_id, func.max(TopicReview.at)).group_by(col(TopicReview.faq_id))
        ).all()
    )
    counts: dict[str, int] = {}
    votes = select(AnswerVote.faq_id, AnswerVote.at).where(
        col(AnswerVote.useful).is_(False),
        col(AnswerVote.at) >= now - WEEK,
        col(AnswerVote.faq_id).is_not(None),
    )
    for faq_id, at in db.exec(votes).all():
        last = reviewed.get(faq_id)
        if faq_id is not None and (last is None or as_utc(at) > as_utc(last)):
            counts[faq_id] = counts.get(faq_id, 0) + 1
    return counts


def is_review_command(event: object) -> bool:
    return (
        isinstance(event, IncomingMessage)
        and not event.is_group
        and REVIEW_COMMAND.match(event.text) is not None
    )


async def on_review(services: Needs, msg: IncomingMessage) -> list[Outgoing] | None:
    """复核: the topics waiting for review; 复核 <topic>: reviewed, answered again."""
    command = REVIEW_COMMAND.match(msg.text)
    if command is None:
        return None
    now = services.clock.now()
    with event_session(services.engine) as db:
        officer = officer_by_platform_id(db, msg.chat.platform, msg.sender_id)
        if officer is None:
            return None  # a resident typing 复核: an ordinary message
        topic = command["topic"]
        if topic is None:
            counts = downvotes_since_review(db, now)
            waiting = sorted(
                (t, n)
                for t, n in counts.items()
                if n >= services.settings.behaviour.downvotes_to_review
            )
            titles = {t: services.topics[t].title for t, _ in waiting if t in services.topics}
            text = render("review_list.j2", waiting=waiting, titles=titles)
            return [Outgoing(msg.chat, text)]
        if topic not in services.topics:
            return [Outgoing(msg.chat, render("review_unknown.j2", topic=topic[:40]))]
        db.add(TopicReview(faq_id=topic, reviewed_by=officer.name, at=now))
        services.demoted.loaded_at = None
        title = services.topics[topic].title
        return [Outgoing(msg.chat, render("review_done.j2", topic=topic, title=title))]
