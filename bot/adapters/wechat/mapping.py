"""WeChat's pure half, unit-tested without a gateway.

A ``WechatMessage`` (plain values read from the gateway) becomes an ``IncomingMessage``;
room joins/leaves of the bot become ``BotAddedToGroup``/``BotRemovedFromGroup``; an
``Outgoing`` becomes text plus a mention list (WeChat has no buttons: they become text
commands). Nothing here talks to the gateway or needs a client object.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from bot.inbound import clean_event, clean_name
from core import safetext
from core.events import (
    QUOTED_BOT,
    BotAddedToGroup,
    BotRemovedFromGroup,
    Button,
    ChatRef,
    IncomingMessage,
    Outgoing,
)

PLATFORM: Final = "wechat"
MENTION_END: Final = "\u2005"  # WeChat ends an @mention with a four-per-em space
TEXT_MESSAGE_TYPE: Final = 7  # wechaty-puppet's MessageType.Text, as the gateway sends it
IMAGE_MESSAGE_TYPE: Final = 6  # ... and its MessageType.Image
# How puppets render a quoted reply (引用): 「name：quoted」, a dashed line, then the reply.
QUOTE_SEPARATOR: Final = "- - - - - - - - - - - - - - -"
_QUOTE = re.compile(
    r"^「(?P<name>[^：:\n]*)[：:](?P<quoted>.*?)」\s*\n"
    + re.escape(QUOTE_SEPARATOR)
    + r"\n(?P<reply>.*)$",
    re.S,
)
_AFTER_MENTION = " ,，:：、"
# A name ends at the mention space, any space, punctuation or the end ("@警民助手，请问").
_MENTION_BOUNDARY = r"(?=[\u2005\s,，:：、.。!！?？]|$)[\u2005 ]?"
_SPACES = re.compile(r"[ \t\u2005\u3000]+")
_TRAILING_ID = re.compile(r"(\d+)$")


class WechatSetupError(Exception):
    """The adapter cannot start; the message tells the admin what to fix (never the token)."""


# --------------------------------------------------------------------------------------
# Gateway values -> events (pure)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the bot is in WeChat: its contact id and the names residents @ it by."""

    self_id: str
    names: tuple[str, ...] = ()  # the account's name and its nickname in the room


@dataclass(frozen=True, slots=True)
class WechatMessage:
    """One message as read from the gateway, in plain values."""

    message_id: str
    talker_id: str
    talker_name: str  # group nickname in a room if set, else the account name
    text: str
    room_id: str = ""  # "" in a private chat
    room_topic: str = ""
    mention_ids: tuple[str, ...] = ()
    timestamp: float = 0.0  # since the epoch; puppets send seconds or milliseconds
    is_text: bool = True
    is_picture: bool = False  # a picture: the guard reads a room's (by message id); one
    # sent in private may be an officer's alert to push


def to_event(msg: WechatMessage, *, me: Identity, now: datetime) -> IncomingMessage | None:
    """Map one gateway message to an ``IncomingMessage``; None for what we ignore.

    Ignored: the bot's own messages (WeChat echoes them) and anything that is not text.
    In a room the bot is addressed by an @mention (the gateway's mention list, or "@name"
    in the text: not every puppet fills the list) or by quoting one of its messages; a
    private chat is always addressed.
    """
    picture = msg.is_picture  # in a room for the guard; in private, an officer's push
    if not (msg.is_text or picture) or not msg.talker_id or msg.talker_id == me.self_id:
        return None
    quoted_name, text = split_quote(msg.text)
    replied_to_bot = quoted_name is not None and quoted_name in me.names
    named, text = strip_mentions(text, me.names)
    is_group = bool(msg.room_id)
    mentioned = me.self_id in msg.mention_ids or named
    message = IncomingMessage(
        chat=ChatRef(PLATFORM, msg.room_id or msg.talker_id),
        sender_id=msg.talker_id,
        sender_name=msg.talker_name or msg.talker_id,
        text=text,
        message_id=msg.message_id,
        is_group=is_group,
        addressed=not is_group or mentioned or replied_to_bot,
        received_at=timestamp_to_datetime(msg.timestamp, now),
        chat_title=msg.room_topic if is_group else "",
        picture_id=msg.message_id if picture else "",
        reply_to_message_id=QUOTED_BOT if replied_to_bot else None,
    )
    return clean_event(message)


