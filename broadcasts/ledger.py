"""The delivery ledger: campaigns saved, runs opened, delivery rows planned, claimed, marked.

The rules (what a campaign must be, what an approval becomes, what counts mean) are in
``broadcasts.rules``; this module stores what they decide. Who commits follows from what a
function is given:

* A ``Session``: campaigns, runs, approvals and the planning of rows. The function reads,
  adds and flushes in the caller's unit of work and never commits: the caller commits (or
  rolls back) when its unit of work is done. Two exceptions end the caller's unit of work
  with a commit themselves, because the commit is where another process recording the
  same run at the same moment is found out (the unique slot; theirs stands): ``open_run``
  and ``record_skipped_run``. Whatever the caller added before is committed with them.

* The delivery rows, the fan-out's hot path, are the one exception to sessions: one
  conditional UPDATE per call, so that a row moves pending -> sending only if it is still
  pending and two workers (tasks or processes, SQLite or PostgreSQL) never take the same
  row; on PostgreSQL the claim selects the row ``FOR UPDATE SKIP LOCKED``, so a worker
  never waits for a row another one is taking: it moves on to the next.
  Given a ``Connection`` (``claim_on``, ``mark_sent_on``, ``release_on``,
  ``mark_failed_on``), the UPDATE runs in the caller's transaction (the fan-out batches
  them, ``infra.groupcommit``). Given an ``Engine`` (``claim``, ``mark_sent``,
  ``mark_failed``, ``move_chat``, ``recover_interrupted``, ``resend_unknown``,
  ``withdraw_run``, and the readers ``pending_*``, ``run_counts``, ``failed_rows``,
  ``sent_elsewhere_since``), the function is its own short transaction, committed or
  closed before it returns; the fan-out calls these from worker threads.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, Update, bindparam, func, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session, SQLModel, col, select

from broadcasts import rules
from broadcasts.media import PLATFORMS, Media, MediaFile, MediaStore, save_media
from broadcasts.models import (
    Approval,
    BroadcastRun,
    Campaign,
    Delivery,
    DeliveryState,
    RunState,
    RunStation,
    to_db,
)
from broadcasts.planner import GroupView, PlannedDelivery, plan_deliveries, stations_of
from broadcasts.rules import UNFINISHED, CampaignProblem, RunCounts, targets_of
from core.db import Group, Officer, Station, as_utc, in_chunks


def worker_id() -> str:
    """Who claims rows: host and pid (so a dead process on this host is recognised)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _deliveries() -> Table:
    return SQLModel.metadata.tables["broadcast_delivery"]


# --------------------------------------------------------------------------------------
# Campaigns (a Session: the caller commits)


def save_campaign(
    db: Session,
    campaign: Campaign,
    *,
    tz: ZoneInfo,
    now: datetime,
    known_stations: Collection[str] | None = None,
    media: MediaFile | None = None,
    store: MediaStore | None = None,
    platforms: Collection[str] = PLATFORMS,
) -> Campaign:
    """Check (``rules.check_campaign``, then that the groups it names exist and its name
    is free) and add it to the session, flushed (so it has its id); the caller commits.
    ``CampaignProblem`` if bad.

    ``media`` (from ``broadcasts.media.inspect_media``) is written to ``store`` and
    attached only once everything else has passed; without it the campaign keeps the
    media it had. A template error or a refused file is said in Chinese.
    """
    targets = rules.check_campaign(
        campaign,
        tz=tz,
        now=now,
        known_stations=known_stations,
        media=media,
        platforms=platforms,
    )
    bad = rules.unknown_group_ids(targets, lambda group_id: db.get(Group, group_id) is not None)
    if bad:
        raise CampaignProblem(f"unknown group id(s) {', '.join(bad)}")
    other = db.exec(select(Campaign).where(Campaign.name == campaign.name)).first()
    if other is not None and other.id != campaign.id:
        raise CampaignProblem(f"a campaign named {campaign.name!r} exists already (#{other.id})")
    if media is not None:
        if store is None:
            raise ValueError("a campaign's media needs the store to keep it in")
        campaign.media_id = save_media(db, store, media).id
    campaign.updated_at = to_db(now)
    db.add(campaign)
    db.flush()
    return campaign


def media_of(db: Session, campaign: Campaign) -> Media | None:
    """The picture, video or file the campaign sends with its text, if any."""
    return db.get(Media, campaign.media_id) if campaign.media_id is not None else None


