"""The escalation ticket: a resident's question that an officer answers or approves.

State machine: pending -> sending answer (approved / edited) -> answered | rejected, and
pending -> expired after ``[tickets] expire_days`` (``expire``). The
officer's answer to the group is an outbox row written with the transition (``infra.outbox``);
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
import logging
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from core import safetext
from core.db import (
    AuditEntry,
    Escalation,
    FaqEntry,
    Group,
    LearnedQuestion,
    Officer,
    OutboxMessage,
    as_utc,
)
from core.events import Button, ChatRef, IncomingMessage, Outgoing
from core.states import OutboxState, TicketState
from core.templates import render, render_quoted
from faq.matcher import Decision
from faq.text import question_key
from guard.pii import mask_pii
from infra import inbox, outbox
from officers.directory import (
    find_group,
    find_group_title,
    officer_chat,
    officer_for,
    private_chat,
    station_officers,
)
from tickets import machine

log = logging.getLogger(__name__)


PENDING, ANSWERED, REJECTED = TicketState.PENDING, TicketState.ANSWERED, TicketState.REJECTED
# The outbox kinds of a ticket's messages (``infra.outbox``).
ANSWER_KIND = "ticket answer"  # the officer's answer to the group
CARD_KIND = "ticket card"  # a card to an officer (a failed one goes to the duty officer)
ACK_KIND = "ticket acknowledgement"  # the resident told the question reached an officer
NOTE_KIND = "officer note"  # a reminder, a card closed, how an answer went
ALERT_KIND = "admin alert"  # someone cannot be reached
REJECTION_KIND = "rejection notice"  # the resident told why no answer comes
EXPIRY_KIND = "expiry notice"  # the resident told no answer is coming (expired)
DEFAULT_ZONE = "Asia/Shanghai"  # as the config's default; callers pass the configured one


class TicketError(Exception):
    """An officer's action that cannot be done; the message is shown to the officer."""


REFUSAL_TEMPLATES = {
    machine.Refusal.CLOSED: "ticket_closed.j2",
    machine.Refusal.NO_DRAFT: "ticket_no_draft.j2",
    machine.Refusal.EMPTY: "ticket_edit_empty.j2",
    machine.Refusal.NO_EDIT: "edit_none.j2",
    machine.Refusal.EXPIRED: "edit_expired.j2",
}


def refused(why: machine.Refusal, ticket: Escalation) -> TicketError:
    return TicketError(render(REFUSAL_TEMPLATES[why], ticket=ticket))


def rules_view(ticket: Escalation) -> machine.Ticket:
    """What the state machine reads of the row."""
    assert ticket.id is not None
    return machine.Ticket(ticket.id, ticket.state, ticket.draft)


def editing_of(officer: Officer) -> machine.Editing | None:
    if officer.editing_ticket_id is None:
        return None
    since = (
        as_utc(officer.editing_since) if officer.editing_since else datetime.min.replace(tzinfo=UTC)
    )  # an edit begun before drafts existed: expired
    return machine.Editing(officer.editing_ticket_id, since, officer.edit_draft)


def keep_editing(session: Session, officer: Officer, editing: machine.Editing | None) -> None:
    officer.editing_ticket_id = editing.ticket_id if editing else None
    officer.editing_since = editing.since if editing else None
    officer.edit_draft = editing.draft if editing else None
    session.add(officer)


def audit(
    session: Session, ticket_id: int | None, actor: str, action: str, detail: str = ""
) -> None:
    session.add(
        AuditEntry(escalation_id=ticket_id, actor=actor, action=action, detail=mask_pii(detail))
    )


def to_resident(ticket: Escalation, text: str) -> Outgoing:
    """A reply to the resident's message (WeChat @mentions them instead)."""
    return Outgoing(
        ChatRef(ticket.platform, ticket.chat_id),  # type: ignore[arg-type]
        text,
        reply_to=ticket.message_id,
        mention_id=ticket.resident_id,
        mention_name=safetext.name(ticket.resident_name),
    )


