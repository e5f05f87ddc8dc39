"""Open tickets remind their officer, then go to the station's duty officer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import col, select

from bot.db import Escalation, Officer, as_utc, session
from bot.events import Outgoing
from bot.services import Services
from handlers.common import default_station, find_group_title
from handlers.tickets import PENDING, audit, card, private_chat, render_fitted, ticket_station


@dataclass(frozen=True, slots=True)
class Due:
    ticket_id: int
    step: Literal["remind", "handover"]


def due_steps(
    tickets: list[Escalation], now: datetime, remind_after: timedelta, handover_after: timedelta
) -> list[Due]:
    """Pure: which tickets need a reminder or a hand-over now. State lives in the row
    (``reminded``), so after a restart nothing is sent twice and nothing is forgotten."""
    due = []
    for ticket in tickets:
        if ticket.state != PENDING or ticket.id is None:
            continue
        age = now - as_utc(ticket.created_at)
        if age >= handover_after and ticket.reminded < 2:
            due.append(Due(ticket.id, "handover"))
        elif age >= remind_after and ticket.reminded < 1:
            due.append(Due(ticket.id, "remind"))
    return due


async def due_reminders(services: Services) -> list[Outgoing]:
    behaviour = services.settings.behaviour
    now = services.clock.now()
    out: list[Outgoing] = []
    with session(services.engine) as db:
        open_tickets = list(db.exec(select(Escalation).where(Escalation.state == PENDING)).all())
        steps = due_steps(
            open_tickets,
            now,
            timedelta(minutes=behaviour.reminder_minutes),
            timedelta(minutes=behaviour.handover_minutes),
        )
        for step in steps:
            ticket = db.get(Escalation, step.ticket_id)
            if ticket is None:
                continue
            officer = db.get(Officer, ticket.officer_id) if ticket.officer_id else None
            station_id = ticket_station(db, ticket, default_station(services))
            if officer is not None and officer.station_id != station_id:
                officer = None  # the group is another station's now: it takes the ticket over
            if step.step == "handover":
                duty = db.exec(
                    select(Officer).where(Officer.station_id == station_id, col(Officer.duty))
                ).first()
                ticket.reminded = 2
                if duty is not None and duty.id != ticket.officer_id:
                    ticket.officer_id = duty.id
                    audit(db, ticket.id, "system", "handover", duty.name)
                    officer = duty
                    shown = card(ticket, duty, find_group_title(db, ticket))
                    if shown is not None:
                        out.append(shown)
                        db.add(ticket)
                        continue
            else:
                ticket.reminded = 1
                audit(db, ticket.id, "system", "reminder", officer.name if officer else "")
            db.add(ticket)
            chat = private_chat(officer, ticket.platform) if officer else None
            if chat is not None:
                minutes = int((now - as_utc(ticket.created_at)).total_seconds() // 60)
                reminder = render_fitted("reminder.j2", ticket=ticket, minutes=minutes)
                out.append(Outgoing(chat, reminder.text, quotes=reminder.quotes))
        db.commit()
    return out
