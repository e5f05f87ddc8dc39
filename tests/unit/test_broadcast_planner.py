"""Pure planning: schedules, slots, the misfire policy (injected time), targets, rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from broadcasts.planner import (
    INACTIVE,
    NOT_BOUND,
    GroupView,
    Schedule,
    ScheduleProblem,
    Targets,
    catch_up,
    check_schedule,
    cron_trigger,
    latest_slot,
    misfire_decision,
    next_slot,
    parse_slot_key,
    plan_deliveries,
    slot_key,
    stations_of,
)

TZ = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("expression", "weekdays"),
    [
        ("0 10 * * 1", {"Mon"}),
        ("0 10 * * 0", {"Sun"}),
        ("0 10 * * 7", {"Sun"}),
        ("0 10 * * 1-5", {"Mon", "Tue", "Wed", "Thu", "Fri"}),
        ("0 10 * * 5-7", {"Fri", "Sat", "Sun"}),
        ("0 10 * * mon,wed", {"Mon", "Wed"}),
        ("0 10 * * *", {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}),
    ],
)
def test_cron_weekdays_read_as_in_crontab(expression: str, weekdays: set[str]) -> None:
    trigger = cron_trigger(expression, TZ)
    fire = trigger.get_next_fire_time(None, MONDAY_10 - HOUR)
    seen = set()
    for _ in range(14):
        assert fire.astimezone(TZ).strftime("%H:%M") == "10:00"
        seen.add(fire.astimezone(TZ).strftime("%a"))
        fire = trigger.get_next_fire_time(fire, fire)
    assert seen == weekdays


@pytest.mark.parametrize("expression", ["0 10 * *", "0 25 * * *", "0 10 * * 8", "x y z a b"])
def test_bad_cron_is_refused_with_a_reason(expression: str) -> None:
    with pytest.raises(ScheduleProblem):
        cron_trigger(expression, TZ)


def test_one_off_must_be_in_the_future_and_not_both_kinds() -> None:
    check_schedule(Schedule(run_at=MONDAY_10 + HOUR), TZ, MONDAY_10)
    with pytest.raises(ScheduleProblem, match="has passed"):
        check_schedule(Schedule(run_at=MONDAY_10 - HOUR), TZ, MONDAY_10)
    with pytest.raises(ScheduleProblem, match="not both"):
        check_schedule(Schedule("0 10 * * 1", MONDAY_10 + HOUR), TZ, MONDAY_10)


def test_latest_and_next_slot() -> None:
    weekly = Schedule("0 10 * * 1")
    assert latest_slot(weekly, TZ, MONDAY_10) == MONDAY_10  # inclusive
    assert latest_slot(weekly, TZ, MONDAY_10 + timedelta(days=3)) == MONDAY_10
    assert latest_slot(weekly, TZ, MONDAY_10 - timedelta(seconds=1)) == MONDAY_10 - timedelta(
        days=7
    )
    assert next_slot(weekly, TZ, MONDAY_10 + HOUR) == MONDAY_10 + timedelta(days=7)
    assert latest_slot(weekly, TZ, MONDAY_10 + HOUR, since=MONDAY_10 + timedelta(minutes=5)) is None
    yearly = Schedule("0 10 1 1 *")
    assert latest_slot(yearly, TZ, MONDAY_10) == datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    once = Schedule(run_at=MONDAY_10)
    assert latest_slot(once, TZ, MONDAY_10 + HOUR) == MONDAY_10
    assert latest_slot(once, TZ, MONDAY_10 - HOUR) is None
    assert next_slot(once, TZ, MONDAY_10 - HOUR) == MONDAY_10
    assert latest_slot(Schedule(), TZ, MONDAY_10) is None


@pytest.mark.parametrize(
    ("late", "runs"),
    [
        (timedelta(0), True),
        (timedelta(minutes=59, seconds=59), True),
        (HOUR, False),  # "late by less than the grace" runs; exactly the grace does not
        (timedelta(days=2), False),
    ],
)
def test_misfire_decision(late: timedelta, runs: bool) -> None:
    decision = misfire_decision(MONDAY_10, MONDAY_10 + late, HOUR)
    assert decision.run is runs and decision.late == late
    assert ("skipped" in decision.reason) is not runs


def test_catch_up_runs_the_latest_missed_slot_once() -> None:
    weekly = Schedule("0 10 * * 1")
    now = MONDAY_10 + timedelta(minutes=20)
    found = catch_up(weekly, TZ, now, HOUR, since=MONDAY_10 - timedelta(days=60), known=[])
    assert found is not None
    slot, decision = found
    assert slot == MONDAY_10 and decision.run
    assert catch_up(weekly, TZ, now, HOUR, since=None, known=[MONDAY_10]) is None
    # Weeks missed in a row are coalesced: only the latest is considered, and skipped.
    late = catch_up(weekly, TZ, MONDAY_10 + timedelta(days=10), HOUR, since=None, known=[])
    assert late is not None and late[0] == MONDAY_10 + timedelta(days=7) and not late[1].run


def test_slot_keys_round_trip() -> None:
    assert slot_key(MONDAY_10) == "20260302T020000Z"
    assert parse_slot_key("20260302T020000Z") == MONDAY_10
    assert parse_slot_key("2026-03-02T10:00:00+08:00") == MONDAY_10
    with pytest.raises(ScheduleProblem):
        parse_slot_key("next monday")


GROUPS = [
    GroupView(1, "telegram", "-1", "xq", True),
    GroupView(2, "telegram", "-2", "xq", False),
    GroupView(3, "wechat", "room3", "jf", True),
    GroupView(4, "telegram", "-4", None, True),
]


def test_all_targets_active_groups_and_explains_what_it_skips() -> None:
    rows = plan_deliveries(Targets(), GROUPS)
    assert [(r.group_id, r.state, r.reason) for r in rows] == [
        (1, "pending", ""),
        (3, "pending", ""),
        (4, "skipped", NOT_BOUND),
    ]
    assert stations_of(Targets(), GROUPS) == {"xq", "jf"}


def test_station_targets_and_station_filter() -> None:
    assert [r.group_id for r in plan_deliveries(Targets("stations", ("jf",)), GROUPS)] == [3]
    only_xq = plan_deliveries(Targets(), GROUPS, stations={"xq"}, include_skipped=False)
    assert [r.group_id for r in only_xq] == [1]


def test_group_targets_name_groups_even_if_inactive() -> None:
    rows = plan_deliveries(Targets("groups", ("2", "3")), GROUPS)
    assert [(r.group_id, r.state, r.reason) for r in rows] == [
        (2, "skipped", INACTIVE),
        (3, "pending", ""),
    ]


def test_targets_json_round_trip() -> None:
    for targets in (Targets(), Targets("stations", ("xq", "jf")), Targets("groups", ("7",))):
        assert Targets.from_json(targets.to_json()) == targets
    with pytest.raises(ValueError):
        Targets.from_json('{"kind": "everyone"}')


def test_a_run_on_some_platforms_says_why_the_others_are_not_sent() -> None:
    rows = plan_deliveries(Targets(), GROUPS, platforms={"telegram"})
    assert [(r.group_id, r.state, r.reason) for r in rows] == [
        (1, "pending", ""),
        (3, "skipped", "not sent: this run goes out on telegram only"),
        (4, "skipped", NOT_BOUND),
    ]
