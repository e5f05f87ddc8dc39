"""Small helpers shared by handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core import safetext
from core.config import StationSettings
from core.db import Group, in_chunks, insert_once, session
from core.events import Button, ChatRef, Outgoing
from faq.knowledge import FaqTopic, topic_answer
from handlers.services import GroupCache, GroupInfo, HasClock, HasEngine, HasGroups, HasStations
from officers.directory import find_group


class Needs(HasEngine, HasClock, HasGroups, Protocol):
    """What ``refresh_group_cache`` uses of ``Services`` (``default_station`` needs only
    ``HasStations``)."""


def reply_to_resident(
    chat: ChatRef,
    message_id: str,
    resident_id: str,
    resident_name: str,
    text: str,
    buttons: tuple[tuple[Button, ...], ...] = (),
    tag: str | None = None,
) -> Outgoing:
    """A reply to a resident's message, naming them (WeChat @-mentions: it has no replies)."""
    return Outgoing(
        chat,
        text,
        reply_to=message_id,
        mention_id=resident_id,
        mention_name=safetext.name(resident_name),
        buttons=buttons,
        tag=tag,
    )


# Rendering an answer in the sandbox costs ~0.02 ms and gives the same text every time for
# the same topic and station (both frozen; a reloaded topic is a new key).
@lru_cache(maxsize=1024)
def station_answer(topic: FaqTopic, station: StationSettings) -> str:
    """``topic``'s answer for a group of ``station``, rendered with its details."""
    return topic_answer(topic, station.model_dump())


def default_station(services: HasStations) -> str | None:
    """The station of groups not bound yet: the one the bot answers there with."""
    station = services.station_details(None)
    return station.id if station else None


def ensure_group(session: Session, chat: ChatRef, title: str = "") -> Group:
    """The chat's group row, added if it is new (a worker adding it at the same moment
    leaves one row: INSERT … ON CONFLICT DO NOTHING), its title kept current."""
    group = find_group(session, chat)
    if group is None:
        row = Group(platform=chat.platform, chat_id=chat.chat_id, title=title)
        session.connection().execute(
            insert_once(session, Group).values(row.model_dump(exclude={"id"}))
        )
        group = find_group(session, chat)
        assert group is not None
    elif title and group.title != title:
        group.title = title
        session.add(group)
    return group


def group_info(
    session: Session, cache: GroupCache, chat: ChatRef, title: str, now: datetime
) -> GroupInfo:
    """The group a message came from, from the cache when it is fresh."""
    info = cache.get(chat.platform, chat.chat_id, now)
    if info is None or (title and info.title != title):
        info = _info(ensure_group(session, chat, title))
        cache.put(chat.platform, chat.chat_id, info, now)
    return info


def _info(group: Group) -> GroupInfo:
    assert group.id is not None
    return GroupInfo(group.id, group.station_id, group.officer_id, group.title)


def read_groups(engine: Engine, ids: Iterable[int]) -> dict[int, GroupInfo]:
    """The groups with these ids, as the cache keeps them (a query per 500)."""
    found: dict[int, GroupInfo] = {}
    with session(engine) as db:
        for chunk in in_chunks(sorted(set(ids))):
            for group in db.exec(select(Group).where(col(Group.id).in_(chunk))):
                info = _info(group)
                found[info.id] = info
    return found


async def refresh_group_cache(services: Needs) -> None:
    """Read the cache's stale groups again, on a thread: the event loop keeps answering."""
    now = services.clock.now()
    stale = services.groups.stale(now)
    if stale:
        ids = [info.id for info, _ in stale.values()]
        fresh = await asyncio.to_thread(read_groups, services.engine, ids)
        services.groups.renew(stale, fresh, now)
