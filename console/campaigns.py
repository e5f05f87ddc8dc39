"""The console's broadcasts (issue 17, point 5): which campaigns an officer sees and may
change, the runs coming up, a campaign built from the form, and the runs' reports.

Saving is ``broadcasts.ledger.save_campaign``, approving ``broadcasts.runs.decide_run``,
sending ``broadcasts.runs.officer_send_now`` / ``ledger.open_run``: the same functions as
the CLI and the chat. A station admin reaches their station's groups only; a city admin
every group; an officer only reads.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from broadcasts import ledger, rules
from broadcasts.alerts import Outcome, outcome_of
from broadcasts.models import Approval, BroadcastRun, Campaign, Delivery, RunStation, to_db
from broadcasts.planner import Schedule, Targets, next_slot
from broadcasts.render import TemplateProblem, library_template
from console import people
from core.db import Group, Officer, as_utc

WORDS = tomllib.loads(
    (Path(__file__).parent / "templates" / "broadcast_texts.toml").read_text(encoding="utf-8")
)
HORIZON = timedelta(days=14)  # the calendar shows the runs of the next two weeks ...
SLOTS_PER_CAMPAIGN = 20  # ... at most this many of each campaign
SCHEDULES = ("manual", "cron", "once")
KINDS = ("all", "stations", "groups")


class Refused(ValueError):
    """The form cannot become a campaign; the message is a key of ``WORDS["refused"]``."""


def problem_text(message: str) -> str:
    """A ledger refusal as an admin reads it: Chinese ones as they are, the CLI's English
    ones by the piece of text that tells them apart."""
    head, colon, detail = message.partition("：")
    if _chinese(head) and colon and not _chinese(detail):
        return head + colon + _pick(WORDS["template"], detail)  # the checker's detail
    if _chinese(message):
        return message
    return _pick(WORDS["ledger"], message)


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _pick(words: Mapping[str, str], message: str) -> str:
    found = next((text for key, text in words.items() if key in message), words["other"])
    line = re.search(r"line (\d+)", message)
    return found.replace("{line}", line.group(1) if line else "?")


# --------------------------------------------------------------------------------------
# Who sees what


def _group_stations(db: Session, ids: Sequence[str]) -> set[str | None]:
    numbers = [int(i) for i in ids if i.isdigit()]
    found = db.exec(select(Group.station_id).where(col(Group.id).in_(numbers or [-1])))
    return set(found)


def reaches(db: Session, officer: Officer, campaign: Campaign) -> bool:
    """Does the campaign reach the officer's station (or is the officer a city admin)?"""
    if people.is_city_admin(officer):
        return True
    targets = rules.targets_of(campaign)
    if targets.kind == "stations" and officer.station_id in targets.ids:
        return True
    if targets.kind == "groups":
        return officer.station_id in _group_stations(db, targets.ids)
    return officer.station_id in ledger.campaign_stations(db, campaign)


def owns(db: Session, officer: Officer, targets: Targets) -> bool:
    """May the officer save (or send) a campaign with these targets? A city admin any; a
    station admin only one that stays inside their station."""
    if people.is_city_admin(officer):
        return True
    if not people.is_admin(officer):
        return False
    if targets.kind == "stations":
        return set(targets.ids) == {officer.station_id}
    if targets.kind == "groups":
        return bool(targets.ids) and _group_stations(db, targets.ids) == {officer.station_id}
    return False


def visible_campaigns(db: Session, officer: Officer) -> list[Campaign]:
    return [c for c in ledger.campaigns(db) if reaches(db, officer, c)]


# --------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True, slots=True)
class Upcoming:
    slot: datetime
    campaign: Campaign


def slots_ahead(schedule: Schedule, tz: ZoneInfo, now: datetime, until: datetime) -> list[datetime]:
    """The schedule's slots from ``now`` to ``until`` (at most ``SLOTS_PER_CAMPAIGN``)."""
    found: list[datetime] = []
    moment = now
    while len(found) < SLOTS_PER_CAMPAIGN:
        slot = next_slot(schedule, tz, moment)
        if slot is None or slot > until:
            break
        found.append(slot)
        moment = slot + timedelta(seconds=1)
        if schedule.run_at is not None:
            break
    return found


def upcoming(campaigns: Sequence[Campaign], tz: ZoneInfo, now: datetime) -> list[Upcoming]:
    """The coming runs of the active campaigns, soonest first."""
    rows = [
        Upcoming(slot, c)
        for c in campaigns
        if not c.paused
        for slot in slots_ahead(rules.schedule_of(c), tz, now, now + HORIZON)
    ]
    return sorted(rows, key=lambda row: (row.slot, row.campaign.id or 0))


def waiting(db: Session, officer: Officer) -> list[tuple[RunStation, Campaign]]:
    """Runs waiting for an approval the officer sees: their station's (a city admin: all)."""
    station = None if people.is_city_admin(officer) else officer.station_id
    found = []
    for rs in ledger.waiting_approvals(db, station):
        campaign = db.get(Campaign, rs.campaign_id)
        if campaign is not None:
            found.append((rs, campaign))
    return found


