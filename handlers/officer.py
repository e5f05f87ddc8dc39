"""Officers act on tickets: buttons on Telegram, the same verbs as text everywhere.

Text commands (批准 12, 修改 12 回复, 驳回 12 理由, 待办, 工单 12) are what WeChat and the
console have instead of buttons; button data carries the ticket id, never process state,
so a card keeps working after a restart.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Protocol

from sqlmodel import Session

from core import safetext
from core.db import Escalation, Officer, row_id
from core.events import Button, ButtonPress, ChatRef, IncomingMessage, Outgoing
from core.templates import render
from core.unit import event_session
from handlers.broadcast_commands import COMMAND as BROADCAST_COMMAND
from handlers.common import default_station
from handlers.services import HasClock, HasEngine, HasLearned, HasSettings, HasStations
from infra.inbox import Key, update_key
from officers.directory import find_group, officer_by_platform_id
from tickets import machine
from tickets.service import (
    PENDING,
    TicketError,
    apply,
    audit,
    card_for_chat,
    done_message,
    editing_of,
    keep_editing,
    learn_decided,
    may_act,
    pending_for,
    refused,
    resolve,
    rules_view,
    toggle_faq,
)


class Needs(HasSettings, HasEngine, HasClock, HasStations, HasLearned, Protocol):
    """What officers' ticket commands and buttons use of ``Services``."""


COMMAND = re.compile(
    r"^\s*(?P<verb>批准|修改|驳回|工单|加入FAQ|发送|取消|/approve|/edit|/reject|/ticket)\s*#?(?P<id>[0-9]+)\s*(?P<rest>.*)$",
    re.S | re.I,
)
VERBS = {
    "批准": "approve",
    "/approve": "approve",
    "修改": "edit",
    "/edit": "edit",
    "驳回": "reject",
    "/reject": "reject",
    "工单": "show",
    "/ticket": "show",
    "加入faq": "faq",
    "发送": "send",
    "取消": "cancel",
}
# 批准 / 驳回 理由 …: a ticket command without its number gets its usage, never a ticket.
INCOMPLETE = re.compile(
    r"^\s*(?P<verb>批准|修改|驳回|工单|加入FAQ|/approve|/edit|/reject|/ticket)(\s+\D.*)?$",
    re.S | re.I,
)
LIST_COMMANDS = ("待办", "/pending")
HELP_COMMANDS = ("帮助", "/help", "/start")
SEND_WORDS = ("发送", "/send")  # 发送 alone: the draft being written
BUTTON = re.compile(r"t:(?P<verb>approve|edit|reject|faq|send|cancel):(?P<id>[^:]*)")
# "/bind@other_bot": our own @username is cut off by the adapter, so what is left names
# another bot.
FOR_ANOTHER_BOT = re.compile(r"^\s*/\w+@\w+")


def is_officer_command(text: str) -> bool:
    """An officer's command word (批准 12, 驳回广播 3, 待办, …) or a command addressed to
    another bot: in a group, no one's question, whoever typed it."""
    text = text.strip()
    command = COMMAND.match(text)
    # "工单 12 有进展吗" is a resident asking about their ticket; "工单 12" alone is a command.
    asks = command is not None and VERBS[command["verb"].lower()] == "show" and command["rest"]
    incomplete = INCOMPLETE.match(text)
    return (
        text in LIST_COMMANDS
        or (command is not None and not asks)
        or (incomplete is not None and incomplete.group(2) is None)  # 批准 alone
        or BROADCAST_COMMAND.match(text) is not None
        or FOR_ANOTHER_BOT.match(text) is not None
    )


def _is_command(text: str) -> bool:
    """A command of the officer's (complete or not): never taken as a draft."""
    return (
        COMMAND.match(text) is not None
        or INCOMPLETE.match(text) is not None
        or text in LIST_COMMANDS
        or _asks_help(text)
    )


def _asks_help(text: str) -> bool:
    """帮助, /help, /start — also "/start officer", the deep link the /bind reply gives."""
    words = text.split(maxsplit=1)
    return bool(words) and words[0] in HELP_COMMANDS


def _reply(chat: ChatRef, text: str) -> list[Outgoing]:
    return [Outgoing(chat, text)]