def campaign_stations(db: Session, campaign: Campaign) -> set[str]:
    return stations_of(targets_of(campaign), group_views(db))


def group_views(db: Session) -> list[GroupView]:
    return [
        GroupView(g.id, g.platform, g.chat_id, g.station_id, g.active, g.account)
        for g in db.exec(select(Group).order_by(col(Group.id)))
        if g.id is not None
    ]


def campaigns(db: Session, *, include_paused: bool = True) -> Sequence[Campaign]:
    query = select(Campaign).order_by(col(Campaign.id))
    if not include_paused:
        query = query.where(Campaign.paused == False)  # noqa: E712
    return db.exec(query).all()


# --------------------------------------------------------------------------------------
# Runs and approvals (a Session: the caller commits, but open_run and record_skipped_run do)


def find_run(db: Session, campaign_id: int, slot: datetime) -> BroadcastRun | None:
    return db.exec(
        select(BroadcastRun).where(
            BroadcastRun.campaign_id == campaign_id, BroadcastRun.slot == to_db(slot)
        )
    ).first()


def known_slots(db: Session, campaign_id: int) -> set[datetime]:
    rows = db.exec(select(BroadcastRun.slot).where(BroadcastRun.campaign_id == campaign_id))
    return {as_utc(slot) for slot in rows}


def record_skipped_run(
    db: Session, campaign_id: int, slot: datetime, trigger: str, reason: str
) -> None:
    """A slot that is not sent (missed, paused), recorded so it is not tried again.
    Commits the caller's session (one of the two exceptions: see the module's docstring)."""
    if find_run(db, campaign_id, slot) is not None:
        return
    db.add(
        BroadcastRun(
            campaign_id=campaign_id,
            slot=to_db(slot),
            trigger=trigger,
            state=RunState.SKIPPED,
            reason=reason,
            finished_at=to_db(datetime.now(UTC)),
        )
    )
    _commit_or_rollback(db)


def open_run(
    db: Session,
    campaign: Campaign,
    slot: datetime,
    trigger: str,
    *,
    stations: Collection[str] | None = None,
    approved_by: str | None = None,
    platforms: Collection[str] | None = None,
    now: datetime,
) -> BroadcastRun:
    """Create (or find) the run of ``slot`` and plan what may go out, in one transaction.

    Each targeted station gets a ``RunStation``: "auto" when no approval is needed,
    "approved" when ``approved_by`` (an officer's /send, the CLI) says so, else "pending"
    (its rows are planned once approved). ``stations`` narrows the run to those stations;
    ``platforms`` to those platforms (groups elsewhere get a skipped row saying why, so
    nobody else sends them later). Idempotent: calling it again for the same slot adds
    nothing twice.

    Commits the caller's session (one of the two exceptions: see the module's docstring):
    if another process opened the same run at the same moment, theirs is returned.
    """
    assert campaign.id is not None
    # Another process may open the same run at the same moment: its row makes our insert
    # fail at the first flush (a query's autoflush, or PostgreSQL waiting on its unique
    # index), or at the commit. Either way theirs stands.
    try:
        run = find_run(db, campaign.id, slot)
        if run is None:
            run = BroadcastRun(
                campaign_id=campaign.id, slot=to_db(slot), trigger=trigger, created_at=to_db(now)
            )
            db.add(run)
        elif run.state == RunState.SKIPPED:
            return run
        elif rules.reopens(run, approved_by):
            run.state, run.finished_at = (
                RunState.OPEN,
                None,
            )  # e.g. another station's /send in the slot
            db.add(run)
        groups = group_views(db)
        targets = targets_of(campaign)
        wanted = stations_of(targets, groups)
        if stations is not None:
            wanted &= set(stations)
        for station_id in sorted(wanted):
            rs = _run_station(db, campaign.id, slot, station_id)
            if rs is None:
                approval = rules.first_approval(
                    requires_approval=campaign.requires_approval, approved_by=approved_by
                )
                rs = RunStation(
                    campaign_id=campaign.id,
                    slot=to_db(slot),
                    station_id=station_id,
                    approval=approval,
                    decided_by=approved_by,
                    decided_at=to_db(now) if approved_by else None,
                )
            elif rules.approved_on_open(rs.approval, approved_by):
                assert approved_by is not None
                rs.approval, rs.decided_by, rs.decided_at = (
                    Approval.APPROVED,
                    approved_by,
                    to_db(now),
                )
            db.add(rs)
        db.flush()
        plan_ready(db, campaign, slot, now, include_skipped=stations is None, platforms=platforms)
        db.commit()
    except IntegrityError:
        db.rollback()
        found = find_run(db, campaign.id, slot)
        if found is None:
            raise
        return found
    db.refresh(run)
    return run


