"""Sending a wave's drafted warning (``handlers.earlywarn``) to the station's other groups.

One tap (Telegram's 发送预警 button, WeChat's ``发送预警 N``) makes a one-off campaign
whose text is the draft, and opens its run for the officer's station, approved by them, in
one transaction with the wave marked sent: the broadcast pump then delivers it through the
ledger like any run, once per group. The wave is marked by a conditional UPDATE, so of two
taps (two officers, a double tap reaching two workers) one sends and the other is told
who did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from broadcasts import ledger
from broadcasts.models import Campaign, DeliveryState
from broadcasts.planner import Targets
from core.db import Group, LureSighting, LureWave, Officer
from core.templates import literal_template


@dataclass(frozen=True, slots=True)
class WaveSent:
    outcome: str  # sending | already | no groups | none
    wave_id: int
    groups: int = 0
    sent_by: str = ""


def campaign_name(wave_id: int) -> str:
    return f"防骗预警 #{wave_id}"


def send_wave(engine: Engine, wave_id: int, officer: Officer, now: datetime) -> WaveSent:
    """The officer's tap: the wave's warning to the station's groups it was not seen in."""
    who = f"officer:{officer.name}"
    with Session(engine, expire_on_commit=False) as db:
        wave = db.get(LureWave, wave_id)
        if wave is None or wave.station_id != officer.station_id:
            return WaveSent("none", wave_id)
        if wave.sent_at is not None:
            return WaveSent("already", wave_id, sent_by=_name(wave.sent_by))
        targets = other_groups(db, wave.station_id, wave_groups(db, wave_id))
        if not targets:
            return WaveSent("no groups", wave_id)
        taken = db.connection().execute(
            update(LureWave)
            .where(col(LureWave.id) == wave_id, col(LureWave.sent_at).is_(None))
            .values(sent_by=who, sent_at=now)
        )
        if taken.rowcount != 1:
            db.rollback()
            fresh = db.get(LureWave, wave_id)
            return WaveSent("already", wave_id, sent_by=_name(fresh.sent_by if fresh else ""))
        campaign = Campaign(
            name=campaign_name(wave_id),
            template_source=literal_template(wave.draft),
            targets_json=Targets("groups", tuple(str(g.id) for g in targets)).to_json(),
        )
        db.add(campaign)
        db.flush()
        db.connection().execute(
            update(LureWave).where(col(LureWave.id) == wave_id).values(campaign_id=campaign.id)
        )
        slot = now.replace(microsecond=0)
        ledger.open_run(
            db, campaign, slot, who, stations={wave.station_id}, approved_by=who, now=now
        )  # commits the wave, the campaign, the run and its rows together
        assert campaign.id is not None
        counts = ledger.run_counts(engine, campaign.id, slot, station_id=wave.station_id)
        return WaveSent("sending", wave_id, groups=counts.get(DeliveryState.PENDING))


def _name(sent_by: str | None) -> str:
    return (sent_by or "").removeprefix("officer:")


def other_groups(db: Session, station_id: str, seen: frozenset[int]) -> list[Group]:
    """The station's active groups where the wave's lure was not seen."""
    rows = db.exec(
        select(Group)
        .where(Group.station_id == station_id, col(Group.active))
        .order_by(col(Group.id))
    ).all()
    return [g for g in rows if g.id not in seen]


def wave_groups(db: Session, wave_id: int) -> frozenset[int]:
    """The groups a wave's lure was seen in (so far)."""
    rows = db.exec(select(LureSighting.group_id).where(LureSighting.wave_id == wave_id)).all()
    return frozenset(rows)
