"""The Telegram edge: python-telegram-bot 22 behind the platform-neutral ``ChatAdapter``.

Two halves:

- ``to_event()`` is pure: one ``telegram.Update`` in, one ``core.events`` event (or None)
  out. It is unit-tested from recorded Bot API payloads.
- ``TelegramAdapter`` owns a PTB ``Application`` (long polling, no persistence, no job
  queue: our own scheduler and database own time and state) and turns Telegram errors
  into ``core.ports.SendError`` subclasses, so nothing outside ``bot/adapters`` ever sees a
  Telegram type.

The token is a secret: it is never logged and never part of an error message, although
the Bot API puts it into every request URL: the adapter registers it with the root log
filter (``bot.observability.register_secret``) and ``_redact``s error texts.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    CallbackQuery,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    ContextTypes,
    ExtBot,
    TypeHandler,
)
from telegram.warnings import PTBDeprecationWarning

from bot.adapters.telegram_http import aiohttp_requests
from bot.inbound import clean_event
from bot.observability import register_secret
from core.config import TELEGRAM_TOKEN_ENV
from core.events import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    Button,
    ButtonPress,
    ChatRef,
    Event,
    IncomingMessage,
    MediaRef,
    MembersJoined,
    Outgoing,
    SentRef,
)
from core.events import ChatMigrated as ChatMigratedEvent
from core.ports import (
    ChatGone,
    ChatMovedTo,
    Clock,
    EventSink,
    MediaFileIds,
    MemoryFileIds,
    Recorder,
    RetryLater,
    SendError,
    SystemClock,
)
from core.safetext import utf16_len

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
# edited_message is left out on purpose: answering edits would answer a question twice.
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
PLATFORM: Final = "telegram"

_GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
_PRESENT = frozenset(
    {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.MEMBER}
)
_AFTER_MENTION = " ,，:：、"
# Retrying a send that failed before Telegram answered (connection refused, 5xx) is safe.
# Group photos are fetched for the guard at the largest size up to this side (Telegram
# keeps several); never past PICTURE_BYTES.
PICTURE_SIDE = 1280
PICTURE_BYTES = 5_000_000
_NETWORK_RETRY_SECONDS = 5.0
MEDIA_CAPTION = 1024  # characters of a photo/video/document caption (checked when saved)
UPLOAD_SECONDS = 120.0  # an upload of up to 50 MB
# Updates PTB may hand over before ours have run (each is a small waiting task).
_WAITING_UPDATES = 10_000
# On stop, how long updates being handled may take before they are cancelled.
STOP_GRACE_SECONDS = 3.0

PRIVACY_MODE_WARNING = (
    "the bot cannot see ordinary group messages (privacy mode is on), only commands, "
    "@mentions and replies to it; disable privacy mode with @BotFather /setprivacy -> "
    "Disable, then remove the bot from each group and add it again"
)
JOIN_GROUPS_WARNING = (
    "the bot cannot be added to groups; allow it with @BotFather /setjoingroups -> Enable"
)


class TelegramSetupError(Exception):
    """The adapter cannot start; the message tells the admin what to fix (never the token)."""


# --------------------------------------------------------------------------------------
# Update -> event (pure)


def to_event(update: Update, *, bot_id: int, bot_username: str, now: datetime) -> Event | None:
    """Map one Telegram update to a platform-neutral event; None for everything we ignore.

    Every string a person typed is cleaned and capped here, once (``bot.inbound``).
    """
    event = _to_event(update, bot_id=bot_id, bot_username=bot_username, now=now)
    return None if event is None else clean_event(event)


def _to_event(update: Update, *, bot_id: int, bot_username: str, now: datetime) -> Event | None:
    if update.callback_query is not None:
        return _button_press(update.callback_query, now)
    if update.my_chat_member is not None:
        return _membership_change(update.my_chat_member, bot_id)
    message = update.message
    if message is None:
        return None
    if message.migrate_to_chat_id is not None:
        # The supergroup also gets a migrate_from_chat_id message; one event is enough.
        return ChatMigratedEvent(
            old=_ref(message.chat.id),
            new=_ref(message.migrate_to_chat_id),
            received_at=message.date,
        )
    if message.new_chat_members:
        return _members_joined(message)
    return _incoming_message(message, bot_id, bot_username)


def _members_joined(message: Message) -> MembersJoined | None:
    """People joined a group (the bot itself is told by ``my_chat_member``; bots are not
    welcomed)."""
    people = [user.full_name for user in message.new_chat_members if not user.is_bot]
    if not people or message.chat.type not in _GROUP_TYPES:
        return None
    return MembersJoined(_ref(message.chat.id), tuple(people), message.date)


def _ref(chat_id: int) -> ChatRef:
    return ChatRef(PLATFORM, str(chat_id))


def _button_press(query: CallbackQuery, now: datetime) -> ButtonPress | None:
    # Buttons on inline-mode messages have no message; games have no data: neither is ours.
    if query.message is None or not isinstance(query.data, str):
        return None
    return ButtonPress(
        chat=_ref(query.message.chat.id),
        sender_id=str(query.from_user.id),
        sender_name=query.from_user.full_name,
        data=query.data,
        message_id=str(query.message.message_id),
        received_at=now,  # a callback query carries no date of its own
        callback_id=query.id,
    )


def _is_present(member: ChatMember) -> bool:
    if member.status in _PRESENT:
        return True
    return member.status == ChatMemberStatus.RESTRICTED and bool(
        getattr(member, "is_member", False)
    )


def _membership_change(change: ChatMemberUpdated, bot_id: int) -> Event | None:
    if change.chat.type not in _GROUP_TYPES or change.new_chat_member.user.id != bot_id:
        return None
    was_in, is_in = _is_present(change.old_chat_member), _is_present(change.new_chat_member)
    if is_in and not was_in:
        return BotAddedToGroup(
            chat=_ref(change.chat.id),
            title=change.chat.title or "",
            added_by_id=str(change.from_user.id),
            received_at=change.date,
        )
    if was_in and not is_in:
        return BotRemovedFromGroup(chat=_ref(change.chat.id), received_at=change.date)
    return None  # e.g. promoted to administrator: still the same group membership


def _incoming_message(message: Message, bot_id: int, bot_username: str) -> IncomingMessage | None:
    chat = message.chat
    if chat.type not in _GROUP_TYPES and chat.type != ChatType.PRIVATE:
        return None  # channels
    # A group's picture is read by the guard; one sent to the bot in private may be an
    # officer's alert to push (the largest size: it is forwarded, not read).
    picture_id = _picture_id(message, largest=chat.type == ChatType.PRIVATE)
    video = message.video if chat.type == ChatType.PRIVATE else None
    video_id = video.file_id if video is not None else ""
    entities: Sequence[MessageEntity]
    if message.text is not None:
        text, entities = message.text, message.entities
    elif message.caption is not None:
        text, entities = message.caption, message.caption_entities
    elif picture_id or video_id:
        text, entities = "", ()  # a picture alone (the guard reads it) or a video
    else:
        return None  # stickers, service messages

    sender = _sender(message)
    if sender is None:
        return None
    sender_id, sender_name, sender_is_bot = sender

    mentioned, text = _strip_own_mentions(text, entities, bot_id, bot_username)
    reply = message.reply_to_message
    if reply is not None and reply.forum_topic_created is not None:
        reply = None  # in forum topics every message "replies" to the topic's first message
    replied_to_bot = (
        reply is not None and reply.from_user is not None and reply.from_user.id == bot_id
    )
    is_private = chat.type == ChatType.PRIVATE
    return IncomingMessage(
        chat=_ref(chat.id),
        sender_id=sender_id,
        sender_name=sender_name,
        text=text,
        message_id=str(message.message_id),
        is_group=not is_private,
        addressed=is_private or mentioned or replied_to_bot,
        received_at=message.date,
        sender_is_bot=sender_is_bot,
        chat_title=chat.title or "",
        reply_to_message_id=str(reply.message_id) if reply is not None else None,
        picture_id=picture_id,
        video_id=video_id,
    )


def _picture_id(message: Message, *, largest: bool = False) -> str:
    """The largest size of a photo that is still small enough to read quickly (or the
    largest of all)."""
    sizes = message.photo
    if not sizes:
        return ""
    fitting = [p for p in sizes if largest or max(p.width, p.height) <= PICTURE_SIDE]
    fitting = fitting or [sizes[0]]
    return max(fitting, key=lambda p: p.width * p.height).file_id


def _sender(message: Message) -> tuple[str, str, bool] | None:
    if message.sender_chat is not None:
        # Anonymous group admins speak as the group itself: a person, so not a bot. A linked
        # channel posting into its discussion group is an announcement, not a resident.
        origin = message.sender_chat
        return str(origin.id), origin.title or "", origin.id != message.chat.id
    if message.from_user is not None:
        user = message.from_user
        return str(user.id), user.full_name, user.is_bot
    return None


def _strip_own_mentions(
    text: str, entities: Sequence[MessageEntity], bot_id: int, bot_username: str
) -> tuple[bool, str]:
    """Whether the message names this bot, and the text without those mentions.

    Entity offsets count UTF-16 code units (an emoji counts two), so spans are cut from the
    UTF-16 encoding rather than from the Python string.
    """
    handle = "@" + bot_username.lower()
    spans: list[tuple[int, int]] = []
    for entity in entities:
        start, end = entity.offset, entity.offset + entity.length
        piece = _utf16_slice(text, start, end)
        named = entity.type == MessageEntity.MENTION and piece.lower() == handle
        if named or _links_to(entity, bot_id):
            spans.append((start, end))
        elif entity.type == MessageEntity.BOT_COMMAND and piece.lower().endswith(handle):
            # "/bind@jingmin_bot" -> "/bind": keep the command, drop the addressee.
            spans.append((end - utf16_len(handle), end))
    if not spans:
        return False, text
    return True, _cut_utf16(text, spans)


def _links_to(entity: MessageEntity, user_id: int) -> bool:
    # A text_mention names a user without a username by linking the user object.
    user = entity.user
    return entity.type == MessageEntity.TEXT_MENTION and user is not None and user.id == user_id


def _utf16_slice(text: str, start: int, end: int) -> str:
    data = text.encode("utf-16-le", "surrogatepass")  # a lone surrogate must not raise
    return data[start * 2 : end * 2].decode("utf-16-le", errors="replace")


def _cut_utf16(text: str, spans: Iterable[tuple[int, int]]) -> str:
    data = text.encode("utf-16-le", "surrogatepass")
    pieces: list[str] = []
    position = 0
    for start, end in sorted(spans):
        pieces.append(data[position * 2 : start * 2].decode("utf-16-le", errors="replace"))
        position = end
    pieces.append(data[position * 2 :].decode("utf-16-le", errors="replace"))
    # "@bot，请问…" should read "请问…", not start with the comma that followed the mention.
    kept = [pieces[0].strip()] + [piece.lstrip(_AFTER_MENTION).strip() for piece in pieces[1:]]
    return " ".join(piece for piece in kept if piece)


# --------------------------------------------------------------------------------------
# The adapter


@dataclass(frozen=True, slots=True)
class PollingOptions:
    """How the adapter talks to the Bot API; tests shrink these to keep suites fast."""

    long_poll_seconds: float = 30.0  # getUpdates waits this long on the server when idle
    poll_interval: float = 0.0  # pause between getUpdates calls
    request_timeout: float = 10.0  # connect/read/write timeout of ordinary API calls
    # Updates of different chats handled at once (each chat's still one by one, in order):
    # while one waits for the database or a sendMessage, others go ahead.
    concurrent_updates: int = 64


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Runs up to ``places`` updates at once, but never two of one chat: a chat's updates
    are handled in the order they arrived (a resident's follow-up after their question, an
    officer's answer after 修改). An update waits for its chat's turn before it takes a
    place, so a group flooded with messages holds one place and the other groups are
    answered meanwhile. (PTB's own limit is taken before ``do_process_update`` runs, i.e.
    before the chat's turn, so it is set high and ours does the limiting.)

    ``close`` is for shutdown: the updates being handled get ``grace`` seconds and are then
    cancelled, so that a flooded group does not hold the process for minutes (the ones
    behind them reach a sink that only records them in the update ledger, at once)."""

    def __init__(self, places: int) -> None:
        super().__init__(_WAITING_UPDATES)
        self._places = asyncio.Semaphore(places)
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, updates waiting on it
        self._running: set[asyncio.Task[Any]] = set()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._places:
                await self._handle(coroutine)
            return
        lock, users = self._chats.get(chat.id) or (asyncio.Lock(), 0)
        self._chats[chat.id] = (lock, users + 1)
        try:
            async with lock, self._places:  # asyncio.Lock is FIFO: arrival order is kept
                await self._handle(coroutine)
        finally:
            lock, users = self._chats[chat.id]
            if users == 1:
                del self._chats[chat.id]
            else:
                self._chats[chat.id] = (lock, users - 1)

    async def _handle(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            await coroutine
        finally:
            self._running.discard(task)

    async def close(self, grace: float) -> int:
        """Cancel the updates being handled now that are still running after ``grace``
        seconds; returns how many were cancelled."""
        running = set(self._running)
        if running:
            await asyncio.wait(running, timeout=grace)
        late = [task for task in running if not task.done()]
        for task in late:
            task.cancel()
        return len(late)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


Batch = Callable[[Sequence[Update]], Awaitable[None]]


class _RecordingBot(ExtBot[Any]):
    """An ``ExtBot`` that hands each getUpdates batch to ``on_batch`` before PTB's updater
    sees it. The updater confirms a batch to Telegram only with its next getUpdates (the
    offset), so a batch is acknowledged only once ``on_batch`` has recorded it: a worker
    killed before that gets the batch again on restart."""

    __slots__ = ("_on_batch",)

    def __init__(self, *args: Any, on_batch: Batch, **kwargs: Any) -> None:
        self._on_batch = on_batch  # "_" attributes may be set on a frozen TelegramObject
        super().__init__(*args, **kwargs)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        updates = await super().get_updates(*args, **kwargs)
        if updates:
            await self._on_batch(updates)
        return updates


class _RecordingQueue(asyncio.Queue[object]):
    """PTB's update queue for webhook mode: its webhook server puts each update in the
    queue and answers Telegram 200 after that; here the put records the update first, so
    Telegram hears "received" only after the write (and retries if the write failed)."""

    def __init__(self, on_batch: Batch) -> None:
        super().__init__()
        self._on_batch = on_batch

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            await self._on_batch((item,))
        await super().put(item)


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    """Webhook mode: several processes behind a proxy instead of one long poll."""

    url: str  # the public https URL Telegram posts to (the proxy)
    secret_token: str  # Telegram sends it in X-Telegram-Bot-Api-Secret-Token; PTB checks it
    listen: str = "127.0.0.1"
    port: int = 8443

    @property
    def url_path(self) -> str:
        return urlsplit(self.url).path.lstrip("/")


def api_urls(api_base_url: str) -> tuple[str, str]:
    """(base_url, base_file_url) for PTB from the ``[telegram] api_base_url`` setting.

    PTB appends the token to a plain base URL ("https://api.telegram.org/bot" + token), or
    fills a "{token}" placeholder. A bare host ("http://127.0.0.1:8081") gets the standard
    "/bot" path of the Bot API; the file URL is the same with "/file" before "/bot".
    """
    url = api_base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TelegramSetupError(
            f"[telegram] api_base_url must be an http(s) URL such as {DEFAULT_API_BASE_URL}, "
            f"got {api_base_url!r}"
        )
    if parts.path == "":
        url += "/bot"
    elif not url.endswith("/bot") and "{token}" not in url:
        raise TelegramSetupError(
            "[telegram] api_base_url must end with /bot (the token is appended to it), "
            f"e.g. {DEFAULT_API_BASE_URL}; got {api_base_url!r}"
        )
    cut = url.rfind("/bot")
    return url, url[:cut] + "/file" + url[cut:]


class TelegramAdapter:
    """``ChatAdapter`` for Telegram on a PTB ``Application`` with long polling."""

    platform = PLATFORM

    def __init__(
        self,
        token: str | None,
        *,
        api_base_url: str = DEFAULT_API_BASE_URL,
        polling: PollingOptions | None = None,
        webhook: WebhookOptions | None = None,
        clock: Clock | None = None,
        file_ids: MediaFileIds | None = None,
    ) -> None:
        token = (token or "").strip()
        if not token:
            raise TelegramSetupError(
                f"{TELEGRAM_TOKEN_ENV} is not set; put the bot token from @BotFather in that "
                "environment variable (never in the config file)"
            )
        self._token = token
        self._base_url, self._base_file_url = api_urls(api_base_url)
        self._polling = polling or PollingOptions()
        self._webhook = webhook
        self._clock: Clock = clock or SystemClock()
        # Telegram's file_id per content sha256: uploaded once, then reused (and kept in
        # the database by the bot, so a restart does not upload again).
        self._file_ids: MediaFileIds = file_ids or MemoryFileIds()
        self._known_file_ids: dict[str, str] = {}
        self._uploading: dict[str, asyncio.Lock] = {}
        self._refused_file_ids: set[str] = set()  # stale ones (another bot token's)
        self.uploads = 0  # media uploads made by this adapter (the rest went by file_id)
        self._app: Application[Any, Any, Any, Any, Any, Any] | None = None
        self._processor = ChatOrderedProcessor(self._polling.concurrent_updates)
        self._sink: EventSink | None = None
        register_secret(token)  # the root log filter blanks it out of every record
        self._recorder: Recorder | None = None
        self._recording_bot: _RecordingBot | None = None
        # update_id -> its event and whether this worker handles it, once recorded
        self._recorded: dict[int, tuple[Event, bool]] = {}
        self.bot_id = 0
        self.bot_username = ""

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, on_event: EventSink) -> None:
        """getMe, then long polling (or the webhook); returns once updates are coming."""
        await self._launch(on_event)

    def record_updates_with(self, recorder: Recorder) -> None:
        """Record every update with ``recorder`` before Telegram hears it was received;
        the events it declines (taken before) are not handled."""
        self._recorder = recorder

    async def open(self) -> None:
        """getMe only: send without taking updates (``jingmin broadcast send-now`` next to a
        running bot must neither steal its updates nor delete its webhook)."""
        await self._launch(None)

    async def _launch(self, on_event: EventSink | None) -> None:
        if self._app is not None:
            raise RuntimeError("TelegramAdapter is already started")
        self._sink = on_event
        self._processor = ChatOrderedProcessor(self._polling.concurrent_updates)
        request, get_updates_request = aiohttp_requests(self._polling.request_timeout)
        bot = _RecordingBot(
            self._token,
            base_url=self._base_url,
            base_file_url=self._base_file_url,
            request=request,
            get_updates_request=get_updates_request,
            on_batch=self._record,
        )
        self._recording_bot = bot
        builder = (
            Application.builder()
            .bot(bot)
            .job_queue(None)  # our scheduler owns time; PTB's JobQueue would be a second one
            .concurrent_updates(self._processor)
        )
        if self._webhook is not None:
            builder = builder.update_queue(_RecordingQueue(self._record))
        app = builder.build()
        app.add_handler(TypeHandler(Update, self._on_update))
        try:
            await app.initialize()  # calls getMe: this is where a bad token shows
            me = app.bot.bot
            assert app.updater is not None  # the builder always makes one unless told not to
            if on_event is None:
                pass  # send-only
            elif self._webhook is not None:
                # PTB's server answers 403 to any request without the secret token.
                await app.updater.start_webhook(
                    listen=self._webhook.listen,
                    port=self._webhook.port,
                    url_path=self._webhook.url_path,
                    webhook_url=self._webhook.url,
                    secret_token=self._webhook.secret_token,
                    allowed_updates=list(ALLOWED_UPDATES),
                    drop_pending_updates=False,
                )
            else:
                await app.updater.start_polling(
                    poll_interval=self._polling.poll_interval,
                    timeout=timedelta(seconds=self._polling.long_poll_seconds),
                    allowed_updates=list(ALLOWED_UPDATES),
                    # Updates that arrived while we were down are still answered (handlers
                    # skip ones that are too old), so nothing is dropped on restart.
                    drop_pending_updates=False,
                    error_callback=self._on_polling_error,
                )
            if on_event is not None:
                await app.start()
        except InvalidToken:
            await self._discard(app)
            # PTB's own message quotes the token, so it is replaced, not chained.
            raise TelegramSetupError(
                f"Telegram rejected the token in {TELEGRAM_TOKEN_ENV}; check it with "
                "@BotFather (/mybots -> API Token), and if you run your own Bot API server, "
                f"that [telegram] api_base_url ({self._base_url}) points at it"
            ) from None
        except NetworkError as exc:
            await self._discard(app)
            raise TelegramSetupError(
                f"cannot reach the Telegram Bot API at {self._base_url}: {self._redact(exc)}"
            ) from None
        except TelegramError as exc:
            await self._discard(app)
            raise TelegramSetupError(
                f"the Telegram Bot API at {self._base_url} refused to start polling: "
                f"{self._redact(exc)}"
            ) from None
        except BaseException:
            await self._discard(app)
            raise
        self._app = app
        self.bot_id, self.bot_username = me.id, me.username or ""

    async def stop(self) -> None:
        """Stop within seconds however much is queued: the updates in hand get
        ``STOP_GRACE_SECONDS`` and are then cancelled (the runtime's sink only records the
        queued ones in the update ledger, so they empty at once); stop polling; close HTTP."""
        app, self._app = self._app, None
        if app is None:
            return
        cancelled = await self._processor.close(STOP_GRACE_SECONDS)
        if cancelled:
            log.warning("telegram: %d update(s) cancelled mid-handling on stop", cancelled)
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()  # waits for the queued updates: they only reach the sink
        await app.shutdown()

    async def _discard(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        # A failed getMe leaves the bot's HTTP clients open while the Application counts as
        # not initialised (its shutdown() then does nothing), so close both.
        try:
            if app.updater is not None and app.updater.running:
                await app.updater.stop()
            await app.shutdown()  # returns at once if initialize() never finished
            await app.bot.shutdown()  # idempotent
        except Exception:  # cleanup must not hide the real error
            log.debug("telegram: cleanup after a failed start failed", exc_info=True)

    def _redact(self, error: BaseException) -> str:
        return str(error).replace(self._token, "<token>")

    def _on_polling_error(self, error: TelegramError) -> None:
        # PTB retries by itself; one line instead of its default traceback per failure.
        log.warning("telegram: getUpdates failed, retrying: %s", self._redact(error))

    async def _record(self, updates: Sequence[Update]) -> None:
        """Record the updates' events with the ledger, before PTB acknowledges them."""
        recorder, bot = self._recorder, self._recording_bot
        if recorder is None or bot is None or self._sink is None:
            return
        now = self._clock.now()
        events: list[tuple[int, Event]] = []
        for update in updates:
            try:
                event = to_event(update, bot_id=bot.id, bot_username=bot.username, now=now)
            except Exception:
                continue  # _on_update says what was wrong with it
            if event is not None:
                events.append((update.update_id, event))
        if events:
            verdicts = await recorder([event for _, event in events])
            for (update_id, event), mine in zip(events, verdicts, strict=True):
                self._recorded[update_id] = (event, mine)

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sink = self._sink
        if sink is None:
            return
        recorded = self._recorded.pop(update.update_id, None)
        if recorded is not None:
            event, mine = recorded
            if not mine:
                return  # taken before: handled already, or in another worker's hands
        else:
            try:
                mapped = to_event(
                    update,
                    bot_id=context.bot.id,
                    bot_username=context.bot.username,
                    now=self._clock.now(),
                )
            except Exception:
                log.exception("telegram: could not read update %s", update.update_id)
                return
            if mapped is None:
                return
            event = mapped
        try:
            await sink(event)
        except Exception:
            # Handlers should not raise; if one does, polling must go on regardless.
            log.exception("telegram: handling %s failed", type(event).__name__)
        finally:
            if isinstance(event, ButtonPress) and event.callback_id:
                # Stops the spinner on the officer's phone whatever the handler did.
                await self.answer_callback(event.callback_id)

    def _bot(self) -> ExtBot[Any]:
        if self._app is None:
            raise RuntimeError("TelegramAdapter is not started")
        bot: ExtBot[Any] = self._app.bot
        return bot

    # -- sending ------------------------------------------------------------------------

    async def send(self, out: Outgoing) -> SentRef:
        """sendMessage (editMessageText when ``out.edit_message_id`` is set, deleteMessage
        when ``out.delete_message_id`` is)."""
        if out.delete_message_id is not None:
            await self.delete_message(out.chat, out.delete_message_id)
            return SentRef(out.chat, out.delete_message_id)
        bot = self._bot()
        chat_id = _chat_id(out.chat)
        markup = _keyboard(out.buttons)
        entities = quote_entities(out.text, out.quotes)
        try:
            if out.edit_message_id is not None:
                edited = await bot.edit_message_text(
                    out.text,
                    chat_id=chat_id,
                    message_id=int(out.edit_message_id),
                    reply_markup=markup,
                    entities=entities,
                )
                message_id = (
                    str(edited.message_id) if isinstance(edited, Message) else out.edit_message_id
                )
                return SentRef(out.chat, message_id)
            reply = (
                # The resident may have deleted the question; the answer still goes out.
                ReplyParameters(int(out.reply_to), allow_sending_without_reply=True)
                if out.reply_to
                else None
            )
            if out.media is not None:
                sent = await self._send_media(chat_id, out, out.media, reply, markup)
            elif out.image_png is not None:
                sent = await bot.send_photo(
                    chat_id, out.image_png, caption=out.text[:1024] or None, reply_parameters=reply
                )
            else:
                sent = await bot.send_message(
                    chat_id,
                    out.text,
                    reply_parameters=reply,
                    reply_markup=markup,
                    entities=entities,
                )
        except BadRequest as exc:
            if "message is not modified" in exc.message.lower():
                # Editing to what is already shown (e.g. replayed after a restart) is done.
                return SentRef(out.chat, str(out.edit_message_id))
            raise self._send_error(exc) from None
        except TelegramError as exc:
            raise self._send_error(exc) from None
        return SentRef(out.chat, str(sent.message_id))

    async def _send_media(
        self,
        chat_id: int | str,
        out: Outgoing,
        media: MediaRef,
        reply: ReplyParameters | None,
        markup: InlineKeyboardMarkup | None,
    ) -> Message:
        """sendPhoto / sendVideo / sendDocument with the text as caption: by file_id when
        Telegram has the content already, else one upload (the fan-out's other sends wait
        for it and then go by its file_id). A file_id Telegram no longer knows (another
        bot token) is forgotten and the content uploaded again."""
        bot = self._bot()
        methods: dict[str, Callable[..., Awaitable[Message]]] = {
            "photo": bot.send_photo,
            "video": bot.send_video,
            "file": bot.send_document,
        }
        method = methods[media.kind]
        caption = out.text[:MEDIA_CAPTION] or None

        # A video plays as it downloads rather than after (residents on mobile data).
        extra = {"supports_streaming": True} if media.kind == "video" else {}

        async def send(content: str | InputFile) -> Message:
            return await method(
                chat_id,
                content,
                caption=caption,
                reply_parameters=reply,
                reply_markup=markup,
                write_timeout=UPLOAD_SECONDS,
                read_timeout=UPLOAD_SECONDS,
                **extra,
            )

        known = await self._file_id(media.sha256)
        if known is not None:
            try:
                return await send(known)
            except BadRequest as exc:
                if not _stale_file_id(exc):
                    raise
                log.warning("telegram: file_id of %s refused; uploading again", media.sha256)
                self._forget_file_id(media.sha256, known)
        lock = self._uploading.setdefault(media.sha256, asyncio.Lock())
        async with lock:
            known = self._known_file_ids.get(media.sha256)
            if known is not None:  # uploaded by another send while this one waited
                return await send(known)
            data = await _read_media(media)
            self.uploads += 1
            message = await send(InputFile(data, filename=media.filename))
            file_id = _file_id_of(message)
            if file_id:
                self._known_file_ids[media.sha256] = file_id
                await asyncio.to_thread(self._file_ids.put, PLATFORM, media.sha256, file_id)
            return message

    async def _file_id(self, sha256: str) -> str | None:
        if sha256 not in self._known_file_ids:
            stored = await asyncio.to_thread(self._file_ids.get, PLATFORM, sha256)
            if stored and stored not in self._refused_file_ids:
                self._known_file_ids.setdefault(sha256, stored)
        return self._known_file_ids.get(sha256)

    def _forget_file_id(self, sha256: str, file_id: str) -> None:
        self._refused_file_ids.add(file_id)
        if self._known_file_ids.get(sha256) == file_id:
            del self._known_file_ids[sha256]

    def _send_error(self, exc: TelegramError) -> SendError:
        if isinstance(exc, RetryAfter):
            return RetryLater(_seconds(exc))
        if isinstance(exc, ChatMigrated):
            return ChatMovedTo(str(exc.new_chat_id))
        if isinstance(exc, Forbidden):
            return ChatGone(self._redact(exc))
        if isinstance(exc, BadRequest):
            # PTB drops Telegram's "Bad Request: " prefix and capitalises what is left.
            if "chat not found" in exc.message.lower():
                return ChatGone(self._redact(exc))
            return SendError(self._redact(exc))
        if isinstance(exc, TimedOut):
            # Telegram may have delivered it: retrying could post twice, so the caller decides.
            return SendError(f"timed out, delivery unknown: {self._redact(exc)}")
        if isinstance(exc, NetworkError):
            return RetryLater(_NETWORK_RETRY_SECONDS)
        return SendError(self._redact(exc))

    async def answer_callback(
        self, callback_id: str, text: str = "", *, alert: bool = False
    ) -> bool:
        """Stop the button's spinner (optionally with a toast); False if Telegram refused."""
        try:
            return await self._bot().answer_callback_query(
                callback_id, text=text or None, show_alert=alert
            )
        except TelegramError as exc:
            # Queries expire after a while (e.g. pressed while we were restarting): harmless.
            log.info("telegram: could not answer button press: %s", self._redact(exc))
            return False

    async def fetch_picture(self, chat: ChatRef, picture_id: str) -> bytes | None:
        """A group photo's bytes, in memory only, for the guard to read."""
        found = await self._bot().get_file(picture_id)
        if found.file_size and found.file_size > PICTURE_BYTES:
            return None
        return bytes(await found.download_as_bytearray())

    async def delete_message(self, chat: ChatRef, message_id: str) -> bool:
        """Delete a message; False if it is gone already or the bot may not delete it."""
        try:
            return await self._bot().delete_message(_chat_id(chat), int(message_id))
        except TelegramError as exc:
            log.info("telegram: could not delete message %s: %s", message_id, self._redact(exc))
            return False

    async def set_commands(self, commands: Sequence[tuple[str, str]]) -> None:
        """The command menu users see next to the input field."""
        await self._bot().set_my_commands([BotCommand(name, about) for name, about in commands])

    async def check_setup(self) -> list[str]:
        """Plain-English problems the admin should fix in @BotFather (empty when all is well)."""
        me = await self._bot().get_me()
        problems = []
        if not me.can_join_groups:
            problems.append(JOIN_GROUPS_WARNING)
        if not me.can_read_all_group_messages:
            problems.append(PRIVACY_MODE_WARNING)
        return problems

    async def can_reach(self, user_id: str) -> bool:
        """Whether the bot may write to this user: only once they opened a private chat
        with it (Telegram refuses the others: 403, or "chat not found")."""
        try:
            await self._bot().get_chat(_chat_id(ChatRef(PLATFORM, user_id)))
        except (Forbidden, BadRequest):
            return False
        return True


async def _read_media(media: MediaRef) -> bytes:
    """The stored content; a permanent failure (nothing sent) when the store lost it."""
    try:
        return await asyncio.to_thread(Path(media.path).read_bytes)
    except OSError as error:
        raise SendError(f"media {media.sha256[:12]} missing from the store: {error}") from None


def _file_id_of(message: Message) -> str:
    """The file_id Telegram gave the content of a media message (the largest photo)."""
    if message.photo:
        return message.photo[-1].file_id
    for sent in (message.video, message.animation, message.document):
        if sent is not None:
            return sent.file_id
    return ""


def _stale_file_id(exc: BadRequest) -> bool:
    text = exc.message.lower()
    return "file identifier" in text or "file_id" in text or "file reference" in text


def _chat_id(chat: ChatRef) -> int | str:
    if chat.platform != PLATFORM:
        raise ValueError(f"TelegramAdapter cannot send to a {chat.platform} chat")
    try:
        return int(chat.chat_id)
    except ValueError:
        return chat.chat_id  # "@channelusername"


def quote_entities(text: str, quotes: tuple[tuple[int, int], ...]) -> list[MessageEntity] | None:
    """A resident's quoted words as blockquote entities (offsets in UTF-16 units): shown
    apart from the bot's words, whatever line breaks they hold."""
    return [
        MessageEntity(MessageEntity.BLOCKQUOTE, utf16_len(text[:start]), utf16_len(text[start:end]))
        for start, end in quotes
        if end > start
    ] or None


def _keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None  # also removes an existing keyboard when editing
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


def _seconds(exc: RetryAfter) -> float:
    # PTB 22.2+ warns when retry_after is read as an int (a timedelta later); accept both.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