def plan_ready(
    db: Session,
    campaign: Campaign,
    slot: datetime,
    now: datetime,
    *,
    include_skipped: bool,
    platforms: Collection[str] | None = None,
) -> int:
    """Delivery rows for the run's stations that may go out (auto/approved) and have none
    yet, in the caller's unit of work (the caller commits). Returns the rows added."""
    assert campaign.id is not None
    ready = [
        rs
        for rs in _run_stations(db, campaign.id, slot)
        if rules.may_send(rs.approval) and rs.planned_at is None
    ]
    if not ready and not include_skipped:
        return 0
    rows = plan_deliveries(
        targets_of(campaign),
        group_views(db),
        stations={rs.station_id for rs in ready},
        include_skipped=include_skipped,
        platforms=platforms,
    )
    added = insert_deliveries(db, campaign.id, slot, rows, now)
    for rs in ready:
        rs.planned_at = to_db(now)
        db.add(rs)
    return added


def _commit_or_rollback(db: Session) -> None:
    try:
        db.commit()
    except IntegrityError:
        db.rollback()  # another process recorded it at the same moment: theirs stands


def _run_station(
    db: Session, campaign_id: int, slot: datetime, station_id: str
) -> RunStation | None:
    return db.exec(
        select(RunStation).where(
            RunStation.campaign_id == campaign_id,
            RunStation.slot == to_db(slot),
            RunStation.station_id == station_id,
        )
    ).first()


def _run_stations(db: Session, campaign_id: int, slot: datetime) -> list[RunStation]:
    return list(
        db.exec(
            select(RunStation).where(
                RunStation.campaign_id == campaign_id, RunStation.slot == to_db(slot)
            )
        )
    )


def run_stations(db: Session, run: BroadcastRun) -> list[RunStation]:
    return _run_stations(db, run.campaign_id, as_utc(run.slot))


def insert_deliveries(
    db: Session,
    campaign_id: int,
    slot: datetime,
    rows: Iterable[PlannedDelivery],
    now: datetime,
) -> int:
    """INSERT ... ON CONFLICT DO NOTHING: planning a slot twice never makes two rows."""
    values = [
        {
            "campaign_id": campaign_id,
            "slot": to_db(slot),
            "group_id": row.group_id,
            "station_id": row.station_id,
            "platform": row.platform,
            "chat_id": row.chat_id,
            "account": row.account,
            "state": row.state,
            "reason": row.reason,
            "attempts": 0,
            "created_at": to_db(now),
            "updated_at": to_db(now),
        }
        for row in rows
    ]
    if not values:
        return 0
    table = _deliveries()
    keys = ["campaign_id", "slot", "platform", "chat_id"]
    dialect = db.get_bind().dialect.name
    inserted = 0
    for chunk in in_chunks(values):
        if dialect == "postgresql":
            pg = postgresql.insert(table).values(chunk).on_conflict_do_nothing(index_elements=keys)
            inserted += db.connection().execute(pg).rowcount
        else:
            lite = sqlite.insert(table).values(chunk).on_conflict_do_nothing(index_elements=keys)
            inserted += db.connection().execute(lite).rowcount
    return inserted


def decide(
    db: Session,
    campaign_id: int,
    slot: datetime,
    station_id: str,
    approve: bool,
    who: str,
    now: datetime,
) -> tuple[RunStation | None, bool]:
    """An officer's 批准 / 驳回 for their station: (the row, whether this call decided it).
    The caller commits."""
    rs = _run_station(db, campaign_id, slot, station_id)
    if rs is None:
        return None, False
    approval = rules.decision(rs.approval, approve)
    if approval is None:
        return rs, False
    rs.approval, rs.decided_by, rs.decided_at = approval, who, to_db(now)
    db.add(rs)
    db.flush()
    return rs, True


