"""Groups and officers in the console: who sees which, and the admins' changes.

Scope by role: an officer sees their own groups; a station admin the station's (with the
unbound groups when it is the first station, as the ticket queue does); a city admin every
station's. Every change here marks the officer ``console_managed``, so the config file,
which only seeds officers, no longer overwrites it on the next start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from console import tickets
from console.tickets import PENDING
from core.db import ConsoleSession, Escalation, Group, Officer, SeenUpdate
from handlers.reach import cannot_reach

NAME_LIMIT = 40
ID_LIMIT = 64


class Refused(Exception):
    """A change the admin may not make or that would break a rule; its key in
    ``texts.toml [people]`` says why."""


@dataclass(frozen=True, slots=True)
class GroupRow:
    group: Group
    officer_name: str | None
    last_message_at: datetime | None


def is_city_admin(officer: Officer) -> bool:
    return officer.city_admin


def is_admin(officer: Officer) -> bool:
    return officer.admin or officer.city_admin


def in_scope(officer: Officer, default_station: str | None) -> ColumnElement[bool]:
    """The groups of ``officer``'s station (the unbound ones belong to the first; every
    group for a city admin), as a condition on ``Group``: the ticket queue's scope."""
    return tickets.in_scope(officer, default_station)


def groups(db: Session, officer: Officer, default_station: str | None) -> list[GroupRow]:
    """The groups in ``officer``'s scope, with their officer and last message (the update
    ledger's newest row for the chat: one index lookup per group)."""
    last = (
        select(func.max(SeenUpdate.seen_at))
        .where(SeenUpdate.platform == Group.platform, SeenUpdate.chat_id == Group.chat_id)
        .correlate(Group)
        .scalar_subquery()
    )
    query = (
        select(Group, Officer.name, last)
        .join(Officer, col(Group.officer_id) == col(Officer.id), isouter=True)
        .where(in_scope(officer, default_station))
    )
    if not is_admin(officer):
        query = query.where(Group.officer_id == officer.id)
    query = query.order_by(col(Group.station_id), col(Group.title), col(Group.id))
    return [GroupRow(g, name, at) for g, name, at in db.exec(query).all()]


def group_in_scope(
    db: Session, officer: Officer, group_id: int, default_station: str | None
) -> Group | None:
    return next(
        (r.group for r in groups(db, officer, default_station) if r.group.id == group_id), None
    )


def officers(db: Session, admin: Officer) -> list[Officer]:
    """The officers an admin manages: the station's, or every station's for a city admin."""
    query = select(Officer)
    if not is_city_admin(admin):
        query = query.where(Officer.station_id == admin.station_id)
    return list(db.exec(query.order_by(col(Officer.station_id), col(Officer.name))).all())


def unreachable(db: Session, admin: Officer) -> list[Officer]:
    """The active officers of the admin's scope the bot cannot write to (the bot's reach
    check keeps its finding on the row; an officer with no account at all is listed too)."""
    return [o for o in officers(db, admin) if o.active and cannot_reach(o)]


def managed_officer(db: Session, admin: Officer, officer_id: int) -> Officer:
    officer = db.get(Officer, officer_id)
    if officer is None or not (is_city_admin(admin) or officer.station_id == admin.station_id):
        raise Refused("not_found")
    return officer


def group_station(group: Group, default_station: str | None) -> str | None:
    return group.station_id or default_station


def reassign(
    db: Session,
    admin: Officer,
    group_id: int,
    officer_id: int | None,
    default_station: str | None,
) -> tuple[Group, Officer | None]:
    """Hands the group to another officer of its station (``None``: to nobody, so its
    tickets go to the station's duty officer)."""
    group = group_in_scope(db, admin, group_id, default_station)
    if group is None:
        raise Refused("not_found")
    officer = None
    if officer_id is not None:
        officer = db.get(Officer, officer_id)
        if officer is None or not officer.active:
            raise Refused("no_such_officer")
        if officer.station_id != group_station(group, default_station):
            raise Refused("other_station")
    group.officer_id = officer.id if officer else None
    db.add(group)
    return group, officer


