"""The escalation ticket: a resident's question that an officer answers or approves.

State machine: pending -> sending answer (approved / edited) -> answered | rejected. The
officer's answer to the group is an outbox row written with the transition (``bot.outbox``);
the ticket is *answered* only once the platform accepted it (``settle_answer``). A failed or
possibly-lost send puts the ticket back to pending and tells the officer. A transition is a
compare-and-set in the database (``UPDATE … WHERE state = 'pending'``): of two officers
(or two workers) deciding at once, exactly one wins; the other is told who did. It is
written with an audit row in the same transaction, before anyone is told about it.

A ticket belongs to the station its group is bound to (a group not bound yet: the first
configured station, whose details the bot answers with there); only that station's
officers may see or decide it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from bot import outbox, safetext
from bot.db import (
    AuditEntry,
    Escalation,
    FaqEntry,
    Group,
    LearnedQuestion,
    Officer,
    OutboxMessage,
)
from bot.events import Button, ChatRef, IncomingMessage, Outgoing
from bot.services import LearnedKeys
from bot.templates import render, render_quoted
from faq.matcher import Decision
from faq.text import question_key
from guard.pii import mask_pii
from handlers.common import find_group


class TicketState(StrEnum):
    PENDING = "pending"
    SENDING_ANSWER = "sending answer"  # decided; the answer is in the outbox
    ANSWERED = "answered"  # the platform accepted the answer
    REJECTED = "rejected"


PENDING, ANSWERED, REJECTED = TicketState.PENDING, TicketState.ANSWERED, TicketState.REJECTED
ANSWER_KIND = "ticket answer"  # the outbox kind of an officer's answer to the group


class TicketError(Exception):
    """An officer's action that cannot be done; the message is shown to the officer."""


def officer_by_platform_id(session: Session, platform: str, sender_id: str) -> Officer | None:
    column = {
        "telegram": Officer.telegram_id,
        "wechat": Officer.wechat_id,
        "console": Officer.name,  # the console demo has no ids: officers sign in by name
    }.get(platform)
    if column is None:
        return None
    return session.exec(select(Officer).where(column == sender_id)).first()


def private_chat(officer: Officer, platform: str) -> ChatRef | None:
    if platform == "telegram" and officer.telegram_id:
        return ChatRef("telegram", officer.telegram_id)
    if platform == "wechat" and officer.wechat_id:
        return ChatRef("wechat", officer.wechat_id)
    if platform == "console":
        return ChatRef("console", f"officer:{officer.name}")
    return None


def first_private_chat(officer: Officer, platforms: Collection[str]) -> ChatRef | None:
    """The officer's private chat on the first of our platforms they can be reached on."""
    for platform in ("telegram", "wechat", "console"):
        chat = private_chat(officer, platform) if platform in platforms else None
        if chat is not None:
            return chat
    return None


def audit(
    session: Session, ticket_id: int | None, actor: str, action: str, detail: str = ""
) -> None:
    session.add(
        AuditEntry(escalation_id=ticket_id, actor=actor, action=action, detail=mask_pii(detail))
    )


