"""Shared end-to-end fixtures: a fake Bot API server and the real adapter pointed at it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from bot.adapters.telegram import PollingOptions, TelegramAdapter
from core.events import Event
from tests.fakes.telegram_server import FakeTelegram

E = TypeVar("E")

# Long polls wake as soon as an update is injected, so this only bounds idle requests.
FAST_POLLING = PollingOptions(long_poll_seconds=2.0, request_timeout=5.0)


def switch_to_webhook(config: Path, url: str, port: int) -> None:
    """Turn a written bot config's ``[telegram]`` from long polling to webhook mode."""
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "enabled = true",
            f'enabled = true\nmode = "webhook"\nwebhook_url = "{url}"\nwebhook_port = {port}',
        ),
        encoding="utf-8",
    )


class EventInbox:
    """An ``on_event`` sink that records events and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._arrived = asyncio.Event()

    async def __call__(self, event: Event) -> None:
        self.events.append(event)
        self._arrived.set()

    async def next(
        self,
        kind: type[E],
        where: Callable[[E], bool] = lambda _: True,
        within: float = 5.0,
    ) -> E:
        """The first recorded event of ``kind`` matching ``where``; consumed once returned."""
        async with asyncio.timeout(within):
            while True:
                for index, event in enumerate(self.events):
                    if isinstance(event, kind) and where(event):
                        del self.events[index]
                        return event
                self._arrived.clear()
                await self._arrived.wait()


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def inbox() -> EventInbox:
    return EventInbox()


@pytest.fixture
async def telegram_adapter(
    fake_telegram: FakeTelegram, inbox: EventInbox
) -> AsyncIterator[TelegramAdapter]:
    """A started adapter whose events land in ``inbox``."""
    adapter = TelegramAdapter(
        fake_telegram.token, api_base_url=fake_telegram.api_base_url, polling=FAST_POLLING
    )
    await adapter.start(inbox)
    yield adapter
    await adapter.stop()


from tests.e2e.wechat_fixtures import *  # noqa: E402, F403
