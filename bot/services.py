"""What handlers need, built once in bootstrap and passed explicitly (no globals)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine

from bot.config import Settings, StationSettings
from bot.observability import Metrics
from bot.ports import Clock
from faq.knowledge import FaqTopic
from faq.matcher import Matcher


@dataclass
class RecentQuestions:
    """Remembers what was answered in each chat, so a repeat within the window is skipped."""

    window: timedelta
    _seen: dict[tuple[str, str, str], datetime] = field(default_factory=dict)

    def seen_recently(self, platform: str, chat_id: str, key: str, now: datetime) -> bool:
        if len(self._seen) > 10_000:  # bound memory: forget everything past the window
            self._seen = {k: t for k, t in self._seen.items() if now - t < self.window}
        last = self._seen.get((platform, chat_id, key))
        if last is not None and now - last < self.window:
            return True
        self._seen[(platform, chat_id, key)] = now
        return False


@dataclass
class Services:
    settings: Settings
    engine: Engine
    matcher: Matcher
    topics: Mapping[str, FaqTopic]
    clock: Clock
    recent: RecentQuestions
    metrics: Metrics = field(default_factory=Metrics)

    def station_details(self, station_id: str | None) -> StationSettings | None:
        """The group's station, or the first configured one for a group not yet bound."""
        if station_id:
            found = self.settings.station(station_id)
            if found:
                return found
        return self.settings.stations[0] if self.settings.stations else None
