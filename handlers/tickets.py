"""The escalation ticket: a resident's question that an officer answers or approves.

State machine: pending -> answered (approved / edited) | rejected. Every transition is
written with an audit row in the same transaction, before anyone is told about it.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.db import AuditEntry, Escalation, FaqEntry, Group, LearnedQuestion, Officer
from bot.events import Button, ChatRef, IncomingMessage, Outgoing
from bot.services import LearnedKeys
from bot.templates import render
from faq.matcher import Decision
from faq.text import question_key
from guard.pii import mask_pii

PENDING, ANSWERED, REJECTED = "pending", "answered", "rejected"


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
    text = render("officer_card.j2", ticket=ticket, group_title=group_title or ticket.chat_id)
    return Outgoing(chat, text, buttons=(buttons, faq_toggle), tag=f"card:{ticket.id}")


@dataclass(frozen=True, slots=True)
class Resolution:
    ticket: Escalation
    to_group: Outgoing | None
    card_update: Outgoing | None


def _pending(session: Session, ticket_id: int) -> Escalation:
    ticket = session.get(Escalation, ticket_id)
    if ticket is None:
        raise TicketError(render("ticket_missing.j2", ticket_id=ticket_id))
    if ticket.state != PENDING:
        raise TicketError(render("ticket_closed.j2", ticket=ticket))
    return ticket


def resolve(
    session: Session,
    ticket_id: int,
    officer: Officer,
    verb: str,
    now: datetime,
    text: str | None = None,
) -> Resolution:
    """Approve (post the draft), edit (post ``text``) or reject (close; ``text`` = reason)."""
    ticket = _pending(session, ticket_id)
    if verb == "approve":
        if not ticket.draft:
            raise TicketError(render("ticket_no_draft.j2", ticket=ticket))
        answer: str | None = ticket.draft
    elif verb == "edit":
        if not text or not text.strip():
            raise TicketError(render("ticket_edit_empty.j2", ticket=ticket))
        answer = text.strip()
    elif verb == "reject":
        answer = None
    else:
        raise TicketError(f"unknown action {verb}")
    ticket.state = REJECTED if answer is None else ANSWERED
    ticket.answer = mask_pii(answer) if answer is not None else None  # the kept copy
    ticket.decided_by = officer.name
    ticket.updated_at = now
    officer.editing_ticket_id = None
    session.add_all([ticket, officer])
    audit(session, ticket.id, f"officer:{officer.name}", verb, text or "")
    if ticket.add_to_faq and answer is not None:
        learn(session, ticket, officer, answer, approved_draft=verb == "approve")
    session.commit()
    to_group = None
    if answer is not None:
        to_group = Outgoing(
            ChatRef(ticket.platform, ticket.chat_id),  # type: ignore[arg-type]
            answer,
            reply_to=ticket.message_id,
            mention_id=ticket.resident_id,
            mention_name=ticket.resident_name,
        )
    card_update = None
    if ticket.card_chat_id and ticket.card_message_id:
        card_update = Outgoing(
            ChatRef(ticket.platform, ticket.card_chat_id),  # type: ignore[arg-type]
            render("officer_card_done.j2", ticket=ticket, verb=verb, reason=text or ""),
            edit_message_id=ticket.card_message_id,
        )
    return Resolution(ticket, to_group, card_update)


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


def pending_for(session: Session, officer: Officer) -> list[Escalation]:
    query = select(Escalation).where(Escalation.state == PENDING)
    if not officer.duty:
        query = query.where(Escalation.officer_id == officer.id)
    return list(session.exec(query.order_by(col(Escalation.id))).all())
