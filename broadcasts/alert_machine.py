"""An officer's push from the phone (推送), pure: no database, no platform, no text.

    (a message in private) --> held --推送 / 紧急推送--> choosing --推送 N--> confirming
          |                     |                        |  (one scope: straight on)  |
          |                     '--------- 取消 ---------+----------> cancelled <-----|
          '--- the time runs out (held, choosing or confirming) --> expired          |
                                                                                     |
    confirming --确认推送--> queued (a one-off run is open) --the run ends--> done (reported)

A new message replaces what was held. Every step restarts the clock; a push not
confirmed within the configured minutes lapses. 紧急 marks the push urgent at any live
step (its run is sent before scheduled campaigns). ``broadcasts.alerts`` keeps the state in
a row and turns ``queued`` into a campaign and its run in the same transaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class Phase(StrEnum):
    HELD = "held"  # the officer's message is kept; 推送 shows where it can go
    CHOOSING = "choosing"  # preview and numbered scopes shown
    CONFIRMING = "confirming"  # a scope picked: 确认推送 sends
    QUEUED = "queued"  # confirmed: its run is open (or waits for the station's approval)
    DONE = "done"  # the run ended and the officer got the report
    CANCELLED = "cancelled"
    EXPIRED = "expired"


LIVE = frozenset({Phase.HELD, Phase.CHOOSING, Phase.CONFIRMING})


class Scope(StrEnum):
    MINE = "mine"  # the groups the officer looks after
    STATION = "station"  # every group of the officer's station
    CITY = "city"  # every group of every station


SCOPES = (Scope.MINE, Scope.STATION, Scope.CITY)


class Refusal(StrEnum):
    NOTHING = "nothing"  # no message kept (or it was sent, cancelled, lapsed)
    EXPIRED = "expired"  # the time ran out just now
    NO_SCOPE = "no scope"  # no group the officer may reach
    BAD_CHOICE = "bad choice"  # 推送 7 when three scopes were offered
    NOT_CHOSEN = "not chosen"  # 确认推送 before a scope was picked


class Refused(Exception):
    def __init__(self, why: Refusal) -> None:
        super().__init__(str(why))
        self.why = why


@dataclass(frozen=True, slots=True)
class Role:
    """What the rules read of the officer."""

    station_admin: bool
    city_admin: bool
    station_open: bool  # the station lets every officer push to all of its groups


def allowed(role: Role) -> tuple[Scope, ...]:
    """The scopes an officer may reach: their own groups always; the station for its
    admins and city admins (for every officer where the station allows it); the city for
    city admins only."""
    scopes = [Scope.MINE]
    if role.station_admin or role.city_admin or role.station_open:
        scopes.append(Scope.STATION)
    if role.city_admin:
        scopes.append(Scope.CITY)
    return tuple(scopes)


def offered(role: Role, groups: Mapping[Scope, int]) -> tuple[Scope, ...]:
    """The allowed scopes that reach at least one group, narrowest first; a scope that
    reaches no more groups than the one before it is not offered twice."""
    found: list[Scope] = []
    last = 0
    for scope in allowed(role):
        count = groups.get(scope, 0)
        if count > last:
            found.append(scope)
            last = count
    return tuple(found)


def needs_approval(role: Role, station_requires: bool) -> bool:
    """A station that requires approval has a push of an officer who is not its admin (a
    city admin counts as one) approved first."""
    return station_requires and not (role.station_admin or role.city_admin)


@dataclass(frozen=True, slots=True)
class Push:
    phase: Phase
    since: datetime  # the last step: the time runs from here
    urgent: bool = False
    offered: tuple[Scope, ...] = ()
    scope: Scope | None = None

    def expired(self, now: datetime, timeout: timedelta) -> bool:
        return now - self.since > timeout


def hold(now: datetime) -> Push:
    """A message in private: kept, to be pushed with 推送."""
    return Push(Phase.HELD, now)


def _live(push: Push | None, now: datetime, timeout: timedelta) -> Push:
    if push is None or push.phase not in LIVE:
        raise Refused(Refusal.NOTHING)
    if push.expired(now, timeout):
        raise Refused(Refusal.EXPIRED)
    return push


def ask(
    push: Push | None,
    scopes: tuple[Scope, ...],
    now: datetime,
    timeout: timedelta,
    *,
    urgent: bool = False,
) -> Push:
    """推送 / 紧急推送: the preview and the scopes ``offered``; with only one scope it is
    picked at once (the officer only confirms)."""
    push = _live(push, now, timeout)
    if not scopes:
        raise Refused(Refusal.NO_SCOPE)
    urgent = urgent or push.urgent
    if len(scopes) == 1:
        return Push(Phase.CONFIRMING, now, urgent, scopes, scopes[0])
    return Push(Phase.CHOOSING, now, urgent, scopes)


def choose(
    push: Push | None, number: int, now: datetime, timeout: timedelta, *, urgent: bool = False
) -> Push:
    """推送 N (or the scope's button): the N-th scope offered."""
    push = _live(push, now, timeout)
    if push.phase == Phase.HELD or not 1 <= number <= len(push.offered):
        raise Refused(Refusal.BAD_CHOICE)
    scope = push.offered[number - 1]
    return replace(
        push, phase=Phase.CONFIRMING, scope=scope, since=now, urgent=urgent or push.urgent
    )


def confirm(push: Push | None, now: datetime, timeout: timedelta) -> Push:
    """确认推送: the push goes out (its run is opened with this state)."""
    push = _live(push, now, timeout)
    if push.phase != Phase.CONFIRMING or push.scope is None:
        raise Refused(Refusal.NOT_CHOSEN)
    return replace(push, phase=Phase.QUEUED, since=now)


def cancel(push: Push | None) -> Push:
    """取消: dropped, whatever step it was at (a lapsed one is dropped too)."""
    if push is None or push.phase not in LIVE:
        raise Refused(Refusal.NOTHING)
    return replace(push, phase=Phase.CANCELLED)


def lapse(push: Push, now: datetime, timeout: timedelta) -> Push | None:
    """The push as it stands now: expired if its time ran out while live, else None."""
    if push.phase in LIVE and push.expired(now, timeout):
        return replace(push, phase=Phase.EXPIRED)
    return None


def finish(push: Push, now: datetime) -> Push | None:
    """The run ended: done (the report goes out with this state), once."""
    if push.phase != Phase.QUEUED:
        return None
    return replace(push, phase=Phase.DONE, since=now)


# --------------------------------------------------------------------------------------
# What the officer typed


class Verb(StrEnum):
    PUSH = "push"  # 推送 / 紧急推送 (with a number: choose)
    CONFIRM = "confirm"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Command:
    verb: Verb
    urgent: bool = False
    number: int | None = None


_PUSH = re.compile(r"^(?P<urgent>紧急)?(?:推送|/push)?(?P<number>[0-9])?$", re.I)
CONFIRM_WORDS = frozenset({"确认推送", "确认", "/confirm"})
CANCEL_WORDS = frozenset({"取消推送", "取消", "/cancel"})


def parse(text: str) -> Command | None:
    """推送, 紧急推送, 紧急, 推送 2 (full-width digits too), 确认推送 / 确认, 取消; None for
    anything else. 确认, 取消 and a bare 紧急 are only commands while a push is live (the
    handler decides that)."""
    words = unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "")
    if words in CONFIRM_WORDS:
        return Command(Verb.CONFIRM)
    if words in CANCEL_WORDS:
        return Command(Verb.CANCEL)
    match = _PUSH.fullmatch(words)
    if match is None or not words or words.isdigit():
        return None
    number = int(match["number"]) if match["number"] else None
    return Command(Verb.PUSH, urgent=bool(match["urgent"]), number=number)


AMBIGUOUS = frozenset({"确认", "/confirm", "取消", "/cancel", "紧急"})


def only_while_live(text: str) -> bool:
    """A word that is a push's command only while a push is live (确认, 取消, 紧急): with
    nothing live it is left to the other handlers (取消 of a ticket's edit, say)."""
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "") in AMBIGUOUS


def scope_numbers(scopes: Collection[Scope]) -> dict[Scope, int]:
    return {scope: index for index, scope in enumerate(scopes, 1)}
