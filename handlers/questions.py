"""Residents' messages: answer from the FAQ, or open a ticket for the officer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session

from core.db import BotAnswer
from core.events import IncomingMessage, Outgoing
from core.templates import render
from core.unit import event_session
from faq.matcher import Decision
from handlers import clarify, feedback
from handlers.common import default_station, group_info, reply_to_resident, station_answer
from handlers.officer import is_officer_command
from handlers.services import (
    AnswersInFlight,
    HasGroups,
    HasKnowledge,
    HasLearned,
    HasQuestionLog,
    HasRecent,
    HasSettings,
)
from infra.metrics import Metrics
from tickets.service import learned_answer, open_ticket


class Needs(
    clarify.Needs,
    feedback.Needs,
    HasSettings,
    HasKnowledge,
    HasRecent,
    HasGroups,
    HasLearned,
    HasQuestionLog,
    Protocol,
):
    """What answering a resident uses of ``Services``: its own reads, and what the clarify and
    feedback handlers it hands the message to need."""

    @property
    def metrics(self) -> Metrics: ...

    @property
    def answers_in_flight(self) -> AnswersInFlight: ...


async def on_resident_message(services: Needs, msg: IncomingMessage) -> list[Outgoing]:
    now = services.clock.now()
    if msg.sender_is_bot or not msg.text.strip():
        return []
    if msg.is_group and is_officer_command(msg.text):
        return []  # 驳回 3, 批准广播 2, /bind@other_bot… in a group: no question, no ticket
    if not msg.is_group and msg.text.split()[0].split("@")[0] in ("/start", "/help"):
        return [Outgoing(msg.chat, render("intro.j2"))]
    age = (now - msg.received_at).total_seconds()
    if age > services.settings.behaviour.max_message_age_seconds:
        return []  # catching up after downtime must not flood a group with stale answers

    if msg.is_group:
        voted = await feedback.on_downvote_text(services, msg)
        if voted is not None:
            return voted

    chosen = clarify.answer_typed(services, msg)  # "2": which topic an asked question meant
    if chosen is not None:
        return chosen

    with event_session(services.engine) as db:
        learned = learned_answer(db, msg.text, services.learned, now)
        if learned is not None and (learned.answer or learned.faq_id in services.topics):
            decision = Decision("answer", learned.faq_id, 1.0, "learned")
        else:
            decision = services.knowledge.decide(msg.text, addressed=msg.addressed)
            if decision.action == "answer" and decision.faq_id in feedback.demoted_topics(
                services, db, now
            ):  # residents found its answer unhelpful: the officer looks first
                decision = Decision("suggest", decision.faq_id, decision.score, "demoted")
        earlier = _answer_followed_up(services, db, msg) if learned is None else None
        if earlier is not None:
            if decision.action == "ignore":
                return []  # 谢谢, 好的: a follow-up needs no "I did not understand"
            return await _follow_up(services, db, msg, earlier, decision, now)
        services.metrics.actions.labels(decision.action).inc()
        if decision.action == "ignore":  # spoken to, the bot says what it can do
            return [_reply(msg, render("not_understood.j2"))] if msg.addressed else []

        group = (
            group_info(db, services.groups, msg.chat, msg.chat_title, now) if msg.is_group else None
        )
        station = services.station_details(group.station_id if group else None)
        station_id = group.station_id if group else None
        services.questions.add(
            services.engine,
            at=now,
            platform=msg.chat.platform,
            chat_id=msg.chat.chat_id,
            station_id=station_id,
            action=decision.action,
            faq_id=decision.faq_id,
        )
        if decision.action == "clarify":
            return [clarify.ask(db, msg, decision, services, station_id)]
        if learned is not None and learned.answer:  # the officer's own answer to this question
            topic = f"learned:{learned.id}"
            return await _answer(services, db, msg, station_id, topic, None, learned.answer, now)
        draft = None
        if decision.faq_id and station is not None:
            draft = station_answer(services.topics[decision.faq_id], station)

        if decision.action == "answer" and draft is not None:
            faq_id = decision.faq_id or ""
            return await _answer(services, db, msg, station_id, faq_id, faq_id, draft, now)

        # The acknowledgement (when spoken to) and the officer's card are outbox rows
        # written with the ticket, delivered right after this handler.
        open_ticket(db, msg, decision, draft, now, default_station(services))
        if not msg.addressed and await _incident_to_acknowledge(services, msg, decision, now):
            return [_reply(msg, render("incident_ack.j2"))]
        return []


async def _answer(
    services: Needs,
    db: Session,
    msg: IncomingMessage,
    station_id: str | None,
    topic: str,
    faq_id: str | None,
    text: str,
    now: datetime,
) -> list[Outgoing]:
    """The answer, once per topic and group in the repeat window; a repeat inside it is
    pointed to the earlier answer (rarely: a flood must not make the bot chatty)."""
    if not await _first_answer(services, msg, topic, now):
        return await _point_to_earlier(services, db, msg, topic, now)
    if not msg.is_group:
        return [_reply(msg, text)]
    return [
        feedback.answer_outgoing(
            services.answers_in_flight, msg, station_id, topic, faq_id, text, now
        )
    ]


async def _point_to_earlier(
    services: Needs, db: Session, msg: IncomingMessage, topic: str, now: datetime
) -> list[Outgoing]:
    behaviour = services.settings.behaviour
    since = now - timedelta(seconds=behaviour.repeat_window_seconds)
    earlier = feedback.earlier_answer(db, msg.chat, topic, since)
    if earlier is None or earlier.sent_message_id is None:
        return []
    pace = timedelta(seconds=behaviour.repeat_pointer_seconds)
    if not await services.recent.claim(
        msg.chat.platform, msg.chat.chat_id, f"pointed:{topic}", now, pace
    ):
        return []
    known = services.topics.get(earlier.faq_id or "")
    text = render("see_above.j2", platform=msg.chat.platform, title=known.title if known else "")
    return [replace(_reply(msg, text), reply_to=earlier.sent_message_id)]


async def _incident_to_acknowledge(
    services: Needs, msg: IncomingMessage, decision: Decision, now: datetime
) -> bool:
    """An incident or complaint typed in a group without @-ing the bot is told that the
    officer knows (at most once per resident in ``incident_ack_seconds``)."""
    if not msg.is_group or decision.reason not in ("incident", "complaint"):
        return False
    pace = timedelta(seconds=services.settings.behaviour.incident_ack_seconds)
    return await services.recent.claim(
        msg.chat.platform, msg.chat.chat_id, f"acked:{msg.sender_id}", now, pace
    )


def _answer_followed_up(services: Needs, db: Session, msg: IncomingMessage) -> BotAnswer | None:
    """The bot's answer ``msg`` follows up on: a reply to it (Telegram), or a quote of the
    bot by the resident it answered, within the feedback window (WeChat)."""
    if not msg.is_group or msg.reply_to_message_id is None:
        return None
    window = timedelta(seconds=services.settings.behaviour.feedback_window_seconds)
    return feedback.answer_meant(db, msg, window, anyones=False)


# A follow-up's own words often name another topic by accident ("那要带户口本吗" after an
# answer on a lost ID card reads as "户口本丢了" at 0.78): only a near-certain reading of
# its own makes it a new question.
OWN_QUESTION_SCORE = 0.9


async def _follow_up(
    services: Needs,
    db: Session,
    msg: IncomingMessage,
    earlier: BotAnswer,
    alone: Decision,
    now: datetime,
) -> list[Outgoing]:
    """A follow-up, read together with the question it follows. About another topic the
    bot can answer: answered. About the answered topic (or nothing the bot knows): the
    officer gets it with the earlier question and answer."""
    together = services.knowledge.decide(f"{earlier.question}，{msg.text}")
    station_id = group_info(db, services.groups, msg.chat, msg.chat_title, now).station_id
    station = services.station_details(station_id)
    services.metrics.actions.labels("follow-up").inc()
    for reading in (together, alone):
        elsewhere = reading.faq_id is not None and reading.faq_id != earlier.faq_id
        sure = reading is together or reading.score >= OWN_QUESTION_SCORE
        if reading.action == "answer" and elsewhere and sure and station is not None:
            faq_id = reading.faq_id or ""
            text = station_answer(services.topics[faq_id], station)
            return await _answer(services, db, msg, station_id, faq_id, faq_id, text, now)
    draft = None
    if together.faq_id and station is not None:
        draft = station_answer(services.topics[together.faq_id], station)
    text = render("followup_question.j2", answer=earlier, words=msg.text)
    ticket = feedback.open_with_context(
        db, msg.chat, msg.sender_id, msg.sender_name, text, msg.message_id, earlier, now, draft
    )
    # The officer's card is an outbox row written with the ticket.
    return [_reply(msg, render("escalated.j2", ticket=ticket, in_group=msg.is_group))]


async def _first_answer(services: Needs, msg: IncomingMessage, topic: str, now: datetime) -> bool:
    """False when ``topic`` was answered in this group within the repeat window (decided
    atomically in the database). Addressed messages are always answered, and open the
    window too: the same question asked without @ right after is pointed to the answer."""
    first = await services.recent.first_in_window(msg.chat.platform, msg.chat.chat_id, topic, now)
    return first or msg.addressed


def _reply(msg: IncomingMessage, text: str) -> Outgoing:
    return reply_to_resident(msg.chat, msg.message_id, msg.sender_id, msg.sender_name, text)
