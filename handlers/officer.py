"""Officers act on tickets: buttons on Telegram, the same verbs as text everywhere.

Text commands (批准 12, 修改 12 回复, 驳回 12 理由, 待办, 工单 12) are what WeChat and the
console have instead of buttons; button data carries the ticket id, never process state,
so a card keeps working after a restart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlmodel import Session

from bot.db import Escalation, Officer, session
from bot.events import ButtonPress, ChatRef, IncomingMessage, Outgoing
from bot.services import Services
from bot.templates import render
from handlers.common import find_group
from handlers.tickets import (
    TicketError,
    audit,
    card,
    officer_by_platform_id,
    pending_for,
    resolve,
)

COMMAND = re.compile(
    r"^\s*(?P<verb>批准|修改|驳回|工单|加入FAQ|/approve|/edit|/reject|/ticket)\s*#?(?P<id>\d+)\s*(?P<rest>.*)$",
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
}
LIST_COMMANDS = ("待办", "/pending")
HELP_COMMANDS = ("帮助", "/help", "/start")


def _reply(chat: ChatRef, text: str) -> list[Outgoing]:
    return [Outgoing(chat, text)]


async def on_officer_private(services: Services, msg: IncomingMessage) -> list[Outgoing] | None:
    """Handles an officer's commands in private; ``None`` (next handler) for anything else."""
    with session(services.engine) as db:
        officer = officer_by_platform_id(db, msg.chat.platform, msg.sender_id)
        if officer is None:
            return None
        text = msg.text.strip()
        if text in LIST_COMMANDS:
            return _reply(msg.chat, render("pending_list.j2", tickets=pending_for(db, officer)))
        if text in HELP_COMMANDS:
            return _reply(msg.chat, render("officer_help.j2"))
        command = COMMAND.match(text)
        if command:
            verb = VERBS[command["verb"].lower()]
            return _act(services, db, officer, msg.chat, int(command["id"]), verb, command["rest"])
        if officer.editing_ticket_id is not None:
            return _act(services, db, officer, msg.chat, officer.editing_ticket_id, "edit", text)
        return None  # not a command: officers may ask the bot or /check a message like anyone


async def on_button(services: Services, press: ButtonPress) -> list[Outgoing]:
    parts = press.data.split(":")
    if len(parts) != 3 or parts[0] != "t" or not parts[2].isdigit():
        return []
    with session(services.engine) as db:
        officer = officer_by_platform_id(db, press.chat.platform, press.sender_id)
        if officer is None:
            audit(db, int(parts[2]), f"user:{press.sender_id}", "refused", parts[1])
            db.commit()
            return _reply(press.chat, render("not_officer.j2"))
        if parts[1] == "edit":
            ticket = db.get(Escalation, int(parts[2]))
            if ticket is None or ticket.state != "pending":
                return _act(services, db, officer, press.chat, int(parts[2]), "show", "")
            officer.editing_ticket_id = ticket.id
            db.add(officer)
            db.commit()
            return _reply(press.chat, render("edit_prompt.j2", ticket=ticket))
        return _act(services, db, officer, press.chat, int(parts[2]), parts[1], "")


def _act(
    services: Services,
    db: Session,
    officer: Officer,
    chat: ChatRef,
    ticket_id: int,
    verb: str,
    rest: str,
) -> list[Outgoing]:
    if verb in ("show", "faq"):
        ticket = db.get(Escalation, ticket_id)
        if ticket is None:
            return _reply(chat, render("ticket_missing.j2", ticket_id=ticket_id))
        if verb == "faq":
            ticket.add_to_faq = not ticket.add_to_faq
            db.add(ticket)
            audit(db, ticket.id, f"officer:{officer.name}", "faq toggle", str(ticket.add_to_faq))
            db.commit()
        group = find_group(db, ChatRef(ticket.platform, ticket.chat_id))  # type: ignore[arg-type]
        shown = card(ticket, officer, group.title if group else "")
        return [Outgoing(chat, shown.text, buttons=shown.buttons)] if shown else []
    try:
        outcome = resolve(db, ticket_id, officer, verb, services.clock.now(), rest or None)
    except TicketError as refused:
        return _reply(chat, str(refused))
    if outcome.ticket.add_to_faq:
        services.learned.loaded_at = None  # a question was learned: reload the keys
    messages: Sequence[Outgoing | None] = (outcome.to_group, outcome.card_update)
    done = [m for m in messages if m is not None]
    if outcome.card_update is None or outcome.card_update.chat != chat:
        done.append(
            Outgoing(
                chat, render("officer_card_done.j2", ticket=outcome.ticket, verb=verb, reason=rest)
            )
        )
    return done
