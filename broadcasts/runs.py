"""Runs of campaigns: open a slot, ask for approval, fan out, tell the officer.

``Broadcaster`` is shared by the scheduler inside the bot (``bot.scheduler``) and
by ``jingmin broadcast send-now``; the officer's chat commands use the module functions.
The database is the queue: an approval, an officer's /send or a CLI ``send-now`` writes
rows, and ``Broadcaster.pump()`` (every few seconds in the bot) sends what is ready, so
nothing depends on process memory and a restart finishes what is missing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, update
from sqlmodel import Session, SQLModel, col, select

from broadcasts import alerts, ledger, rules
from broadcasts.fanout import (
    DEFAULT_LEASE,
    BroadcastSender,
    FanOut,
    Progress,
    ProgressCallback,
    TextFor,
)
from broadcasts.media import label, media_ref, media_store
from broadcasts.models import (
    BY_CLI,
    Approval,
    BroadcastRun,
    Campaign,
    DeliveryState,
    RunState,
    RunStation,
    to_db,
)
from broadcasts.planner import (
    MisfireDecision,
    catch_up,
    plan_deliveries,
    slot_key,
)
from broadcasts.render import StationInfo, TemplateProblem, compile_template, render_template
from core.config import Settings
from core.db import Officer, as_utc
from core.events import Button, MediaRef, Outgoing
from core.ports import Clock, SystemClock
from core.templates import render
from infra import outbox
from infra.accounts import Handover
from officers.directory import first_private_chat

log = logging.getLogger(__name__)

NOTICE_KIND = "broadcast-notice"  # approval requests, summaries, account hand-overs
APPROVAL_TIMEOUT = timedelta(hours=24)  # an unanswered approval request lapses after this
ALREADY: dict[str, str] = {  # what an officer is told when it was decided before
    Approval.APPROVED: "已批准",
    Approval.REJECTED: "已取消",
    Approval.EXPIRED: "已过期",
    Approval.AUTO: "无需批准",
}


# --------------------------------------------------------------------------------------
# Texts


def station_info(db: Session, settings: Settings, station_id: str | None) -> StationInfo:
    if station_id:
        configured = settings.station(station_id)
        if configured is not None:
            return StationInfo(
                configured.id,
                configured.name,
                configured.phone,
                configured.address,
                configured.hours,
            )
        row = ledger.station_row(db, station_id)
        if row is not None:
            return StationInfo(row.id, row.name, row.phone, row.address, row.hours)
        return StationInfo(station_id, station_id, "")
    if settings.stations:
        return station_info(db, settings, settings.stations[0].id)
    return StationInfo("", "派出所", "")


def local_day(slot: datetime, tz: ZoneInfo) -> date:
    return slot.astimezone(tz).date()


def local_time(slot: datetime, tz: ZoneInfo) -> str:
    return slot.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def text_source(engine: Engine, settings: Settings, campaign: Campaign, slot: datetime) -> TextFor:
    """station id -> the campaign's text for that station on the slot's day (cached)."""
    template = compile_template(campaign.template_source)
    day = local_day(slot, settings.tz)
    cache: dict[str | None, str | TemplateProblem] = {}

    def text_for(station_id: str | None) -> str:
        if station_id not in cache:
            with Session(engine) as db:
                station = station_info(db, settings, station_id)
            try:
                cache[station_id] = render_template(template, station, day)
            except TemplateProblem as problem:
                log.error("broadcast #%s: %s", campaign.id, problem)
                cache[station_id] = problem
        found = cache[station_id]
        if isinstance(found, TemplateProblem):
            raise found
        return found

    return text_for


def campaign_media(engine: Engine, settings: Settings, campaign: Campaign) -> MediaRef | None:
    """The picture, video or file a campaign sends with its text, if it has one."""
    if campaign.media_id is None:
        return None
    with Session(engine) as db:
        found = ledger.media_of(db, campaign)
    return media_ref(found, media_store(settings)) if found is not None else None


def approval_buttons(campaign_id: int, slot: datetime) -> tuple[tuple[Button, ...], ...]:
    key = slot_key(slot)
    return (
        (
            Button("✅ 批准", f"b:approve:{campaign_id}:{key}"),
            Button("🚫 不发", f"b:reject:{campaign_id}:{key}"),
        ),
    )


def station_group_count(db: Session, campaign: Campaign, station_id: str) -> int:
    return len(
        plan_deliveries(
            rules.targets_of(campaign),
            ledger.group_views(db),
            stations={station_id},
            include_skipped=False,
        )
    )


# --------------------------------------------------------------------------------------
# Decisions and officer-initiated runs (usable without a running Broadcaster)


@dataclass(frozen=True, slots=True)
class Decided:
    outcome: str  # approved | rejected | none | <the approval it already had>
    campaign: Campaign | None
    slot: datetime | None
    groups: int = 0


def decide_run(
    engine: Engine,
    campaign_id: int,
    slot: datetime | None,
    station_id: str,
    who: str,
    approve: bool,
    now: datetime,
) -> Decided:
    """An officer's 批准 / 驳回 for their station; approved rows are planned at once."""
    with Session(engine, expire_on_commit=False) as db:
        campaign = db.get(Campaign, campaign_id)
        if campaign is None:
            return Decided("none", None, None)
        if slot is None:
            waiting = [
                rs
                for rs in ledger.waiting_approvals(db, station_id)
                if rs.campaign_id == campaign_id
            ]
            if not waiting:
                return Decided("none", campaign, None)
            slot = as_utc(waiting[0].slot)
        rs, changed = ledger.decide(db, campaign_id, slot, station_id, approve, who, now)
        if rs is None:
            return Decided("none", campaign, slot)
        if not changed:
            return Decided(ALREADY.get(rs.approval, rs.approval), campaign, slot)
        db.commit()  # the decision stands even if planning its rows fails
        groups = 0
        if rs.approval == Approval.APPROVED:
            groups = ledger.plan_ready(db, campaign, slot, now, include_skipped=False)
            db.commit()
        return Decided(rs.approval, campaign, slot, groups)