def waiting_approvals(db: Session, station_id: str | None = None) -> list[RunStation]:
    query = select(RunStation).where(RunStation.approval == Approval.WAITING)
    if station_id is not None:
        query = query.where(RunStation.station_id == station_id)
    return list(db.exec(query.order_by(col(RunStation.slot))))


def expire_approvals(db: Session, older_than: datetime) -> list[RunStation]:
    """Approvals still waiting for a slot before ``older_than`` lapse; the caller commits."""
    expired = list(
        db.exec(
            select(RunStation).where(
                RunStation.approval == Approval.WAITING, col(RunStation.slot) < to_db(older_than)
            )
        )
    )
    for rs in expired:
        rs.approval, rs.decided_by = Approval.EXPIRED, rules.TIMED_OUT
        db.add(rs)
    db.flush()
    return expired


def open_runs(db: Session) -> list[BroadcastRun]:
    return list(
        db.exec(
            select(BroadcastRun)
            .where(BroadcastRun.state == RunState.OPEN)
            .order_by(col(BroadcastRun.slot))
        )
    )


def run_is_finished(db: Session, run: BroadcastRun) -> bool:
    if rules.awaits_approval(rs.approval for rs in run_stations(db, run)):
        return False
    unfinished = db.exec(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.campaign_id == run.campaign_id,
            Delivery.slot == run.slot,
            col(Delivery.state).in_(UNFINISHED),
        )
    ).one()
    return int(unfinished) == 0


def finish_run(db: Session, run: BroadcastRun, now: datetime) -> None:
    """The run is over; the caller commits."""
    run.state, run.finished_at = RunState.DONE, to_db(now)
    db.add(run)
    db.flush()


def station_finished(db: Session, run: BroadcastRun, station_id: str) -> bool:
    unfinished = db.exec(
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.campaign_id == run.campaign_id,
            Delivery.slot == run.slot,
            Delivery.station_id == station_id,
            col(Delivery.state).in_(UNFINISHED),
        )
    ).one()
    return int(unfinished) == 0


def officers_of(db: Session, station_id: str) -> list[Officer]:
    return list(db.exec(select(Officer).where(Officer.station_id == station_id)))


def station_row(db: Session, station_id: str) -> Station | None:
    return db.get(Station, station_id)


def runs_of(db: Session, campaign_id: int, limit: int = 10) -> list[BroadcastRun]:
    return list(
        db.exec(
            select(BroadcastRun)
            .where(BroadcastRun.campaign_id == campaign_id)
            .order_by(col(BroadcastRun.slot).desc())
            .limit(limit)
        )
    )


def latest_run(
    db: Session, campaign_id: int, triggers: Collection[str], *, lock: bool = False
) -> BroadcastRun | None:
    """The campaign's latest run opened by one of ``triggers``. ``lock``: take the
    campaign's row FOR UPDATE first (PostgreSQL), so two commands that check and then
    open a run do so one after the other."""
    if lock:
        db.exec(select(Campaign.id).where(Campaign.id == campaign_id).with_for_update()).first()
    return db.exec(
        select(BroadcastRun)
        .where(BroadcastRun.campaign_id == campaign_id, col(BroadcastRun.trigger).in_(triggers))
        .order_by(col(BroadcastRun.slot).desc())
    ).first()


def latest_open_run(
    db: Session, campaign_id: int, triggers: Collection[str]
) -> BroadcastRun | None:
    return db.exec(
        select(BroadcastRun)
        .where(
            BroadcastRun.campaign_id == campaign_id,
            BroadcastRun.state == RunState.OPEN,
            col(BroadcastRun.trigger).in_(triggers),
        )
        .order_by(col(BroadcastRun.slot).desc())
    ).first()


# --------------------------------------------------------------------------------------
# Delivery rows: the hot path (a Connection, or an Engine: see the module docstring)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    platform: str
    chat_id: str
    group_id: int | None
    station_id: str | None
    account: str | None = None


Lane = tuple[str, str | None]  # (platform, account): the rows one account sends


