"""Residents' messages: answer from the FAQ, or open a ticket for the officer."""

from __future__ import annotations

from datetime import datetime

from bot import safetext
from bot.db import session
from bot.events import IncomingMessage, Outgoing
from bot.services import Services
from bot.templates import render
from faq.knowledge import render_answer
from faq.matcher import Decision
from handlers import clarify
from handlers.common import default_station, group_info
from handlers.officer import is_officer_command
from handlers.tickets import learned_answer, open_ticket


async def on_resident_message(services: Services, msg: IncomingMessage) -> list[Outgoing]:
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

    chosen = clarify.answer_typed(services, msg)  # "2": which topic an asked question meant
    if chosen is not None:
        return chosen

    with session(services.engine) as db:
        learned = learned_answer(db, msg.text, services.learned, now)
        if learned is not None and (learned.answer or learned.faq_id in services.topics):
            decision = Decision("answer", learned.faq_id, 1.0, "learned")
        else:
            decision = services.knowledge.decide(msg.text, addressed=msg.addressed)
        services.metrics.actions.labels(decision.action).inc()
        if decision.action == "ignore":  # spoken to, the bot says what it can do
            return [_reply(msg, render("not_understood.j2"))] if msg.addressed else []

        group = (
            group_info(db, services.groups, msg.chat, msg.chat_title, now) if msg.is_group else None
        )
        station = services.station_details(group.station_id if group else None)
        services.questions.add(
            services.engine,
            at=now,
            platform=msg.chat.platform,
            chat_id=msg.chat.chat_id,
            station_id=group.station_id if group else None,
            action=decision.action,
            faq_id=decision.faq_id,
        )
        if decision.action == "clarify":
            asked = clarify.ask(db, msg, decision, services, station.id if station else None)
            db.commit()
            return [asked]
        if learned is not None and learned.answer:  # the officer's own answer to this question
            topic = f"learned:{learned.id}"
            fresh = await _first_answer(services, msg, topic, now)
            return [_reply(msg, learned.answer)] if fresh else []
        draft = None
        if decision.faq_id and station is not None:
            draft = render_answer(services.topics[decision.faq_id].answer, station.model_dump())

        if decision.action == "answer" and draft is not None:
            fresh = await _first_answer(services, msg, decision.faq_id or "", now)
            return [_reply(msg, draft)] if fresh else []

        # The acknowledgement and the officer's card are outbox rows written with the
        # ticket, delivered right after this handler.
        open_ticket(db, msg, decision, draft, now, default_station(services))
        return []


async def _first_answer(
    services: Services, msg: IncomingMessage, topic: str, now: datetime
) -> bool:
    """False when ``topic`` was answered in this group within the repeat window (decided
    atomically in the database). Addressed messages are always answered."""
    if msg.addressed:
        return True
    return await services.recent.first_in_window(msg.chat.platform, msg.chat.chat_id, topic, now)


def _reply(msg: IncomingMessage, text: str) -> Outgoing:
    return Outgoing(
        msg.chat,
        text,
        reply_to=msg.message_id,
        mention_id=msg.sender_id,
        mention_name=safetext.name(msg.sender_name),
    )
