"""Clarify instead of guessing: a general question two topics fit gets numbered choices.

The question stays the resident's: only they can choose (a button on Telegram, "1" or "2"
on any platform, within ``CHOICE_MINUTES``), and a choice is answered once. No choice,
nothing more: the bot does not ask twice.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Protocol

from sqlalchemy import update
from sqlmodel import Session, col, select

from core import safetext
from core.db import Clarification, row_id
from core.events import Button, ButtonPress, ChatRef, IncomingMessage, Outgoing
from core.states import ClarificationState
from core.templates import render
from core.unit import event_session
from faq.matcher import Decision
from faq.text import normalise
from handlers.common import reply_to_resident, station_answer
from handlers.services import HasClock, HasEngine, HasStations, HasTopics


class Needs(HasEngine, HasClock, HasStations, HasTopics, Protocol):
    """What asking which topic was meant, and answering the choice, use of ``Services``."""


CHOICE_MINUTES = 10
BUTTON_DATA = re.compile(r"c:(?P<id>[0-9]{1,10}):(?P<n>[1-9])")
NUMBERS = "一二三四五六七八九"
TYPED = re.compile(rf"(?:选|第)?\s*(?P<n>[1-9{NUMBERS}])\s*(?:个|项|号|吧|呀|啊)?")


def ask(
    db: Session, msg: IncomingMessage, decision: Decision, services: Needs, station: str | None
) -> Outgoing:
    """Keep the choices and ask which one the resident meant."""
    row = Clarification(
        platform=msg.chat.platform,
        chat_id=msg.chat.chat_id,
        message_id=msg.message_id,
        resident_id=msg.sender_id,
        resident_name=safetext.name(msg.sender_name),
        station_id=station,
        choices=",".join(decision.choices),
        created_at=services.clock.now(),
    )
    db.add(row)
    db.flush()
    titles = [services.topics[c].title for c in decision.choices]
    buttons = tuple(
        (Button(f"{n}. {title}", f"c:{row.id}:{n}"),) for n, title in enumerate(titles, 1)
    )
    text = render("clarify.j2", titles=titles, buttons=msg.chat.platform == "telegram")
    return reply_to_resident(
        msg.chat, msg.message_id, msg.sender_id, row.resident_name, text, buttons
    )


def typed_choice(text: str) -> int | None:
    found = TYPED.fullmatch(normalise(text).strip())
    if found is None:
        return None
    n = found["n"]
    return NUMBERS.index(n) + 1 if n in NUMBERS else int(n)


def answer_typed(services: Needs, msg: IncomingMessage) -> list[Outgoing] | None:
    """The resident's "1" or "2" after a clarification: that topic's answer. None when the
    message is no such choice (it is then an ordinary message)."""
    number = typed_choice(msg.text)
    if number is None:
        return None
    since = services.clock.now() - timedelta(minutes=CHOICE_MINUTES)
    with event_session(services.engine) as db:
        row = db.exec(
            select(Clarification)
            .where(
                Clarification.platform == msg.chat.platform,
                Clarification.chat_id == msg.chat.chat_id,
                Clarification.resident_id == msg.sender_id,
                Clarification.state == ClarificationState.OPEN,
                col(Clarification.created_at) >= since,
            )
            .order_by(col(Clarification.id).desc())
        ).first()
        return _answer(services, db, row, number) if row else None


async def on_button(services: Needs, press: ButtonPress) -> list[Outgoing]:
    found = BUTTON_DATA.fullmatch(press.data)
    clarification_id = row_id(found["id"]) if found else None
    if found is None or clarification_id is None:
        return []
    with event_session(services.engine) as db:
        row = db.get(Clarification, clarification_id)
        if row is None or row.resident_id != press.sender_id:
            return []  # only the resident who asked chooses
        if row.chat_id != press.chat.chat_id or row.platform != press.chat.platform:
            return []
        return _answer(services, db, row, int(found["n"])) or []


def is_choice_button(event: object) -> bool:
    return isinstance(event, ButtonPress) and event.data.startswith("c:")


def _answer(services: Needs, db: Session, row: Clarification, number: int) -> list[Outgoing] | None:
    choices = row.choices.split(",")
    if not 1 <= number <= len(choices) or choices[number - 1] not in services.topics:
        return None
    taken = db.exec(
        update(Clarification)
        .where(col(Clarification.id) == row.id, col(Clarification.state) == ClarificationState.OPEN)
        .values(state=ClarificationState.CHOSEN)
    )
    if taken.rowcount != 1:
        return []  # already answered (a double tap, or a button and a "1")
    station = services.station_details(row.station_id)
    if station is None:
        return []
    chat = ChatRef(row.platform, row.chat_id)  # type: ignore[arg-type]
    text = station_answer(services.topics[choices[number - 1]], station)
    return [reply_to_resident(chat, row.message_id, row.resident_id, row.resident_name, text)]
