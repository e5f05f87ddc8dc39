"""Alerts an officer sends from the phone: the push's row, its campaign, its report.

The officer's message is kept in an ``OfficerAlert`` row (one live push per officer: a
new message replaces it); ``broadcasts.alert_machine`` decides each step. On 确认推送 the
push becomes a one-off campaign (no schedule; its text is the officer's words, escaped so
nothing in them is read as a template) and a run of it, opened with the trigger
"officer:<name>" in the same transaction as the push turns "queued": from there it is a
run like any other (the delivery ledger, the limits, the station's approval). When the
run ends, ``report_finished`` writes the officer's report to the outbox in the same
transaction as the push turns "done".
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, and_, func, update
from sqlmodel import Session, col, select

from broadcasts import ledger
from broadcasts.alert_machine import LIVE, Phase, Push, Role, Scope
from broadcasts.media import Media, caption_limits
from broadcasts.models import (
    Approval,
    Campaign,
    Delivery,
    DeliveryState,
    OfficerAlert,
    RunStation,
    to_db,
)
from broadcasts.planner import Targets
from broadcasts.render import MAX_LENGTH, TemplateProblem, validate_template
from core.config import Settings
from core.db import Group, Officer, as_utc
from core.events import Outgoing
from core.templates import literal_template, render
from infra import outbox
from officers.directory import first_private_chat

REPORT_KIND = "alert report"
DECLINED = (Approval.REJECTED, Approval.EXPIRED)  # the station's approval refused, or never given
TRIGGER_PREFIX = "officer:"
UNKNOWN_MARK = "delivery unknown"  # the ledger's reasons for rows that may have gone out


def as_push(row: OfficerAlert) -> Push:
    offered = tuple(Scope(s) for s in row.offered.split(",") if s)
    scope = Scope(row.scope) if row.scope else None
    return Push(Phase(row.phase), as_utc(row.since), row.urgent, offered, scope)


def store(row: OfficerAlert, push: Push) -> None:
    row.phase, row.since, row.urgent = push.phase, to_db(push.since), push.urgent
    row.offered = ",".join(push.offered)
    row.scope = push.scope


def live_alert(db: Session, officer_id: int) -> OfficerAlert | None:
    """The officer's latest push that is still held, being chosen or confirmed."""
    return db.exec(
        select(OfficerAlert)
        .where(OfficerAlert.officer_id == officer_id, col(OfficerAlert.phase).in_(LIVE))
        .order_by(col(OfficerAlert.id).desc())
    ).first()


def hold(
    db: Session,
    officer: Officer,
    platform: str,
    chat_id: str,
    message_id: str,
    text: str,
    now: datetime,
    *,
    picture_id: str = "",
    video_id: str = "",
    media: Media | None = None,
) -> OfficerAlert:
    """Keep the officer's message (and its picture or video, ``media`` once it can be
    sent) as their push; whatever was live before is dropped."""
    assert officer.id is not None
    db.exec(
        update(OfficerAlert)
        .where(col(OfficerAlert.officer_id) == officer.id, col(OfficerAlert.phase).in_(LIVE))
        .values(phase=Phase.CANCELLED, finished_at=to_db(now))
    )
    row = OfficerAlert(
        officer_id=officer.id,
        platform=platform,
        chat_id=chat_id,
        message_id=message_id,
        text=text,
        picture_id=picture_id,
        video_id=video_id,
        media_id=media.id if media is not None else None,
        since=to_db(now),
        created_at=to_db(now),
    )
    db.add(row)
    return row


# --------------------------------------------------------------------------------------
# Who may reach what


def role_of(settings: Settings, officer: Officer) -> Role:
    station = settings.station(officer.station_id)
    return Role(
        station_admin=officer.admin,
        city_admin=officer.city_admin,
        station_open=station is not None and station.alerts_by_every_officer,
    )


def station_requires_approval(settings: Settings, station_id: str) -> bool:
    station = settings.station(station_id)
    return station is not None and station.alerts_need_approval


def _reachable() -> ColumnElement[bool]:
    """Groups a push can reach: active, and bound to a station."""
    return and_(col(Group.active), col(Group.station_id).is_not(None))


def group_counts(
    db: Session, officer: Officer, platforms: Collection[str] | None = None
) -> dict[Scope, int]:
    """How many active, bound groups (on ``platforms``: all when None) each scope reaches."""

    def count(*where: ColumnElement[bool]) -> int:
        query = select(func.count()).select_from(Group).where(_reachable(), *where)
        if platforms is not None:
            query = query.where(col(Group.platform).in_(list(platforms)))
        return int(db.exec(query).one())

    return {
        Scope.MINE: count(col(Group.officer_id) == officer.id),
        Scope.STATION: count(col(Group.station_id) == officer.station_id),
        Scope.CITY: count(),
    }


