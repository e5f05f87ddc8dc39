"""The WeChat edge: a Wechaty puppet-service gateway behind the platform-neutral ``ChatAdapter``.

WeChat has no bot API. A *gateway* — a Node Wechaty puppet service that the admin runs
beside the bot — holds the logged-in WeChat account and speaks gRPC; this adapter is its
client, on python-wechaty's puppet-service client (``wechaty-puppet-service`` 0.8.10, the
release python-wechaty 0.10.7 uses).

Two halves, as in ``telegram.py``:

- Pure mapping, unit-tested without a gateway: a ``WechatMessage`` (plain values read from
  the gateway) becomes an ``IncomingMessage``; room joins/leaves of the bot become
  ``BotAddedToGroup``/``BotRemovedFromGroup``; an ``Outgoing`` becomes text plus a mention
  list (WeChat has no buttons: they become text commands).
- ``WechatAdapter``: connects, waits until the account is logged in and ready, reads the
  gateway's event stream into one ordered queue, sends, and when the gateway goes away or
  the account logs out it reconnects with capped exponential backoff and tells
  ``on_connection_change`` (so the admin can be alerted on Telegram).

python-wechaty 0.10.7 is unmaintained; what we learned about it, and what this module does
about it (every workaround lives here):

1. ``import wechaty`` (the ``Wechaty`` bot class) is never done. On Python >= 3.11 it fails
   at import unless ``PuppetOptions.__hash__ = object.__hash__`` runs first (its
   ``WechatyOptions`` dataclass has a shared ``PuppetOptions()`` instance as a default,
   which 3.11's dataclasses reject; that same shared default is why two bots in one
   process share their options). Importing it also creates ``./.wechaty/`` in the working
   directory, and the class brings behaviour a service must not have: ``Wechaty.start()``
   calls ``loop.stop()`` on a puppet error (an unreachable endpoint) and sleeps 60 s on a
   network error; on login it starts an APScheduler with a SQLite job store in
   ``./.wechaty/`` and refuses to log in when anything listens on 127.0.0.1:5000; it
   pickles contacts and rooms to disk. The adapter uses the puppet-service client
   directly, so none of that happens and the ``__hash__`` patch is not needed.
2. The endpoint is checked with a non-blocking TCP connect before a client is built:
   ``PuppetService`` itself pings it with a blocking telnet connect (up to 3 s with the
   event loop stalled) and, with no endpoint, asks a server on the internet for one.
3. ``PuppetService.start()`` never returns (it *is* the event stream) and first calls the
   gateway's ``stop``, which restarts the gateway's WeChat session on every connect (the
   mock puppet logs out). The adapter opens the event stream itself, as a task, then calls
   the gateway's ``start`` (a no-op on a running puppet), like the Node client does.
4. Every connection gets its own explicit ``PuppetOptions``.
5. ``PuppetService`` logs the token in a warning when given both endpoint and token, and
   wechaty's loggers write to stderr themselves at INFO; they are routed into our logging
   at WARNING with the token redacted, and the token is sent as gRPC ``authorization``
   metadata (plus the ``:authority`` header old gateways read).
6. Its message types are numbered differently from the gateway's; ``message_payload``
   remaps them through a list that raises ``IndexError`` for newer types, so the raw stub
   is used for messages (text is 7 on the wire).
7. Its calls have no timeout: every call here has one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import re
import time
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

from grpclib.client import Channel
from grpclib.const import Cardinality, Status
from grpclib.exceptions import GRPCError, StreamTerminatedError
from wechaty_grpc.wechaty import PuppetStub
from wechaty_grpc.wechaty.puppet import (
    EventType,
    FileBoxChunk,
    ImageType,
    MessageImageStreamRequest,
    MessageImageStreamResponse,
    MessageSendFileStreamRequest,
    MessageSendFileStreamResponse,
)
from wechaty_puppet import PuppetOptions

with warnings.catch_warnings():
    # wechaty-puppet-service imports telnetlib (deprecated in 3.11, removed in 3.13: the
    # `wechat` extra installs the standard-telnetlib backport there).
    warnings.simplefilter("ignore", DeprecationWarning)
    from wechaty_puppet_service import PuppetService

from bot.inbound import clean_event, clean_name
from bot.observability import adopt_library_loggers, register_secret
from core import safetext
from core.config import WECHAT_TOKEN_ENV
from core.events import (
    QUOTED_BOT,
    BotAddedToGroup,
    BotRemovedFromGroup,
    Button,
    ChatRef,
    Event,
    IncomingMessage,
    MediaRef,
    MembersJoined,
    Outgoing,
    SentRef,
)
from core.ports import (
    AccountRestricted,
    ChatGone,
    Clock,
    EventSink,
    RetryLater,
    SendError,
    SystemClock,
)

adopt_library_loggers()  # wechaty's loggers print to stderr past the privacy filter otherwise
log = logging.getLogger(__name__)

PLATFORM: Final = "wechat"
MENTION_END: Final = "\u2005"  # WeChat ends an @mention with a four-per-em space
TEXT_MESSAGE_TYPE: Final = 7  # wechaty-puppet's MessageType.Text, as the gateway sends it
IMAGE_MESSAGE_TYPE: Final = 6  # ... and its MessageType.Image
PICTURE_BYTES: Final = 5_000_000  # a larger group picture is not fetched for the guard
FILE_CHUNK: Final = 512 * 1024  # a file is streamed in gRPC messages of this size (< 4 MB)
UPLOAD_BYTES_PER_SECOND: Final = 1_000_000  # the slowest transfer a file's timeout allows for
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
# What gateways answer when WeChat restricts the account itself rather than one chat
# (wechaty#412 "发送消息过于频繁", python-wechaty#133, puppet-supports#608).
_RESTRICTED = re.compile(
    r"频繁|封号|封禁|账号.{0,6}(限制|异常)|限制.{0,4}(发送|登录)|too frequent|"
    r"rate.?limit|account.{0,20}(banned|restricted|blocked|suspended)",
    re.I,
)
# wechaty's own loggers (wechaty_puppet.get_logger names); see workaround 5.
_WECHATY_LOGGERS = (
    "PuppetService",
    "WechatyPuppetServiceConfig",
    "WechatyPuppet",
    "WechatyPuppet.Schema",
    "WechatyPuppet.Schema.Base",
    "WechatyPuppet.Schemas",
    "WechatyPuppet.Schemas.Event",
    "FileBox",
)

T = TypeVar("T")


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


class _PictureTooLarge(Exception):
    """A picture being streamed passed ``PICTURE_BYTES``: the stream is dropped."""


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


# --------------------------------------------------------------------------------------
# The adapter

ConnectionListener = Callable[[bool, str], Awaitable[object]]
# Told the account's rooms (id, topic) each time it logs in (several accounts: infra.accounts).
RoomsListener = Callable[[list[tuple[str, str]]], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class WechatOptions:
    """Timing of the gateway connection; tests shrink these to keep suites fast."""

    connect_timeout: float = 5.0  # TCP check, and the gateway's first event on the stream
    call_timeout: float = 15.0  # every gRPC call
    login_timeout: float = 120.0  # start() waits this long for a logged-in, ready account
    ready_grace: float = 10.0  # logged in without `ready` this long counts as ready
    backoff_initial: float = 1.0  # first reconnect delay; doubles up to backoff_max
    backoff_max: float = 60.0
    ping_interval: float = 30.0  # ding the gateway when it has been silent this long
    ping_timeout: float = 10.0  # no event this long after a ding: reconnect
    cache_seconds: float = 300.0  # names and room topics
    resolve_attempts: int = 3  # connections an event may outlive before it is dropped
    # A message announced before the gateway can give its payload ("no payload found", as
    # from a gateway still syncing after a restart) is read again after this, doubling up
    # to payload_retry_max (short: the resident waits for the answer), this many times
    # (about 25 s in all); then it is logged lost.
    payload_retry_initial: float = 0.5
    payload_retry_max: float = 3.0
    payload_attempts: int = 10
    drain_seconds: float = 2.0  # stop() lets queued events finish this long


class _ConnectionLost(Exception):
    """This connection to the gateway is over; the supervisor reconnects."""


class _TtlCache:
    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._items: dict[tuple[str, ...], tuple[float, str]] = {}

    def get(self, key: tuple[str, ...]) -> str | None:
        item = self._items.get(key)
        if item is None or item[0] < time.monotonic():
            return None
        return item[1]

    def put(self, key: tuple[str, ...], value: str) -> None:
        self._items[key] = (time.monotonic() + self._seconds, value)

    def drop(self, predicate: Callable[[tuple[str, ...]], bool]) -> None:
        for key in [k for k in self._items if predicate(k)]:
            del self._items[key]


@dataclass
class _Connection:
    """One gRPC connection to the gateway and what it has told us so far."""

    puppet: Any  # wechaty_puppet_service.PuppetService
    stub: Any  # wechaty_grpc PuppetStub with our authorization metadata
    channel: Channel
    last_event: float = field(default_factory=time.monotonic)
    first_event: asyncio.Event = field(default_factory=asyncio.Event)
    logged_in: asyncio.Event = field(default_factory=asyncio.Event)
    logged_out: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    self_id: str = ""


@dataclass(frozen=True, slots=True)
class _RawEvent:
    kind: int  # EventType
    payload: dict[str, Any]


class WechatAdapter:
    """``ChatAdapter`` for WeChat through a Wechaty puppet-service gateway."""

    platform = PLATFORM

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        *,
        options: WechatOptions | None = None,
        clock: Clock | None = None,
        on_connection_change: ConnectionListener | None = None,
        button_command: ButtonCommand = default_button_command,
        token_env: str = WECHAT_TOKEN_ENV,
        on_rooms: RoomsListener | None = None,
        rest_seconds: float | None = None,
    ) -> None:
        """``on_rooms`` and ``rest_seconds`` are for one of several accounts: its room
        list is read on every login, and a restriction of the account ("操作过于频繁", a
        ban, a logout) is raised as ``AccountRestricted`` (rest that long) instead of a
        plain send error, so its rooms can move to their spare account."""
        token = (token or "").strip()
        self.token_env = token_env  # where the token came from, for messages
        if not token:
            raise WechatSetupError(
                f"{token_env} is not set; put the token of your Wechaty gateway "
                "(puppet service) in that environment variable (never in the config file)"
            )
        self.endpoint = endpoint.strip()
        self._host, self._port = parse_endpoint(self.endpoint)
        self._token = token
        self._options = options or WechatOptions()
        self._clock: Clock = clock or SystemClock()
        self.on_connection_change: ConnectionListener | None = on_connection_change
        self._button_command = button_command
        self.on_rooms = on_rooms
        self._rest_seconds = rest_seconds
        self._logged_out = False
        register_secret(token)  # the root log filter blanks it out of every record

        self._sink: EventSink | None = None
        self._queue: asyncio.Queue[_RawEvent] = asyncio.Queue()
        self._seen: OrderedDict[str, None] = OrderedDict()  # recent message ids
        self._names = _TtlCache(self._options.cache_seconds)
        self._topics = _TtlCache(self._options.cache_seconds)
        self._rooms: set[str] = set()  # room ids seen in events
        self._retrying: dict[str, asyncio.Task[None]] = {}  # message id -> payload retry
        self.lost_messages = 0  # announced, but the gateway never gave their payload

        self._conn: _Connection | None = None
        self._connected = asyncio.Event()  # logged in and ready
        self._changed = asyncio.Event()  # pulsed on every connection change, for start()
        self._supervisor: asyncio.Task[None] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._stopping = False
        self._fatal: WechatSetupError | None = None
        self._reached_ready = False
        self._last_problem = "not connected yet"
        self._next_attempt_at = 0.0
        self.self_id = ""
        self.self_name = ""

    # -- lifecycle ----------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Logged in and ready: events flow and sends go out."""
        return self._connected.is_set()

    async def start(self, on_event: EventSink) -> None:
        """Connect and return once the gateway's WeChat account is logged in and ready.

        Until then it keeps retrying (the gateway may still be starting); after
        ``login_timeout`` it gives up with a ``WechatSetupError`` saying what was wrong.
        A token the gateway refuses fails at once.
        """
        if self._supervisor is not None:
            raise RuntimeError("WechatAdapter is already started")
        self._guard_logs()
        self._sink = on_event
        self._stopping = False
        self._fatal = None
        self._consumer = asyncio.create_task(self._consume(), name="wechat-events")
        self._supervisor = asyncio.create_task(self._supervise(), name="wechat-connection")
        try:
            await self._wait_until_connected()
        except BaseException:  # including the caller cancelling start()
            await self.stop()
            raise
        log.info("wechat: connected to %s as %s (%s)", self.endpoint, self.self_name, self.self_id)

    async def _wait_until_connected(self) -> None:
        deadline = time.monotonic() + self._options.login_timeout
        while not self.connected:
            if self._fatal is not None:
                raise self._fatal
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WechatSetupError(
                    f"the WeChat gateway at {self.endpoint} was not ready within "
                    f"{self._options.login_timeout:.0f}s: {self._last_problem}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 1.0))

    async def stop(self) -> None:
        """Disconnect (the gateway and its WeChat session keep running)."""
        self._stopping = True
        consumer, supervisor = self._consumer, self._supervisor
        self._consumer = self._supervisor = None
        if consumer is not None and self.connected and not self._queue.empty():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout=self._options.drain_seconds)
        tasks = [task for task in (supervisor, consumer) if task is not None]
        tasks += self._retrying.values()
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: after a logout grpclib can sit on a dead stream and ignore the
            # cancellation for a long time; stopping the bot must not wait for it.
            _, stuck = await asyncio.wait(tasks, timeout=self._options.call_timeout)
            if stuck:
                log.warning("wechat: %d task(s) did not stop in time; left behind", len(stuck))
        self._close(self._conn)
        self._conn = None
        self._connected.clear()
        self._sink = None

    def _guard_logs(self) -> None:
        # Workaround 5: wechaty's loggers print on their own at INFO (including resident's
        # messages and, once, the token); send them through ours (the root handler, whose filter
        # redacts), quieter.
        for name in _WECHATY_LOGGERS:
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
            logger.setLevel(logging.WARNING)

    # -- connection supervision ---------------------------------------------------------

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stopping:
            self._reached_ready = False
            try:
                await self._run_connection()
                reason = "the gateway closed the event stream"
            except _ConnectionLost as exc:
                reason = str(exc)
            except WechatSetupError as exc:
                reason = str(exc)
                if not self.self_id:  # never connected: start() reports it
                    self._fatal = exc
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = _describe(exc)
                log.debug("wechat: connection failed", exc_info=True)
            finally:
                conn, self._conn = self._conn, None
                self._close(conn)
            self._last_problem = reason
            await self._set_connected(False, reason)
            if self._stopping or self._fatal is not None:
                self._changed.set()
                return
            attempt = 0 if self._reached_ready else attempt + 1
            delay = _backoff(attempt, self._options.backoff_initial, self._options.backoff_max)
            self._next_attempt_at = time.monotonic() + delay
            log.warning(
                "wechat: no connection to the gateway at %s (%s); retrying in %.1fs",
                self.endpoint,
                reason,
                delay,
            )
            self._changed.set()
            await asyncio.sleep(delay)

    async def _run_connection(self) -> None:
        """One connection, from the TCP check to its end."""
        await self._probe()
        conn = self._connect()
        self._conn = conn
        reader = asyncio.create_task(self._read_events(conn), name="wechat-stream")
        tasks = [reader]
        try:
            await self._await_first_event(conn, reader)
            # Workaround 3: the gateway's `start` (no-op when its puppet runs), never `stop`.
            await self._call(conn.stub.start())
            self._last_problem = (
                "the gateway's WeChat account is not logged in (scan the QR code it shows)"
            )
            tasks.append(asyncio.create_task(self._track_login(conn), name="wechat-login"))
            tasks.append(asyncio.create_task(self._watchdog(conn), name="wechat-watchdog"))
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raises what ended the connection
        except GRPCError as exc:
            raise self._grpc_setup_error(exc) from None
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _probe(self) -> None:
        # Workaround 2: a non-blocking reachability check before any client exists.
        try:
            _, writer = await asyncio.wait_for(
                asyncio.open_connection(self._host, self._port),
                timeout=self._options.connect_timeout,
            )
        except (OSError, TimeoutError) as exc:
            raise _ConnectionLost(f"cannot reach the gateway: {_describe(exc)}") from None
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    def _connect(self) -> _Connection:
        # Workaround 4: explicit options per connection; no token in them (workaround 5).
        with warnings.catch_warnings():
            # pyee 11 warns that AsyncIOEventEmitter moved; pyee 12 (which drops it) is pinned out.
            warnings.simplefilter("ignore", DeprecationWarning)
            puppet = PuppetService(PuppetOptions(end_point=self.endpoint))
        channel = Channel(host=self._host, port=self._port)
        # Gateways >= 0.30 read the token from `authorization`; older ones (and python-
        # wechaty itself) use the HTTP/2 `:authority` header, which 1.x still accepts.
        channel._authority = self._token
        stub = PuppetStub(channel, metadata={"authorization": f"Wechaty {self._token}"})
        # PuppetService's own setup (_init_puppet) would ping with telnet: give it ours.
        puppet.channel = channel
        puppet._puppet_stub = stub
        return _Connection(puppet=puppet, stub=stub, channel=channel)

    def _close(self, conn: _Connection | None) -> None:
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.channel.close()

    async def _await_first_event(self, conn: _Connection, reader: asyncio.Task[None]) -> None:
        # Gateways since puppet-service 0.30 say hello (a heartbeat) as soon as the stream
        # is open, so `start` cannot overtake it; an error such as a refused token ends the
        # reader instead. Older gateways say nothing: like the Node client, go on after
        # connect_timeout.
        waiter = asyncio.create_task(conn.first_event.wait())
        done, _ = await asyncio.wait(
            {waiter, reader},
            timeout=self._options.connect_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        waiter.cancel()
        if reader in done:
            reader.result()
            raise _ConnectionLost("the gateway closed the event stream at once")

    async def _read_events(self, conn: _Connection) -> None:
        try:
            async with contextlib.aclosing(conn.stub.event()) as stream:
                async for response in stream:
                    conn.last_event = time.monotonic()
                    conn.first_event.set()
                    self._on_stream_event(conn, int(response.type), response.payload)
        except (StreamTerminatedError, OSError) as exc:
            raise _ConnectionLost(f"lost the gateway: {_describe(exc)}") from None

    def _on_stream_event(self, conn: _Connection, kind: int, raw: str) -> None:
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            log.warning("wechat: unreadable event %s from the gateway", kind)
            return
        if not isinstance(payload, dict):
            payload = {}
        if kind == EventType.EVENT_TYPE_LOGIN:
            conn.self_id = str(payload.get("contactId") or "")
            conn.logged_out.clear()
            conn.logged_in.set()
        elif kind == EventType.EVENT_TYPE_LOGOUT:
            conn.logged_in.clear()
            conn.ready.clear()
            conn.logged_out.set()
        elif kind == EventType.EVENT_TYPE_READY:
            conn.ready.set()
        elif kind == EventType.EVENT_TYPE_SCAN:
            log.warning(
                "wechat: the gateway's WeChat account is not logged in; scan its QR code "
                "(status %s): %s",
                payload.get("status"),
                payload.get("qrcode") or "",
            )
        elif kind == EventType.EVENT_TYPE_ERROR:
            detail = str(payload.get("gerror") or payload.get("data") or raw)
            log.warning("wechat: the gateway reports an error: %s", detail[:300])
        elif kind == EventType.EVENT_TYPE_DIRTY:
            self._forget(str(payload.get("payloadId") or ""))
        elif kind == EventType.EVENT_TYPE_ROOM_INVITE:
            log.info("wechat: invited to a room; accept the invitation in WeChat")
        elif kind in (
            EventType.EVENT_TYPE_MESSAGE,
            EventType.EVENT_TYPE_ROOM_JOIN,
            EventType.EVENT_TYPE_ROOM_LEAVE,
            EventType.EVENT_TYPE_ROOM_TOPIC,
        ):
            self._queue.put_nowait(_RawEvent(kind, payload))
        # heartbeat, dong, friendship, reset: only keep the watchdog fed (above)

    async def _track_login(self, conn: _Connection) -> None:
        while True:
            await conn.logged_in.wait()
            with contextlib.suppress(TimeoutError):
                # The mock puppet and some real ones never say `ready`: logged in is enough
                # after a grace period.
                await asyncio.wait_for(conn.ready.wait(), timeout=self._options.ready_grace)
            if not conn.logged_in.is_set():
                continue
            await self._load_identity(conn)
            await self._read_rooms(conn)
            self._logged_out = False
            self._reached_ready = True
            await self._set_connected(True, f"logged in as {self.self_name or self.self_id}")
            await conn.logged_out.wait()
            self._logged_out = True
            self._last_problem = "the WeChat account logged out"
            await self._set_connected(False, "the WeChat account logged out of the gateway")

    async def _load_identity(self, conn: _Connection) -> None:
        self.self_id = conn.self_id
        try:
            contact = await self._call(conn.puppet.contact_payload(conn.self_id))
            self.self_name = str(contact.name or "")
        except (GRPCError, TimeoutError) as exc:
            log.warning("wechat: could not read the bot's own name: %s", _describe(exc))

    async def _read_rooms(self, conn: _Connection) -> None:
        """The account's rooms, told to ``on_rooms`` before the account counts as ready,
        so every room is known before anyone speaks in it."""
        listener = self.on_rooms
        if listener is None:
            return
        try:
            listed = await self._call(conn.stub.room_list())
            ids = [str(room_id) for room_id in listed.ids or ()]
            self._rooms.update(ids)
            rooms = [(room_id, await self._room_topic(conn, room_id)) for room_id in ids]
            await listener(rooms)
        except (GRPCError, TimeoutError, OSError, StreamTerminatedError) as exc:
            log.warning("wechat: could not read the account's rooms: %s", _describe(exc))
        except Exception:
            log.exception("wechat: the account's rooms could not be recorded")

    async def is_contact(self, contact_id: str) -> bool:
        """Whether the account has ``contact_id`` as a contact (friend): it can write to them."""
        conn = self._live()
        try:
            contact = await self._call(conn.puppet.contact_payload(contact_id))
        except (GRPCError, TimeoutError, OSError, StreamTerminatedError):
            return False
        return bool(contact.friend) or contact.friend is None

    async def _watchdog(self, conn: _Connection) -> None:
        # A connection can die without a word (a NAT dropping it); ding/dong finds out.
        options = self._options
        while True:
            silent_for = time.monotonic() - conn.last_event
            if silent_for < options.ping_interval:
                await asyncio.sleep(options.ping_interval - silent_for)
                continue
            pinged_at = time.monotonic()
            try:
                await self._call(conn.stub.ding(data="jingmin"))
            except (GRPCError, TimeoutError, OSError, StreamTerminatedError) as exc:
                raise _ConnectionLost(
                    f"the gateway did not answer a ding: {_describe(exc)}"
                ) from None
            await asyncio.sleep(options.ping_timeout)
            if conn.last_event < pinged_at:
                raise _ConnectionLost(
                    f"the gateway sent nothing for {time.monotonic() - pinged_at:.0f}s after a ding"
                )

    async def _set_connected(self, connected: bool, reason: str) -> None:
        if connected == self.connected:
            return
        if connected:
            self._connected.set()
            log.info("wechat: connection to the gateway at %s is up: %s", self.endpoint, reason)
        else:
            self._connected.clear()
            log.warning(
                "wechat: connection to the gateway at %s is down: %s", self.endpoint, reason
            )
        self._changed.set()
        listener = self.on_connection_change
        if listener is None:
            return
        try:
            await asyncio.wait_for(listener(connected, reason), timeout=self._options.call_timeout)
        except Exception:
            log.exception("wechat: on_connection_change failed")

    def _grpc_setup_error(self, exc: GRPCError) -> Exception:
        if exc.status == Status.UNAUTHENTICATED:
            return WechatSetupError(
                f"the WeChat gateway at {self.endpoint} refused the token in "
                f"{self.token_env}; check it matches the gateway's token"
            )
        if exc.status == Status.ALREADY_EXISTS:
            # A gateway serves one event stream at a time: our previous one not yet gone,
            # or another bot connected to the same gateway.
            return _ConnectionLost(
                "the gateway already has a client on its event stream (another bot on the "
                "same gateway, or our last connection not yet closed)"
            )
        return _ConnectionLost(f"the gateway failed: {_describe(exc)}")

    async def _call(self, call: Awaitable[T]) -> T:
        # Workaround 7: python-wechaty's calls have no timeout of their own.
        return await asyncio.wait_for(call, timeout=self._options.call_timeout)

    # -- events -------------------------------------------------------------------------

    async def _consume(self) -> None:
        """One event at a time, in the gateway's order, across reconnections."""
        while True:
            raw = await self._queue.get()
            try:
                await self._deliver(await self._resolve_with_retry(raw))
            finally:
                self._queue.task_done()

    async def _deliver(self, event: Event | None) -> None:
        sink = self._sink
        if event is not None and sink is not None:
            try:
                await sink(event)
            except Exception:
                log.exception("wechat: handling %s failed", type(event).__name__)

    async def _resolve_with_retry(self, raw: _RawEvent) -> Event | None:
        # An event outlives a lost connection: it waits for the next one and is read again.
        attempt = 0
        while attempt < self._options.resolve_attempts:
            await self._connected.wait()
            conn = self._conn
            if conn is None:
                await asyncio.sleep(0.1)
                continue
            attempt += 1
            try:
                return await self._resolve(conn, raw)
            except GRPCError as exc:
                if raw.kind == EventType.EVENT_TYPE_MESSAGE:
                    self._read_later(raw, exc)  # off the queue: later messages go on
                    return None
                log.warning("wechat: the gateway could not describe an event: %s", _describe(exc))
                return None
            except (OSError, StreamTerminatedError, TimeoutError) as exc:
                log.info(
                    "wechat: reading an event failed (%s), attempt %d", _describe(exc), attempt
                )
                await self._settle(conn)
            except Exception:
                log.exception("wechat: could not read an event: %s", raw.payload)
                return None
        log.error("wechat: dropped an event after %d attempts: %s", attempt, raw.payload)
        return None

    def _read_later(self, raw: _RawEvent, exc: GRPCError) -> None:
        """A message the gateway announced but cannot describe yet: read again in the
        background with a capped backoff. What it becomes goes to the sink like any event,
        so the update ledger handles it once however often the gateway announces it."""
        message_id = str(raw.payload.get("messageId") or "")
        if not message_id or message_id in self._retrying:
            return
        log.info("wechat: no payload yet for message %s (%s)", message_id, _describe(exc))
        task = asyncio.create_task(self._read_again(raw, message_id), name="wechat-payload")
        self._retrying[message_id] = task
        task.add_done_callback(lambda _: self._retrying.pop(message_id, None))

    async def _read_again(self, raw: _RawEvent, message_id: str) -> None:
        options = self._options
        problem = ""
        for attempt in range(1, options.payload_attempts + 1):
            await asyncio.sleep(
                _backoff(attempt, options.payload_retry_initial, options.payload_retry_max)
            )
            await self._connected.wait()
            conn = self._conn
            if conn is None:
                continue
            try:
                event = await self._resolve(conn, raw)
            except (GRPCError, OSError, StreamTerminatedError, TimeoutError) as exc:
                problem = _describe(exc)
                continue
            await self._deliver(event)
            return
        self.lost_messages += 1
        log.error(
            "wechat: message %s lost: the gateway announced it but gave no payload in %d "
            "tries (%s); %d lost since start",
            message_id,
            options.payload_attempts + 1,
            problem,
            self.lost_messages,
        )

    async def _settle(self, conn: _Connection) -> None:
        """After a failed call: wait until the connection is replaced, or proves alive."""
        failed_at = time.monotonic()
        options = self._options
        limit = failed_at + options.ping_interval + options.ping_timeout + options.call_timeout
        while self._conn is conn and self.connected and time.monotonic() < limit:
            if conn.last_event > failed_at:
                return  # the gateway still talks on it (a heartbeat, a dong): retry now
            await asyncio.sleep(0.05)

    async def _resolve(self, conn: _Connection, raw: _RawEvent) -> Event | None:
        payload = raw.payload
        me = Identity(self.self_id, (self.self_name,) if self.self_name else ())
        if raw.kind == EventType.EVENT_TYPE_MESSAGE:
            return await self._resolve_message(conn, str(payload.get("messageId") or ""), me)
        room_id = str(payload.get("roomId") or "")
        if not room_id:
            return None
        self._rooms.add(room_id)
        timestamp = _number(payload.get("timestamp"))
        if raw.kind == EventType.EVENT_TYPE_ROOM_TOPIC:
            self._topics.drop(lambda key: key == (room_id,))
            return None
        self._names.drop(lambda key: key[:1] == (room_id,))
        if raw.kind == EventType.EVENT_TYPE_ROOM_JOIN:
            invitees = [str(i) for i in payload.get("inviteeIdList") or []]
            if me.self_id not in invitees:  # residents joined: names for the welcome
                names = [await self._member_name(conn, room_id, i) for i in invitees]
                return clean_event(
                    MembersJoined(
                        ChatRef(PLATFORM, room_id),
                        tuple(names),
                        timestamp_to_datetime(timestamp, self._clock.now()),
                    )
                )
            return room_join_event(
                room_id=room_id,
                topic=await self._room_topic(conn, room_id),
                invitee_ids=invitees,
                inviter_id=str(payload.get("inviterId") or ""),
                timestamp=timestamp,
                me=me,
                now=self._clock.now(),
            )
        if raw.kind == EventType.EVENT_TYPE_ROOM_LEAVE:
            return room_leave_event(
                room_id=room_id,
                removed_ids=[str(i) for i in payload.get("removeeIdList") or []],
                timestamp=timestamp,
                me=me,
                now=self._clock.now(),
            )
        return None

    async def _resolve_message(
        self, conn: _Connection, message_id: str, me: Identity
    ) -> IncomingMessage | None:
        if not message_id or message_id in self._seen:
            return None  # python-wechaty saw gateways repeat message events
        # Workaround 6: the raw stub, not PuppetService.message_payload().
        payload = await self._call(conn.stub.message_payload(id=message_id))
        self._remember(message_id)
        talker_id = str(payload.from_id or "")
        is_text = int(payload.type or 0) == TEXT_MESSAGE_TYPE
        room_id = str(payload.room_id or "")
        is_picture = int(payload.type or 0) == IMAGE_MESSAGE_TYPE
        if talker_id == me.self_id or not (is_text or is_picture):
            return None  # our own echo, or voice, a link...
        if room_id:
            self._rooms.add(room_id)
            topic = await self._room_topic(conn, room_id)
            talker_name = await self._member_name(conn, room_id, talker_id)
            own_alias = await self._member_name(conn, room_id, me.self_id, alias_only=True)
            if own_alias and own_alias not in me.names:
                me = Identity(me.self_id, (*me.names, own_alias))
        else:
            topic = ""
            talker_name = await self._contact_name(conn, talker_id)
        return to_event(
            WechatMessage(
                message_id=message_id,
                talker_id=talker_id,
                talker_name=talker_name,
                text=str(payload.text or "") if is_text else "",
                room_id=room_id,
                room_topic=topic,
                mention_ids=tuple(str(m) for m in payload.mention_ids or ()),
                timestamp=_number(payload.timestamp),
                is_text=is_text,
                is_picture=is_picture,
            ),
            me=me,
            now=self._clock.now(),
        )

    def _remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        while len(self._seen) > 2048:
            self._seen.popitem(last=False)

    def _forget(self, payload_id: str) -> None:
        if payload_id:
            self._topics.drop(lambda key: payload_id in key)
            self._names.drop(lambda key: payload_id in key)

    async def _room_topic(self, conn: _Connection, room_id: str) -> str:
        cached = self._topics.get((room_id,))
        if cached is not None:
            return cached
        try:
            room = await self._call(conn.puppet.room_payload(room_id))
            topic = str(room.topic or "")
        except GRPCError as exc:
            log.info("wechat: no topic for room %s: %s", room_id, _describe(exc))
            return ""
        self._topics.put((room_id,), topic)
        return topic

    async def _member_name(
        self, conn: _Connection, room_id: str, contact_id: str, *, alias_only: bool = False
    ) -> str:
        """A member's group nickname, else the account name (alias_only: nickname or "")."""
        key = (room_id, contact_id, "alias" if alias_only else "name")
        cached = self._names.get(key)
        if cached is not None:
            return cached
        try:
            member = await self._call(conn.puppet.room_member_payload(room_id, contact_id))
            alias, name = str(member.room_alias or ""), str(member.name or "")
        except GRPCError as exc:
            log.info("wechat: no member %s in room %s: %s", contact_id, room_id, _describe(exc))
            alias, name = "", ""
        if not alias_only and not alias and not name:
            name = await self._contact_name(conn, contact_id)
        value = alias if alias_only else (alias or name)
        self._names.put(key, value)
        return value

    async def _contact_name(self, conn: _Connection, contact_id: str) -> str:
        key = ("", contact_id, "contact")
        cached = self._names.get(key)
        if cached is not None:
            return cached
        try:
            contact = await self._call(conn.puppet.contact_payload(contact_id))
            name = str(contact.name or "")
        except GRPCError as exc:
            log.info("wechat: no contact %s: %s", contact_id, _describe(exc))
            return contact_id
        self._names.put(key, name)
        return name

    # -- sending ------------------------------------------------------------------------

    def _is_room(self, chat_id: str) -> bool:
        return chat_id in self._rooms or is_room_id(chat_id)

    def _live(self) -> _Connection:
        conn = self._conn
        if conn is None or not self.connected:
            if self._logged_out and self._rest_seconds is not None:
                raise AccountRestricted(
                    "the WeChat account logged out of its gateway", self._rest_seconds
                )
            wait = max(self._next_attempt_at - time.monotonic(), self._options.backoff_initial)
            raise RetryLater(wait)
        return conn

    async def fetch_picture(self, chat: ChatRef, picture_id: str) -> bytes | None:
        """A picture's bytes, in memory only: a room's for the guard, an officer's to push
        with their alert; None when it is larger than ``PICTURE_BYTES``.

        Streamed (``MessageImageStream``), not the one-message ``message_image``: a 1.x
        gateway answers that with a UUID file box for any picture over 20 KB, to be read
        with its ``download`` call, which python-wechaty's 0.x stub lacks. So nearly every
        real picture came back unread; the stream serves the bytes whatever the box."""
        conn = self._live()
        timeout = self._options.call_timeout + PICTURE_BYTES / UPLOAD_BYTES_PER_SECOND
        return await asyncio.wait_for(self._stream_picture(conn, picture_id), timeout)

    async def _stream_picture(self, conn: _Connection, picture_id: str) -> bytes | None:
        data = bytearray()
        request = MessageImageStreamRequest(id=picture_id, type=ImageType.IMAGE_TYPE_HD)
        # Opened on the grpclib channel directly, as _send_file's stream (the stub's needs
        # a newer betterproto): the file box's name first, then its data in chunks.
        try:
            async with conn.stub.channel.request(
                "/wechaty.Puppet/MessageImageStream",
                Cardinality.UNARY_STREAM,
                MessageImageStreamRequest,
                MessageImageStreamResponse,
                metadata=conn.stub.metadata,
            ) as stream:
                await stream.send_message(request, end=True)
                while (reply := await stream.recv_message()) is not None:
                    data += reply.file_box_chunk.data
                    if len(data) > PICTURE_BYTES:
                        # Leaving by an exception resets the stream if it is still open
                        # (a cancel() races the gateway closing it).
                        raise _PictureTooLarge
        except _PictureTooLarge:
            return None  # too large: not read, not kept
        return bytes(data) or None

    async def send(self, out: Outgoing) -> SentRef:
        """A text to a room (@mentioning ``out.mention_id``) or to a contact.

        WeChat cannot edit a sent message: an edit is sent as a new message. Buttons
        become text commands (``outgoing_text``). A deletion is best effort, as on
        Telegram: WeChat lets only the sender recall a message (within 2 minutes), so a
        resident's message stays and only the bot's own recent ones go.
        """
        if out.chat.platform != PLATFORM:
            raise ValueError(f"WechatAdapter cannot send to a {out.chat.platform} chat")
        if out.delete_message_id is not None:
            await self._recall(out.delete_message_id)
            return SentRef(out.chat, out.delete_message_id)
        conn = self._live()
        chat_id = out.chat.chat_id
        text = outgoing_text(out, self._button_command)
        mention_ids: list[str] = []
        is_room = self._is_room(chat_id)
        if out.mention_id and is_room:
            name = out.mention_name
            if not name:
                with contextlib.suppress(TimeoutError, OSError, StreamTerminatedError):
                    name = await self._member_name(conn, chat_id, out.mention_id)
            mention_ids = [out.mention_id]
            name = safetext.name(name)  # a member's name from the gateway is theirs too
            if name:
                text = mention_text(name, text)
        if out.media is not None:
            # WeChat has no captions: the file, then the text, as one delivery.
            try:
                data = await asyncio.to_thread(Path(out.media.path).read_bytes)
            except OSError as error:  # nothing sent: a permanent failure, not a retry
                raise SendError(f"media missing from the store: {error}") from None
            try:
                file_id = await self._send_file(conn, chat_id, out.media, data)
            except Exception as exc:
                raise await self._send_error(conn, chat_id, is_room, exc) from None
            if not text.strip():
                return SentRef(out.chat, file_id)
        try:
            message_id = await self._call(
                conn.puppet.message_send_text(chat_id, text, mention_ids=mention_ids)
            )
        except Exception as exc:
            problem = await self._send_error(conn, chat_id, is_room, exc)
            if out.media is not None:  # the file went out: never resend it for the text
                raise SendError(f"the file was sent, its caption was not: {problem}") from None
            raise problem from None
        return SentRef(out.chat, str(message_id or f"wechat-{time.time_ns()}"))

    async def _send_file(
        self, conn: _Connection, chat_id: str, media: MediaRef, data: bytes
    ) -> str:
        """The picture, video or file, streamed to the gateway in chunks (a FileBox on its
        side). Streamed, not the one-message ``message_send_file``: gateways take at most
        4 MB in one gRPC message (grpc-js' default), and its JSON FileBox is the 0.x
        format newer gateways misread."""
        chunks = [data[start : start + FILE_CHUNK] for start in range(0, len(data), FILE_CHUNK)]
        messages = [
            MessageSendFileStreamRequest(conversation_id=chat_id),
            MessageSendFileStreamRequest(file_box_chunk=FileBoxChunk(name=media.filename)),
            *(MessageSendFileStreamRequest(file_box_chunk=FileBoxChunk(data=c)) for c in chunks),
        ]

        async def stream_up() -> MessageSendFileStreamResponse | None:
            # The generated stub's stream call needs a newer betterproto than
            # python-wechaty pins: the stream is opened on its grpclib channel directly.
            async with conn.stub.channel.request(
                "/wechaty.Puppet/MessageSendFileStream",
                Cardinality.STREAM_UNARY,
                MessageSendFileStreamRequest,
                MessageSendFileStreamResponse,
                metadata=conn.stub.metadata,
            ) as stream:
                for index, message in enumerate(messages):
                    await stream.send_message(message, end=index == len(messages) - 1)
                reply: MessageSendFileStreamResponse | None = await stream.recv_message()
                return reply

        timeout = self._options.call_timeout + len(data) / UPLOAD_BYTES_PER_SECOND
        reply = await asyncio.wait_for(stream_up(), timeout=timeout)
        return str((reply.id if reply is not None else "") or f"wechat-file-{time.time_ns()}")

    async def _recall(self, message_id: str) -> bool:
        conn = self._conn
        if conn is None or not self.connected:
            log.info("wechat: not connected, message %s not recalled", message_id)
            return False
        try:
            recalled = bool(await self._call(conn.puppet.message_recall(message_id)))
        except Exception as exc:
            log.info("wechat: could not recall message %s: %s", message_id, _describe(exc))
            return False
        if not recalled:
            log.info(
                "wechat: message %s not recalled (WeChat lets only its sender recall it, "
                "within 2 minutes)",
                message_id,
            )
        return recalled

    async def _send_error(
        self, conn: _Connection, chat_id: str, is_room: bool, exc: Exception
    ) -> SendError:
        if isinstance(exc, TimeoutError):
            # The gateway may have sent it: retrying could post twice, so the caller decides.
            return SendError("the gateway did not answer in time, delivery unknown")
        if isinstance(exc, StreamTerminatedError):
            return SendError("lost the gateway during the send, delivery unknown")
        if isinstance(exc, OSError):
            return RetryLater(max(self._options.backoff_initial, 1.0))  # never reached it
        if not isinstance(exc, GRPCError):
            return SendError(_describe(exc))
        if self._rest_seconds is not None and _RESTRICTED.search(exc.message or ""):
            return AccountRestricted(
                f"WeChat restricts the account: {_describe(exc)}", self._rest_seconds
            )
        if exc.status == Status.UNAVAILABLE:
            return RetryLater(max(self._options.backoff_initial, 1.0))
        if exc.status == Status.RESOURCE_EXHAUSTED:
            return RetryLater(60.0)
        if exc.status == Status.UNAUTHENTICATED:
            return SendError(f"the gateway refused the token in {self.token_env}")
        gone = await self._gone_reason(conn, chat_id, is_room)
        if gone is not None:
            return ChatGone(gone)
        return SendError(f"the gateway refused the message: {_describe(exc)}")

    async def _gone_reason(self, conn: _Connection, chat_id: str, is_room: bool) -> str | None:
        """Why a failed send's chat is gone for good (None if it is not, or unknown)."""
        try:
            if is_room:
                room = await self._call(conn.puppet.room_payload(chat_id))
                if self.self_id and self.self_id not in (room.member_ids or ()):
                    return f"the bot is no longer in room {chat_id}"
                return None
            contact = await self._call(conn.puppet.contact_payload(chat_id))
            if contact.friend is False:
                return f"{chat_id} is not a contact (friend) of the bot's WeChat account"
            return None
        except GRPCError as exc:
            return f"the gateway does not know {chat_id}: {_describe(exc)}"
        except Exception:
            return None


def _backoff(attempt: int, initial: float, cap: float) -> float:
    """Exponential backoff with a little jitter, so many bots don't reconnect in step."""
    if attempt <= 0:
        return min(initial, cap)
    delay = initial * 2.0 ** min(attempt - 1, 30)  # no float overflow after days down
    return min(cap, delay * random.uniform(0.9, 1.1))


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _describe(exc: BaseException) -> str:
    if isinstance(exc, GRPCError):
        return f"{exc.status.name}: {exc.message or ''}".rstrip(": ")
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
