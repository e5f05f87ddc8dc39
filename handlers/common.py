"""Small helpers shared by handlers."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.db import Escalation, Group
from bot.events import ChatRef
from bot.services import GroupCache, GroupInfo


def find_group(session: Session, chat: ChatRef) -> Group | None:
    return session.exec(
        select(Group).where(Group.platform == chat.platform, Group.chat_id == chat.chat_id)
    ).first()


def ensure_group(session: Session, chat: ChatRef, title: str = "") -> Group:
    group = find_group(session, chat)
    if group is None:
        group = Group(platform=chat.platform, chat_id=chat.chat_id, title=title)
        session.add(group)
        session.commit()
    elif title and group.title != title:
        group.title = title
        session.add(group)
        session.commit()
    return group


def find_group_title(session: Session, ticket: Escalation) -> str:
    group = find_group(session, ChatRef(ticket.platform, ticket.chat_id))  # type: ignore[arg-type]
    return group.title if group and group.title else ticket.chat_id


def group_info(
    session: Session, cache: GroupCache, chat: ChatRef, title: str, now: datetime
) -> GroupInfo:
    """The group a message came from, from the cache when it is fresh."""
    info = cache.get(chat.platform, chat.chat_id, now)
    if info is None or (title and info.title != title):
        group = ensure_group(session, chat, title)
        assert group.id is not None
        info = GroupInfo(group.id, group.station_id, group.officer_id, group.title)
        cache.put(chat.platform, chat.chat_id, info, now)
    return info
