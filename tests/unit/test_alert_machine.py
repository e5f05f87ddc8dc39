"""An officer's push (推送) on its own: no database, no platform, no templates."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from broadcasts.alert_machine import (
    Command,
    Phase,
    Push,
    Refusal,
    Refused,
    Role,
    Scope,
    Verb,
    allowed,
    ask,
    cancel,
    choose,
    confirm,
    finish,
    hold,
    lapse,
    needs_approval,
    offered,
    only_while_live,
    parse,
)
from broadcasts.alerts import outcome_of
from broadcasts.render import SAMPLE_STATION, render_template
from core.templates import literal_template
from infra.ratelimit import Priority, RateLimiter, SlidingWindows
from tests.e2e.test_broadcast_support import VirtualTime

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=15)
OFFICER = Role(station_admin=False, city_admin=False, station_open=False)
STATION_ADMIN = Role(station_admin=True, city_admin=False, station_open=False)
OPEN_STATION = Role(station_admin=False, city_admin=False, station_open=True)
CITY_ADMIN = Role(station_admin=False, city_admin=True, station_open=False)
COUNTS = {Scope.MINE: 3, Scope.STATION: 40, Scope.CITY: 600}
ALL = (Scope.MINE, Scope.STATION, Scope.CITY)


def later(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


# --------------------------------------------------------------------------------------
# Who may reach what


def test_scopes_by_role() -> None:
    assert allowed(OFFICER) == (Scope.MINE,)
    assert allowed(STATION_ADMIN) == (Scope.MINE, Scope.STATION)
    assert allowed(OPEN_STATION) == (Scope.MINE, Scope.STATION)
    assert allowed(CITY_ADMIN) == ALL


def test_an_officer_without_rights_is_never_offered_the_city_or_the_station() -> None:
    assert offered(OFFICER, COUNTS) == (Scope.MINE,)
    assert offered(STATION_ADMIN, COUNTS) == (Scope.MINE, Scope.STATION)
    assert offered(CITY_ADMIN, COUNTS) == ALL


def test_scopes_that_reach_nothing_more_are_not_offered() -> None:
    assert offered(STATION_ADMIN, {Scope.MINE: 0, Scope.STATION: 40}) == (Scope.STATION,)
    assert offered(OFFICER, {Scope.MINE: 0}) == ()
    # One station in the city: the city reaches no group the station does not.
    one_station = {Scope.MINE: 2, Scope.STATION: 40, Scope.CITY: 40}
    assert offered(CITY_ADMIN, one_station) == (Scope.MINE, Scope.STATION)


def test_approval_where_the_station_requires_it_unless_an_admin_pushes() -> None:
    assert needs_approval(OFFICER, station_requires=True)
    assert needs_approval(OPEN_STATION, station_requires=True)
    assert not needs_approval(STATION_ADMIN, station_requires=True)
    assert not needs_approval(CITY_ADMIN, station_requires=True)
    assert not needs_approval(OFFICER, station_requires=False)


# --------------------------------------------------------------------------------------
# The steps


def test_hold_ask_choose_confirm_finish() -> None:
    held = hold(NOW)
    assert held == Push(Phase.HELD, NOW)
    choosing = ask(held, ALL, later(1), TIMEOUT)
    assert choosing == Push(Phase.CHOOSING, later(1), False, ALL)
    confirming = choose(choosing, 2, later(2), TIMEOUT)
    assert confirming.phase == Phase.CONFIRMING and confirming.scope == Scope.STATION
    queued = confirm(confirming, later(3), TIMEOUT)
    assert queued.phase == Phase.QUEUED and queued.scope == Scope.STATION
    done = finish(queued, later(30))
    assert done is not None and done.phase == Phase.DONE
    assert finish(done, later(31)) is None  # reported once


def test_one_scope_is_picked_at_once_and_only_confirmed() -> None:
    confirming = ask(hold(NOW), (Scope.MINE,), later(1), TIMEOUT)
    assert confirming.phase == Phase.CONFIRMING and confirming.scope == Scope.MINE
    assert choose(confirming, 1, later(2), TIMEOUT).scope == Scope.MINE


def test_urgent_is_kept_once_said() -> None:
    urgent = ask(hold(NOW), ALL, later(1), TIMEOUT, urgent=True)
    assert urgent.urgent
    assert choose(urgent, 1, later(2), TIMEOUT).urgent
    plain = ask(hold(NOW), ALL, later(1), TIMEOUT)
    assert choose(plain, 3, later(2), TIMEOUT, urgent=True).urgent
    assert ask(urgent, ALL, later(2), TIMEOUT).urgent  # 推送 again does not drop it


@pytest.mark.parametrize(
    ("push", "why"),
    [
        (None, Refusal.NOTHING),
        (Push(Phase.CANCELLED, NOW), Refusal.NOTHING),
        (Push(Phase.QUEUED, NOW, scope=Scope.MINE), Refusal.NOTHING),
        (Push(Phase.HELD, NOW - timedelta(minutes=16)), Refusal.EXPIRED),
    ],
)
def test_ask_refuses_what_is_not_live(push: Push | None, why: Refusal) -> None:
    with pytest.raises(Refused) as refused:
        ask(push, ALL, NOW, TIMEOUT)
    assert refused.value.why == why


def test_refusals_of_choose_and_confirm() -> None:
    with pytest.raises(Refused) as nothing_to_reach:
        ask(hold(NOW), (), NOW, TIMEOUT)
    assert nothing_to_reach.value.why == Refusal.NO_SCOPE
    choosing = ask(hold(NOW), ALL, NOW, TIMEOUT)
    for number in (0, 4):
        with pytest.raises(Refused) as bad:
            choose(choosing, number, NOW, TIMEOUT)
        assert bad.value.why == Refusal.BAD_CHOICE
    with pytest.raises(Refused) as held_only:
        choose(hold(NOW), 1, NOW, TIMEOUT)
    assert held_only.value.why == Refusal.BAD_CHOICE
    with pytest.raises(Refused) as not_chosen:
        confirm(choosing, NOW, TIMEOUT)
    assert not_chosen.value.why == Refusal.NOT_CHOSEN
    confirming = choose(choosing, 1, NOW, TIMEOUT)
    with pytest.raises(Refused) as late:
        confirm(confirming, later(15.5), TIMEOUT)
    assert late.value.why == Refusal.EXPIRED


def test_every_step_restarts_the_clock() -> None:
    choosing = ask(hold(NOW), ALL, later(14), TIMEOUT)
    confirming = choose(choosing, 1, later(28), TIMEOUT)
    assert confirm(confirming, later(42), TIMEOUT).phase == Phase.QUEUED


def test_cancel_and_lapse() -> None:
    for push in (hold(NOW), ask(hold(NOW), ALL, NOW, TIMEOUT)):
        assert cancel(push).phase == Phase.CANCELLED
        lapsed = lapse(push, later(16), TIMEOUT)
        assert lapsed is not None and lapsed.phase == Phase.EXPIRED
        assert lapse(push, later(14), TIMEOUT) is None
    with pytest.raises(Refused):
        cancel(None)
    queued = Push(Phase.QUEUED, NOW, scope=Scope.MINE)
    with pytest.raises(Refused):
        cancel(queued)  # confirmed: it is the run's now
    assert lapse(queued, later(600), TIMEOUT) is None


# --------------------------------------------------------------------------------------
# What the officer typed


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("推送", Command(Verb.PUSH)),
        (" 推送 ", Command(Verb.PUSH)),
        ("紧急推送", Command(Verb.PUSH, urgent=True)),
        ("紧急", Command(Verb.PUSH, urgent=True)),
        ("推送 2", Command(Verb.PUSH, number=2)),
        ("推送２", Command(Verb.PUSH, number=2)),
        ("紧急推送 3", Command(Verb.PUSH, urgent=True, number=3)),
        ("/push", Command(Verb.PUSH)),
        ("确认推送", Command(Verb.CONFIRM)),
        ("确认", Command(Verb.CONFIRM)),
        ("取消", Command(Verb.CANCEL)),
        ("取消推送", Command(Verb.CANCEL)),
        ("推送 12", None),
        ("推送一下这个通知", None),
        ("2", None),
        ("", None),
        ("取消 12", None),
    ],
)
def test_parse(text: str, command: Command | None) -> None:
    assert parse(text) == command


def test_words_that_are_the_pushs_only_while_it_is_live() -> None:
    assert only_while_live("取消") and only_while_live("确认") and only_while_live(" 紧急 ")
    assert not only_while_live("推送") and not only_while_live("取消推送")
    assert not only_while_live("确认推送") and not only_while_live("紧急推送")


# --------------------------------------------------------------------------------------
# The officer's words as a campaign, and the report's counts


@pytest.mark.parametrize(
    "words",
    [
        "【寻人】王某某，男，78岁，身穿蓝色外套，请见到的居民拨打110。",
        "{{ station.phone }} {% for x in range(10**9) %}x{% endfor %} {# c #}",
        "{% raw %}a{% endraw %} }} {{",
        "{{{{",
    ],
)
def test_the_officers_words_go_out_exactly_as_written(words: str) -> None:
    assert render_template(literal_template(words), SAMPLE_STATION, NOW.date()) == words


def test_outcome_counts_unknown_apart_and_names_the_groups_missed() -> None:
    rows = [
        ("sent", "", "-1"),
        ("sent", "", "-2"),
        ("failed", "chat gone: Forbidden: bot was kicked", "-3"),
        ("failed", "interrupted while sending: delivery unknown, not resent", "-4"),
        ("skipped", "group inactive", "-5"),
    ]
    outcome = outcome_of(rows, {"-3": "幸福里3号楼", "-4": ""})
    assert (outcome.delivered, outcome.failed, outcome.unknown, outcome.skipped) == (2, 1, 1, 1)
    assert outcome.failed_groups == ("幸福里3号楼", "-4")


# --------------------------------------------------------------------------------------
# 紧急: an urgent broadcast takes the limiter's next place before the others waiting


async def test_an_urgent_broadcast_goes_before_broadcasts_already_waiting() -> None:
    vt = VirtualTime()
    limiter = RateLimiter(
        SlidingWindows(2, 1.0, 100, 60.0, reply_reserve=0, burst=2), clock=vt.clock, sleep=vt.sleep
    )
    order: list[str] = []

    async def send(label: str, urgent: bool = False, reply: bool = False) -> None:
        priority: Priority = "reply" if reply else "broadcast"
        ticket = await limiter.acquire(label, priority, urgent=urgent)
        order.append(label)
        await asyncio.sleep(0)
        limiter.release(ticket)

    vt.freeze()
    scheduled = [asyncio.create_task(send(f"b{i}")) for i in range(6)]
    await asyncio.sleep(0.01)
    assert order == ["b0", "b1"]
    urgent = [asyncio.create_task(send(f"u{i}", urgent=True)) for i in range(2)]
    reply = asyncio.create_task(send("reply", reply=True))
    await asyncio.sleep(0.01)
    vt.thaw()
    await asyncio.gather(*scheduled, *urgent, reply)
    assert order[2:5] == ["reply", "u0", "u1"]  # residents first, then the urgent push
    assert order[5:] == ["b2", "b3", "b4", "b5"]