def targets_for(db: Session, officer: Officer, scope: Scope) -> Targets:
    if scope == Scope.CITY:
        return Targets("all")
    if scope == Scope.STATION:
        return Targets("stations", (officer.station_id,))
    ids = db.exec(
        select(Group.id).where(_reachable(), Group.officer_id == officer.id).order_by(col(Group.id))
    ).all()
    return Targets("groups", tuple(str(i) for i in ids if i is not None))


# --------------------------------------------------------------------------------------
# Confirmed: a campaign and its run


class AlertProblem(ValueError):
    """The push cannot be sent as it is (its words do not fit one message, say)."""


@dataclass(frozen=True, slots=True)
class Queued:
    campaign: Campaign
    slot: datetime
    waiting_approval: bool


def queue(
    db: Session,
    row: OfficerAlert,
    officer: Officer,
    push: Push,
    *,
    groups: int,
    requires_approval: bool,
    now: datetime,
) -> Queued | None:
    """The confirmed push as a one-off campaign and its run, in one transaction with the
    push's new state; None if another tap confirmed (or cancelled) it first."""
    assert row.id is not None and push.scope is not None
    claimed = db.connection().execute(  # compare-and-set: of two taps, one opens the run
        update(OfficerAlert)
        .where(col(OfficerAlert.id) == row.id, col(OfficerAlert.phase) == Phase.CONFIRMING)
        .values(phase=Phase.QUEUED)
    )
    if claimed.rowcount != 1:
        db.rollback()
        return None
    source = literal_template(note_text(row))
    platforms = push_platforms(row)
    try:
        validate_template(source, max_length=caption_length(row, platforms))
    except TemplateProblem as problem:
        db.rollback()
        raise AlertProblem(str(problem)) from None
    slot = to_db(now)
    campaign = Campaign(
        name=f"推送#{row.id} {officer.name}",
        template_source=source,
        targets_json=targets_for(db, officer, push.scope).to_json(),
        requires_approval=requires_approval,
        media_id=row.media_id,
        created_at=slot,
        updated_at=slot,
    )
    db.add(campaign)
    db.flush()
    store(row, push)
    row.campaign_id, row.queued_at, row.groups = campaign.id, slot, groups
    db.add(row)
    who = f"{TRIGGER_PREFIX}{officer.name}"
    approved_by = None if requires_approval else who
    ledger.open_run(  # commits everything above
        db, campaign, slot, who, approved_by=approved_by, platforms=platforms, now=now
    )
    return Queued(campaign, slot, requires_approval)


def note_text(row: OfficerAlert) -> str:
    """What goes to the groups: the officer's words (the caption of their picture or
    video; a short one of ours if they wrote none). A picture that could not be fetched
    is named in a note instead."""
    if row.media_id is not None:
        return row.text or render("alert_caption.j2").strip()
    if not (row.picture_id or row.video_id):
        return row.text
    kind = "video" if row.video_id else "photo"
    return render("alert_picture_note.j2", text=row.text, kind=kind).strip()


def platform_media(db: Session, platform: str, file_id: str, kind: str) -> Media:
    """A picture or video that stays on the platform that has it (Telegram): every group
    gets it by its file_id, nothing is downloaded or uploaded. Its key is a hash of the
    id, as the content is not here to hash (flushed; the caller commits)."""
    key = hashlib.sha256(f"{platform}:{file_id}".encode()).hexdigest()
    row = db.exec(select(Media).where(Media.sha256 == key)).first()
    if row is None:
        photo = kind == "photo"
        row = Media(
            sha256=key,
            kind=kind,
            mime="image/jpeg" if photo else "video/mp4",
            size=0,  # unknown: the platform holds it and has taken it already
            filename="picture.jpg" if photo else "video.mp4",
            telegram_file_id=file_id if platform == "telegram" else None,
        )
        db.add(row)
        db.flush()
    return row


def push_platforms(row: OfficerAlert) -> frozenset[str] | None:
    """Where the push can go: a picture or video kept on Telegram reaches Telegram's
    groups only; words, or content in the media store, every platform (None)."""
    if row.media_id is not None and row.platform == "telegram":
        return frozenset({"telegram"})
    return None


def caption_length(row: OfficerAlert, platforms: Collection[str] | None) -> int:
    """How long the push's text may be: a caption's length with a picture or video."""
    if row.media_id is None:
        return MAX_LENGTH
    return min(caption_limits(platforms if platforms is not None else ("telegram", "wechat")))


def urgent_campaigns(engine: Engine, campaign_ids: Collection[int]) -> set[int]:
    """Which of these campaigns are urgent pushes (sent before everything else)."""
    if not campaign_ids:
        return set()
    with Session(engine) as db:
        found = db.exec(
            select(OfficerAlert.campaign_id).where(
                col(OfficerAlert.campaign_id).in_(list(campaign_ids)), col(OfficerAlert.urgent)
            )
        ).all()
    return {i for i in found if i is not None}