def pending_page(
    engine: Engine,
    campaign_id: int,
    slot: datetime,
    platforms: Collection[str],
    after_id: int,
    limit: int,
    *,
    lane: Lane | None = None,
) -> list[DeliveryRow]:
    """Pending rows after ``after_id``: of ``platforms``, or of one ``lane`` only."""
    t = _deliveries()
    query = core_select(
        t.c.id, t.c.platform, t.c.chat_id, t.c.group_id, t.c.station_id, t.c.account
    ).where(
        t.c.campaign_id == campaign_id,
        t.c.slot == to_db(slot),
        t.c.state == DeliveryState.PENDING,
        t.c.id > after_id,
    )
    if lane is None:
        query = query.where(t.c.platform.in_(list(platforms)))
    else:
        query = query.where(t.c.platform == lane[0], _account_is(t, lane[1]))
    query = query.order_by(t.c.id).limit(limit)
    with engine.connect() as conn:
        return [DeliveryRow(*row) for row in conn.execute(query)]


def pending_lanes(
    engine: Engine, campaign_id: int, slot: datetime, platforms: Collection[str]
) -> list[Lane]:
    """The (platform, account) pairs with pending rows in the slot."""
    t = _deliveries()
    query = (
        core_select(t.c.platform, t.c.account)
        .where(
            t.c.campaign_id == campaign_id,
            t.c.slot == to_db(slot),
            t.c.state == DeliveryState.PENDING,
            t.c.platform.in_(list(platforms)),
        )
        .distinct()
    )
    with engine.connect() as conn:
        found = [(str(p), None if a is None else str(a)) for p, a in conn.execute(query)]
    return sorted(found, key=lambda lane: (lane[0], lane[1] or ""))


def pending_by_account(
    engine: Engine, campaign_id: int, slot: datetime, platform: str
) -> dict[str | None, int]:
    """Pending rows of the slot on ``platform``, per account."""
    t = _deliveries()
    query = (
        core_select(t.c.account, func.count())
        .where(
            t.c.campaign_id == campaign_id,
            t.c.slot == to_db(slot),
            t.c.state == DeliveryState.PENDING,
            t.c.platform == platform,
        )
        .group_by(t.c.account)
    )
    with engine.connect() as conn:
        return {account: int(count) for account, count in conn.execute(query)}


def _account_is(t: Table, account: str | None) -> Any:
    return t.c.account.is_(None) if account is None else t.c.account == account


