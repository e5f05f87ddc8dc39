"""An in-memory adapter for tests (after Errbot's test backend): events go in, sends are kept."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.inbound import clean_event
from core.events import ChatRef, Event, Outgoing, SentRef
from core.ports import EventSink


@dataclass
class FakeAdapter:
    platform: str = "console"
    sent: list[Outgoing] = field(default_factory=list)
    pictures: dict[str, bytes] = field(default_factory=dict)  # picture_id -> posted bytes
    _on_event: EventSink | None = None

    async def start(self, on_event: EventSink) -> None:
        self._on_event = on_event

    async def stop(self) -> None:
        self._on_event = None

    async def send(self, out: Outgoing) -> SentRef:
        self.sent.append(out)
        return SentRef(out.chat, out.edit_message_id or str(len(self.sent)))

    async def fetch_picture(self, chat: ChatRef, picture_id: str) -> bytes | None:
        return self.pictures.get(picture_id)

    async def inject(self, event: Event) -> list[Outgoing]:
        """Deliver an event as the platform would (cleaned at the edge, as every adapter's
        mapping does); returns what the bot sent in reply."""
        assert self._on_event is not None, "start() the adapter first"
        before = len(self.sent)
        await self._on_event(clean_event(event))
        return self.sent[before:]
