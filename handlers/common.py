"""Small helpers shared by handlers."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.db import Escalation, Group
from bot.events import ChatRef


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
