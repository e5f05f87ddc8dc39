"""Take each platform update once: Telegram may hand an update over again after a crash."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from bot.db import SeenUpdate, session
from bot.events import ButtonPress, Event, IncomingMessage


def first_time(engine: Engine, event: Event) -> bool:
    """Records the event; False if it was recorded before (then it must not be handled).

    The row is committed before the handler runs: after a crash mid-handling the message
    is skipped rather than answered twice (at most once, as a group expects of a bot).
    """
    if isinstance(event, IncomingMessage):
        key = (event.chat.platform, event.chat.chat_id, event.message_id)
    elif isinstance(event, ButtonPress) and event.callback_id:
        key = (event.chat.platform, "callback", event.callback_id)
    else:
        return True
    with session(engine) as db:
        db.add(SeenUpdate(platform=key[0], chat_id=key[1], message_id=key[2]))
        try:
            db.commit()
        except IntegrityError:
            return False
    return True