def officer_send_now(
    engine: Engine, campaign_id: int, station_id: str, who: str, now: datetime
) -> tuple[Campaign, datetime, int] | None:
    """/send ID: a run of the campaign for the officer's station only, approved by ``who``
    ("officer:<name>", also the run's trigger)."""
    slot = now.replace(microsecond=0)
    with Session(engine, expire_on_commit=False) as db:
        campaign = db.get(Campaign, campaign_id)
        if campaign is None or station_id not in ledger.campaign_stations(db, campaign):
            return None
        ledger.open_run(
            db,
            campaign,
            slot,
            who,
            stations={station_id},
            approved_by=who,
            now=now,
        )
        counts = ledger.run_counts(engine, campaign_id, slot, station_id=station_id)
        return campaign, slot, counts.get(DeliveryState.PENDING)


# --------------------------------------------------------------------------------------
# The broadcaster


class Broadcaster:
    """Opens runs, sends previews and summaries, and fans out what is ready."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        senders: Mapping[str, BroadcastSender],
        *,
        clock: Clock | None = None,
        concurrency: int = 8,
        lease: timedelta = DEFAULT_LEASE,
        fail_unknown_platforms: bool = False,
        worker: str | None = None,
    ) -> None:
        self.engine, self.settings, self.senders = engine, settings, senders
        self.clock: Clock = clock or SystemClock()
        self.tz = settings.tz
        self.grace = timedelta(seconds=settings.broadcasts.misfire_grace_seconds)
        self.fail_unknown_platforms = fail_unknown_platforms
        self.fanout = FanOut(
            engine, senders, worker=worker, clock=self.clock, concurrency=concurrency, lease=lease
        )
        self.fanout.on_trouble = self.account_rests
        self.on_change: Callable[[], None] | None = None
        self._active: dict[tuple[int, datetime], asyncio.Task[Progress]] = {}
        # A fan-out that ended with rows still pending is not restarted at once, or the
        # pump would spin on it: it rests until the account opens again (WeChat's daily
        # cap or broadcast hours), or for ``retry_pause`` (rows another worker holds).
        self._resting: dict[tuple[int, datetime], datetime] = {}
        self.retry_pause = timedelta(seconds=60)

    # -- opening runs --------------------------------------------------------------------

    async def fire(
        self, campaign_id: int, slot: datetime, trigger: str = "schedule"
    ) -> BroadcastRun | None:
        """A slot is due: open its run (previews go out on the next pump)."""
        with Session(self.engine, expire_on_commit=False) as db:
            campaign = db.get(Campaign, campaign_id)
            if campaign is None or campaign.paused:
                return None
            run = ledger.open_run(db, campaign, slot, trigger, now=self.clock.now())
        log.info("broadcast #%s: slot %s opened (%s)", campaign_id, slot.isoformat(), trigger)
        self._changed()
        return run

    def catch_up(self, now: datetime) -> list[tuple[int, datetime, MisfireDecision]]:
        """Slots missed while the bot was down: which to run now and which to skip."""
        found = []
        with Session(self.engine) as db:
            for campaign in ledger.campaigns(db, include_paused=False):
                assert campaign.id is not None
                since = as_utc(max(campaign.created_at, campaign.updated_at))
                due = catch_up(
                    rules.schedule_of(campaign),
                    self.tz,
                    now,
                    self.grace,
                    since=since,
                    known=ledger.known_slots(db, campaign.id),
                )
                if due is not None:
                    found.append((campaign.id, due[0], due[1]))
        return found

    async def run_catch_up(self) -> None:
        for campaign_id, slot, decision in self.catch_up(self.clock.now()):
            if decision.run:
                log.info(
                    "broadcast #%s: slot %s was missed while down; sending now (%s)",
                    campaign_id,
                    slot.isoformat(),
                    decision.reason,
                )
                await self.fire(campaign_id, slot, "catch-up")
            else:
                log.warning(
                    "broadcast #%s: slot %s was missed while down; %s",
                    campaign_id,
                    slot.isoformat(),
                    decision.reason,
                )
                with Session(self.engine) as db:
                    ledger.record_skipped_run(db, campaign_id, slot, "catch-up", decision.reason)

    # -- sending -------------------------------------------------------------------------

    async def send_run(
        self,
        campaign_id: int,
        slot: datetime,
        *,
        progress: ProgressCallback | None = None,
    ) -> Progress:
        """Fan out every pending row of the slot on our platforms, then wrap up."""
        with Session(self.engine, expire_on_commit=False) as db:
            campaign = db.get(Campaign, campaign_id)
        if campaign is None:
            raise LookupError(f"no campaign #{campaign_id}")
        texts = text_source(self.engine, self.settings, campaign, slot)
        media = campaign_media(self.engine, self.settings, campaign)
        urgent = campaign_id in alerts.urgent_campaigns(self.engine, [campaign_id])
        result = await self.fanout.run(
            campaign_id, slot, texts, progress=progress, media=media, urgent=urgent
        )
        await self.wrap_up(campaign_id, slot)
        return result

    async def pump(self) -> None:
        """One round: recover, expire, preview, plan, start fan-outs, wrap up runs."""
        now = self.clock.now()
        self.fanout.recover()
        with Session(self.engine, expire_on_commit=False) as db:
            lapsed = ledger.expire_approvals(db, now - APPROVAL_TIMEOUT)
            db.commit()
            for rs in lapsed:
                log.info("broadcast #%s: approval for %s lapsed", rs.campaign_id, rs.station_id)
            runs = ledger.open_runs(db)
        await self.send_previews()
        # Urgent pushes (寻人, a scam wave) go first: while one is being sent no other run
        # starts, and runs already under way give their places in the rate limiter to its
        # rows (``urgent`` priority).
        urgent = alerts.urgent_campaigns(self.engine, {run.campaign_id for run in runs})
        runs.sort(key=lambda run: run.campaign_id not in urgent)
        holding = False
        for run in runs:
            slot = as_utc(run.slot)
            key = (run.campaign_id, slot)
            if run.campaign_id in urgent and key in self._active:
                holding = True
            if key in self._active or self._left_to_cli(run, now):
                continue
            if holding and run.campaign_id not in urgent:
                continue  # the next round, once the urgent push is out
            resting = self._resting.get(key)
            if resting is not None and resting > now:
                continue
            with Session(self.engine, expire_on_commit=False) as db:
                campaign = db.get(Campaign, run.campaign_id)
                if campaign is None:
                    ledger.finish_run(db, run, now)
                    db.commit()
                    continue
                ledger.plan_ready(db, campaign, slot, now, include_skipped=False)
                db.commit()
            if self.fail_unknown_platforms:
                self._fail_unserved(run.campaign_id, slot, now)
            counts = ledger.run_counts(
                self.engine, run.campaign_id, slot, platforms=list(self.senders)
            )
            if counts.get(DeliveryState.PENDING):
                self._start(run.campaign_id, slot)
                holding = holding or run.campaign_id in urgent
            else:
                await self.wrap_up(run.campaign_id, slot)

    def _left_to_cli(self, run: BroadcastRun, now: datetime) -> bool:
        """A ``send-now`` run is the CLI's to finish while it is young or being sent (two
        processes sending at once would each spend the whole rate limit); after that,
        e.g. if the CLI died and nobody re-ran it, the bot finishes it."""
        if run.trigger != BY_CLI:
            return False
        recent = now - self.fanout.lease
        if as_utc(run.created_at) > recent:
            return True
        return ledger.sent_elsewhere_since(
            self.engine, run.campaign_id, as_utc(run.slot), self.fanout.worker, recent
        )

    def _start(self, campaign_id: int, slot: datetime) -> None:
        key = (campaign_id, slot)
        task = asyncio.get_running_loop().create_task(self.send_run(campaign_id, slot))
        self._active[key] = task

        def done(finished: asyncio.Task[Progress]) -> None:
            self._active.pop(key, None)
            if finished.cancelled():
                return
            pause = self.clock.now() + self.retry_pause
            if finished.exception() is not None:
                log.error(
                    "broadcast #%s: fan-out failed", campaign_id, exc_info=finished.exception()
                )
                self._resting[key] = pause
            elif finished.result().pending:
                resume_at = finished.result().resume_at
                self._resting[key] = max(resume_at, pause) if resume_at else pause
                if resume_at is not None:
                    log.info(
                        "broadcast #%s: %d left; continuing at %s",
                        campaign_id,
                        finished.result().pending,
                        local_time(resume_at, self.tz),
                    )
            else:
                self._resting.pop(key, None)
            self._changed()

        task.add_done_callback(done)

    def _fail_unserved(self, campaign_id: int, slot: datetime, now: datetime) -> None:
        table = SQLModel.metadata.tables["broadcast_delivery"]
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(
                    table.c.campaign_id == campaign_id,
                    table.c.slot == to_db(slot),
                    table.c.state == DeliveryState.PENDING,
                    table.c.platform.not_in(list(self.senders)),
                )
                .values(state=DeliveryState.FAILED, reason="platform not running in this bot")
            )

    async def send_previews(self) -> None:
        """Approval requests not yet shown to their station's officers."""
        with Session(self.engine, expire_on_commit=False) as db:
            todo = [rs for rs in ledger.waiting_approvals(db) if rs.preview_sent_at is None]
        for rs in todo:
            await self._preview(rs)

    async def _preview(self, rs: RunStation) -> None:
        """The approval request: outbox rows committed with the mark that it was made, so
        it is made once and delivered (with retries) even if the process dies now."""
        slot = as_utc(rs.slot)
        with Session(self.engine, expire_on_commit=False) as db:
            campaign = db.get(Campaign, rs.campaign_id)
            fresh = db.get(RunStation, rs.id)
            if campaign is None or fresh is None or fresh.preview_sent_at is not None:
                return
            groups = station_group_count(db, campaign, rs.station_id)
            officers = alerts.approvers(db, rs.campaign_id, rs.station_id)
            if officers is None:  # a campaign: any officer of the station approves
                officers = ledger.officers_of(db, rs.station_id)
            try:
                text = text_source(self.engine, self.settings, campaign, slot)(rs.station_id)
            except TemplateProblem as problem:
                text = f"（模板错误：{problem}）"
            media = campaign_media(self.engine, self.settings, campaign)
            if media is not None:
                text = f"{label(media)} {text}"
            assert campaign.id is not None
            card = render(
                "broadcast_preview.j2",
                campaign=campaign,
                slot_local=local_time(slot, self.tz),
                groups=groups,
                text=text,
            )
            fresh.preview_sent_at = to_db(self.clock.now())
            db.add(fresh)
            self._tell(db, officers, card, approval_buttons(campaign.id, slot))
            db.commit()

    async def wrap_up(self, campaign_id: int, slot: datetime) -> None:
        """Tell each station's officers how their part went; close the run when all is done."""
        now = self.clock.now()
        with Session(self.engine, expire_on_commit=False) as db:
            run = ledger.find_run(db, campaign_id, slot)
            campaign = db.get(Campaign, campaign_id)
            if run is None or campaign is None or run.state != RunState.OPEN:
                return
            due = []
            pushed = alerts.is_alert(db, campaign_id)  # its officer gets one report instead
            for rs in ledger.run_stations(db, run):
                if not rules.may_send(rs.approval) or rs.summary_sent_at is not None:
                    continue
                if rs.planned_at is None or not ledger.station_finished(db, run, rs.station_id):
                    continue
                rs.summary_sent_at = to_db(now)  # at most once
                db.add(rs)
                if not pushed:
                    due.append((rs.station_id, ledger.officers_of(db, rs.station_id)))
            # The summaries are outbox rows committed with the marks that they were made.
            for station_id, officers in due:
                counts = ledger.run_counts(self.engine, campaign_id, slot, station_id=station_id)
                text = render(
                    "broadcast_summary.j2",
                    campaign=campaign,
                    slot_local=local_time(slot, self.tz),
                    sent=counts.get(DeliveryState.SENT),
                    failed=counts.get(DeliveryState.FAILED),
                    skipped=counts.get(DeliveryState.SKIPPED),
                    reasons=counts.failed_reasons[:5],
                )
                self._tell(db, officers, text)
            db.commit()
            finished = ledger.run_is_finished(db, run)
            if finished:
                if pushed:  # the report is an outbox row, committed with the run's end
                    alerts.report_finished(
                        db, campaign_id, self.senders, self.settings.timezone, now
                    )
                ledger.finish_run(db, run, now)
                db.commit()
        if finished:
            log.info("broadcast #%s: slot %s done", campaign_id, slot.isoformat())

    async def account_rests(
        self, account: str, reason: str, until: datetime, handover: Handover
    ) -> None:
        """Tell the officers of the stations whose rooms the account served, and the duty
        officers (the admin), that it rests and what became of its rooms."""
        lowered = reason.lower()
        if "logged out" in lowered:
            kind = "logout"
        elif "频繁" in reason or "frequent" in lowered:
            kind = "frequent"
        else:
            kind = "restricted"
        text = render(
            "account_rest.j2",
            account=account,
            kind=kind,
            until_local=local_time(until, self.tz),
            moved=handover.moved,
            stuck=handover.stuck,
        )
        with Session(self.engine, expire_on_commit=False) as db:
            officers = {
                o.id: o
                for station in sorted(handover.stations)
                for o in ledger.officers_of(db, station)
            }
            for duty in db.exec(select(Officer).where(col(Officer.duty))):
                officers.setdefault(duty.id, duty)
            self._tell(db, list(officers.values()), text)
            db.commit()

    def _tell(
        self,
        db: Session,
        officers: list[Officer],
        text: str,
        buttons: tuple[tuple[Button, ...], ...] = (),
    ) -> None:
        """A message to each officer, as outbox rows in ``db``'s transaction (the caller
        commits): the bot's one sender delivers them with retries."""
        now = self.clock.now()
        for officer in officers:
            chat = first_private_chat(officer, self.senders)
            if chat is None:
                log.info("broadcast: officer %s has no chat we can reach", officer.name)
                continue
            out = Outgoing(chat, text, buttons=buttons)
            outbox.enqueue(db, out, NOTICE_KIND, now, officer_id=officer.id)

    async def stop(self, grace: float = 10.0) -> None:
        """Let sends in flight finish (up to ``grace`` s), then cancel the fan-outs."""
        self.fanout.stop_taking_rows()
        tasks = list(self._active.values())
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()
