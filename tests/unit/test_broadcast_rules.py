"""The rules of a broadcast without a database: campaign checks, approvals, abandoned
claims, what a run's counts say; and the states' stored values (no migration)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from broadcasts import rules
from broadcasts.media import MediaFile
from broadcasts.models import Approval, BroadcastRun, Campaign, DeliveryState, RunState
from broadcasts.planner import Targets
from broadcasts.rules import CampaignProblem

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
ME = "host-a:100:abcd1234"


def campaign(**kw: object) -> Campaign:
    fields: dict[str, object] = {"name": "反诈提醒", "template_source": "谨防诈骗。"}
    fields.update(kw)
    return Campaign(**fields)


# --------------------------------------------------------------------------------------
# The values stored in the database stay what they were


def test_the_states_keep_their_stored_values() -> None:
    assert [s.value for s in DeliveryState] == ["pending", "sending", "sent", "failed", "skipped"]
    assert [a.value for a in Approval] == ["auto", "pending", "approved", "rejected", "expired"]
    assert [r.value for r in RunState] == ["open", "done", "skipped"]


def test_a_state_compares_equal_to_the_string_read_back() -> None:
    assert Approval.WAITING == "pending" and DeliveryState.PENDING == "pending"
    assert {"pending": 1}.get(DeliveryState.PENDING) == 1
    assert f"{Approval.WAITING}" == "pending"  # formatted as stored, not "Approval.WAITING"


# --------------------------------------------------------------------------------------
# Campaigns


def test_a_valid_campaign_passes_and_its_targets_come_back() -> None:
    targets = Targets("stations", ("xingqing",)).to_json()
    found = rules.check_campaign(
        campaign(cron="0 10 * * 1", targets_json=targets),
        tz=TZ,
        now=NOW,
        known_stations=["xingqing", "jinfeng"],
        media=None,
        platforms=("telegram", "wechat"),
    )
    assert found == Targets("stations", ("xingqing",))


@pytest.mark.parametrize(
    ("kw", "known", "says"),
    [
        ({"name": "  "}, None, "needs a name"),
        ({"targets_json": Targets("stations", ()).to_json()}, None, "at least one id"),
        ({"targets_json": Targets("stations", ("nowhere",)).to_json()}, ["xingqing"], "nowhere"),
        ({"targets_json": "not json"}, None, None),
        ({"template_source": "x" * 5000}, None, "4096"),
        ({"template_source": "{% if %}"}, None, "模板有误"),
    ],
)
def test_a_bad_campaign_is_refused_with_the_reason(
    kw: dict[str, object], known: list[str] | None, says: str | None
) -> None:
    with pytest.raises(CampaignProblem, match=says):
        rules.check_campaign(
            campaign(**kw),
            tz=TZ,
            now=NOW,
            known_stations=known,
            media=None,
            platforms=("telegram", "wechat"),
        )


def test_with_media_the_text_must_fit_a_caption() -> None:
    video = MediaFile("video", "video/mp4", 1000, "v.mp4", "0" * 64, b"")
    text = campaign(template_source="谨" * 2000)
    rules.check_campaign(text, tz=TZ, now=NOW, known_stations=None, media=None, platforms=())
    with pytest.raises(CampaignProblem):
        rules.check_campaign(
            text, tz=TZ, now=NOW, known_stations=None, media=video, platforms=("telegram",)
        )


def test_group_ids_that_are_not_groups() -> None:
    exists = {1, 2}.__contains__
    assert rules.unknown_group_ids(Targets("groups", ("1", "3", "x")), exists) == ["3", "x"]
    assert rules.unknown_group_ids(Targets("groups", ("1", "2")), exists) == []
    assert rules.unknown_group_ids(Targets("stations", ("3",)), exists) == []


def test_schedule_and_targets_of_a_campaign() -> None:
    c = campaign(cron="0 10 * * 1")
    assert rules.schedule_of(c).cron == "0 10 * * 1" and rules.schedule_of(c).run_at is None
    assert rules.targets_of(c) == Targets()


# --------------------------------------------------------------------------------------
# Approvals


@pytest.mark.parametrize(
    ("requires", "by", "expected"),
    [
        (False, None, Approval.AUTO),
        (True, None, Approval.WAITING),
        (True, "officer:李", Approval.APPROVED),
        (False, "cli", Approval.APPROVED),
    ],
)
def test_first_approval(requires: bool, by: str | None, expected: Approval) -> None:
    assert rules.first_approval(requires_approval=requires, approved_by=by) is expected


def test_only_a_waiting_approval_is_decided() -> None:
    assert rules.decision(Approval.WAITING, approve=True) is Approval.APPROVED
    assert rules.decision("pending", approve=False) is Approval.REJECTED  # as read back
    for done in (Approval.AUTO, Approval.APPROVED, Approval.REJECTED, Approval.EXPIRED):
        assert rules.decision(done, approve=True) is None


def test_opening_again_with_an_approver_approves_only_a_waiting_station() -> None:
    assert rules.approved_on_open(Approval.WAITING, "officer:李")
    assert not rules.approved_on_open(Approval.WAITING, None)
    assert not rules.approved_on_open(Approval.REJECTED, "officer:李")


def test_which_approvals_send_and_which_keep_a_run_open() -> None:
    assert [a for a in Approval if rules.may_send(a)] == [Approval.AUTO, Approval.APPROVED]
    assert rules.awaits_approval([Approval.AUTO, "pending"])
    assert not rules.awaits_approval([Approval.AUTO, Approval.REJECTED, Approval.EXPIRED])
    assert not rules.awaits_approval([])


def test_a_done_run_reopens_only_for_an_approved_send() -> None:
    done = BroadcastRun(campaign_id=1, slot=NOW, trigger="schedule", state=RunState.DONE)
    running = BroadcastRun(campaign_id=1, slot=NOW, trigger="schedule")
    assert rules.reopens(done, "officer:李")
    assert not rules.reopens(done, None)
    assert not rules.reopens(running, "officer:李")


# --------------------------------------------------------------------------------------
# Rows left "sending"


def alive_only(*pids: int) -> Callable[[int], bool]:
    return set(pids).__contains__


@pytest.mark.parametrize(
    ("owner", "claimed", "expected"),
    [
        (ME, NOW - timedelta(days=1), False),  # mine, however old
        ("host-a:200:ffff0000", NOW, True),  # this host, process gone
        ("host-a:300:ffff0000", NOW, False),  # this host, process alive
        ("host-b:200:ffff0000", NOW, False),  # another host, recent: may still be sending
        ("host-b:200:ffff0000", NOW - timedelta(hours=1), True),  # past the lease
        ("host-b:200:ffff0000", None, True),  # never stamped
        (None, NOW, False),  # no owner, recent
        ("garbage", NOW - timedelta(minutes=10), True),
    ],
)
def test_abandoned(owner: str | None, claimed: datetime | None, expected: bool) -> None:
    cutoff = NOW - timedelta(minutes=10)
    found = rules.abandoned(owner, claimed, me=ME, cutoff=cutoff, alive=alive_only(100, 300))
    assert found is expected


# --------------------------------------------------------------------------------------
# Counting


def test_counts_by_state_and_the_commonest_reasons() -> None:
    counts = rules.count_rows(
        [
            ("sent", "", 7),
            ("failed", "chat gone: kicked", 2),
            ("failed", "", 1),
            ("failed", "timeout", 3),
            ("skipped", "group inactive", 4),
            ("pending", "", 5),
        ]
    )
    assert counts.get(DeliveryState.SENT) == 7 and counts.get(DeliveryState.FAILED) == 6
    assert counts.get(DeliveryState.SENDING) == 0
    assert counts.total == 22
    assert counts.failed_reasons == [("timeout", 3), ("chat gone: kicked", 2), ("unknown", 1)]
    assert counts.skipped_reasons == [("group inactive", 4)]


def test_no_rows_count_nothing() -> None:
    counts = rules.count_rows([])
    assert counts.total == 0 and counts.failed_reasons == [] and counts.skipped_reasons == []
