"""A fake Telegram Bot API server for end-to-end tests.

The real python-telegram-bot client talks to it over HTTP on 127.0.0.1 exactly as it
would talk to api.telegram.org: ``ApplicationBuilder().base_url(server.api_base_url)``,
requests to ``/bot<TOKEN>/<method>``, replies ``{"ok": ..., "result"|"description": ...}``.

One ``FakeTelegram`` object holds the whole world (users, chats, messages, pending
updates) and has one small handler per Bot API method. Tests build a scene with the
helpers (``add_user``, ``add_group``, ``add_bot_to_group``, ``user_says``,
``press_button``, ``migrate_to_supergroup``, ``fail_with_429`` ...) and read back what the
bot did (``sent_to``, ``all_sent``, ``edits``, ``callback_answers``, ``calls``).

Modelled like the real API: long polling that wakes when an update arrives, offsets that
confirm updates, privacy mode (a bot that is not an admin sees only commands, mentions,
replies to it and service messages), 403 once the bot is kicked, 400 with
``migrate_to_chat_id`` for an upgraded group, 409 when a second getUpdates supersedes a
waiting one, 401 for a wrong token.

Standalone (a bot or benchmark in another process):
``python -m tests.fakes.telegram_server --port 0 --state FILE`` writes its address to
FILE once listening (and a snapshot of what the bot sent on exit), and takes the helper
calls as JSON: ``POST /_fake/<helper>`` with keyword arguments, ``GET /_fake/sent``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import functools
import hashlib
import inspect
import itertools
import json
import os
import re
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import web

DEFAULT_TOKEN = "6543210987:AAFakeTokenForTestsOnly-0123456789abcd"
DEFAULT_BOT_USERNAME = "jingmin_test_bot"
DEFAULT_BOT_NAME = "警民助手"

# PTB posts form-encoded bodies where every non-string value is JSON text; these keys
# hold JSON objects/arrays, and these never change type (a text "123" stays text).
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "allowed_updates",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "link_preview_options",
    }
)
_TEXT_PARAMS = frozenset(
    {"text", "caption", "callback_query_id", "url", "parse_mode", "title"}
    | {"photo", "video", "document"}  # a file_id is text, whatever it looks like
)
# What the Bot API takes in a multipart upload (https://core.telegram.org/bots/api#sending-files).
PHOTO_LIMIT = 10 * 1024 * 1024
UPLOAD_LIMIT = 50 * 1024 * 1024
# Messages carrying these reach a bot even in privacy mode.
_SERVICE_KEYS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "group_chat_created",
        "supergroup_chat_created",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
    }
)
_NOT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_WRITE_METHODS = ("sendmessage", "editmessagetext")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{4,31}")
_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?")


PATIENCE = 3.0  # deadlines of waits, stretched for a loaded machine (see wait_for)


class ApiError(Exception):
    """A Bot API error reply: HTTP status = error_code, as Telegram does it."""

    def __init__(self, code: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str
    reply_to_message_id: int | None
    buttons: list[list[dict[str, Any]]]  # inline keyboard rows as sent
    at: float  # time.monotonic() when the server accepted it (rate-limit tests)
    date: int
    entities: list[dict[str, Any]] = field(default_factory=list)  # as sent (quotes)
    media: str = ""  # photo | video | document: the text is then the caption
    file_id: str = ""  # the media's file_id (given by the bot, or made for its upload)


@dataclass
class Upload:
    """Content the bot uploaded (multipart), as opposed to sent again by file_id."""

    method: str
    chat_id: int
    file_id: str
    filename: str
    size: int
    sha256: str


@dataclass
class Edit:
    chat_id: int
    message_id: int
    text: str
    buttons: list[list[dict[str, Any]]]
    at: float


@dataclass
class CallbackAnswer:
    callback_query_id: str
    text: str | None
    show_alert: bool
    at: float


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    status: int
    at: float


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    user: dict[str, Any] | None = None  # the person in a private chat
    bot_status: str = "left"  # member | administrator | left | kicked
    members: dict[int, str] = field(default_factory=dict)  # user id -> creator/administrator/member
    migrated_to: int | None = None
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_message_id: int = 1

    def to_json(self) -> dict[str, Any]:
        if self.type == "private":
            assert self.user is not None
            keys = ("first_name", "last_name", "username")
            return {"id": self.id, "type": "private"} | {
                k: self.user[k] for k in keys if k in self.user
            }
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass
class _Flood:
    remaining: int
    retry_after: int
    chat_id: int | None


@dataclass
class _Hold:
    chat_id: int
    reply_to: int
    seconds: float
    taken_first: bool


class FakeTelegram:
    """The Bot API's world in memory, served over HTTP by aiohttp."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = DEFAULT_BOT_USERNAME,
        bot_name: str = DEFAULT_BOT_NAME,
        privacy_mode: bool = False,
        can_join_groups: bool = True,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.privacy_mode = privacy_mode
        self.can_join_groups = can_join_groups
        self.users: dict[int, dict[str, Any]] = {self.bot_id: self.bot_user}
        self.chats: dict[int, Chat] = {}
        self.commands: list[dict[str, Any]] = []
        # what the bot did
        self.sent: list[SentMessage] = []
        self.edits: list[Edit] = []
        self.callback_answers: list[CallbackAnswer] = []
        self.photos: list[tuple[int, bytes]] = []  # (chat id, PNG/JPEG bytes) from sendPhoto
        self.uploads: list[Upload] = []  # sendPhoto/sendVideo/sendDocument with the content
        self.files: dict[str, bytes] = {}  # file_id -> content, for sends by file_id
        self.webhook: dict[str, Any] | None = None  # what setWebhook last said
        self.deleted: list[tuple[int, int]] = []
        self.calls: list[ApiCall] = []
        # updates and long polling
        self._updates: list[dict[str, Any]] = []
        self._allowed: frozenset[str] | None = None  # None: Telegram's default set
        self._poll_generation = 0
        self.waiting_polls = 0  # getUpdates requests being held open right now
        self._change = asyncio.Event()
        self._closing = False
        # failure injection
        self._floods: list[_Flood] = []
        self._outages: list[_Flood] = []  # retry_after holds the HTTP status
        self._forbidden: dict[int, str] = {}
        self._holds: list[_Hold] = []
        self.holding = 0  # sends being held on the wire right now (``hold_send``)
        self._open_callbacks: set[str] = set()
        self._ids = itertools.count(1)
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(4_000_000_001)
        self._supergroup_ids = itertools.count(1_000_000_000_001)
        self._runner: web.AppRunner | None = None
        self.port = 0
        media = self._send_media
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "sendMessage": self._send_message,
                "sendPhoto": lambda p: media("photo", p),
                "sendVideo": lambda p: media("video", p),
                "sendDocument": lambda p: media("document", p),
                "editMessageText": self._edit_message_text,
                "answerCallbackQuery": self._answer_callback_query,
                "deleteMessage": self._delete_message,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getChatAdministrators": self._get_chat_administrators,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": lambda p: self.commands,
                "deleteMyCommands": self._delete_my_commands,
                "deleteWebhook": self._delete_webhook,
                "setWebhook": self._set_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "close": lambda p: True,
                "logOut": lambda p: True,
            }.items()
        }

    # -- serving --------------------------------------------------------------------------

    @property
    def api_base_url(self) -> str:
        """What goes into ``[telegram] api_base_url``; PTB appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=UPLOAD_LIMIT + 1_000_000)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/_fake/{action}", self._control)
        # Long polls are woken on stop; no reason to wait the default 60 s for them.
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._closing = True
        self._changed()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _read_params(request)
        hold = self._take_hold(method, params)
        if hold is not None and not hold.taken_first:
            await self._held(hold)
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)  # the bot is gone: nothing was taken
        outcome: Any
        try:
            outcome = self.call(request.match_info["token"], method, params)
            if inspect.isawaitable(outcome):
                outcome = await outcome
        except ApiError as error:
            outcome = error
        status, body = self.record(method, params, outcome)
        if hold is not None and hold.taken_first:
            await self._held(hold)  # in the chat already; the bot has not heard so yet
        return web.json_response(body, status=status, dumps=_dumps)

    def _take_hold(self, method: str, params: dict[str, Any]) -> _Hold | None:
        if method.lower() != "sendmessage" or not self._holds:
            return None
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id", params.get("reply_to_message_id"))
        for hold in self._holds:
            if str(hold.chat_id) == str(params.get("chat_id")) and str(hold.reply_to) == str(
                reply_to
            ):
                self._holds.remove(hold)
                return hold
        return None

    async def _held(self, hold: _Hold) -> None:
        self.holding += 1
        self._changed()
        try:
            await asyncio.sleep(hold.seconds)
        finally:
            self.holding -= 1

    def call(self, token: str, method: str, params: dict[str, Any]) -> Any:
        """A Bot API method's result, or an awaitable of it (getUpdates); ApiError when the
        real API would refuse. The HTTP side is the caller's (aiohttp here, bench/wire.py)."""
        if token != self.token:
            raise ApiError(401, "Unauthorized")
        handler = self._methods.get(method.lower())
        if handler is None:
            raise ApiError(404, "Not Found")
        return handler(params)

    def record(
        self, method: str, params: dict[str, Any], outcome: Any
    ) -> tuple[int, dict[str, Any]]:
        """The HTTP status and body answering a finished call, from its result or the
        ``ApiError`` it raised; noted for tests (``calls``), waking whoever waits on a change."""
        if isinstance(outcome, ApiError):
            status, body = outcome.code, outcome.body()
        else:
            status, body = 200, {"ok": True, "result": outcome}
        self.calls.append(ApiCall(method, params, status, time.monotonic()))
        self._changed()
        return status, body

    # -- building the world ---------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str | None = None,
        *,
        username: str | None = None,
        is_bot: bool = False,
        user_id: int | None = None,
    ) -> int:
        uid = user_id if user_id is not None else next(self._user_ids)
        user: dict[str, Any] = {"id": uid, "is_bot": is_bot, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        self.users[uid] = user
        return uid

    def add_group(
        self,
        title: str,
        *,
        members: tuple[int, ...] | list[int] = (),
        supergroup: bool = False,
        with_bot: bool = False,
        chat_id: int | None = None,
    ) -> int:
        """A group whose first member is its creator; ``with_bot`` puts the bot in silently."""
        if chat_id is None:
            chat_id = -next(self._supergroup_ids if supergroup else self._group_ids)
        chat = Chat(chat_id, "supergroup" if supergroup else "group", title)
        for index, uid in enumerate(members):
            chat.members[uid] = "creator" if index == 0 else "member"
        if with_bot:
            chat.bot_status = "member"
        self.chats[chat_id] = chat
        return chat_id

    def open_private_chat(self, user_id: int) -> int:
        """The user pressed Start: from now on the bot may write to them."""
        chat = self.chats.get(user_id)
        if chat is None:
            chat = Chat(user_id, "private", user=self.users[user_id])
            self.chats[user_id] = chat
        chat.bot_status = "member"
        return user_id

    def promote(self, chat_id: int, user_id: int) -> None:
        """Make someone (the bot too) an administrator, without an update."""
        chat = self.chats[chat_id]
        if user_id == self.bot_id:
            chat.bot_status = "administrator"
        else:
            chat.members[user_id] = "administrator"

    # -- injecting what users do ----------------------------------------------------------

    def user_says(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        mention_bot: bool = False,
        reply_to: int | None = None,
        date: int | None = None,
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A text message. @usernames and a leading /command get entities, as Telegram does."""
        handle = f"@{self.bot_user['username']}"
        if mention_bot and handle.lower() not in text.lower():
            text = f"{handle} {text}"
        found = _entities(text) if entities is None else entities
        content: dict[str, Any] = {"text": text}
        if found:
            content["entities"] = found
        return self.user_sends(chat_id, user_id, reply_to=reply_to, date=date, **content)

    def private_says(self, user_id: int, text: str, **options: Any) -> dict[str, Any]:
        return self.user_says(self.open_private_chat(user_id), user_id, text, **options)

    def user_sends(
        self,
        chat_id: int,
        user_id: int,
        *,
        reply_to: int | None = None,
        date: int | None = None,
        **content: Any,
    ) -> dict[str, Any]:
        """Any message (``sticker={...}``, ``photo=[...], caption=...``)."""
        chat = self._chat(chat_id)
        if chat.type != "private":
            chat.members.setdefault(user_id, "member")
        if reply_to is not None:
            content["reply_to_message"] = _one_level(chat.messages[reply_to])
        message = self._new_message(chat, self.users[user_id], date=date, **content)
        if self._bot_sees(chat, message):
            self._push(message=message)
        return message

    def add_bot_to_group(self, chat_id: int, by_user_id: int, *, admin: bool = False) -> None:
        chat = self._chat(chat_id)
        old = chat.bot_status
        chat.bot_status = "administrator" if admin else "member"
        self._push_membership(chat, by_user_id, old, chat.bot_status)
        message = self._new_message(chat, self.users[by_user_id], new_chat_members=[self.bot_user])
        self._push(message=message)

    def users_join(self, chat_id: int, user_ids: list[int]) -> None:
        """People join a group: one service message listing them (``new_chat_members``)."""
        chat = self._chat(chat_id)
        for user_id in user_ids:
            chat.members.setdefault(user_id, "member")
        joined = [self.users[user_id] for user_id in user_ids]
        message = self._new_message(chat, joined[0], new_chat_members=joined)
        self._push(message=message)

    def remove_bot_from_group(self, chat_id: int, by_user_id: int, *, kicked: bool = True) -> None:
        chat = self._chat(chat_id)
        old = chat.bot_status
        chat.bot_status = "kicked" if kicked else "left"
        self._push_membership(chat, by_user_id, old, chat.bot_status)

    def migrate_to_supergroup(self, chat_id: int, by_user_id: int | None = None) -> int:
        """Upgrade a group: service messages in both chats, old id answers 400 from now on."""
        old = self._chat(chat_id)
        new_id = -next(self._supergroup_ids)
        new = Chat(new_id, "supergroup", old.title, members=dict(old.members))
        new.bot_status = old.bot_status
        self.chats[new_id] = new
        old.migrated_to = new_id
        actor = self.users[by_user_id if by_user_id is not None else _creator(old, self.bot_id)]
        self._push(message=self._new_message(old, actor, migrate_to_chat_id=new_id))
        self._push(message=self._new_message(new, actor, migrate_from_chat_id=chat_id))
        return new_id

    def press_button(self, user_id: int, chat_id: int, message_id: int, data: str) -> str:
        """Press the bot's inline button carrying ``data``; returns the callback query id."""
        message = self._chat(chat_id).messages[message_id]
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        if not any(button.get("callback_data") == data for row in rows for button in row):
            raise ValueError(f"message {message_id} in {chat_id} has no button with data {data!r}")
        query_id = str(8_000_000 + next(self._ids))
        self._open_callbacks.add(query_id)
        self._push(
            callback_query={
                "id": query_id,
                "from": self.users[user_id],
                "message": message,
                "chat_instance": f"{chat_id * 31 % 10**12}",
                "data": data,
            }
        )
        return query_id

    def push_update(self, **update: Any) -> int:
        """A raw update (without update_id), for anything the helpers do not cover."""
        return self._push(**update)

    def webhook_update(
        self, chat_id: int, user_id: int, text: str, **options: Any
    ) -> dict[str, Any]:
        """``user_says`` for a bot in webhook mode: the message is in the chat as usual, but
        its update is returned for the caller to POST to the bot's webhook (``setWebhook`` is
        only recorded) instead of waiting for getUpdates."""
        before = len(self._updates)
        message = self.user_says(chat_id, user_id, text, **options)
        if len(self._updates) == before:
            raise ValueError(f"the bot does not see message {message['message_id']} (privacy)")
        return self._updates.pop()

    # -- failure injection ----------------------------------------------------------------

    def fail_with_429(
        self, times: int = 1, retry_after: int = 5, chat_id: int | None = None
    ) -> None:
        """The next ``times`` sends/edits (to ``chat_id``, or to any chat) get flood control."""
        self._floods.append(_Flood(times, retry_after, chat_id))

    def fail_with_403(
        self, chat_id: int, description: str = "Forbidden: bot was kicked from the group chat"
    ) -> None:
        """Sends to this chat are refused from now on, without any update to the bot."""
        self._forbidden[chat_id] = description

    def fail_with_server_error(
        self, times: int = 1, status: int = 502, chat_id: int | None = None
    ) -> None:
        """The next ``times`` sends/edits (to ``chat_id``, or to any chat) get an HTTP
        ``status`` (5xx) and are not delivered, as when Telegram's front end is down."""
        self._outages.append(_Flood(times, status, chat_id))

    def hold_send(self, chat_id: int, reply_to: int, seconds: float, *, taken_first: bool) -> None:
        """The next sendMessage to ``chat_id`` replying to message ``reply_to`` is held on
        the wire for ``seconds``, so the bot can be killed in the middle of it (``holding``
        says when): with ``taken_first`` the message is in the chat before the hold (the
        bot never hears it was taken), else after it, and only if the bot is still there."""
        self._holds.append(_Hold(chat_id, reply_to, seconds, taken_first))

    def clear_failures(self) -> None:
        self._floods.clear()
        self._holds.clear()
        self._outages.clear()
        self._forbidden.clear()

    def set_privacy_mode(self, on: bool) -> None:
        self.privacy_mode = on

    # -- reading what the bot did ---------------------------------------------------------

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def all_sent(self) -> list[SentMessage]:
        return list(self.sent)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """A message as it is now (after edits)."""
        return self._chat(chat_id).messages[message_id]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    @property
    def allowed_updates(self) -> frozenset[str] | None:
        """The update types the bot last asked for (None: Telegram's default set)."""
        return self._allowed

    async def wait_for(
        self, predicate: Callable[[], bool], within: float = 5.0, what: str = "condition"
    ) -> None:
        """Return as soon as ``predicate()`` holds (checked after every API call).
        ``within`` is stretched by ``PATIENCE``: it only bounds a failure's wait, and a CI
        machine loaded by other work ran these bots several times slower."""
        within *= PATIENCE
        deadline = time.monotonic() + within
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"fake Telegram: gave up waiting for {what} after {within}s")
            await self._wait_change(remaining)

    async def wait_for_sent(
        self, chat_id: int | None = None, count: int = 1, within: float = 5.0
    ) -> list[SentMessage]:
        """Wait until the bot has sent ``count`` messages (to ``chat_id``, or anywhere)."""

        def sent() -> list[SentMessage]:
            return self.all_sent() if chat_id is None else self.sent_to(chat_id)

        await self.wait_for(lambda: len(sent()) >= count, within, f"{count} sent to {chat_id}")
        return sent()

    # -- Bot API methods ------------------------------------------------------------------

    def _get_me(self, p: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user | {
            "can_join_groups": self.can_join_groups,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        timeout = min(float(p.get("timeout") or 0), 50.0)
        limit = min(int(p.get("limit") or 100), 100)
        if "allowed_updates" in p:  # Telegram remembers the last list it was given
            self._allowed = frozenset(p["allowed_updates"] or ()) or None
        if offset > 0:  # confirms every update below it
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        deadline = time.monotonic() + timeout
        self.waiting_polls += 1
        self._changed()  # a superseded poll wakes up to answer 409; wait_for() sees us
        try:
            while True:
                if generation != self._poll_generation:
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; "
                        "make sure that only one bot instance is running",
                    )
                batch = [u for u in self._updates if self._wanted(u)][:limit]
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0 or self._closing:
                    return batch
                await self._wait_change(remaining)
        finally:
            self.waiting_polls -= 1

    def _send_message(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._writable_chat(p)
        text = str(p.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise ApiError(400, "Bad Request: message is too long")
        content: dict[str, Any] = {"text": text}
        entities = _checked_entities(text, p.get("entities"))
        if entities:
            content["entities"] = entities
        reply_id = self._reply_target(chat, p)
        if reply_id is not None:
            content["reply_to_message"] = _one_level(chat.messages[reply_id])
        markup = _inline_markup(p.get("reply_markup"))
        if markup:
            content["reply_markup"] = markup
        message = self._new_message(chat, self.bot_user, **content)
        rows = markup.get("inline_keyboard", []) if markup else []
        self.sent.append(
            SentMessage(
                chat.id,
                message["message_id"],
                text,
                reply_id,
                rows,
                time.monotonic(),
                message["date"],
                entities,
            )
        )
        return message

    def _send_media(self, kind: str, p: dict[str, Any]) -> dict[str, Any]:
        """sendPhoto / sendVideo / sendDocument: the content uploaded (multipart; counted
        in ``uploads``) or a file_id from an earlier upload (not an upload). Recorded like
        a message whose text is the caption."""
        given = p.get(kind)
        if isinstance(given, str) and given:
            data = self.files.get(given)
            if data is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            file_id = given
        elif isinstance(given, bytes) and given:
            data = given
            file_id = ""
        else:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        limit = PHOTO_LIMIT if kind == "photo" else UPLOAD_LIMIT
        if len(data) > limit:
            raise ApiError(400, "Bad Request: file is too big")
        caption = str(p.get("caption") or "")
        if len(caption) > 1024:
            raise ApiError(400, "Bad Request: message caption is too long")
        chat = self._writable_chat(p)
        if not file_id:
            digest = hashlib.sha256(data).hexdigest()
            file_id = f"{kind}-{digest[:16]}-{len(self.uploads) + 1}"
            self.files[file_id] = data
            name = str(p.get("_filename_" + kind) or "")
            self.uploads.append(Upload(kind, chat.id, file_id, name, len(data), digest))
        unique = f"u-{hashlib.sha256(data).hexdigest()[:12]}"
        about: dict[str, Any] = {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_size": len(data),
        }
        shapes: dict[str, dict[str, Any]] = {
            "photo": {"photo": [about | {"width": 700, "height": 350}]},
            "video": {"video": about | {"width": 640, "height": 360, "duration": 30}},
            "document": {"document": about | {"file_name": "document"}},
        }
        content = shapes[kind]
        if caption:
            content["caption"] = caption
        reply_id = self._reply_target(chat, p)
        if reply_id is not None:
            content["reply_to_message"] = _one_level(chat.messages[reply_id])
        message = self._new_message(chat, self.bot_user, **content)
        if kind == "photo":
            self.photos.append((chat.id, data))
        self.sent.append(
            SentMessage(chat.id, message["message_id"], caption, reply_id, [], time.monotonic(),
                        message["date"], media=kind, file_id=file_id)
        )  # fmt: skip
        return message

    def _edit_message_text(self, p: dict[str, Any]) -> dict[str, Any]:
        if "inline_message_id" in p:
            raise ApiError(400, "Bad Request: inline messages are not modelled by the fake")
        chat = self._writable_chat(p)
        message = chat.messages.get(int(p.get("message_id") or 0))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        text = str(p.get("text") or "")
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        _checked_entities(text, p.get("entities"))
        # Like Telegram: an edit without reply_markup removes the inline keyboard.
        markup = _inline_markup(p.get("reply_markup"))
        if text == message["text"] and markup == message.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = text
        message.pop("reply_markup", None)
        if markup:
            message["reply_markup"] = markup
        message["edit_date"] = int(time.time())
        rows = markup.get("inline_keyboard", []) if markup else []
        self.edits.append(Edit(chat.id, message["message_id"], text, rows, time.monotonic()))
        return message

    def _answer_callback_query(self, p: dict[str, Any]) -> bool:
        query_id = str(p.get("callback_query_id"))
        if query_id not in self._open_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        self._open_callbacks.discard(query_id)
        answer = CallbackAnswer(
            query_id, p.get("text"), bool(p.get("show_alert")), time.monotonic()
        )
        self.callback_answers.append(answer)
        return True

    def _delete_message(self, p: dict[str, Any]) -> bool:
        chat = self._readable_chat(p.get("chat_id"))
        message_id = int(p.get("message_id") or 0)
        message = chat.messages.get(message_id)
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        from_bot = message["from"]["id"] == self.bot_id
        if not from_bot and chat.type != "private" and chat.bot_status != "administrator":
            raise ApiError(400, "Bad Request: message can't be deleted")
        del chat.messages[message_id]
        self.deleted.append((chat.id, message_id))
        return True

    def _get_chat(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._readable_chat(p.get("chat_id"))
        return chat.to_json() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_chat_member(self, p: dict[str, Any]) -> dict[str, Any]:
        chat = self._readable_chat(p.get("chat_id"))
        user_id = int(p.get("user_id") or 0)
        if user_id not in self.users:
            raise ApiError(400, "Bad Request: user not found")
        if user_id == self.bot_id:
            status = chat.bot_status
        elif chat.type == "private":
            status = "member" if chat.id == user_id else "left"
        else:
            status = chat.members.get(user_id, "left")
        return _member(self.users[user_id], status)

    def _get_chat_administrators(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        chat = self._readable_chat(p.get("chat_id"))
        if chat.type == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        admins = [
            _member(self.users[uid], status)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(_member(self.bot_user, "administrator"))
        return admins

    def _set_my_commands(self, p: dict[str, Any]) -> bool:
        self.commands = list(p.get("commands") or [])
        return True

    def _delete_my_commands(self, p: dict[str, Any]) -> bool:
        self.commands = []
        return True

    def _delete_webhook(self, p: dict[str, Any]) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = None
        return True

    def _set_webhook(self, p: dict[str, Any]) -> bool:
        """Recorded only: tests deliver updates to the bot's listener themselves."""
        self.webhook = {"url": str(p.get("url", "")), "secret_token": p.get("secret_token")}
        return True

    def _get_webhook_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    # -- internals ------------------------------------------------------------------------

    def _changed(self) -> None:
        # Waiters hold the old event; a fresh one is armed for the next change.
        self._change.set()
        self._change = asyncio.Event()

    async def _wait_change(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._change.wait(), seconds)

    def _push(self, **update: Any) -> int:
        update_id = 500_000_000 + next(self._ids)
        # A snapshot: later edits to a stored message must not rewrite an undelivered update.
        self._updates.append({"update_id": update_id, **copy.deepcopy(update)})
        self._changed()
        return update_id

    def _wanted(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        if self._allowed is None:
            return kind not in _NOT_BY_DEFAULT
        return kind in self._allowed

    def _push_membership(self, chat: Chat, by_user_id: int, old: str, new: str) -> None:
        self._push(
            my_chat_member={
                "chat": chat.to_json(),
                "from": self.users[by_user_id],
                "date": int(time.time()),
                "old_chat_member": _member(self.bot_user, old),
                "new_chat_member": _member(self.bot_user, new),
            }
        )

    def _new_message(
        self, chat: Chat, sender: dict[str, Any], *, date: int | None = None, **content: Any
    ) -> dict[str, Any]:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        message = {
            "message_id": message_id,
            "from": sender,
            "chat": chat.to_json(),
            "date": date if date is not None else int(time.time()),
            **content,
        }
        chat.messages[message_id] = message
        return message

    def _bot_sees(self, chat: Chat, message: dict[str, Any]) -> bool:
        if chat.type == "private":
            return chat.bot_status == "member"
        if chat.bot_status not in ("member", "administrator"):
            return False
        if not self.privacy_mode or chat.bot_status == "administrator":
            return True
        if _SERVICE_KEYS & message.keys():
            return True
        text = message.get("text") or message.get("caption") or ""
        handle = f"@{self.bot_user['username']}".lower()
        replied = message.get("reply_to_message", {}).get("from", {}).get("id")
        return text.startswith("/") or handle in text.lower() or replied == self.bot_id

    def _chat(self, chat_id: int) -> Chat:
        try:
            return self.chats[int(chat_id)]
        except KeyError:
            raise KeyError(f"fake Telegram has no chat {chat_id}; add it first") from None

    def _readable_chat(self, raw_id: Any) -> Chat:
        try:
            chat = self.chats.get(int(raw_id))
        except (TypeError, ValueError):
            chat = None  # "@username" chats are not modelled
        if chat is None:
            if isinstance(raw_id, int) and raw_id in self.users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise ApiError(400, "Bad Request: chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        if chat.bot_status == "kicked":
            if chat.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        if chat.bot_status == "left":
            if chat.type == "private":
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _writable_chat(self, p: dict[str, Any]) -> Chat:
        chat = self._readable_chat(p.get("chat_id"))
        if chat.id in self._forbidden:
            raise ApiError(403, self._forbidden[chat.id])
        for outage in self._outages:
            if outage.remaining > 0 and outage.chat_id in (None, chat.id):
                outage.remaining -= 1
                raise ApiError(outage.retry_after, "Bad Gateway")
        for flood in self._floods:
            if flood.remaining > 0 and flood.chat_id in (None, chat.id):
                flood.remaining -= 1
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {flood.retry_after}",
                    retry_after=flood.retry_after,
                )
        return chat

    def _reply_target(self, chat: Chat, p: dict[str, Any]) -> int | None:
        params = p.get("reply_parameters") or {}
        if not params and p.get("reply_to_message_id"):  # the pre-7.0 spelling
            params = {
                "message_id": p["reply_to_message_id"],
                "allow_sending_without_reply": p.get("allow_sending_without_reply", False),
            }
        if not params:
            return None
        message_id = int(params["message_id"])
        if message_id in chat.messages:
            return message_id
        if params.get("allow_sending_without_reply"):
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")

    # -- control API for a server in another process --------------------------------------

    _CONTROL = frozenset(
        {
            "add_user",
            "add_group",
            "open_private_chat",
            "promote",
            "user_says",
            "private_says",
            "user_sends",
            "add_bot_to_group",
            "remove_bot_from_group",
            "migrate_to_supergroup",
            "press_button",
            "push_update",
            "fail_with_429",
            "fail_with_403",
            "fail_with_server_error",
            "clear_failures",
            "set_privacy_mode",
        }
    )

    async def _control(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        if action in ("sent", "snapshot"):
            chat_id = request.query.get("chat_id")
            if action == "sent":
                sent = self.all_sent() if chat_id is None else self.sent_to(int(chat_id))
                return web.json_response([asdict(s) for s in sent], dumps=_dumps)
            return web.json_response(self.snapshot(), dumps=_dumps)
        if action not in self._CONTROL:
            return web.json_response({"error": f"unknown helper {action!r}"}, status=404)
        kwargs = await request.json() if request.can_read_body else {}
        try:
            result = getattr(self, action)(**kwargs)
        except (KeyError, ValueError, TypeError) as error:
            return web.json_response({"error": str(error)}, status=400, dumps=_dumps)
        return web.json_response({"result": result}, dumps=_dumps)

    def snapshot(self) -> dict[str, Any]:
        return {
            "sent": [asdict(s) for s in self.sent],
            "edits": [asdict(e) for e in self.edits],
            "callback_answers": [asdict(a) for a in self.callback_answers],
            "deleted": self.deleted,
            "uploads": [asdict(u) for u in self.uploads],
            "pending_updates": len(self._updates),
        }


# -- helpers ------------------------------------------------------------------------------

_dumps = functools.partial(json.dumps, ensure_ascii=False)


async def _read_params(request: web.Request) -> dict[str, Any]:
    params = decode_params(request.query.items())
    if request.content_type == "application/json":
        if request.can_read_body:
            params.update(await request.json())
    elif request.can_read_body:
        form = await request.post()
        params.update(decode_params((k, v) for k, v in form.items() if isinstance(v, str)))
        # Uploaded files (sendPhoto, sendVideo, ...): kept as bytes for tests to inspect.
        files = [(k, v) for k, v in form.items() if isinstance(v, web.FileField)]
        params.update({k: v.file.read() for k, v in files})
        params.update({f"_filename_{k}": unquote(v.filename) for k, v in files})
    return params


def decode_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Query or form fields as PTB means them: JSON objects, numbers and booleans typed."""
    return {key: _decode(key, value) for key, value in pairs}


def _decode(key: str, value: str) -> Any:
    if key in _JSON_PARAMS:
        return json.loads(value)
    if key in _TEXT_PARAMS:
        return value
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    if re.fullmatch(r"-?\d+\.\d+", value):
        return float(value)
    return value


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _checked_entities(text: str, entities: Any) -> list[dict[str, Any]]:
    """Entities sent with a text, refused as Telegram does when one lies outside it
    (offsets and lengths count UTF-16 units)."""
    if not entities:
        return []
    size = len(text.encode("utf-16-le")) // 2
    for entity in entities:
        offset, length = int(entity.get("offset", -1)), int(entity.get("length", 0))
        if offset < 0 or length <= 0 or offset + length > size:
            raise ApiError(400, "Bad Request: can't parse entities: entity beyond the text")
    return list(entities)


def _entities(text: str) -> list[dict[str, Any]]:
    """Mention and command entities with UTF-16 offsets, as the real server adds them."""
    found = []
    command = _COMMAND.match(text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": _utf16(command.group())})
    for match in _MENTION.finditer(text):
        if command and match.start() < command.end():
            continue  # the @bot suffix of /cmd@bot belongs to the command
        found.append(
            {
                "type": "mention",
                "offset": _utf16(text[: match.start()]),
                "length": _utf16(match.group()),
            }
        )
    return found


def _one_level(message: dict[str, Any]) -> dict[str, Any]:
    # Telegram nests a replied-to message only one level deep.
    return {k: v for k, v in message.items() if k != "reply_to_message"}


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    if not markup or "inline_keyboard" not in markup:
        return None
    for row in markup["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return {"inline_keyboard": markup["inline_keyboard"]}


def _creator(chat: Chat, bot_id: int) -> int:
    for uid, status in chat.members.items():
        if status == "creator":
            return uid
    return next(iter(chat.members), bot_id)


def _member(user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember object with the fields PTB requires for that status."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member |= {
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_pin_messages": True,
        }
    elif status == "kicked":
        member["until_date"] = 0
    return member


# -- standalone ---------------------------------------------------------------------------


async def _serve(args: argparse.Namespace) -> None:
    server = FakeTelegram(args.token, privacy_mode=args.privacy)
    await server.start(args.port)
    state = Path(args.state) if args.state else None
    address = {
        "base_url": server.api_base_url,
        "port": server.port,
        "token": server.token,
        "pid": os.getpid(),
        "control_url": f"http://127.0.0.1:{server.port}/_fake/",
    }
    if state:
        _write_atomically(state, address)
    print(json.dumps(address), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    if state:
        _write_atomically(state, address | server.snapshot())
    await server.stop()


def _write_atomically(path: Path, data: dict[str, Any]) -> None:
    # A reader polling for the file never sees it half written.
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(_dumps(data), encoding="utf-8")
    partial.replace(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Telegram Bot API server for tests.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--state", help="write the address here once listening, a snapshot on exit")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--privacy", action="store_true", help="start with privacy mode on")
    asyncio.run(_serve(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