def open_ticket(
    session: Session, msg: IncomingMessage, decision: Decision, draft: str | None, now: datetime
) -> Escalation:
    group = session.exec(
        select(Group).where(Group.platform == msg.chat.platform, Group.chat_id == msg.chat.chat_id)
    ).first()
    officer_id = group.officer_id if group else None
    if officer_id is None and group and group.station_id:
        duty = session.exec(
            select(Officer).where(Officer.station_id == group.station_id, col(Officer.duty))
        ).first()
        officer_id = duty.id if duty else None
    ticket = Escalation(
        platform=msg.chat.platform,
        chat_id=msg.chat.chat_id,
        message_id=msg.message_id,
        resident_id=msg.sender_id,
        resident_name=msg.sender_name,
        question=mask_pii(msg.text),
        action=decision.action,
        faq_id=decision.faq_id,
        draft=draft,
        officer_id=officer_id,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    audit(session, ticket.id, f"resident:{msg.sender_id}", "opened", decision.action)
    session.commit()
    return ticket


CARD_BUTTONS = (("批准", "approve"), ("修改", "edit"), ("驳回", "reject"))


TEXT_LIMIT = 4096  # Telegram's limit on a message's text, in UTF-16 units
QUESTION_CAPS = (1500, 600, 200)  # the quoted question, shortened until the message fits


def render_fitted(template: str, **values: Any) -> safetext.Quoted:
    """A message quoting the resident's question, within ``TEXT_LIMIT``: the question is
    capped (the template says so), and whatever is still too long is cut with a marker."""
    for question_cap in QUESTION_CAPS:
        rendered = render_quoted(template, question_cap=question_cap, **values)
        if safetext.utf16_len(rendered.text) <= TEXT_LIMIT:
            return rendered
    return safetext.fit(rendered.text, rendered.quotes, TEXT_LIMIT, "\n" + render("text_cut.j2"))


def card(ticket: Escalation, officer: Officer, group_title: str) -> Outgoing | None:
    chat = private_chat(officer, ticket.platform)
    if chat is None:
        return None
    buttons = tuple(
        Button(label, f"t:{verb}:{ticket.id}")
        for label, verb in CARD_BUTTONS
        if verb != "approve" or ticket.draft
    )
    faq_toggle = (Button("加入FAQ" + (" ✓" if ticket.add_to_faq else ""), f"t:faq:{ticket.id}"),)
    shown = render_fitted(
        "officer_card.j2", ticket=ticket, group_title=group_title or ticket.chat_id
    )
    return Outgoing(
        chat,
        shown.text,
        buttons=(buttons, faq_toggle),
        tag=f"card:{ticket.id}",
        quotes=shown.quotes,
    )


@dataclass(frozen=True, slots=True)
class Resolution:
    ticket: Escalation
    card_update: Outgoing | None


def ticket_station(session: Session, ticket: Escalation, default_station: str | None) -> str | None:
    """The station whose group the ticket came from (``default_station`` when unbound)."""
    group = find_group(session, ChatRef(ticket.platform, ticket.chat_id))  # type: ignore[arg-type]
    return group.station_id if group is not None and group.station_id else default_station


def may_act(
    session: Session, officer: Officer, ticket: Escalation, default_station: str | None
) -> bool:
    """Whether ``officer`` may see and decide ``ticket``: it is their station's."""
    station = ticket_station(session, ticket, default_station)
    return station is not None and station == officer.station_id


def _pending(session: Session, ticket_id: int) -> Escalation:
    ticket = session.get(Escalation, ticket_id)
    if ticket is None:
        raise TicketError(render("ticket_missing.j2", ticket_id=ticket_id))
    if ticket.state != PENDING:
        raise TicketError(render("ticket_closed.j2", ticket=ticket))
    return ticket


def _decide(
    session: Session, ticket: Escalation, state: str, answer: str | None, by: str, now: datetime
) -> None:
    """Compare-and-set: pending -> ``state``, only if no one else decided it meanwhile (the
    row lock makes a concurrent second UPDATE wait, then find the state changed)."""
    # A fresh transaction: SQLite cannot turn a read snapshot that another writer has since
    # overtaken into a write ("database is locked"); a new one waits for the lock instead.
    session.commit()
    decided = session.connection().execute(
        update(Escalation)
        .where(col(Escalation.id) == ticket.id, col(Escalation.state) == PENDING)
        .values(state=state, answer=answer, decided_by=by, updated_at=now)
    )
    if decided.rowcount != 1:
        session.rollback()
        session.refresh(ticket)
        raise TicketError(render("ticket_closed.j2", ticket=ticket))
    session.refresh(ticket)


def resolve(
    session: Session,
    ticket_id: int,
    officer: Officer,
    verb: str,
    now: datetime,
    text: str | None = None,
) -> Resolution:
    """Approve (post the draft), edit (post ``text``) or reject (close; ``text`` = reason).

    The caller has checked that the officer may act on the ticket (``may_act``)."""
    ticket = _pending(session, ticket_id)
    if verb == "approve":
        if not ticket.draft:
            raise TicketError(render("ticket_no_draft.j2", ticket=ticket))
        answer: str | None = ticket.draft
    elif verb == "edit":
        if safetext.is_blank(text):  # invisible characters only are no answer either
            raise TicketError(render("ticket_edit_empty.j2", ticket=ticket))
        answer = safetext.clean(text or "", newlines=True)
    elif verb == "reject":
        answer = None
    else:
        raise TicketError(f"unknown action {verb}")
    kept = mask_pii(answer) if answer is not None else None  # the stored copy
    state = TicketState.REJECTED if answer is None else TicketState.SENDING_ANSWER
    _decide(session, ticket, state, kept, officer.name, now)
    officer.editing_ticket_id = None
    session.add(officer)
    audit(session, ticket.id, f"officer:{officer.name}", verb, text or "")
    if answer is not None:
        to_group = Outgoing(
            ChatRef(ticket.platform, ticket.chat_id),  # type: ignore[arg-type]
            answer,
            reply_to=ticket.message_id,
            mention_id=ticket.resident_id,
            mention_name=safetext.name(ticket.resident_name),
        )
        outbox.enqueue(session, to_group, ANSWER_KIND, now, ticket_id=ticket.id)
        if ticket.add_to_faq:
            learn(session, ticket, officer, answer, approved_draft=verb == "approve")
    session.commit()
    card_update = None
    if ticket.card_chat_id and ticket.card_message_id:
        card_update = done_message(
            ChatRef(ticket.platform, ticket.card_chat_id),  # type: ignore[arg-type]
            ticket,
            verb,
            text or "",
            edit_message_id=ticket.card_message_id,
        )
    return Resolution(ticket, card_update)


def settle_answer(session: Session, row: OutboxMessage) -> list[Outgoing]:
    """The answer's outbox row reached an end state (in the transaction recording it):
    sent -> the ticket is answered; failed or unknown -> back to pending, so the officer
    can send it again. Returns the note telling the officer what really happened."""
    ticket = session.get(Escalation, row.ticket_id) if row.ticket_id is not None else None
    if ticket is None or ticket.state != TicketState.SENDING_ANSWER:
        return []
    sent = row.state == outbox.OutboxState.SENT
    ticket.state = TicketState.ANSWERED if sent else TicketState.PENDING
    ticket.chat_id = row.chat_id  # a migrated group: the ticket follows it
    ticket.updated_at = row.updated_at
    session.add(ticket)
    audit(session, ticket.id, "outbox", f"answer {row.state}", row.last_error)
    decider = session.exec(select(Officer).where(Officer.name == (ticket.decided_by or ""))).first()
    chat = None
    if decider is not None:  # where the card is, else wherever the officer can be reached
        chat = private_chat(decider, ticket.platform) or first_private_chat(
            decider, ("telegram", "wechat", "console")
        )
    if chat is None:
        return []
    why = "refused"
    if row.last_error.startswith("chat gone"):
        why = "gone"
    elif row.attempts >= outbox.MAX_ATTEMPTS:
        why = "retries"
    text = render("answer_delivery.j2", ticket=ticket, outcome=str(row.state), why=why)
    return [Outgoing(chat, text)]


def done_message(
    chat: ChatRef, ticket: Escalation, verb: str, reason: str, edit_message_id: str | None = None
) -> Outgoing:
    """What the officer sees once a ticket is decided (the card, edited, or a new message)."""
    shown = render_fitted("officer_card_done.j2", ticket=ticket, verb=verb, reason=reason)
    return Outgoing(chat, shown.text, edit_message_id=edit_message_id, quotes=shown.quotes)


def learn(
    session: Session, ticket: Escalation, officer: Officer, answer: str, *, approved_draft: bool
) -> None:
    """加入FAQ: the question joins its entry's examples, and is answered at once next time
    with the officer's ``answer`` as written (not the ticket's masked copy: a grid
    worker's number the officer gave is the answer)."""
    key = question_key(ticket.question)
    if (
        not key
        or session.exec(select(LearnedQuestion).where(LearnedQuestion.text_key == key)).first()
    ):
        return
    entry = session.get(FaqEntry, ticket.faq_id) if ticket.faq_id and approved_draft else None
    if entry is not None:
        examples = json.loads(entry.examples_json)
        entry.examples_json = json.dumps([*examples, ticket.question], ensure_ascii=False)
        session.add(entry)
    session.add(
        LearnedQuestion(
            text_key=key,
            faq_id=entry.id if entry else None,
            answer=None if entry else answer,
            added_by=officer.name,
        )
    )
    audit(session, ticket.id, f"officer:{officer.name}", "added to FAQ", entry.id if entry else "")


def learned_answer(
    session: Session, text: str, known: LearnedKeys, now: datetime
) -> LearnedQuestion | None:
    if known.stale(now):
        known.keys = frozenset(session.exec(select(LearnedQuestion.text_key)).all())
        known.loaded_at = now
    key = question_key(mask_pii(text))
    if key not in known.keys:
        return None
    return session.exec(select(LearnedQuestion).where(LearnedQuestion.text_key == key)).first()


def record_card(session: Session, ticket_id: int, chat_id: str, message_id: str) -> None:
    ticket = session.get(Escalation, ticket_id)
    if ticket is not None:
        ticket.card_chat_id, ticket.card_message_id = chat_id, message_id
        session.add(ticket)
        session.commit()


def pending_for(
    session: Session, officer: Officer, default_station: str | None
) -> list[Escalation]:
    """The open tickets of the officer's station: all of them for its duty officer, the
    officer's own for the others."""
    in_group = and_(
        col(Group.platform) == col(Escalation.platform),
        col(Group.chat_id) == col(Escalation.chat_id),
    )
    ours = col(Group.station_id) == officer.station_id
    if officer.station_id == default_station:
        ours = or_(ours, col(Group.station_id).is_(None))  # unbound (or unknown) groups
    query = (
        select(Escalation)
        .join(Group, in_group, isouter=True)
        .where(Escalation.state == PENDING, ours)
    )
    if not officer.duty:
        query = query.where(Escalation.officer_id == officer.id)
    return list(session.exec(query.order_by(col(Escalation.id))).all())