# A resident's message is masked by each of its readers: the learned-answer lookup, then
# the answer row or the ticket; once is enough (~0.02 ms of CPU a masking).
@lru_cache(maxsize=256)
def masked_question(text: str) -> str:
    """``text`` as stored and compared: personal numbers masked (``guard.pii.mask_pii``)."""
    return mask_pii(text)


def open_ticket(
    session: Session,
    msg: IncomingMessage,
    decision: Decision,
    draft: str | None,
    now: datetime,
    default_station: str | None,
) -> Escalation:
    """The ticket, its card for its officer and (when the bot was spoken to) the
    resident's acknowledgement, in one transaction: none is promised without the others.

    Its officer: the group's, else the duty officer of the group's station (of
    ``default_station`` for an unbound group or a private chat)."""
    group = find_group(session, msg.chat) if msg.is_group else None
    officer = officer_for(session, group, default_station)
    officer_id = officer.id if officer else None
    ticket = Escalation(
        platform=msg.chat.platform,
        chat_id=msg.chat.chat_id,
        message_id=msg.message_id,
        resident_id=msg.sender_id,
        resident_name=msg.sender_name,
        question=masked_question(msg.text),
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
    if msg.addressed:
        ack = render("escalated.j2", ticket=ticket, in_group=msg.is_group)
        outbox.enqueue(session, to_resident(ticket, ack), ACK_KIND, now, ticket_id=ticket.id)
    if officer is not None:
        send_card(session, ticket, officer, now)
    session.commit()
    return ticket


def tell(
    session: Session,
    officer: Officer,
    platform: str,
    text: str | safetext.Quoted,
    now: datetime,
    ticket_id: int | None = None,
    kind: str | None = None,
) -> bool:
    """A note to an officer as an outbox row (in the caller's transaction); ``text`` may
    quote a resident (``render_fitted``)."""
    chat = officer_chat(officer, platform)
    if chat is None:
        return False
    if isinstance(text, str):
        note = Outgoing(chat, text)
    else:
        note = Outgoing(chat, text.text, quotes=text.quotes)
    outbox.enqueue(
        session, note, kind or NOTE_KIND, now, ticket_id=ticket_id, officer_id=officer.id
    )
    return True


def send_card(
    session: Session,
    ticket: Escalation,
    officer: Officer,
    now: datetime,
    notice: str = "",
    **why: str,
) -> bool:
    """The ticket's card for ``officer`` as an outbox row; ``notice`` says why it came to
    them (a hand-over, a colleague the bot cannot reach, a failed answer)."""
    shown = card(ticket, officer, find_group_title(session, ticket), notice, **why)
    if shown is None:
        return False
    outbox.enqueue(session, shown, CARD_KIND, now, ticket_id=ticket.id, officer_id=officer.id)
    return True


def alert(
    session: Session,
    station_id: str | None,
    text: str,
    now: datetime,
    ticket_id: int | None = None,
    leave_out: int | None = None,
    platforms: Collection[str] = ("telegram", "wechat"),
) -> int:
    """An admin alert: to the station's duty officers (every other officer when it has no
    other duty officer than ``leave_out``, the one who cannot be reached), on every
    platform of ``platforms`` they use. Returns how many rows were written."""
    officers = [o for o in station_officers(session, station_id) if o.id != leave_out]
    recipients = [o for o in officers if o.duty] or officers
    written = 0
    for officer in recipients:
        chats = {private_chat(officer, platform) for platform in platforms} - {None}
        for chat in sorted(chats, key=lambda c: c.platform):  # type: ignore[union-attr]
            assert chat is not None
            message = Outgoing(chat, text)
            outbox.enqueue(session, message, ALERT_KIND, now, ticket_id, officer.id)
            written += 1
    if not written:
        log.error("an admin alert for station %s reached no one: %s", station_id, text)
    return written


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


def card(
    ticket: Escalation, officer: Officer, group_title: str, notice: str = "", **why: str
) -> Outgoing | None:
    """The ticket's live card for ``officer`` (None: they cannot be reached anywhere)."""
    chat = officer_chat(officer, ticket.platform)
    return card_for_chat(ticket, chat, group_title, notice, **why) if chat else None


def card_for_chat(
    ticket: Escalation, chat: ChatRef, group_title: str, notice: str = "", **why: str
) -> Outgoing:
    buttons = tuple(
        Button(label, f"t:{verb}:{ticket.id}")
        for label, verb in CARD_BUTTONS
        if verb != "approve" or ticket.draft
    )
    faq_toggle = (Button("加入FAQ" + (" ✓" if ticket.add_to_faq else ""), f"t:faq:{ticket.id}"),)
    shown = render_fitted(
        "officer_card.j2",
        ticket=ticket,
        group_title=group_title or ticket.chat_id,
        notice=notice,
        colleague=why.get("colleague", ""),
        why=why.get("why", ""),
    )
    return Outgoing(chat, shown.text, buttons=(buttons, faq_toggle), quotes=shown.quotes)


@dataclass(frozen=True, slots=True)
class Resolution:
    ticket: Escalation
    closed_cards: frozenset[ChatRef]  # chats whose card of the ticket is edited to say so


def ticket_station(session: Session, ticket: Escalation, default_station: str | None) -> str | None:
    """The station whose group the ticket came from (``default_station`` when unbound)."""
    group = find_group(session, ChatRef(ticket.platform, ticket.chat_id))  # type: ignore[arg-type]
    return group.station_id if group is not None and group.station_id else default_station


def may_act(
    session: Session, officer: Officer, ticket: Escalation, default_station: str | None
) -> bool:
    """Whether ``officer`` may see and decide ``ticket``: it is their station's, or they
    are a city admin (every station's)."""
    if officer.city_admin:
        return True
    station = ticket_station(session, ticket, default_station)
    return station is not None and station == officer.station_id


def _pending(session: Session, ticket_id: int) -> Escalation:
    """The ticket as read before deciding (its state is checked by the rules, and again
    by the compare-and-set)."""
    ticket = session.get(Escalation, ticket_id)
    if ticket is None:
        raise TicketError(render("ticket_missing.j2", ticket_id=ticket_id))
    return ticket


def _decide(
    session: Session,
    ticket: Escalation,
    state: str,
    answer: str | None,
    by: str | None,
    now: datetime,
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
    if decided.rowcount != 1:  # nothing written: the caller's transaction goes on
        session.refresh(ticket)
        raise refused(machine.Refusal.CLOSED, ticket)
    session.refresh(ticket)


def resolve(
    session: Session,
    ticket_id: int,
    officer: Officer,
    verb: str,
    now: datetime,
    text: str | None = None,
    zone: str = DEFAULT_ZONE,
    source: inbox.Key | None = None,
) -> Resolution:
    """Approve (post the draft), edit (post ``text``) or reject (close; ``text``: a reason
    told to the resident, or None).

    The caller has checked that the officer may act on the ticket (``may_act``)."""
    ticket = _pending(session, ticket_id)
    try:
        decision = machine.decide(rules_view(ticket), verb, text)
    except machine.Refused as refusal:
        raise refused(refusal.why, ticket) from None
    return apply(session, ticket, officer, decision, now, text or "", zone, source)


def apply(
    session: Session,
    ticket: Escalation,
    officer: Officer,
    decision: machine.Decision,
    now: datetime,
    detail: str,
    zone: str = DEFAULT_ZONE,
    source: inbox.Key | None = None,
) -> Resolution:
    """Writes a decision in one transaction: the ticket's new state (compare-and-set), the
    audit row, the answer for the group (or the rejection's reason for the resident), the
    closed cards; ends the officer's edit. ``source``: the update that carried it, marked
    done in the update ledger in the same transaction, so a crash after the commit never
    applies it again (by then its answer may have been reported "unknown" and the ticket
    be pending again: a second 批准 would post the answer twice)."""
    answer, verb = decision.answer, decision.verb
    kept = mask_pii(answer) if answer is not None else None  # the stored copy
    _decide(session, ticket, decision.state, kept, officer.name, now)
    keep_editing(session, officer, None)
    audit(session, ticket.id, f"officer:{officer.name}", verb, detail)
    if answer is not None:
        outbox.enqueue(session, to_resident(ticket, answer), ANSWER_KIND, now, ticket.id)
        if ticket.add_to_faq:
            learn(session, ticket, officer, answer, approved_draft=verb == "approve")
    if decision.resident_note is not None:
        told = render("rejection_notice.j2", ticket=ticket, reason=decision.resident_note)
        outbox.enqueue(session, to_resident(ticket, told), REJECTION_KIND, now, ticket.id)
    closed = refresh_cards(session, ticket, verb, decision.resident_note or "", now, zone)
    if source is not None:
        inbox.mark(session.connection(), [source], "done_at")
    session.commit()
    return Resolution(ticket, closed)


def expire(
    session: Session,
    ticket: Escalation,
    now: datetime,
    after: timedelta,
    phone: str = "",
    zone: str = DEFAULT_ZONE,
) -> bool:
    """Closes ``ticket`` as expired if it is still pending ``after`` its opening, in one
    transaction (a compare-and-set, like an officer's decision): its cards show it closed,
    an officer still editing it stops, and the resident gets one short reply saying no
    answer is coming and whom to call (``phone``: the station's) — unless an answer's
    delivery was reported unknown: it may be in the group, and the officer, asked to look,
    did not send it again. False: not due, or decided meanwhile."""
    opened = as_utc(ticket.created_at)
    decision = machine.expire(rules_view(ticket), opened, now, after)
    if decision is None:
        return False
    try:
        _decide(session, ticket, decision.state, None, None, now)
    except TicketError:
        return False  # an officer decided it just now
    editing = select(Officer).where(Officer.editing_ticket_id == ticket.id)
    for officer in session.exec(editing).all():
        keep_editing(session, officer, None)
    maybe_answered = session.exec(
        select(OutboxMessage.id).where(
            OutboxMessage.ticket_id == ticket.id,
            OutboxMessage.kind == ANSWER_KIND,
            OutboxMessage.state == OutboxState.UNKNOWN,
        )
    ).first()
    told = "" if maybe_answered else "resident told"
    audit(session, ticket.id, "system", "expired", f"{after.days} days; {told or 'maybe answered'}")
    if told:
        note = render("expired_notice.j2", ticket=ticket, phone=phone)
        outbox.enqueue(session, to_resident(ticket, note), EXPIRY_KIND, now, ticket.id)
    refresh_cards(session, ticket, decision.verb, told, now, zone)
    session.commit()
    return True


def refresh_cards(
    session: Session, ticket: Escalation, verb: str, reason: str, now: datetime, zone: str
) -> frozenset[ChatRef]:
    """Every card of the ticket that reached an officer is edited to show where it
    stands (outbox rows, in the transaction of the change): decided or closed, by whom and
    when, without buttons; back in 待办 (its answer failed), with them. Returns the chats."""
    query = select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id,
        OutboxMessage.kind == CARD_KIND,
        OutboxMessage.state == OutboxState.SENT,
    )
    cards = {(row.platform, row.chat_id, row.sent_message_id) for row in session.exec(query)}
    if not cards and ticket.card_chat_id and ticket.card_message_id:  # sent before the outbox
        cards.add((ticket.platform, ticket.card_chat_id, ticket.card_message_id))
    shown: set[ChatRef] = set()
    title = find_group_title(session, ticket) if ticket.state == PENDING else ""
    for platform, chat_id, message_id in sorted(cards, key=str):
        if not message_id:
            continue
        chat = ChatRef(platform, chat_id)  # type: ignore[arg-type]
        if ticket.state == PENDING:
            edit = replace(card_for_chat(ticket, chat, title), edit_message_id=message_id)
        else:
            edit = done_message(chat, ticket, verb, reason, zone, edit_message_id=message_id)
        outbox.enqueue(session, edit, NOTE_KIND, now, ticket_id=ticket.id)
        shown.add(chat)
    return frozenset(shown)


def failure(row: OutboxMessage) -> str:
    """Why a row was not delivered, as the key the templates explain it by."""
    if row.state == OutboxState.UNKNOWN:
        return "unknown"
    if row.last_error.startswith("chat gone"):
        return "gone"
    return "retries" if row.attempts >= outbox.MAX_ATTEMPTS else "refused"


def settle_answer(
    session: Session,
    row: OutboxMessage,
    default_station: str | None = None,
    platforms: Collection[str] = ("telegram", "wechat"),
    zone: str = DEFAULT_ZONE,
) -> None:
    """The answer's outbox row reached an end state (in the transaction recording it):
    sent -> the ticket is answered; failed or unknown -> back to pending, so it can be
    sent again. The officer who decided is told what really happened; a failed answer
    goes to the station's duty officer too, as a card."""
    ticket = session.get(Escalation, row.ticket_id) if row.ticket_id is not None else None
    sent = row.state == OutboxState.SENT
    settled = machine.settle(ticket.state, sent) if ticket is not None else None
    if ticket is None or settled is None:
        return
    now = row.updated_at
    ticket.state = settled
    ticket.chat_id = row.chat_id  # a migrated group: the ticket follows it
    ticket.updated_at = now
    session.add(ticket)
    audit(session, ticket.id, "outbox", f"answer {row.state}", row.last_error)
    refresh_cards(session, ticket, "", "", now, zone)  # answered; or back in 待办, live
    decider = session.exec(select(Officer).where(Officer.name == (ticket.decided_by or ""))).first()
    why = "" if sent else failure(row)
    forwarded = False
    if row.state == OutboxState.FAILED:
        station = ticket_station(session, ticket, default_station)
        for duty in station_officers(session, station):
            if duty.duty and (decider is None or duty.id != decider.id):
                colleague = decider.name if decider else ""
                reason = render("send_failure.j2", why=why)
                forwarded |= send_card(
                    session, ticket, duty, now, "answer failed", colleague=colleague, why=reason
                )
    if decider is not None:
        text = render(
            "answer_delivery.j2",
            ticket=ticket,
            outcome=str(row.state),
            why=why,
            forwarded=forwarded,
        )
        tell(session, decider, ticket.platform, text, now, ticket.id)


def settle_card(
    session: Session,
    row: OutboxMessage,
    default_station: str | None = None,
    platforms: Collection[str] = ("telegram", "wechat"),
) -> None:
    """A card reached an end state. Sent: the ticket remembers where (to close it later).
    Failed (the officer never opened a private chat with the bot, or blocked it): the
    card goes to the station's duty officer and an admin alert says whom to fix; the
    ticket keeps its officer, so it stays in their 待办."""
    ticket = session.get(Escalation, row.ticket_id) if row.ticket_id is not None else None
    if ticket is None:
        return
    if row.state == OutboxState.SENT:
        if ticket.card_message_id is None or row.officer_id == ticket.officer_id:
            ticket.card_chat_id, ticket.card_message_id = row.chat_id, row.sent_message_id
            session.add(ticket)
        return
    unreachable = session.get(Officer, row.officer_id) if row.officer_id is not None else None
    if row.state != OutboxState.FAILED or unreachable is None:
        return  # delivery unknown: it may be there; the ticket is in 待办 either way
    now = row.updated_at
    station = ticket_station(session, ticket, default_station)
    audit(session, ticket.id, "outbox", "card failed", f"{unreachable.name}: {row.last_error}")
    if ticket.state == PENDING:
        carded = set(
            session.exec(
                select(OutboxMessage.officer_id).where(
                    OutboxMessage.ticket_id == ticket.id,
                    OutboxMessage.kind == CARD_KIND,
                    col(OutboxMessage.state).in_(
                        (
                            OutboxState.PENDING,
                            OutboxState.SENDING,
                            OutboxState.SENT,
                        )
                    ),
                )
            ).all()
        )
        for duty in station_officers(session, station):
            if duty.duty and duty.id != unreachable.id and duty.id not in carded:
                send_card(session, ticket, duty, now, "unreachable", colleague=unreachable.name)
    if _alerted_lately(session, unreachable, now):
        return  # one alert a day per officer, however many cards fail meanwhile
    session.add(
        AuditEntry(
            escalation_id=ticket.id,
            actor="system",
            action=f"unreachable:{unreachable.id}",
            detail=unreachable.name,
            at=now,
        )
    )
    text = render("officer_unreachable.j2", officer=unreachable, ticket=ticket, why=failure(row))
    alert(session, station, text, now, ticket.id, unreachable.id, platforms)


ALERT_INTERVAL = timedelta(days=1)
LIVE_CARD = (OutboxState.PENDING, OutboxState.SENDING, OutboxState.SENT)


def _alerted_lately(session: Session, officer: Officer, now: datetime) -> bool:
    query = select(AuditEntry.id).where(
        AuditEntry.action == f"unreachable:{officer.id}",
        col(AuditEntry.at) >= now - ALERT_INTERVAL,
    )
    return session.exec(query).first() is not None


def done_message(
    chat: ChatRef,
    ticket: Escalation,
    verb: str,
    reason: str,
    zone: str = DEFAULT_ZONE,
    edit_message_id: str | None = None,
) -> Outgoing:
    """What the officer sees of a decided ticket (its card, edited, or a new message):
    where it stands, who decided, when; no buttons."""
    when = as_utc(ticket.updated_at).astimezone(ZoneInfo(zone)).strftime("%m-%d %H:%M")
    shown = render_fitted(
        "officer_card_done.j2", ticket=ticket, verb=verb, reason=reason, when=when
    )
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


def toggle_faq(session: Session, ticket: Escalation, actor: str) -> None:
    """加入FAQ on a pending ticket flips whether its answer is learned once it is sent. One
    UPDATE: two taps on two workers toggle twice, never once."""
    session.exec(
        update(Escalation)
        .where(col(Escalation.id) == ticket.id)
        .values(add_to_faq=~col(Escalation.add_to_faq))
    )
    session.refresh(ticket)
    audit(session, ticket.id, actor, "faq toggle", str(ticket.add_to_faq))


def learn_decided(session: Session, ticket: Escalation, officer: Officer) -> bool:
    """加入FAQ on a ticket already answered (or being sent): its question and answer are
    learned now (the caller commits). False: a rejected ticket has no answer to learn."""
    if ticket.state == TicketState.REJECTED or not ticket.answer:
        return False
    if not ticket.add_to_faq:
        ticket.add_to_faq = True
        session.add(ticket)
        approved = ticket.draft is not None and ticket.answer == mask_pii(ticket.draft)
        learn(session, ticket, officer, ticket.answer, approved_draft=approved)
    return True


def learned_answer(
    session: Session, text: str, known: LearnedKeys, now: datetime
) -> LearnedQuestion | None:
    if known.stale(now):
        known.keys = frozenset(session.exec(select(LearnedQuestion.text_key)).all())
        known.loaded_at = now
    key = question_key(masked_question(text))
    if key not in known.keys:
        return None
    return session.exec(select(LearnedQuestion).where(LearnedQuestion.text_key == key)).first()


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


@dataclass
class LearnedKeys:
    """The question keys officers added with 加入FAQ, refreshed from the database now and
    then, so the lookup runs only for a message that may have been learned."""

    ttl: timedelta = timedelta(seconds=60)
    keys: frozenset[str] = frozenset()
    loaded_at: datetime | None = None

    def stale(self, now: datetime) -> bool:
        return self.loaded_at is None or now - self.loaded_at >= self.ttl