def add_officer(
    db: Session,
    admin: Officer,
    name: str,
    station_id: str,
    stations: set[str],
    telegram_id: str | None,
    wechat_id: str | None,
    duty: bool,
) -> Officer:
    name = name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise Refused("bad_name")
    if not is_city_admin(admin):
        station_id = admin.station_id
    if station_id not in stations:
        raise Refused("other_station")
    ids = [i for i in (telegram_id, wechat_id) if i is not None]
    if any(len(i) > ID_LIMIT or not i.isprintable() or " " in i for i in ids):
        raise Refused("bad_id")
    same = select(Officer).where(Officer.name == name, Officer.station_id == station_id)
    if db.exec(same).first() is not None:
        raise Refused("exists")
    for column, value in ((Officer.telegram_id, telegram_id), (Officer.wechat_id, wechat_id)):
        if value and db.exec(select(Officer).where(column == value, col(Officer.active))).first():
            raise Refused("id_taken")
    officer = Officer(
        name=name,
        station_id=station_id,
        telegram_id=telegram_id,
        wechat_id=wechat_id,
        duty=duty,
        console_managed=True,
    )
    db.add(officer)
    db.flush()
    return officer


def set_duty(db: Session, admin: Officer, officer_id: int, duty: bool) -> Officer:
    officer = managed_officer(db, admin, officer_id)
    if duty and not officer.active:
        raise Refused("inactive")
    officer.duty, officer.console_managed = duty, True
    db.add(officer)
    return officer


def set_active(
    db: Session, admin: Officer, officer_id: int, active: bool, now: datetime
) -> tuple[Officer, int]:
    """Removes (or brings back) an officer. A removed one is off duty, signed out, and
    their groups and open tickets are handed to nobody, so the reminders and the hand-over
    go to the duty officer; returns how many groups and tickets were freed."""
    officer = managed_officer(db, admin, officer_id)
    if officer.id == admin.id:
        raise Refused("yourself")
    officer.active, officer.console_managed = active, True
    freed = 0
    if not active:
        officer.duty = False
        for group in db.exec(select(Group).where(Group.officer_id == officer.id)).all():
            group.officer_id = None
            db.add(group)
            freed += 1
        for ticket in db.exec(
            select(Escalation).where(
                Escalation.officer_id == officer.id, Escalation.state == PENDING
            )
        ).all():
            ticket.officer_id = None
            db.add(ticket)
            freed += 1
        for row in db.exec(
            select(ConsoleSession).where(
                ConsoleSession.officer_id == officer.id, col(ConsoleSession.ended_at).is_(None)
            )
        ).all():
            row.ended_at = now
            db.add(row)
    db.add(officer)
    return officer, freed


def set_admin_password(
    db: Session, name: str, station_id: str | None, city: bool, password_hash: str
) -> tuple[Officer, bool]:
    """Gives the admin ``name`` a password (``jingmin admin create``); with ``station_id``,
    an officer not there yet is made that station's admin (a city admin with ``city``).
    Returns the officer and whether it was created."""
    query = select(Officer).where(Officer.name == name, col(Officer.active))
    if station_id is not None:
        query = query.where(Officer.station_id == station_id)
    found = list(db.exec(query).all())
    if len(found) > 1:
        raise Refused("ambiguous")
    created = not found
    if created:
        if station_id is None:
            raise Refused("not_found")
        officer = Officer(name=name, station_id=station_id, admin=not city, console_managed=True)
        officer.city_admin = city
    else:
        officer = found[0]
        if city and not officer.city_admin:
            officer.city_admin, officer.console_managed = True, True
    if not is_admin(officer):
        raise Refused("not_admin")
    officer.password_hash = password_hash
    db.add(officer)
    return officer, created
