"""The bot joins, leaves or follows a group, and an officer binds a group to a station."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import or_, update
from sqlmodel import Session, col

from core.db import Group, Officer
from core.events import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    ChatMigrated,
    IncomingMessage,
    Outgoing,
)
from core.templates import render
from core.unit import event_session
from handlers.common import ensure_group
from handlers.services import HasBotUsernames, HasEngine, HasGroups, HasSettings, HasStations
from officers.directory import find_group, officer_by_platform_id
from tickets.service import audit


class Needs(HasSettings, HasEngine, HasStations, HasGroups, HasBotUsernames, Protocol):
    """What adding, removing, migrating and binding a group use of ``Services``."""


BIND_COMMANDS = ("/bind", "绑定")


def is_bind_command(msg: IncomingMessage) -> bool:
    """/bind or 绑定 in a group. "/bind@other_bot" is another bot's (the adapter has cut
    our own @username off already)."""
    words = msg.text.split(maxsplit=1)
    return msg.is_group and bool(words) and words[0] in BIND_COMMANDS


async def on_bot_added(services: Needs, event: BotAddedToGroup) -> list[Outgoing]:
    with event_session(services.engine) as db:
        group = ensure_group(db, event.chat, event.title)
        group.active = True
        db.add(group)
    return [Outgoing(event.chat, render("intro.j2"))]


async def on_bot_removed(services: Needs, event: BotRemovedFromGroup) -> list[Outgoing]:
    services.groups.forget(event.chat.platform, event.chat.chat_id)
    with event_session(services.engine) as db:
        group = find_group(db, event.chat)
        if group is not None:
            group.active = False
            db.add(group)
    return []


async def on_chat_migrated(services: Needs, event: ChatMigrated) -> list[Outgoing]:
    services.groups.forget(event.old.platform, event.old.chat_id)
    with event_session(services.engine) as db:
        group = find_group(db, event.old)
        if group is not None and find_group(db, event.new) is None:
            group.chat_id = event.new.chat_id
            db.add(group)
    return []


async def on_bind(services: Needs, msg: IncomingMessage) -> list[Outgoing]:
    """Binds the group to the officer's station. A group bound to another station stays
    with it: only that station's officers may bind it again (audited either way)."""
    services.groups.forget(msg.chat.platform, msg.chat.chat_id)
    with event_session(services.engine) as db:
        officer = officer_by_platform_id(db, msg.chat.platform, msg.sender_id)
        group = ensure_group(db, msg.chat, msg.chat_title)
        if officer is None:
            audit(db, None, f"user:{msg.sender_id}", "bind refused", msg.chat.chat_id)
            return [Outgoing(msg.chat, render("bind_refused.j2"), reply_to=msg.message_id)]
        before = (group.station_id, group.officer_id)
        if not _claim(db, group, officer):
            db.refresh(group)
            detail = f"{msg.chat.chat_id} stays with {group.station_id}"
            audit(db, None, f"officer:{officer.name}", "bind refused", detail)
            owner = services.settings.station(group.station_id or "")
            name = owner.name if owner else group.station_id
            refusal = render("bind_taken.j2", station_name=name)
            return [Outgoing(msg.chat, refusal, reply_to=msg.message_id)]
        if before[0] is None:
            audit(db, None, f"officer:{officer.name}", "bind", msg.chat.chat_id)
        elif before != (officer.station_id, officer.id):
            previous = f"{before[0]}/officer {before[1]}"
            rebound = f"{msg.chat.chat_id}: {previous} -> {officer.station_id}/officer {officer.id}"
            audit(db, None, f"officer:{officer.name}", "rebind", rebound)
        station = services.station_details(officer.station_id)
        bound = render(
            "bind_ok.j2",
            station=station,
            officer=officer,
            platform=msg.chat.platform,
            bot_username=services.bot_usernames.get(msg.chat.platform, ""),
        )
        return [Outgoing(msg.chat, bound)]


def _claim(db: Session, group: Group, officer: Officer) -> bool:
    """Compare-and-set: the group becomes the officer's if it is unbound or already their
    station's, so two stations binding at once cannot both win."""
    claimed = db.connection().execute(
        update(Group)
        .where(
            col(Group.id) == group.id,
            or_(col(Group.station_id).is_(None), col(Group.station_id) == officer.station_id),
        )
        .values(station_id=officer.station_id, officer_id=officer.id, active=True)
    )
    return claimed.rowcount == 1
