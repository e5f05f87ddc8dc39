"""New members are welcomed with the group's rules and what the bot can do.

Off until the group's officer turns it on (/welcome on, WeChat 欢迎 开). The welcome is an
outbox row due ``welcome_batch_seconds`` after the first join it greets: people joining
before it goes out are added to it (one message for a batch of joins), and the next one is
written only once it has left, due as long after, so a group gets at most one welcome per
that many minutes however many join.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Protocol

from sqlalchemy import update
from sqlmodel import Session, col, select

from core import safetext
from core.db import Group, GroupWelcome, OutboxMessage
from core.events import IncomingMessage, MembersJoined, Outgoing
from core.states import OutboxState
from core.templates import render
from core.unit import event_session
from handlers.common import ensure_group
from handlers.services import HasClock, HasEngine, HasSettings
from infra import outbox
from officers.directory import find_group, officer_by_platform_id
from tickets.service import audit


class Needs(HasSettings, HasEngine, HasClock, Protocol):
    """What group settings and welcomes use of ``Services``."""


WELCOME_KIND = "welcome"
RULES_LIMIT = 500
NAMES_SHOWN = 10
RULES_COMMAND = re.compile(r"^\s*(?:/rules|群规)(?:\s+(?P<rules>.+))?$", re.S | re.I)
WELCOME_SWITCH = re.compile(r"^\s*(?:/welcome|欢迎)\s*(?P<state>on|off|开启|关闭|开|关)\s*$", re.I)
SWITCHED_ON = ("on", "开", "开启")


def is_group_setting(event: object) -> bool:
    return (
        isinstance(event, IncomingMessage)
        and event.is_group
        and (RULES_COMMAND.match(event.text) or WELCOME_SWITCH.match(event.text)) is not None
    )


def _settings(db: Session, group: Group) -> GroupWelcome:
    assert group.id is not None
    found = db.exec(
        select(GroupWelcome).where(GroupWelcome.group_id == group.id).with_for_update()
    ).first()
    return found or GroupWelcome(group_id=group.id)


async def on_group_setting(services: Needs, msg: IncomingMessage) -> list[Outgoing] | None:
    """群规 …, /rules …: the officer sets the rules; 群规 alone shows them to anyone.
    /welcome on|off, 欢迎 开|关: the officer switches the welcome. Others' words: None."""
    rules = RULES_COMMAND.match(msg.text)
    now = services.clock.now()
    with event_session(services.engine) as db:
        officer = officer_by_platform_id(db, msg.chat.platform, msg.sender_id)
        group = ensure_group(db, msg.chat, msg.chat_title)
        settings = _settings(db, group)
        if rules is not None and rules["rules"] is None:
            text = render("rules.j2", rules=settings.rules)
            return [Outgoing(msg.chat, text, reply_to=msg.message_id)]
        if officer is None:
            return None  # a resident's "欢迎 开…" or "群规 是什么": an ordinary message
        if group.station_id not in (None, officer.station_id):
            return [Outgoing(msg.chat, render("welcome_forbidden.j2"), reply_to=msg.message_id)]
        if rules is not None:
            settings.rules = safetext.clean(rules["rules"], newlines=True)[:RULES_LIMIT]
            done = render("rules_set.j2", rules=settings.rules, enabled=settings.enabled)
            audit(db, None, f"officer:{officer.name}", "rules", msg.chat.chat_id)
        else:
            switch = WELCOME_SWITCH.match(msg.text)
            assert switch is not None
            settings.enabled = switch["state"].lower() in SWITCHED_ON
            done = render("welcome_switched.j2", enabled=settings.enabled, rules=settings.rules)
            audit(db, None, f"officer:{officer.name}", "welcome", str(settings.enabled))
        settings.updated_at = now
        db.add(settings)
        return [Outgoing(msg.chat, done, reply_to=msg.message_id)]


async def on_members_joined(services: Needs, event: MembersJoined) -> list[Outgoing]:
    """Adds the names to the welcome waiting to go out, or writes one due at the end of
    the batch. Nothing is sent now: the outbox sends it when it is due."""
    joined = [name for name in event.names if name]
    now = services.clock.now()
    batch = timedelta(seconds=services.settings.behaviour.welcome_batch_seconds)
    with event_session(services.engine) as db:
        group = find_group(db, event.chat)
        if group is None or not joined:
            return []
        settings = _settings(db, group)
        if not settings.enabled:
            return []
        waiting = json.loads(settings.pending_names_json)
        if settings.pending_outbox_id is not None:
            names = waiting + [name for name in joined if name not in waiting]
            added = db.connection().execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == settings.pending_outbox_id,
                    col(OutboxMessage.state) == OutboxState.PENDING,
                )
                .values(text=_welcome(names, settings.rules), updated_at=now)
            )
            if added.rowcount == 1:  # still waiting: these names join it
                return _keep(db, settings, names)
        row = outbox.enqueue(
            db, Outgoing(event.chat, _welcome(joined, settings.rules)), WELCOME_KIND, now
        )
        row.next_try_at = now + batch
        db.flush()
        settings.pending_outbox_id = row.id
        return _keep(db, settings, joined)


def _keep(db: Session, settings: GroupWelcome, names: list[str]) -> list[Outgoing]:
    settings.pending_names_json = json.dumps(names, ensure_ascii=False)
    db.add(settings)
    return []


def _welcome(names: list[str], rules: str) -> str:
    shown = [safetext.name(name) for name in names[:NAMES_SHOWN]]
    return render("welcome.j2", names=shown, more=len(names) - len(shown), rules=rules)
