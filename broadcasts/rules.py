"""The rules of a broadcast, apart from where they are kept: no database here.

What a campaign must be to be saved (``check_campaign``), what a station's approval is
and becomes (``first_approval``, ``decision``, ...), which delivery rows are still
unfinished, when a claimed row counts as abandoned, and what a run's counts mean
(``RunCounts``). ``broadcasts.ledger`` stores what these decide; these functions only
take values and return values, so they are tested without a database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from broadcasts.media import MediaFile, caption_limits, caption_problem, check_media
from broadcasts.models import Approval, BroadcastRun, Campaign, DeliveryState, RunState
from broadcasts.planner import Schedule, ScheduleProblem, Targets, check_schedule
from broadcasts.render import MAX_LENGTH, TemplateProblem, TooLong, validate_template
from core.db import as_utc
from core.templates import render

# The reason of a row found "sending" after its worker died (see broadcasts.fanout).
INTERRUPTED = "interrupted while sending: delivery unknown, not resent (at most once)"
# Who "decided" an approval nobody answered in time.
TIMED_OUT = "timeout"
# Rows of a run that may still go out: a run (or a station's part) is finished without them.
UNFINISHED = (DeliveryState.PENDING, DeliveryState.SENDING)
# Approvals under which a station's rows are planned and sent.
MAY_SEND = (Approval.AUTO, Approval.APPROVED)


class CampaignProblem(ValueError):
    """A campaign that cannot be saved; the message says why."""


# --------------------------------------------------------------------------------------
# Campaigns


def schedule_of(campaign: Campaign) -> Schedule:
    return Schedule(campaign.cron, as_utc(campaign.run_at) if campaign.run_at else None)


def targets_of(campaign: Campaign) -> Targets:
    return Targets.from_json(campaign.targets_json)


def check_campaign(
    campaign: Campaign,
    *,
    tz: ZoneInfo,
    now: datetime,
    known_stations: Collection[str] | None,
    media: MediaFile | None,
    platforms: Collection[str],
) -> Targets:
    """Everything about a campaign that needs no database: its name, its template (and
    caption length with media, for every platform in ``platforms``), the media file, the
    schedule and the targets. Returns the targets; ``CampaignProblem`` says what is wrong.

    What needs the database (the groups named exist, the name is free) is checked by
    ``broadcasts.ledger.save_campaign`` after this.
    """
    if not campaign.name.strip():
        raise CampaignProblem("the campaign needs a name")
    with_media = media is not None or campaign.media_id is not None
    try:
        validate_template(
            campaign.template_source,
            max_length=min(caption_limits(platforms)) if with_media else MAX_LENGTH,
        )
    except TooLong as long:
        raise CampaignProblem(
            caption_problem(long.length, platforms) if with_media else str(long)
        ) from None
    except TemplateProblem as problem:
        raise CampaignProblem(render("campaign_refused.j2", detail=str(problem))) from None
    if media is not None:
        try:
            check_media(media.kind, media.mime, media.size, media.filename, platforms)
        except ValueError as problem:
            raise CampaignProblem(str(problem)) from None
    try:
        check_schedule(schedule_of(campaign), tz, now)
        targets = targets_of(campaign)
    except (ScheduleProblem, ValueError) as problem:
        raise CampaignProblem(str(problem)) from None
    if targets.kind != "all" and not targets.ids:
        raise CampaignProblem(f"target {targets.kind} needs at least one id")
    if targets.kind == "stations" and known_stations is not None:
        unknown = sorted(set(targets.ids) - set(known_stations))
        if unknown:
            raise CampaignProblem(
                f"unknown station(s) {', '.join(unknown)} (known: {', '.join(known_stations)})"
            )
    return targets


def unknown_group_ids(targets: Targets, exists: Callable[[int], bool]) -> list[str]:
    """The ids of a "groups" target that are not groups (not numbers, or ``exists`` says
    no); empty for other targets."""
    if targets.kind != "groups":
        return []
    return [i for i in targets.ids if not i.isdigit() or not exists(int(i))]


# --------------------------------------------------------------------------------------
# Runs and approvals


def reopens(run: BroadcastRun, approved_by: str | None) -> bool:
    """A finished run opens again when someone approves a send in its slot (e.g. another
    station's /send in the same second)."""
    return run.state == RunState.DONE and approved_by is not None


def first_approval(*, requires_approval: bool, approved_by: str | None) -> Approval:
    """A station's approval when its part of a run is created: approved when someone
    (an officer's /send, the CLI) says so, waiting when the campaign needs approval,
    else automatic."""
    if approved_by is not None:
        return Approval.APPROVED
    return Approval.WAITING if requires_approval else Approval.AUTO


def approved_on_open(approval: str, approved_by: str | None) -> bool:
    """Does opening the run again with ``approved_by`` approve a waiting station?"""
    return approved_by is not None and approval == Approval.WAITING


def decision(approval: str, approve: bool) -> Approval | None:
    """An officer's 批准 / 驳回: the new approval, or None when it was decided already
    (only a waiting approval can be decided)."""
    if approval != Approval.WAITING:
        return None
    return Approval.APPROVED if approve else Approval.REJECTED


def may_send(approval: str) -> bool:
    """Are a station's rows planned and sent under this approval?"""
    return approval in MAY_SEND


def awaits_approval(approvals: Iterable[str]) -> bool:
    """A run is not finished while any of its stations still waits for an answer."""
    return any(a == Approval.WAITING for a in approvals)


# --------------------------------------------------------------------------------------
# Delivery rows


def abandoned(
    owner: str | None,
    claimed_at: datetime | None,
    *,
    me: str,
    cutoff: datetime,
    alive: Callable[[int], bool],
) -> bool:
    """Was a row left "sending" by a worker that is gone? ``owner`` is the claim's
    "host:pid:nonce" (``broadcasts.ledger.worker_id``). Never my own rows; a row of this
    host whose process is dead; any row claimed at or before ``cutoff`` (the lease: no
    send stays in flight that long), or never stamped."""
    owner = owner or ""
    if owner == me:
        return False
    host = me.split(":", 1)[0]
    parts = owner.split(":")
    dead_here = (
        len(parts) == 3 and parts[0] == host and parts[1].isdigit() and not alive(int(parts[1]))
    )
    return dead_here or claimed_at is None or claimed_at <= cutoff


# --------------------------------------------------------------------------------------
# Counting


@dataclass(frozen=True, slots=True)
class RunCounts:
    """A run's rows by state, and the commonest reasons of its failed and skipped rows."""

    by_state: dict[str, int]
    failed_reasons: list[tuple[str, int]]
    skipped_reasons: list[tuple[str, int]]

    def get(self, state: str) -> int:
        return self.by_state.get(state, 0)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


def reason_kind(reason: str) -> str:
    """A failure's reason as it is counted: "chat gone: Forbidden: bot was kicked from the
    group chat" reads the same per group; a row failed without one is "unknown"."""
    return reason or "unknown"


def count_rows(rows: Iterable[tuple[str, str, int]]) -> RunCounts:
    """``RunCounts`` from (state, reason, number of rows) triples."""
    by_state: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for state, reason, count in rows:
        by_state[state] += count
        if state == DeliveryState.FAILED:
            failed[reason_kind(reason)] += count
        elif state == DeliveryState.SKIPPED:
            skipped[reason] += count
    return RunCounts(dict(by_state), failed.most_common(), skipped.most_common())