@cache
def _statements() -> dict[str, Update]:
    """The hot-path UPDATEs, built once: SQLAlchemy then reuses their compiled form."""
    t = _deliveries()
    groups = SQLModel.metadata.tables["chat_group"]
    now: BindParameter[Any] = bindparam("now")
    row: BindParameter[Any] = bindparam("delivery_id")
    return {
        # The row is locked FOR UPDATE SKIP LOCKED: if another worker's transaction holds
        # it, the subquery finds nothing and the claim fails at once instead of waiting
        # (SQLite ignores FOR UPDATE: its writes are serialized anyway).
        "claim": update(t)
        .where(
            t.c.id
            == core_select(t.c.id)
            .where(t.c.id == row, t.c.state == DeliveryState.PENDING)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        .values(
            state=DeliveryState.SENDING,
            claimed_by=bindparam("worker"),
            claimed_at=now,
            attempts=t.c.attempts + 1,
            updated_at=now,
        ),
        # No state check: if a recovery declared it interrupted meanwhile, "sent" is true.
        "sent": update(t)
        .where(t.c.id == row, t.c.claimed_by == bindparam("worker"))
        .values(
            state=DeliveryState.SENT,
            message_id=bindparam("message_id"),
            sent_at=now,
            reason="",
            updated_at=now,
        ),
        "release": update(t)
        .where(
            t.c.id == row, t.c.state == DeliveryState.SENDING, t.c.claimed_by == bindparam("worker")
        )
        .values(state=DeliveryState.PENDING, reason=bindparam("reason"), updated_at=now),
        "failed": update(t)
        .where(t.c.id == row, t.c.state.in_(UNFINISHED))
        .values(state=DeliveryState.FAILED, reason=bindparam("reason"), updated_at=now),
        "retire": update(groups).where(groups.c.id == bindparam("group_id")).values(active=False),
    }


def claim_on(conn: Connection, delivery_id: int, worker: str, now: datetime) -> bool:
    """pending -> sending, only if it is still pending (in the caller's transaction)."""
    result = conn.execute(
        _statements()["claim"], {"delivery_id": delivery_id, "worker": worker, "now": to_db(now)}
    )
    return result.rowcount == 1


def mark_sent_on(
    conn: Connection, delivery_id: int, worker: str, message_id: str, now: datetime
) -> None:
    conn.execute(
        _statements()["sent"],
        {"delivery_id": delivery_id, "worker": worker, "message_id": message_id, "now": to_db(now)},
    )


def release_on(conn: Connection, delivery_id: int, worker: str, reason: str, now: datetime) -> None:
    """sending -> pending: the platform refused it (e.g. 429), so it was not delivered."""
    conn.execute(
        _statements()["release"],
        {"delivery_id": delivery_id, "worker": worker, "reason": reason, "now": to_db(now)},
    )


def mark_failed_on(
    conn: Connection,
    delivery_id: int,
    reason: str,
    now: datetime,
    deactivate_group: int | None = None,
) -> None:
    """pending/sending -> failed with the reason; optionally the group becomes inactive."""
    conn.execute(
        _statements()["failed"],
        {"delivery_id": delivery_id, "reason": reason[:500], "now": to_db(now)},
    )
    if deactivate_group is not None:
        conn.execute(_statements()["retire"], {"group_id": deactivate_group})


def claim(engine: Engine, delivery_id: int, worker: str, now: datetime) -> bool:
    """``claim_on`` in its own transaction: committed before this returns."""
    with engine.begin() as conn:
        return claim_on(conn, delivery_id, worker, now)


def mark_sent(
    engine: Engine, delivery_id: int, worker: str, message_id: str, now: datetime
) -> None:
    with engine.begin() as conn:
        mark_sent_on(conn, delivery_id, worker, message_id, now)


def mark_failed(
    engine: Engine,
    delivery_id: int,
    reason: str,
    now: datetime,
    *,
    deactivate_group: int | None = None,
) -> None:
    with engine.begin() as conn:
        mark_failed_on(conn, delivery_id, reason, now, deactivate_group)


def move_chat(
    engine: Engine,
    row: DeliveryRow,
    old_chat_id: str,
    new_chat_id: str,
    now: datetime,
) -> bool:
    """The group became a supergroup: follow it. The delivery goes back to pending under
    the new chat id (it was not delivered: Telegram refused the old id). False if the new
    chat already has a row for this slot, in which case this one is skipped."""
    with Session(engine) as db:
        group = db.get(Group, row.group_id) if row.group_id is not None else None
        if group is not None and group.chat_id == old_chat_id:
            clash = db.exec(
                select(Group).where(Group.platform == row.platform, Group.chat_id == new_chat_id)
            ).first()
            if clash is None:
                group.chat_id = new_chat_id
                db.add(group)
        delivery = db.get(Delivery, row.id)
        if delivery is None:
            return False
        taken = db.exec(
            select(Delivery.id).where(
                Delivery.campaign_id == delivery.campaign_id,
                Delivery.slot == delivery.slot,
                Delivery.platform == delivery.platform,
                Delivery.chat_id == new_chat_id,
            )
        ).first()
        stamp = to_db(now)
        delivery.updated_at = stamp
        if taken is not None:
            delivery.state = DeliveryState.SKIPPED
            delivery.reason = f"chat moved to {new_chat_id}, which has this broadcast already"
            db.add(delivery)
            db.commit()
            return False
        delivery.chat_id, delivery.state = new_chat_id, DeliveryState.PENDING
        delivery.reason = f"chat moved from {old_chat_id}"
        db.add(delivery)
        db.commit()
        return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (killed, not yet reaped by its parent) is dead for our purpose
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def recover_interrupted(
    engine: Engine,
    now: datetime,
    *,
    lease: timedelta,
    me: str,
    alive: Callable[[int], bool] = _pid_alive,
) -> int:
    """Rows left "sending" by a worker that died: failed, delivery unknown, not resent.

    A row is abandoned when its worker ran on this host and that process is gone, or when
    it was claimed longer than ``lease`` ago (no send stays in flight that long).
    """
    t = _deliveries()
    with engine.connect() as conn:
        rows = conn.execute(
            core_select(t.c.id, t.c.claimed_by, t.c.claimed_at).where(
                t.c.state == DeliveryState.SENDING
            )
        ).all()
    stale: list[int] = []
    cutoff = to_db(now - lease)
    for delivery_id, owner, claimed_at in rows:
        if rules.abandoned(owner, claimed_at, me=me, cutoff=cutoff, alive=alive):
            stale.append(delivery_id)
    if stale:
        with engine.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id.in_(stale), t.c.state == DeliveryState.SENDING)
                .values(state=DeliveryState.FAILED, reason=rules.INTERRUPTED, updated_at=to_db(now))
            )
    return len(stale)