def is_waiting(db: Session, campaign_id: int, slot: datetime, station_id: str) -> bool:
    found = db.exec(
        select(RunStation.id).where(
            RunStation.campaign_id == campaign_id,
            RunStation.slot == to_db(slot),
            RunStation.station_id == station_id,
            RunStation.approval == Approval.WAITING,
        )
    ).first()
    return found is not None


# --------------------------------------------------------------------------------------
# The form


@dataclass
class Draft:
    """What the form holds (shown again as typed when refused)."""

    name: str = ""
    template: str = ""
    library: str = ""
    schedule: str = "manual"
    cron: str = ""
    run_at: str = ""  # local, as <input type="datetime-local"> sends it
    kind: str = "stations"
    ids: str = ""
    approval: bool = False
    drop_media: bool = False
    errors: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, campaign: Campaign, tz: ZoneInfo) -> Draft:
        targets = rules.targets_of(campaign)
        at = as_utc(campaign.run_at).astimezone(tz) if campaign.run_at else None
        return cls(
            name=campaign.name,
            template=campaign.template_source,
            schedule="cron" if campaign.cron else "once" if at else "manual",
            cron=campaign.cron or "",
            run_at=at.strftime("%Y-%m-%dT%H:%M") if at else "",
            kind=targets.kind,
            ids=",".join(targets.ids),
            approval=campaign.requires_approval,
        )

    def source(self) -> str:
        if self.template.strip():
            return self.template
        if not self.library:
            raise Refused("no_template")
        try:
            return library_template(self.library).source
        except TemplateProblem:
            raise Refused("no_library") from None

    def targets(self, officer: Officer) -> Targets:
        kind = self.kind if self.kind in KINDS else "stations"
        ids = tuple(dict.fromkeys(p.strip() for p in self.ids.split(",") if p.strip()))
        if kind == "stations" and not ids and not people.is_city_admin(officer):
            ids = (officer.station_id,)  # a station admin's own station, unless told
        return Targets(kind, () if kind == "all" else ids)  # type: ignore[arg-type]

    def when(self, tz: ZoneInfo) -> tuple[str | None, datetime | None]:
        if self.schedule == "cron":
            if not self.cron.strip():
                raise Refused("no_cron")
            return " ".join(self.cron.split()), None
        if self.schedule == "once":
            if not self.run_at.strip():
                raise Refused("no_time")
            try:
                moment = datetime.fromisoformat(self.run_at.strip())
            except ValueError:
                raise Refused("bad_time") from None
            return None, moment if moment.tzinfo else moment.replace(tzinfo=tz)
        return None, None

    def apply(self, db: Session, campaign: Campaign, officer: Officer, tz: ZoneInfo) -> None:
        """Put the form into ``campaign`` (not saved); ``Refused`` if it cannot be."""
        targets = self.targets(officer)
        if not owns(db, officer, targets):
            raise Refused("only_own_station")
        cron, run_at = self.when(tz)
        campaign.name = self.name.strip()
        campaign.template_source = self.source()
        campaign.cron, campaign.run_at = cron, to_db(run_at) if run_at else None
        campaign.targets_json = targets.to_json()
        campaign.requires_approval = self.approval
        if self.drop_media:
            campaign.media_id = None


def preview_day(draft: Draft, tz: ZoneInfo, now: datetime) -> tuple[datetime | None, date]:
    """The next run the form's schedule would have, and the day the preview is written for."""
    try:
        cron, run_at = draft.when(tz)
        slot = next_slot(Schedule(cron, run_at), tz, now)
    except (Refused, ValueError):
        slot = None
    return slot, (slot or now).astimezone(tz).date()


# --------------------------------------------------------------------------------------
# Reports


@dataclass(frozen=True, slots=True)
class RunReport:
    run: BroadcastRun
    outcome: Outcome
    stations: list[RunStation]


def reports(db: Session, officer: Officer, campaign_id: int, limit: int = 10) -> list[RunReport]:
    """The campaign's latest runs: delivered, failed, unknown, and the groups not reached;
    an officer or station admin counts their station's groups only."""
    station = None if people.is_city_admin(officer) else officer.station_id
    found = []
    for run in ledger.runs_of(db, campaign_id, limit=limit):
        query = select(Delivery.state, Delivery.reason, Delivery.chat_id, Delivery.group_id).where(
            Delivery.campaign_id == campaign_id, Delivery.slot == run.slot
        )
        if station is not None:
            query = query.where(Delivery.station_id == station)
        rows = db.exec(query).all()
        ids = [g for *_, g in rows if g is not None]
        titles = {
            g.chat_id: g.title or g.chat_id
            for g in db.exec(select(Group).where(col(Group.id).in_(ids or [-1])))
        }
        outcome = outcome_of([(s, r, c) for s, r, c, _ in rows], titles)
        stations = [
            rs for rs in ledger.run_stations(db, run) if station is None or rs.station_id == station
        ]
        found.append(RunReport(run, outcome, stations))
    return found
