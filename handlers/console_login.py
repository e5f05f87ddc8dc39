"""/login (WeChat: 登录) in the private chat: a one-time link to the web console."""

from __future__ import annotations

from typing import Protocol

from core.events import IncomingMessage, Outgoing
from core.templates import render
from core.unit import event_session
from handlers.services import HasClock, HasEngine, HasSettings
from officers.directory import officer_by_platform_id
from officers.signin import issue_link


class Needs(HasSettings, HasEngine, HasClock, Protocol):
    """What issuing a console sign-in link uses of ``Services``."""


COMMANDS = ("/login", "登录")


def is_login_command(event: object) -> bool:
    return (
        isinstance(event, IncomingMessage)
        and not event.is_group
        and event.text.strip().lower() in COMMANDS
    )


async def on_login(services: Needs, msg: IncomingMessage) -> list[Outgoing] | None:
    """An officer gets a link valid for ``[web] login_link_minutes``; anyone else is not
    answered here (the next handler treats it as any private message)."""
    web = services.settings.web
    with event_session(services.engine) as db:
        officer = officer_by_platform_id(db, msg.chat.platform, msg.sender_id)
        if officer is None:
            return None
        token = issue_link(db, officer, services.clock.now(), web.login_link_minutes)
    link = f"{web.base_url}/login?t={token}"
    return [
        Outgoing(msg.chat, render("console_login.j2", link=link, minutes=web.login_link_minutes))
    ]
