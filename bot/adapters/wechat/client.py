"""Talking to the WeChat gateway: its connection, the calls, reading events' payloads,
names and room topics, sending texts and files, fetching pictures.

WeChat has no bot API. A *gateway* — a Node Wechaty puppet service that the admin runs
beside the bot — holds the logged-in WeChat account and speaks gRPC; this module is its
client, on python-wechaty's puppet-service client (``wechaty-puppet-service`` 0.8.10, the
release python-wechaty 0.10.7 uses). When to connect, and what to do when a connection
ends, is ``supervisor.py``'s business.

python-wechaty 0.10.7 is unmaintained; its workarounds are numbered (the numbers are
listed in the package's docstring) and each is written out next to the code that needs
it. Workaround 1 is about what this module does not import:

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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

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

from bot.adapters.wechat.mapping import (
    IMAGE_MESSAGE_TYPE,
    PLATFORM,
    TEXT_MESSAGE_TYPE,
    ButtonCommand,
    Identity,
    WechatMessage,
    WechatSetupError,
    _number,
    default_button_command,
    is_room_id,
    mention_text,
    outgoing_text,
    parse_endpoint,
    room_join_event,
    room_leave_event,
    timestamp_to_datetime,
    to_event,
)
from bot.inbound import clean_event
from bot.observability import adopt_library_loggers, register_secret
from core import safetext
from core.config import WECHAT_TOKEN_ENV
from core.events import (
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
    RetryLater,
    SendError,
    SystemClock,
)

adopt_library_loggers()  # wechaty's loggers print to stderr past the privacy filter otherwise
log = logging.getLogger(__name__)

PICTURE_BYTES: Final = 5_000_000  # a larger group picture is not fetched for the guard
FILE_CHUNK: Final = 512 * 1024  # a file is streamed in gRPC messages of this size (< 4 MB)
UPLOAD_BYTES_PER_SECOND: Final = 1_000_000  # the slowest transfer a file's timeout allows for
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


class _PictureTooLarge(Exception):
    """A picture being streamed passed ``PICTURE_BYTES``: the stream is dropped."""


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


class GatewayClient:
    """The gateway connection of one WeChat account, and every call made on it.

    ``WechatAdapter`` (supervisor.py) is this client plus the connection's lifecycle: it
    sets ``_conn``, ``_connected``, ``self_id`` and ``self_name`` as connections come and go.
    """

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        *,
        options: WechatOptions | None = None,
        clock: Clock | None = None,
        button_command: ButtonCommand = default_button_command,
        token_env: str = WECHAT_TOKEN_ENV,
        rest_seconds: float | None = None,
    ) -> None:
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
        self._button_command = button_command
        self._rest_seconds = rest_seconds
        self._logged_out = False  # written by the supervisor
        register_secret(token)  # the root log filter blanks it out of every record

        self._seen: OrderedDict[str, None] = OrderedDict()  # recent message ids
        self._names = _TtlCache(self._options.cache_seconds)
        self._topics = _TtlCache(self._options.cache_seconds)
        self._rooms: set[str] = set()  # room ids seen in events

        # The connection, as the supervisor keeps it.
        self._conn: _Connection | None = None
        self._connected = asyncio.Event()  # logged in and ready
        self._next_attempt_at = 0.0
        self.self_id = ""
        self.self_name = ""

    @property
    def connected(self) -> bool:
        """Logged in and ready: events flow and sends go out."""
        return self._connected.is_set()

    def _guard_logs(self) -> None:
        # Workaround 5: ``PuppetService`` logs the token in a warning when given both
        # endpoint and token, and wechaty's loggers write to stderr themselves at INFO; they
        # are routed into our logging at WARNING with the token redacted (here), and the
        # token is sent as gRPC ``authorization`` metadata (plus the ``:authority`` header
        # old gateways read; see _connect). Printing on their own at INFO, they would show
        # residents' messages and, once, the token: send them through ours (the root handler,
        # whose filter redacts), quieter.
        for name in _WECHATY_LOGGERS:
            logger = logging.getLogger(name)
            logger.handlers.clear()
            logger.propagate = True
            logger.setLevel(logging.WARNING)

    # -- the connection ---------------------------------------------------------------

    async def _probe(self) -> None:
        # Workaround 2: the endpoint is checked with a non-blocking TCP connect before a
        # client is built: ``PuppetService`` itself pings it with a blocking telnet connect
        # (up to 3 s with the event loop stalled) and, with no endpoint, asks a server on the
        # internet for one.
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
        # Workaround 4: every connection gets its own explicit ``PuppetOptions`` (python-
        # wechaty's shared default instance is why two bots in one process share options);
        # no token in them (workaround 5).
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

    async def _call(self, call: Awaitable[T]) -> T:
        # Workaround 7: python-wechaty's calls have no timeout of their own: every call
        # here has one.
        return await asyncio.wait_for(call, timeout=self._options.call_timeout)

    # -- reading events ----------------------------------------------------------------

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
        # Workaround 6: python-wechaty's message types are numbered differently from the
        # gateway's; ``message_payload`` remaps them through a list that raises
        # ``IndexError`` for newer types, so the raw stub is used for messages (text is 7 on
        # the wire): the raw stub, not PuppetService.message_payload().
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

    async def is_contact(self, contact_id: str) -> bool:
        """Whether the account has ``contact_id`` as a contact (friend): it can write to them."""
        conn = self._live()
        try:
            contact = await self._call(conn.puppet.contact_payload(contact_id))
        except (GRPCError, TimeoutError, OSError, StreamTerminatedError):
            return False
        return bool(contact.friend) or contact.friend is None

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


def _describe(exc: BaseException) -> str:
    if isinstance(exc, GRPCError):
        return f"{exc.status.name}: {exc.message or ''}".rstrip(": ")
    if isinstance(exc, TimeoutError):
        return "timed out"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