async def on_officer_private(services: Needs, msg: IncomingMessage) -> list[Outgoing] | None:
    """Handles an officer's commands in private; ``None`` (next handler) for anything else."""
    with event_session(services.engine) as db:
        officer = officer_by_platform_id(db, msg.chat.platform, msg.sender_id)
        if officer is None:
            return None
        text = msg.text.strip()
        command = COMMAND.match(text)
        verb = VERBS[command["verb"].lower()] if command else None
        editing = editing_of(officer)
        source = update_key(msg)
        ended: list[Outgoing] = []
        if editing is not None and verb not in ("send", "cancel"):
            ended = _edit_message(services, db, officer, msg.chat, editing, text, source)
            if ended and ended[-1].buttons:  # a draft, shown back
                return ended
            if not _is_command(text):
                return ended or None
        if text in LIST_COMMANDS:
            tickets = pending_for(db, officer, default_station(services))
            return ended + _reply(msg.chat, render("pending_list.j2", tickets=tickets))
        if _asks_help(text):
            return ended + _reply(msg.chat, render("officer_help.j2"))
        if editing is None and text.lower() in SEND_WORDS + tuple(machine.CANCEL_WORDS):
            return _reply(msg.chat, render("edit_none.j2", ticket=None))
        incomplete = INCOMPLETE.match(text)
        if incomplete is not None:
            usage = render("command_usage.j2", verb=VERBS[incomplete["verb"].lower()])
            return ended + _reply(msg.chat, usage)
        if command and verb:
            ticket_id = row_id(command["id"])
            if ticket_id is None:
                return _reply(msg.chat, render("ticket_missing.j2", ticket_id=command["id"][:12]))
            if verb == "edit" and safetext.is_blank(command["rest"]):
                verb = "prompt"  # 修改 12 alone: like the button, the next message is a draft
            rest = command["rest"]
            return ended + _act(services, db, officer, msg.chat, ticket_id, verb, rest, source)
        return None  # not a command: officers may ask the bot or /check a message like anyone


def _edit_message(
    services: Needs,
    db: Session,
    officer: Officer,
    chat: ChatRef,
    editing: machine.Editing,
    text: str,
    source: Key | None,
) -> list[Outgoing]:
    """The officer's message while an edit is open: the draft, 发送 / 取消 (alone), the
    timeout, or another command that ends the edit (the command itself runs after)."""
    timeout = timedelta(minutes=services.settings.tickets.edit_minutes)
    now = services.clock.now()
    if text.lower() in SEND_WORDS:
        return _act(services, db, officer, chat, editing.ticket_id, "send", "", source)
    try:
        step = machine.on_message(editing, text, now, timeout, is_command=_is_command(text))
    except machine.Refused as refusal:
        ticket = db.get(Escalation, editing.ticket_id)
        return _reply(chat, str(refused(refusal.why, ticket))) if ticket else []
    ticket = db.get(Escalation, editing.ticket_id)
    if step.step == machine.Step.DRAFTED and ticket is not None:
        if not may_act(db, officer, ticket, default_station(services)):
            keep_editing(db, officer, None)
            audit(db, ticket.id, f"officer:{officer.name}", "refused", "draft")
            return _reply(chat, render("ticket_forbidden.j2", ticket_id=ticket.id))
        if ticket.state != PENDING:  # someone else decided it meanwhile
            keep_editing(db, officer, None)
            return _reply(chat, str(refused(machine.Refusal.CLOSED, ticket)))
    keep_editing(db, officer, step.editing)
    if ticket is None:
        return []
    return [_edit_note(chat, ticket, step, services.settings.tickets.edit_minutes)]


def _edit_note(chat: ChatRef, ticket: Escalation, step: machine.EditStep, minutes: int) -> Outgoing:
    """What the officer sees of an edit's step (a draft comes with 发送 / 取消)."""
    editing = step.editing
    text = render(
        "edit_step.j2",
        ticket=ticket,
        step=str(step.step),
        draft=editing.draft if editing else "",
        minutes=minutes,
    )
    if step.step != machine.Step.DRAFTED:
        return Outgoing(chat, text)
    buttons = (Button("发送", f"t:send:{ticket.id}"), Button("取消", f"t:cancel:{ticket.id}"))
    return Outgoing(chat, text, buttons=(buttons,))


async def on_button(services: Needs, press: ButtonPress) -> list[Outgoing]:
    """A card's button. Whatever the data holds (made up, stale, out of range), the presser
    gets an answer and nothing raises."""
    button = BUTTON.fullmatch(press.data)
    ticket_id = row_id(button["id"]) if button else None
    with event_session(services.engine) as db:
        officer = officer_by_platform_id(db, press.chat.platform, press.sender_id)
        if officer is None:
            known = ticket_id if ticket_id and db.get(Escalation, ticket_id) else None
            audit(db, known, f"user:{press.sender_id}", "refused", press.data[:64])
            return _reply(press.chat, render("not_officer.j2"))
        if button is None or ticket_id is None:
            return _reply(press.chat, render("button_invalid.j2"))
        verb = "prompt" if button["verb"] == "edit" else button["verb"]
        return _act(services, db, officer, press.chat, ticket_id, verb, "", update_key(press))


