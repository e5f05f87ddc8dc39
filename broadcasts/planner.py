"""Pure planning: schedules, slots, the misfire policy, targets and delivery rows.

Nothing here touches the database, the network or the system clock: every function takes
``now`` (an aware datetime) from its caller, so tests drive time by hand.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from broadcasts.models import DeliveryState
from core.db import as_utc

TargetKind = Literal["all", "stations", "groups"]
NOT_BOUND = "group is not bound to a station yet (an officer sends /bind in the group)"
INACTIVE = "the bot is no longer in this group"
OTHER_PLATFORM = "not sent: this run goes out on {platforms} only"


class ScheduleProblem(ValueError):
    """A schedule that cannot be used; the message says why."""


# --------------------------------------------------------------------------------------
# Schedules and slots


@dataclass(frozen=True, slots=True)
class Schedule:
    """A cron expression in ``tz``, a one-off time, or neither (sent only by hand)."""

    cron: str | None = None
    run_at: datetime | None = None  # aware

    def describe(self, tz: ZoneInfo) -> str:
        if self.cron:
            return f"cron {self.cron} ({tz.key})"
        if self.run_at:
            return "once at " + self.run_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        return "manual"


def cron_trigger(expression: str, tz: ZoneInfo) -> CronTrigger:
    """A five-field crontab (minute hour day month weekday) in the configured time zone."""
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleProblem(
            f"cron expression {expression!r} must have 5 fields: minute hour day month weekday "
            "(e.g. '0 10 * * mon' = every Monday 10:00)"
        )
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_standard_weekdays(weekday),
            timezone=tz,
        )
    except ValueError as error:
        raise ScheduleProblem(f"cron expression {expression!r}: {error}") from None


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _standard_weekdays(field: str) -> str:
    """Standard cron counts weekdays 0-7 from Sunday; APScheduler counts 0-6 from Monday.

    Numbers are turned into names ("1-5" -> "mon,tue,wed,thu,fri"), so "0 10 * * 1" is
    Monday as every crontab reader expects. Names and "*" pass through unchanged.
    """
    items: list[str] = []
    for item in field.split(","):
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() else 1
        if body == "*" and step == 1:
            items.append("*")
            continue
        if body == "*":
            numbers = list(range(0, 7, step))
        elif "-" in body and all(p.isdigit() for p in body.split("-", 1)):
            first, last = (int(p) for p in body.split("-", 1))
            numbers = list(range(first, last + 1, step))
        elif body.isdigit():
            numbers = [int(body)]
        else:
            items.append(item)  # names: APScheduler reads them as cron does
            continue
        if any(n > 7 for n in numbers):
            raise ScheduleProblem(f"weekday {item!r} is out of range 0-7 (0 and 7 are Sunday)")
        items.extend(_WEEKDAYS[n % 7] for n in numbers)
    return ",".join(dict.fromkeys(items))


def check_schedule(schedule: Schedule, tz: ZoneInfo, now: datetime) -> None:
    if schedule.cron and schedule.run_at:
        raise ScheduleProblem("give a cron expression or a one-off time, not both")
    if schedule.cron:
        cron_trigger(schedule.cron, tz)
    if schedule.run_at is not None:
        if schedule.run_at.tzinfo is None:
            raise ScheduleProblem("the one-off time needs a time zone")
        if schedule.run_at <= now:
            raise ScheduleProblem(
                f"the one-off time {schedule.run_at.astimezone(tz):%Y-%m-%d %H:%M} has passed"
            )


def _fire_times(trigger: CronTrigger, start: datetime, end: datetime, cap: int) -> list[datetime]:
    found: list[datetime] = []
    fire = trigger.get_next_fire_time(None, start)
    while fire is not None and fire <= end and len(found) < cap:
        found.append(fire)
        fire = trigger.get_next_fire_time(fire, fire)
    return found


_LOOKBACK = (timedelta(hours=2), timedelta(days=2), timedelta(days=9), timedelta(days=400))


def latest_slot(
    schedule: Schedule, tz: ZoneInfo, now: datetime, since: datetime | None = None
) -> datetime | None:
    """The most recent scheduled time at or before ``now`` (and not before ``since``), UTC."""
    if schedule.run_at is not None:
        at = schedule.run_at
        return at.astimezone(UTC) if at <= now and (since is None or at >= since) else None
    if not schedule.cron:
        return None
    trigger = cron_trigger(schedule.cron, tz)
    for span in _LOOKBACK:
        start = now - span
        if since is not None and start < since:
            start = since
        fires = _fire_times(trigger, start, now, cap=5000)
        if fires:
            return fires[-1].astimezone(UTC)
        if since is not None and start == since:
            return None
    return None


def next_slot(schedule: Schedule, tz: ZoneInfo, now: datetime) -> datetime | None:
    if schedule.run_at is not None:
        return schedule.run_at.astimezone(UTC) if schedule.run_at > now else None
    if not schedule.cron:
        return None
    fire = cron_trigger(schedule.cron, tz).get_next_fire_time(None, now)
    return fire.astimezone(UTC) if fire is not None else None


def slot_key(slot: datetime) -> str:
    """Compact UTC form for button data and commands: 20260105T020000Z."""
    return slot.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_slot_key(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ScheduleProblem(f"not a slot time: {text!r}") from None
    return as_utc(moment)


# --------------------------------------------------------------------------------------
# Misfire policy


@dataclass(frozen=True, slots=True)
class MisfireDecision:
    run: bool
    late: timedelta
    reason: str


def misfire_decision(slot: datetime, now: datetime, grace: timedelta) -> MisfireDecision:
    """A slot missed while the bot was down runs once if it is less than ``grace`` late."""
    late = now - slot
    if late < timedelta(0):
        return MisfireDecision(False, late, "not due yet")
    seconds = int(late.total_seconds())
    if late < grace:
        return MisfireDecision(
            True, late, f"late by {seconds}s, within the {int(grace.total_seconds())}s grace"
        )
    return MisfireDecision(
        False,
        late,
        f"missed by {seconds}s, more than the {int(grace.total_seconds())}s grace: skipped",
    )


def catch_up(
    schedule: Schedule,
    tz: ZoneInfo,
    now: datetime,
    grace: timedelta,
    *,
    since: datetime | None,
    known: Collection[datetime],
) -> tuple[datetime, MisfireDecision] | None:
    """On start: the latest slot that has no run yet, and whether to run it or skip it.

    Only the latest one counts (runs missed before it are coalesced into it); ``since`` is
    when the campaign's schedule last changed, so a new campaign never "misses" slots
    from before it existed; ``known`` are slots that already have a run row.
    """
    slot = latest_slot(schedule, tz, now, since)
    if slot is None or slot in known:
        return None
    return slot, misfire_decision(slot, now, grace)


# --------------------------------------------------------------------------------------
# Targets and delivery rows


@dataclass(frozen=True, slots=True)
class Targets:
    kind: TargetKind = "all"
    ids: tuple[str, ...] = ()

    def to_json(self) -> str:
        data: dict[str, Any] = {"kind": self.kind}
        if self.kind != "all":
            data["ids"] = list(self.ids)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Targets:
        data = json.loads(text)
        kind = data.get("kind", "all")
        if kind not in ("all", "stations", "groups"):
            raise ValueError(f"unknown target kind {kind!r}")
        return cls(kind, tuple(str(i) for i in data.get("ids", ())))

    def describe(self) -> str:
        if self.kind == "all":
            return "all active groups"
        return f"{self.kind}: {', '.join(self.ids)}"


@dataclass(frozen=True, slots=True)
class GroupView:
    id: int
    platform: str
    chat_id: str
    station_id: str | None
    active: bool
    account: str | None = None  # the account serving the room (several WeChat accounts)


# What planning makes of a group: a row to send, or one skipped with the reason.
Planned = Literal[DeliveryState.PENDING, DeliveryState.SKIPPED]


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    group_id: int
    platform: str
    chat_id: str
    station_id: str | None
    state: Planned
    reason: str = ""
    account: str | None = None


def targeted(targets: Targets, groups: Iterable[GroupView]) -> list[GroupView]:
    """Groups the campaign addresses: active ones, or any group it names explicitly."""
    if targets.kind == "groups":
        wanted = set(targets.ids)
        return [g for g in groups if str(g.id) in wanted]
    if targets.kind == "stations":
        stations = set(targets.ids)
        return [g for g in groups if g.active and g.station_id in stations]
    return [g for g in groups if g.active]


def stations_of(targets: Targets, groups: Iterable[GroupView]) -> set[str]:
    return {g.station_id for g in targeted(targets, groups) if g.station_id and g.active}


def plan_deliveries(
    targets: Targets,
    groups: Iterable[GroupView],
    *,
    stations: Collection[str] | None = None,
    include_skipped: bool = True,
    platforms: Collection[str] | None = None,
) -> list[PlannedDelivery]:
    """The rows to create for one slot: pending for groups of ``stations`` (all when
    None) on ``platforms`` (all when None), and skipped-with-a-reason rows for targeted
    groups that cannot get it."""
    planned: list[PlannedDelivery] = []
    for group in targeted(targets, groups):
        if platforms is not None and group.platform not in platforms:
            if include_skipped:
                which = ", ".join(sorted(platforms)) or "no platform"
                planned.append(
                    _row(group, DeliveryState.SKIPPED, OTHER_PLATFORM.format(platforms=which))
                )
        elif not group.active:
            if include_skipped:
                planned.append(_row(group, DeliveryState.SKIPPED, INACTIVE))
        elif group.station_id is None:
            if include_skipped:
                planned.append(_row(group, DeliveryState.SKIPPED, NOT_BOUND))
        elif stations is None or group.station_id in stations:
            planned.append(_row(group, DeliveryState.PENDING))
    return planned


def _row(group: GroupView, state: Planned, reason: str = "") -> PlannedDelivery:
    return PlannedDelivery(
        group.id, group.platform, group.chat_id, group.station_id, state, reason, group.account
    )
