"""The ports the domain talks to; adapters and fakes implement them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from core.events import ChatRef, Event, Outgoing, SentRef

EventSink = Callable[[Event], Awaitable[object]]
# Records events in the update ledger before the platform is told they arrived; for each,
# whether this worker should handle it (False: it was taken before).
Recorder = Callable[[Sequence[Event]], Awaitable[Sequence[bool]]]


class ChatAdapter(Protocol):
    platform: str

    async def start(self, on_event: EventSink) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, out: Outgoing) -> SentRef: ...


@runtime_checkable
class PictureSource(Protocol):
    """An adapter that can fetch a posted picture (``IncomingMessage.picture_id``)."""

    async def fetch_picture(self, chat: ChatRef, picture_id: str) -> bytes | None: ...


# Fetches a picture's bytes by its chat and id; None when it is gone or too large.
FetchPicture = Callable[[ChatRef, str], Awaitable[bytes | None]]


class SendError(Exception):
    """A platform refused a send. Adapters raise the subclasses below, never their own."""


class RetryLater(SendError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class ChatGone(SendError):
    """The bot was kicked/blocked or the chat no longer exists (Telegram 403/400)."""


class AccountRestricted(SendError):
    """The platform restricts the sending account itself, not this chat: WeChat's
    "操作过于频繁", a ban, a logout. The account must rest ``rest_seconds`` (its rooms go to
    their spare meanwhile, see ``infra.accounts``); nothing went out."""

    def __init__(self, reason: str, rest_seconds: float) -> None:
        super().__init__(reason)
        self.reason, self.rest_seconds = reason, rest_seconds


class ChatMovedTo(SendError):
    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class MediaFileIds(Protocol):
    """A platform's own id for content it already has (Telegram's ``file_id``), by the
    content's sha256, so a fan-out uploads once and a restart does not upload again."""

    def get(self, platform: str, sha256: str) -> str | None: ...

    def put(self, platform: str, sha256: str, file_id: str) -> None: ...


class MemoryFileIds:
    """``MediaFileIds`` for one process (tests, the console)."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}

    def get(self, platform: str, sha256: str) -> str | None:
        return self._ids.get((platform, sha256))

    def put(self, platform: str, sha256: str, file_id: str) -> None:
        self._ids[(platform, sha256)] = file_id


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)
