"""An account's broadcast hours: a value the settings parse and the pacing obeys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

DEFAULT_ACCOUNT = "default"  # the single [wechat] account, until several are configured

DEFAULT_HOURS = "08:00-21:00"

_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class BroadcastHours:
    """Broadcasts may start from ``opens`` until ``closes`` (minutes after local midnight)."""

    opens: int = 8 * 60
    closes: int = 21 * 60

    @classmethod
    def parse(cls, text: str) -> BroadcastHours:
        """ "08:00-21:00" (closing may be "24:00"); ValueError says what is wrong."""
        found = _HOURS.match(text)
        if found is None:
            raise ValueError(f"broadcast hours {text!r} must look like 08:00-21:00")
        h1, m1, h2, m2 = (int(part) for part in found.groups())
        opens, closes = h1 * 60 + m1, h2 * 60 + m2
        if m1 > 59 or m2 > 59 or opens >= 24 * 60 or closes > 24 * 60:
            raise ValueError(f"broadcast hours {text!r}: not a time of day")
        if opens >= closes:
            raise ValueError(f"broadcast hours {text!r}: the opening must come before the closing")
        return cls(opens, closes)

    def describe(self) -> str:
        return f"{_hhmm(self.opens)}-{_hhmm(self.closes)}"

    def opening_on(self, day: date, tz: ZoneInfo) -> datetime:
        return datetime.combine(day, clock_time(), tz) + timedelta(minutes=self.opens)

    def closing_on(self, day: date, tz: ZoneInfo) -> datetime:
        return datetime.combine(day, clock_time(), tz) + timedelta(minutes=self.closes)

    def is_open(self, moment: datetime, tz: ZoneInfo) -> bool:
        day = moment.astimezone(tz).date()
        return self.opening_on(day, tz) <= moment < self.closing_on(day, tz)

    def next_opening(self, moment: datetime, tz: ZoneInfo) -> datetime:
        """``moment`` itself while open, else the next opening after it."""
        day = moment.astimezone(tz).date()
        if moment < self.opening_on(day, tz):
            return self.opening_on(day, tz)
        if moment < self.closing_on(day, tz):
            return moment
        return self.opening_on(day + timedelta(days=1), tz)

    def opening_after(self, day: date, tz: ZoneInfo) -> datetime:
        """The first opening on a later day than ``day`` (after the cap of ``day``)."""
        return self.opening_on(day + timedelta(days=1), tz)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
