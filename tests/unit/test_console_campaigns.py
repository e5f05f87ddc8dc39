"""The console's campaign rules that need no database: the calendar's slots and the
ledger's refusals said in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from broadcasts.planner import Schedule
from console.campaigns import Draft, Refused, problem_text, slots_ahead

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # a Sunday, 09:00 in Shanghai


def test_the_calendar_lists_a_cron_campaigns_slots_and_a_one_off_once() -> None:
    mondays = slots_ahead(Schedule("0 10 * * 1"), TZ, NOW, NOW + timedelta(days=14))
    assert [s.astimezone(TZ).strftime("%a %m-%d %H:%M") for s in mondays] == [
        "Mon 12-07 10:00",
        "Mon 12-14 10:00",
    ]
    hourly = slots_ahead(Schedule("0 * * * *"), TZ, NOW, NOW + timedelta(days=14))
    assert len(hourly) == 20  # capped
    once = NOW + timedelta(hours=3)
    assert slots_ahead(Schedule(run_at=once), TZ, NOW, NOW + timedelta(days=14)) == [once]
    assert slots_ahead(Schedule(run_at=once), TZ, NOW, NOW + timedelta(hours=1)) == []
    assert slots_ahead(Schedule(), TZ, NOW, NOW + timedelta(days=14)) == []


def test_the_ledgers_refusals_are_said_in_chinese() -> None:
    assert problem_text("the campaign needs a name") == "请填写推送名称。"
    assert "已有同名" in problem_text("a campaign named 'x' exists already (#3)")
    assert "定时规则" in problem_text("cron expression '0 10 *' must have 5 fields: ...")
    assert problem_text("视频超过 50 MB") == "视频超过 50 MB"  # Chinese already: as it is
    said = problem_text("广播内容的模板有误，未保存：template syntax error on line 3: unexpected")
    assert said.startswith("广播内容的模板有误，未保存：第3行") and "syntax" not in said
    assert "有误" in problem_text("something nobody foresaw")


def test_a_one_off_time_is_read_in_the_deployments_zone() -> None:
    cron, at = Draft(schedule="once", run_at="2026-12-08T10:30").when(TZ)
    assert cron is None and at == datetime(2026, 12, 8, 2, 30, tzinfo=UTC)
    assert Draft(schedule="cron", cron=" 0  10 * * 1 ").when(TZ) == ("0 10 * * 1", None)
    for draft, key in (
        (Draft(schedule="once", run_at="明天"), "bad_time"),
        (Draft(schedule="once"), "no_time"),
        (Draft(schedule="cron"), "no_cron"),
    ):
        with pytest.raises(Refused, match=key):
            draft.when(TZ)
