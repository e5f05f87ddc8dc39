"""Broadcast hours and the daily budget, pure (the database tally: tests/integration)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.hours import BroadcastHours
from infra.pacing import (
    Account,
    DailyBudget,
    DailyCapReached,
    MemoryTally,
    OutsideBroadcastHours,
    project_sends,
)
from tests.e2e.test_broadcast_support import ManualClock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_hours_parse_and_refuse_what_cannot_be_meant() -> None:
    assert BroadcastHours.parse("08:00-21:00") == BroadcastHours(8 * 60, 21 * 60)
    assert BroadcastHours.parse(" 7:30 - 24:00 ").describe() == "07:30-24:00"
    for bad in ("8-21", "21:00-08:00", "08:00-08:00", "08:61-21:00", "25:00-26:00"):
        with pytest.raises(ValueError, match="broadcast hours"):
            BroadcastHours.parse(bad)


def test_the_next_opening_is_never_just_after_midnight() -> None:
    hours = BroadcastHours.parse("08:00-21:00")
    assert hours.next_opening(local("2026-03-02T07:59"), SHANGHAI) == local("2026-03-02T08:00")
    assert hours.next_opening(local("2026-03-02T12:00"), SHANGHAI) == local("2026-03-02T12:00")
    assert hours.next_opening(local("2026-03-02T21:00"), SHANGHAI) == local("2026-03-03T08:00")
    assert hours.next_opening(local("2026-03-03T00:01"), SHANGHAI) == local("2026-03-03T08:00")
    # a moment given in UTC is read in the account's time zone
    late = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 00:30 on the 3rd in Shanghai
    assert hours.next_opening(late, SHANGHAI) == local("2026-03-03T08:00")
    assert hours.opening_after(local("2026-03-02T12:00").date(), SHANGHAI) == local(
        "2026-03-03T08:00"
    )


def test_the_budget_closes_at_the_cap_until_the_next_days_opening() -> None:
    clock = ManualClock(local("2026-03-02T20:00"))
    budget = DailyBudget(MemoryTally(), Account("wechat"), cap=2, tz=SHANGHAI, wall=clock.now)
    assert budget.closed() is None
    budget.spend()
    budget.spend()
    closed = budget.closed()
    assert isinstance(closed, DailyCapReached)
    assert closed.until == local("2026-03-03T08:00")
    assert "2 messages sent today (daily cap 2)" in str(closed)

    clock.at = local("2026-03-03T00:01")  # a new day, but not yet open
    outside = budget.closed()
    assert isinstance(outside, OutsideBroadcastHours)
    assert outside.until == local("2026-03-03T08:00")
    clock.at = local("2026-03-03T08:00")
    assert budget.closed() is None and budget.sent_today() == 0


def test_a_refund_gives_back_a_send_that_did_not_go_out() -> None:
    clock = ManualClock(local("2026-03-02T10:00"))
    budget = DailyBudget(MemoryTally(), Account("wechat"), cap=1, tz=SHANGHAI, wall=clock.now)
    budget.spend()
    assert isinstance(budget.closed(), DailyCapReached)
    budget.spend(-1)
    assert budget.closed() is None


class BrokenTally(MemoryTally):
    def add(self, account: Account, day: object, count: int, at: object) -> int:  # type: ignore[override]
        raise OSError("database gone")

    def sent(self, account: Account, day: object) -> int:  # type: ignore[override]
        raise OSError("database gone")


def test_a_database_error_never_stops_a_send_and_is_counted_in_memory() -> None:
    clock = ManualClock(local("2026-03-02T10:00"))
    budget = DailyBudget(BrokenTally(), Account("wechat"), cap=2, tz=SHANGHAI, wall=clock.now)
    budget.spend()
    budget.spend()
    assert isinstance(budget.closed(), DailyCapReached)


def test_a_projection_splits_a_run_by_the_cap_and_the_hours() -> None:
    hours = BroadcastHours.parse("08:00-21:00")
    shares = project_sends(
        1362,
        local("2026-03-02T10:00"),
        seconds_per_send=3.75,
        tz=SHANGHAI,
        cap=800,
        hours=hours,
        sent_today=120,  # replies earlier in the day
    )
    assert [(s.day.day, s.sends, s.stopped_by) for s in shares] == [
        (2, 680, "daily cap"),
        (3, 682, ""),
    ]
    assert shares[1].first == local("2026-03-03T08:00")  # not just after midnight
    assert shares[1].last == local("2026-03-03T08:00") + 681 * timedelta(seconds=3.75)

    late = project_sends(
        1362, local("2026-03-02T20:30"), seconds_per_send=3.75, tz=SHANGHAI, cap=800, hours=hours
    )
    assert [(s.sends, s.stopped_by) for s in late] == [
        (480, "broadcast hours"),  # 30 minutes at 3.75 s, the last one before 21:00
        (800, "daily cap"),
        (82, ""),
    ]
    assert late[0].last < local("2026-03-02T21:00")

    early = project_sends(
        10, local("2026-03-02T05:00"), seconds_per_send=3, tz=SHANGHAI, hours=hours
    )
    assert early[0].first == local("2026-03-02T08:00") and early[0].sends == 10
