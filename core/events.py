"""Platform-neutral events and outgoing messages.

Adapters translate platform updates into these frozen dataclasses and send ``Outgoing``
values back; nothing outside ``bot/adapters`` ever sees a Telegram or WeChat object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Platform = Literal["telegram", "wechat", "console"]
MediaKind = Literal["photo", "video", "file"]


@dataclass(frozen=True, slots=True)
class ChatRef:
    platform: Platform
    chat_id: str


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    chat: ChatRef
    sender_id: str
    sender_name: str
    text: str
    message_id: str
    is_group: bool
    addressed: bool  # @mention, reply to the bot, or private chat
    received_at: datetime  # timezone-aware
    sender_is_bot: bool = False
    chat_title: str = ""
    reply_to_message_id: str | None = None  # QUOTED_BOT: a reply to the bot, id unknown
    # A picture posted with (or as) the message: the platform's reference to it, fetched
    # through ``core.ports.PictureSource`` when the guard reads it. Never the picture
    # itself: events are kept in the update ledger, pictures nowhere.
    picture_id: str = ""
    # A video sent to the bot in private (an officer's alert to push): the platform's
    # reference to it, never the video.
    video_id: str = ""


# A reply to one of the bot's messages on a platform that does not say which one (WeChat
# flattens a quote into text and keeps no message id).
QUOTED_BOT = "quoted-bot"


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """An inline button pressed (Telegram) or its text-command equivalent."""

    chat: ChatRef  # the private chat the card lives in
    sender_id: str
    sender_name: str
    data: str  # e.g. "t:approve:12": carries the ticket id, never process state
    message_id: str  # the card's message id, so it can be edited
    received_at: datetime
    callback_id: str = ""


@dataclass(frozen=True, slots=True)
class BotAddedToGroup:
    chat: ChatRef
    title: str
    added_by_id: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class BotRemovedFromGroup:
    chat: ChatRef
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ChatMigrated:
    old: ChatRef
    new: ChatRef
    received_at: datetime


@dataclass(frozen=True, slots=True)
class MembersJoined:
    """People (not the bot) joined a group: Telegram ``new_chat_members``, WeChat room-join."""

    chat: ChatRef
    names: tuple[str, ...]
    received_at: datetime


Event = (
    IncomingMessage
    | ButtonPress
    | BotAddedToGroup
    | BotRemovedFromGroup
    | ChatMigrated
    | MembersJoined
)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A picture, video or file kept in the media store (``broadcasts.media``), checked
    against every platform's limits when it was saved. Never the bytes: adapters read
    ``path`` when they upload, and Telegram reuses the ``file_id`` it got the first time."""

    kind: MediaKind
    sha256: str  # the content's hash, also its name in the store
    mime: str
    size: int  # bytes
    filename: str  # as the officer or admin gave it
    path: str  # where the content is stored


@dataclass(frozen=True, slots=True)
class Outgoing:
    """Something to send. ``edit_message_id`` turns a send into an edit of that message."""

    chat: ChatRef
    text: str
    reply_to: str | None = None
    mention_id: str | None = None  # WeChat @mentions the resident instead of replying
    mention_name: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)
    edit_message_id: str | None = None
    tag: str | None = None  # e.g. "card:12": lets the sender record where a card landed
    # Delete that message instead of sending (a scam lure, where the bot is admin); text unused.
    delete_message_id: str | None = None
    image_png: bytes | None = None  # a picture (a report's chart); the text is its caption
    # Spans of ``text`` (start, end) quoting a resident: shown as a block apart from the
    # bot's own words (see core/safetext.py).
    quotes: tuple[tuple[int, int], ...] = ()
    # One picture, video or file sent with ``text`` as its caption (a broadcast, an alert):
    # one message, one delivery.
    media: MediaRef | None = None


@dataclass(frozen=True, slots=True)
class SentRef:
    chat: ChatRef
    message_id: str


_EVENT_TYPES: dict[str, type[Event]] = {
    kind.__name__: kind
    for kind in (IncomingMessage, ButtonPress, BotAddedToGroup, BotRemovedFromGroup, ChatMigrated)
}


def event_to_json(event: Event) -> str:
    """The event as JSON, to be read back by ``event_from_json`` (the update ledger keeps
    an event this way until it is handled, so another process can handle it again)."""

    def plain(value: object) -> object:
        if isinstance(value, ChatRef):
            return {"platform": value.platform, "chat_id": value.chat_id}
        if isinstance(value, datetime):
            return value.isoformat()
        return value

    fields = {name: plain(getattr(event, name)) for name in event.__dataclass_fields__}
    return json.dumps({"type": type(event).__name__, **fields}, ensure_ascii=False)


def event_from_json(text: str) -> Event:
    data = json.loads(text)
    kind = _EVENT_TYPES[data.pop("type")]
    for name, declared in kind.__annotations__.items():
        value = data.get(name)
        if declared == "ChatRef":
            data[name] = ChatRef(value["platform"], value["chat_id"])
        elif declared == "datetime":
            data[name] = datetime.fromisoformat(value)
    return kind(**data)
