"""Open tickets remind their officer, then go to the station's duty officer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from sqlmodel import select

from core.db import Escalation, Officer, as_utc, session
from handlers.common import default_station
from handlers.services import HasClock, HasEngine, HasSettings, HasStations
from officers.directory import duty_officer
from tickets.service import PENDING, audit, expire, render_fitted, send_card, tell, ticket_station


class Needs(HasSettings, HasEngine, HasClock, HasStations, Protocol):
    """What ticket expiries and reminders use of ``Services``."""


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


async def due_reminders(services: Needs) -> int:
    """Closes the tickets pending too long (``write_expiries``), then writes the due
    reminders and hand-overs as outbox rows (with the tickets' new ``reminded``, in one
    transaction), off the event loop; returns how many tickets moved."""
    return await asyncio.to_thread(lambda: write_expiries(services) + write_reminders(services))


def write_expiries(services: Needs) -> int:
    """Tickets still pending ``[tickets] expire_days`` after they were opened become
    expired (``tickets.service.expire``), each in its own transaction."""
    after = timedelta(days=services.settings.tickets.expire_days)
    now = services.clock.now()
    expired = 0
    with session(services.engine) as db:
        overdue = [
            ticket
            for ticket in db.exec(select(Escalation).where(Escalation.state == PENDING)).all()
            if now - as_utc(ticket.created_at) >= after
        ]
        for ticket in overdue:
            station = services.station_details(
                ticket_station(db, ticket, default_station(services))
            )
            phone = station.phone if station is not None else ""
            expired += expire(db, ticket, now, after, phone, services.settings.timezone)
    return expired


def write_reminders(services: Needs) -> int:
    behaviour = services.settings.behaviour
    now = services.clock.now()
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
            db.add(ticket)
            if step.step == "remind":
                ticket.reminded = 1
                audit(db, ticket.id, "system", "reminder", officer.name if officer else "")
                if officer is not None:
                    minutes = int((now - as_utc(ticket.created_at)).total_seconds() // 60)
                    text = render_fitted("reminder.j2", ticket=ticket, minutes=minutes)
                    tell(db, officer, ticket.platform, text, now, ticket.id)
                continue
            # The hand-over: the duty officer gets the card too. The ticket stays its
            # officer's (still in their 待办) unless it has none in its station.
            ticket.reminded = 2
            duty = duty_officer(db, station_id)
            if duty is None or (officer is not None and duty.id == officer.id):
                continue
            audit(db, ticket.id, "system", "handover", duty.name)
            if officer is None:
                ticket.officer_id = duty.id
            colleague = officer.name if officer else ""
            send_card(db, ticket, duty, now, "handover", colleague=colleague)
        db.commit()
    return len(steps)