def split_quote(text: str) -> tuple[str | None, str]:
    """(quoted sender's name, the reply) for a quoted reply; (None, text) otherwise.

    Puppets flatten WeChat's quote (引用) into text and keep no id of the quoted message,
    so the quoted sender's name is all there is to tell a reply to the bot.
    """
    match = _QUOTE.match(text)
    if match is None:
        return None, text
    return match.group("name").strip(), match.group("reply")


def strip_mentions(text: str, names: Iterable[str]) -> tuple[bool, str]:
    """Whether the text @mentions one of ``names``, and the text without those mentions.

    "@警民助手\u2005今晚停水吗" -> (True, "今晚停水吗"). Longer names go first, so a bot
    called "警民助手" is not cut out of "@警民助手小王". Other residents' @mentions stay.
    """
    found = False
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        pattern = re.compile("@" + re.escape(name) + _MENTION_BOUNDARY)
        text, count = pattern.subn(" ", text)
        found = found or count > 0
    if not found:
        return False, _tidy(text)
    return True, _tidy(text).lstrip(_AFTER_MENTION)


def _tidy(text: str) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line) if len(lines) > 1 else "".join(lines)


def timestamp_to_datetime(timestamp: float, now: datetime) -> datetime:
    """A gateway timestamp (seconds or milliseconds) as an aware datetime; ``now`` if none."""
    if timestamp <= 0:
        return now
    if timestamp > 10_000_000_000:  # later than 2286 in seconds: it is milliseconds
        timestamp /= 1000
    return datetime.fromtimestamp(timestamp, UTC)


def room_join_event(
    *,
    room_id: str,
    topic: str,
    invitee_ids: Sequence[str],
    inviter_id: str,
    timestamp: float,
    me: Identity,
    now: datetime,
) -> BotAddedToGroup | None:
    """The bot was added to a room; None when others joined."""
    if me.self_id not in invitee_ids:
        return None
    return BotAddedToGroup(
        chat=ChatRef(PLATFORM, room_id),
        title=clean_name(topic),
        added_by_id=inviter_id,
        received_at=timestamp_to_datetime(timestamp, now),
    )


def room_leave_event(
    *, room_id: str, removed_ids: Sequence[str], timestamp: float, me: Identity, now: datetime
) -> BotRemovedFromGroup | None:
    """The bot was removed from (or left) a room; None when others left."""
    if me.self_id not in removed_ids:
        return None
    return BotRemovedFromGroup(
        chat=ChatRef(PLATFORM, room_id), received_at=timestamp_to_datetime(timestamp, now)
    )


# --------------------------------------------------------------------------------------
# Outgoing -> text (pure)

ButtonCommand = Callable[[Button], str]


def default_button_command(button: Button) -> str:
    """The text command a button stands for: its label, then the id its data ends with.

    Button("批准", "t:approve:12") -> "批准 12"; Button("加入FAQ ✓", "t:faq:12") -> "加入FAQ 12".
    """
    words = button.label.split()
    label = words[0] if words else button.label
    match = _TRAILING_ID.search(button.data)
    return f"{label} {match.group(1)}" if match else label


def outgoing_text(out: Outgoing, button_command: ButtonCommand = default_button_command) -> str:
    """The text to send: WeChat has no buttons, so each becomes a text command to reply with.

    Commands the text already shows (an officer card lists its own) are not repeated.
    WeChat has no quote blocks: a resident's quoted words have every line prefixed.
    """
    text = safetext.with_prefixed_quotes(out.text, out.quotes)
    commands: list[str] = []
    for row in out.buttons:
        for button in row:
            command = button_command(button).strip()
            if command and command not in text and command not in commands:
                commands.append(command)
    if not commands:
        return text
    return f"{text}\n回复：{' ｜ '.join(commands)}"


def mention_text(name: str, text: str) -> str:
    """How WeChat writes an @mention: "@name", a four-per-em space, then the text."""
    return f"@{name}{MENTION_END}{text}"


def is_room_id(chat_id: str) -> bool:
    """WeChat room ids end with "@chatroom"; WeCom (企业微信) rooms start with "R:"."""
    return chat_id.endswith("@chatroom") or chat_id.startswith("R:")


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """("127.0.0.1", 8788) from "127.0.0.1:8788"; WechatSetupError without host and port."""
    value = endpoint.strip()
    parts = urlsplit(value if "//" in value else f"//{value}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None or parts.path not in ("", "/"):
        raise WechatSetupError(
            f"[wechat] endpoint must be host:port of the Wechaty gateway, such as "
            f"127.0.0.1:8788; got {endpoint!r}"
        )
    return parts.hostname, port


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0