def approvers(db: Session, campaign_id: int, station_id: str) -> list[Officer] | None:
    """Who may approve a push for ``station_id``: the station's admins (and city admins
    of the station); with no admin, any of its officers but the one who pushed. None: the
    campaign is no push (every officer of the station may approve it)."""
    row = db.exec(select(OfficerAlert).where(OfficerAlert.campaign_id == campaign_id)).first()
    if row is None:
        return None
    officers = ledger.officers_of(db, station_id)
    admins = [o for o in officers if o.admin or o.city_admin]
    return admins or [o for o in officers if o.id != row.officer_id]


def may_approve(db: Session, campaign_id: int, officer: Officer) -> bool:
    allowed = approvers(db, campaign_id, officer.station_id)
    return allowed is None or any(o.id == officer.id for o in allowed)


def alert_campaigns(db: Session) -> set[int]:
    """The campaigns that are officers' pushes."""
    found = db.exec(
        select(OfficerAlert.campaign_id).where(col(OfficerAlert.campaign_id).is_not(None))
    )
    return {i for i in found if i is not None}


def is_alert(db: Session, campaign_id: int) -> bool:
    return (
        db.exec(select(OfficerAlert.id).where(OfficerAlert.campaign_id == campaign_id)).first()
        is not None
    )


# --------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True, slots=True)
class Outcome:
    delivered: int
    failed: int
    unknown: int
    skipped: int
    failed_groups: tuple[str, ...]  # titles (or chat ids) of the groups it did not reach


def outcome_of(rows: list[tuple[str, str, str]], titles: Mapping[str, str]) -> Outcome:
    """(state, reason, chat id) of each delivery row -> the counts the officer reads. A row
    that may have gone out (interrupted mid-send, timed out) is "unknown", not failed."""
    delivered = failed = unknown = skipped = 0
    missed: list[str] = []
    for state, reason, chat_id in rows:
        if state == DeliveryState.SENT:
            delivered += 1
        elif state == DeliveryState.SKIPPED:
            skipped += 1
        elif state == DeliveryState.FAILED and UNKNOWN_MARK in reason:
            unknown += 1
            missed.append(titles.get(chat_id) or chat_id)
        elif state == DeliveryState.FAILED:
            failed += 1
            missed.append(titles.get(chat_id) or chat_id)
    return Outcome(delivered, failed, unknown, skipped, tuple(missed))


def report_finished(
    db: Session, campaign_id: int, platforms: Collection[str], tz_name: str, now: datetime
) -> bool:
    """The push's run ended: the officer's report as an outbox row, in the transaction
    that marks the push done (the caller commits). False if it is no push or was
    reported already."""
    row = db.exec(
        select(OfficerAlert).where(
            OfficerAlert.campaign_id == campaign_id, OfficerAlert.phase == Phase.QUEUED
        )
    ).first()
    if row is None:
        return False
    claimed = db.connection().execute(
        update(OfficerAlert)
        .where(col(OfficerAlert.id) == row.id, col(OfficerAlert.phase) == Phase.QUEUED)
        .values(phase=Phase.DONE, finished_at=to_db(now))
    )
    if claimed.rowcount != 1:
        return False
    deliveries = db.exec(
        select(Delivery.state, Delivery.reason, Delivery.chat_id, Delivery.group_id).where(
            Delivery.campaign_id == campaign_id
        )
    ).all()
    group_ids = [g for *_, g in deliveries if g is not None]
    titles = {
        g.chat_id: g.title
        for g in db.exec(select(Group).where(col(Group.id).in_(group_ids or [-1])))
    }
    outcome = outcome_of([(s, r, c) for s, r, c, _ in deliveries], titles)
    refused = db.exec(
        select(RunStation.approval).where(
            RunStation.campaign_id == campaign_id, col(RunStation.approval).in_(DECLINED)
        )
    ).first()
    officer = db.get(Officer, row.officer_id)
    chat = first_private_chat(officer, platforms) if officer is not None else None
    if chat is None:
        return True
    text = render(
        "alert_report.j2",
        alert_id=row.id,
        urgent=row.urgent,
        scope=row.scope,
        outcome=outcome,
        shown=outcome.failed_groups[:20],
        declined=refused,
        zone=tz_name,
    )
    outbox.enqueue(db, Outgoing(chat, text), REPORT_KIND, now, officer_id=row.officer_id)
    return True


def runs_waiting(db: Session, officer_id: int) -> list[OfficerAlert]:
    return list(
        db.exec(
            select(OfficerAlert).where(
                OfficerAlert.officer_id == officer_id, OfficerAlert.phase == Phase.QUEUED
            )
        )
    )