def sent_elsewhere_since(
    engine: Engine, campaign_id: int, slot: datetime, me: str, since: datetime
) -> bool:
    """Has another worker claimed rows of this slot since ``since`` (is it sending)?"""
    t = _deliveries()
    with engine.connect() as conn:
        found = conn.execute(
            core_select(t.c.id)
            .where(
                t.c.campaign_id == campaign_id,
                t.c.slot == to_db(slot),
                t.c.claimed_at >= to_db(since),
                t.c.claimed_by != me,
            )
            .limit(1)
        ).first()
    return found is not None


def resend_unknown(engine: Engine, campaign_id: int, slot: datetime, now: datetime) -> int:
    """Opt-in at-least-once: put interrupted rows back to pending (may send a second copy)."""
    t = _deliveries()
    with engine.begin() as conn:
        result = conn.execute(
            update(t)
            .where(
                t.c.campaign_id == campaign_id,
                t.c.slot == to_db(slot),
                t.c.state == DeliveryState.FAILED,
                t.c.reason == rules.INTERRUPTED,
            )
            .values(
                state=DeliveryState.PENDING,
                reason="resent by request after an interruption",
                updated_at=to_db(now),
            )
        )
        return result.rowcount


# --------------------------------------------------------------------------------------
# Counting and reporting, and a run withdrawn (an Engine: their own transactions)


def run_counts(
    engine: Engine,
    campaign_id: int,
    slot: datetime,
    *,
    station_id: str | None = None,
    platforms: Collection[str] | None = None,
) -> RunCounts:
    t = _deliveries()
    query = core_select(t.c.state, t.c.reason, func.count()).where(
        t.c.campaign_id == campaign_id, t.c.slot == to_db(slot)
    )
    if station_id is not None:
        query = query.where(t.c.station_id == station_id)
    if platforms is not None:
        query = query.where(t.c.platform.in_(list(platforms)))
    query = query.group_by(t.c.state, t.c.reason)
    with engine.connect() as conn:
        return rules.count_rows(
            (state, reason, count) for state, reason, count in conn.execute(query)
        )


def withdraw_run(
    engine: Engine, campaign_id: int, slot: datetime, reason: str, now: datetime
) -> bool:
    """A command that opened a run and then failed: nothing of it is left for the bot.

    If no row was ever tried, the run disappears entirely (True); otherwise the rows never
    tried become skipped with ``reason`` and the run is closed (False).
    """
    t = _deliveries()
    stamp = to_db(slot)
    with Session(engine) as db:
        run = find_run(db, campaign_id, slot)
        if run is None:
            return True
        tried = db.exec(
            select(func.count())
            .select_from(Delivery)
            .where(
                Delivery.campaign_id == campaign_id,
                Delivery.slot == stamp,
                col(Delivery.attempts) > 0,
            )
        ).one()
        mine = (t.c.campaign_id == campaign_id) & (t.c.slot == stamp)
        if int(tried) == 0:
            db.connection().execute(t.delete().where(mine))
            for rs in _run_stations(db, campaign_id, slot):
                db.delete(rs)
            db.delete(run)
            db.commit()
            return True
        db.connection().execute(
            update(t)
            .where(mine, t.c.state == DeliveryState.PENDING)
            .values(state=DeliveryState.SKIPPED, reason=reason[:500], updated_at=to_db(now))
        )
        run.state, run.finished_at, run.reason = RunState.DONE, to_db(now), reason[:500]
        db.add(run)
        db.commit()
        return False


def failed_rows(engine: Engine, campaign_id: int, slot: datetime) -> list[tuple[str, str, str]]:
    t = _deliveries()
    with engine.connect() as conn:
        rows = conn.execute(
            core_select(t.c.platform, t.c.chat_id, t.c.reason)
            .where(
                t.c.campaign_id == campaign_id,
                t.c.slot == to_db(slot),
                or_(t.c.state == DeliveryState.FAILED, t.c.state == DeliveryState.SKIPPED),
            )
            .order_by(t.c.id)
        ).all()
    return [(p, c, r) for p, c, r in rows]
