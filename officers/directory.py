"""Who the officers are and where to reach them (tickets, pushes and broadcasts ask here)."""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session, col, select

from core.db import Escalation, Group, Officer
from core.events import ChatRef


def officer_by_platform_id(session: Session, platform: str, sender_id: str) -> Officer | None:
    column = {
        "telegram": Officer.telegram_id,
        "wechat": Officer.wechat_id,
        "console": Officer.name,  # the console demo has no ids: officers sign in by name
    }.get(platform)
    if column is None:
        return None
    # An officer removed in the console is no officer to the bot any more.
    return session.exec(select(Officer).where(column == sender_id, col(Officer.active))).first()


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


def station_officers(session: Session, station_id: str | None) -> list[Officer]:
    """The station's officers, duty officers first."""
    if station_id is None:
        return []
    query = select(Officer).where(Officer.station_id == station_id, col(Officer.active))
    return sorted(session.exec(query.order_by(col(Officer.id))).all(), key=lambda o: not o.duty)


def duty_officer(session: Session, station_id: str | None) -> Officer | None:
    return next((o for o in station_officers(session, station_id) if o.duty), None)


def officer_chat(officer: Officer, platform: str) -> ChatRef | None:
    """Where to reach the officer: on the ticket's platform, else wherever they can be."""
    return private_chat(officer, platform) or first_private_chat(officer, ("telegram", "wechat"))


def find_group(session: Session, chat: ChatRef) -> Group | None:
    return session.exec(
        select(Group).where(Group.platform == chat.platform, Group.chat_id == chat.chat_id)
    ).first()


def find_group_title(session: Session, ticket: Escalation) -> str:
    group = find_group(session, ChatRef(ticket.platform, ticket.chat_id))  # type: ignore[arg-type]
    return group.title if group and group.title else ticket.chat_id


def officer_for(
    session: Session, group: Group | None, default_station: str | None
) -> Officer | None:
    """Who answers for a chat: the group's officer, else the duty officer of the group's
    station (of ``default_station`` for an unbound group or a private chat)."""
    if group is not None and group.officer_id is not None:
        return session.get(Officer, group.officer_id)
    return duty_officer(session, group.station_id if group else default_station)