def _act(
    services: Needs,
    db: Session,
    officer: Officer,
    chat: ChatRef,
    ticket_id: int,
    verb: str,
    rest: str,
    source: Key | None = None,
) -> list[Outgoing]:
    """``source``: the update carrying the step; a decision marks it done with itself
    (``tickets.apply``). The edit's own steps do not: handled again after a crash, they
    show the officer the same prompt or draft again."""
    ticket = db.get(Escalation, ticket_id)
    if ticket is None:
        return _reply(chat, render("ticket_missing.j2", ticket_id=ticket_id))
    if not may_act(db, officer, ticket, default_station(services)):
        audit(db, ticket.id, f"officer:{officer.name}", "refused", verb)
        if officer.editing_ticket_id == ticket.id:
            keep_editing(db, officer, None)
        return _reply(chat, render("ticket_forbidden.j2", ticket_id=ticket_id))
    now = services.clock.now()
    minutes = services.settings.tickets.edit_minutes
    if verb == "prompt":
        try:
            step = machine.start_edit(rules_view(ticket), now)
        except machine.Refused:
            verb = "show"
        else:
            keep_editing(db, officer, step.editing)
            return [_edit_note(chat, ticket, step, minutes)]
    zone = services.settings.timezone
    if verb == "faq" and ticket.state != PENDING:
        return _learn_decided(services, db, officer, chat, ticket)
    if verb in ("show", "faq"):
        if verb == "faq":
            toggle_faq(db, ticket, f"officer:{officer.name}")
        if ticket.state != PENDING:  # a closed ticket shows how it ended, with no buttons
            return [done_message(chat, ticket, "", "", zone)]
        group = find_group(db, ChatRef(ticket.platform, ticket.chat_id))  # type: ignore[arg-type]
        return [card_for_chat(ticket, chat, group.title if group else "")]
    editing = editing_of(officer)
    try:
        if verb == "cancel":
            step = machine.cancel(editing, ticket.id or 0)
            keep_editing(db, officer, None)
            return [_edit_note(chat, ticket, step, minutes)]
        if verb == "send":
            timeout = timedelta(minutes=minutes)
            decision = machine.send_draft(editing, rules_view(ticket), now, timeout).decision
            assert decision is not None
            detail = decision.answer or ""
            outcome = apply(db, ticket, officer, decision, now, detail, zone, source)
            verb, rest = "edit", detail
        else:
            outcome = resolve(db, ticket_id, officer, verb, now, rest or None, zone, source)
    except machine.Refused as refusal:
        if refusal.why == machine.Refusal.EXPIRED:
            keep_editing(db, officer, None)
        return _reply(chat, str(refused(refusal.why, ticket)))
    except TicketError as refusal:
        if officer.editing_ticket_id == ticket_id:
            _stop_editing_if_closed(db, officer, ticket_id)
        return _reply(chat, str(refusal))
    if outcome.ticket.add_to_faq:
        services.learned.loaded_at = None  # a question was learned: reload the keys
    # The answer to the group and the closed cards are in the outbox, sent right after
    # this; the officer is told how the answer went once the platform has answered.
    if chat in outcome.closed_cards:
        return []
    return [done_message(chat, outcome.ticket, verb, rest, zone)]


def _learn_decided(
    services: Needs, db: Session, officer: Officer, chat: ChatRef, ticket: Escalation
) -> list[Outgoing]:
    """加入FAQ on a ticket already answered (or being sent): its question and answer are
    learned now. A rejected ticket has no answer to learn."""
    if not learn_decided(db, ticket, officer):
        return _reply(chat, render("faq_refused.j2", ticket=ticket))
    services.learned.loaded_at = None  # reload the learned keys
    return _reply(chat, render("faq_learned.j2", ticket=ticket))


def _stop_editing_if_closed(db: Session, officer: Officer, ticket_id: int) -> None:
    """After 修改, someone else decided the ticket: the officer's next message is told so
    once, and then is an ordinary message again."""
    ticket = db.get(Escalation, ticket_id)
    if ticket is not None and ticket.state != PENDING:
        keep_editing(db, officer, None)
