"""The console's only door to the ticket domain (``tickets.service``).

Deciding a ticket here is the chat's ``resolve``, called the same way (the answer goes to
the group through the outbox the bot's sender delivers), and who may act is the domain's
``may_act`` narrowed by the console's roles. Everything the console needs from tickets is
in this module, so a change of the domain's API is a change here alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, true
from sqlmodel import Session, col, select

from core.db import Escalation, Group, Officer
from core.states import TicketState
from core.templates import render
from tickets.service import TicketError, learn_decided, may_act, resolve, toggle_faq

# pending ones, pending past the reminder time, pending ones handed to me, every state
VIEWS = ("open", "overdue", "mine", "all")
VERBS = ("approve", "edit", "reject", "faq")
QUEUE_LIMIT = 200
PENDING = str(TicketState.PENDING)


@dataclass(frozen=True, slots=True)
class QueueRow:
    ticket: Escalation
    group_title: str


def _in_group() -> object:
    return and_(
        col(Group.platform) == col(Escalation.platform),
        col(Group.chat_id) == col(Escalation.chat_id),
    )


def station_groups(station: str, default_station: str | None) -> ColumnElement[bool]:
    """The groups of ``station``, as a condition on ``Group``: the unbound ones belong to
    the first station."""
    ours = col(Group.station_id) == station
    if station == default_station:
        ours = or_(ours, col(Group.station_id).is_(None))
    return ours


def in_scope(
    officer: Officer, default_station: str | None, station: str | None = None
) -> ColumnElement[bool]:
    """The groups of ``officer``'s station; every group for a city admin, or those of
    ``station`` when they pick one."""
    if officer.city_admin:
        return station_groups(station, default_station) if station else true()
    return station_groups(officer.station_id, default_station)


def sees_whole_station(officer: Officer) -> bool:
    """Station admins and the duty officer (who gets what nobody handled) see every ticket
    of the station; other officers those of their groups and those handed to them."""
    return officer.admin or officer.city_admin or officer.duty


def visible(db: Session, officer: Officer, ticket: Escalation, default_station: str | None) -> bool:
    if not may_act(db, officer, ticket, default_station):
        return False
    if sees_whole_station(officer) or ticket.officer_id == officer.id:
        return True
    group = db.exec(
        select(Group).where(Group.platform == ticket.platform, Group.chat_id == ticket.chat_id)
    ).first()
    return group is not None and group.officer_id == officer.id


def queue(
    db: Session,
    officer: Officer,
    default_station: str | None,
    view: str = "open",
    group_id: int | None = None,
    station: str | None = None,
    overdue_before: datetime | None = None,
) -> list[QueueRow]:
    """The tickets ``officer`` may see, newest first (at most ``QUEUE_LIMIT``); a city
    admin's of every station, or of ``station``. Overdue: pending, opened before
    ``overdue_before`` (the reminder time ago)."""
    query = (
        select(Escalation, Group.title)
        .join(Group, _in_group(), isouter=True)  # type: ignore[arg-type]
        .where(in_scope(officer, default_station, station))
    )
    if not sees_whole_station(officer):
        query = query.where(
            or_(col(Escalation.officer_id) == officer.id, col(Group.officer_id) == officer.id)
        )
    if view in ("open", "overdue", "mine"):
        query = query.where(col(Escalation.state) == PENDING)
    if view == "overdue" and overdue_before is not None:
        query = query.where(col(Escalation.created_at) < overdue_before)
    if view == "mine":
        query = query.where(col(Escalation.officer_id) == officer.id)
    if group_id is not None:
        query = query.where(col(Group.id) == group_id)
    rows = db.exec(query.order_by(col(Escalation.id).desc()).limit(QUEUE_LIMIT)).all()
    return [QueueRow(ticket, title or ticket.chat_id) for ticket, title in rows]


def groups_of(
    db: Session, officer: Officer, default_station: str | None, station: str | None = None
) -> list[Group]:
    """The groups whose tickets ``officer`` may filter by."""
    query = select(Group).where(in_scope(officer, default_station, station))
    if not sees_whole_station(officer):
        query = query.where(Group.officer_id == officer.id)
    return list(db.exec(query.order_by(col(Group.title), col(Group.id))).all())


def group_title(db: Session, ticket: Escalation) -> str:
    group = db.exec(
        select(Group).where(Group.platform == ticket.platform, Group.chat_id == ticket.chat_id)
    ).first()
    return group.title if group is not None and group.title else ticket.chat_id


def decide(
    db: Session, officer: Officer, ticket_id: int, verb: str, now: datetime, text: str | None
) -> str | None:
    """Approve, edit, reject or 加入FAQ as the chat does; the officer-facing refusal, or
    ``None``. The caller has checked ``visible``."""
    if verb not in VERBS:
        return None
    if verb == "faq":
        ticket = db.get(Escalation, ticket_id)
        if ticket is None:
            return None
        if ticket.state == PENDING:
            toggle_faq(db, ticket, f"console:{officer.name}")
        elif not learn_decided(db, ticket, officer):
            return render("faq_refused.j2", ticket=ticket)
        return None
    try:
        resolve(db, ticket_id, officer, verb, now, text)
    except TicketError as refused:
        return str(refused)
    # The officer's cards in the chat are edited to the closed view through the outbox,
    # as after a decision in the chat.
    return None
