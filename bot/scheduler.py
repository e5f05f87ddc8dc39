"""The process's one APScheduler ``AsyncIOScheduler`` (``new_scheduler``), and on it the
broadcasts' campaign jobs plus a pump. `jingmin run` creates and starts the scheduler once
and puts its interval jobs (reminders, outbox, ...: ``bot.runtime.IntervalJobs``) on it
too; the campaign jobs live in their own job store (``BROADCASTS``), so taking and leaving
office adds and removes only them.

- Jobs are derived from campaign rows: job id = campaign id, a cron trigger in the
  configured time zone or a date trigger for a one-off, ``replace_existing``, coalesce,
  and ``misfire_grace_time`` = ``[broadcasts] misfire_grace_seconds``. They are synced at
  start and on every pump round, so a campaign added, changed or paused from the CLI (in
  another process) is picked up within ``poll_seconds``.
- Misfire policy: on start, each campaign's latest slot that has no run yet is sent once
  if it is late by less than the grace, else recorded as skipped with a log line
  (``broadcasts.planner.catch_up``). A job that fires late while running follows the same
  rule (APScheduler's own grace).
- A job only *opens* the run; the pump (every ``poll_seconds``, or at once when kicked)
  sends approval previews, plans approved stations, fans out, and tells the officers.
- Only the leader (``infra.leader.Leadership``: a PostgreSQL advisory lock, or a ``flock``
  beside a SQLite file) runs the jobs, the catch-up and the pump. Other workers stand by
  and take over within about a second of the leader's death, starting as a fresh leader
  would: catch-up, jobs, and the pump, which resumes open runs (the dead leader's rows
  caught mid-send are declared unknown by ``recover_interrupted``, never resent). A
  leader that loses its lock stops scheduling and starts no new sends within seconds.

``start_broadcasting(services, adapters, scheduler=...)`` returns a handle;
``await handle.stop()``. Without a scheduler it makes and starts its own, and stops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import Engine
from sqlmodel import Session

from broadcasts import ledger, rules
from broadcasts.fanout import SENDS_AT_ONCE, BroadcastSender
from broadcasts.models import Campaign
from broadcasts.planner import cron_trigger, latest_slot, misfire_decision
from broadcasts.runs import Broadcaster
from core.db import as_utc
from core.ports import ChatAdapter
from infra.leader import Leadership
from infra.ratelimit import RateLimitedAdapter, limiter_for

if TYPE_CHECKING:
    from handlers.services import Services

log = logging.getLogger(__name__)

BROADCASTS = "broadcasts"  # the job store of the campaign jobs, which only the leader has
INTERVALS = "intervals"  # the executor of the interval jobs (bot.runtime), and its logger's name


class _SkippedTick(logging.Filter):
    """An interval job still running when its next tick comes skips that tick (as the
    loop it replaced waited for it): routine for the 1-second outbox under load, so not
    worth APScheduler's warning each second."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return not (
            "maximum number of running instances" in str(record.msg)
            and getattr(job, "executor", None) == INTERVALS
        )


def new_scheduler(tz: tzinfo) -> AsyncIOScheduler:
    """The scheduler of the process: campaign jobs in the ``BROADCASTS`` job store, interval
    jobs run by the ``INTERVALS`` executor. The caller starts it in the running loop."""
    # A line per run of a 1-second job would drown the log; their failures are logged by
    # the jobs themselves, and APScheduler's warnings (a run missed) still show.
    logging.getLogger(f"apscheduler.executors.{INTERVALS}").setLevel(logging.WARNING)
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _SkippedTick) for f in scheduler_log.filters):
        scheduler_log.addFilter(_SkippedTick())
    return AsyncIOScheduler(
        timezone=tz,
        jobstores={"default": MemoryJobStore(), BROADCASTS: MemoryJobStore()},
        executors={"default": AsyncIOExecutor(), INTERVALS: AsyncIOExecutor()},
        job_defaults={"coalesce": True, "max_instances": 1},
    )


class BroadcastHandle:
    def __init__(
        self,
        new_broadcaster: Callable[[], Broadcaster],
        scheduler: AsyncIOScheduler,
        poll_seconds: float,
        leadership: Leadership,
        *,
        owns_scheduler: bool = False,
    ) -> None:
        self._new_broadcaster = new_broadcaster
        self.broadcaster = self._fresh_broadcaster()
        self._served = False  # a broadcaster that led a term was stopped: each term gets one
        self.scheduler = scheduler
        self.owns_scheduler = owns_scheduler  # else `jingmin run` stops it
        self.poll_seconds = poll_seconds
        self.leadership = leadership
        self.step_down_grace = 2.0  # sends in flight when leadership is lost may finish
        self._kicked = asyncio.Event()
        self._stopping = False
        self._signatures: dict[str, tuple[Any, ...]] = {}
        self._task: asyncio.Task[None] | None = None
        self._pump: asyncio.Task[None] | None = None

    def _fresh_broadcaster(self) -> Broadcaster:
        broadcaster = self._new_broadcaster()
        broadcaster.on_change = self.kick
        return broadcaster

    def kick(self) -> None:
        """Run a pump round now rather than at the next poll."""
        self._kicked.set()

    def sync_jobs(self) -> None:
        """Make the scheduler's jobs match the campaign rows."""
        now = self.broadcaster.clock.now()
        wanted: dict[str, Campaign] = {}
        with Session(self.broadcaster.engine) as db:
            for campaign in ledger.campaigns(db, include_paused=False):
                if campaign.cron or (campaign.run_at and as_utc(campaign.run_at) > now):
                    wanted[str(campaign.id)] = campaign
        for job_id in set(self._signatures) - set(wanted):
            if self.scheduler.get_job(job_id, BROADCASTS) is not None:
                self.scheduler.remove_job(job_id, BROADCASTS)
            del self._signatures[job_id]
            log.info("broadcast #%s: unscheduled", job_id)
        grace = max(1, int(self.broadcaster.grace.total_seconds()))
        for job_id, campaign in wanted.items():
            signature = (campaign.cron, campaign.run_at, campaign.updated_at)
            if self._signatures.get(job_id) == signature and self.scheduler.get_job(
                job_id, BROADCASTS
            ):
                continue
            if campaign.cron:
                trigger: Any = cron_trigger(campaign.cron, self.broadcaster.tz)
            else:
                assert campaign.run_at is not None
                trigger = DateTrigger(run_date=as_utc(campaign.run_at))
            self.scheduler.add_job(
                self._on_job,
                trigger,
                id=job_id,
                jobstore=BROADCASTS,
                args=[campaign.id],
                name=campaign.name,
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=grace,
                max_instances=1,
            )
            self._signatures[job_id] = signature
            log.info("broadcast #%s: scheduled (%s)", job_id, campaign.cron or campaign.run_at)

    def next_run(self, campaign_id: int) -> datetime | None:
        job = self.scheduler.get_job(str(campaign_id), BROADCASTS)
        return job.next_run_time if job is not None else None

    async def _on_job(self, campaign_id: int) -> None:
        b = self.broadcaster
        now = b.clock.now()
        with Session(b.engine) as db:
            campaign = db.get(Campaign, campaign_id)
            if campaign is None or campaign.paused:
                return
            slot = latest_slot(rules.schedule_of(campaign), b.tz, now)
        if slot is None:
            return
        decision = misfire_decision(slot, now, b.grace)
        if not decision.run:
            log.warning("broadcast #%s: slot %s %s", campaign_id, slot.isoformat(), decision.reason)
            with Session(b.engine) as db:
                ledger.record_skipped_run(db, campaign_id, slot, "schedule", decision.reason)
            return
        await b.fire(campaign_id, slot, "schedule")

    async def pump_once(self) -> None:
        self.sync_jobs()
        await self.broadcaster.pump()

    async def _loop(self) -> None:
        while not self._stopping:
            self._kicked.clear()
            try:
                await self.pump_once()
            except Exception:
                log.exception("broadcast: pump round failed; retrying in %ss", self.poll_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kicked.wait(), self.poll_seconds)

    async def take_office(self) -> None:
        """Begin a term as leader: catch up on missed slots, schedule the jobs, pump."""
        if self._served:
            self.broadcaster = self._fresh_broadcaster()
        self._served = True
        try:
            await self.broadcaster.run_catch_up()
            self.sync_jobs()
        except Exception:
            self._drop_jobs()
            raise
        self._pump = asyncio.get_running_loop().create_task(self._loop())

    async def leave_office(self, grace: float) -> None:
        """End the term: no more jobs or new sends; sends in flight finish (up to ``grace``)."""
        if self._pump is not None:
            self._pump.cancel()
            await asyncio.gather(self._pump, return_exceptions=True)
            self._pump = None
        self._drop_jobs()
        await self.broadcaster.stop(grace)

    def _drop_jobs(self) -> None:
        """Remove the campaign jobs (the scheduler runs on: other jobs share it)."""
        self.scheduler.remove_all_jobs(BROADCASTS)
        self._signatures.clear()

    def _let_go_of_scheduler(self) -> None:
        if not self.owns_scheduler:
            self._drop_jobs()
        elif self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def _serve(self) -> None:
        """Lead while this process holds the lock; otherwise stand by to take over."""
        while True:
            if not self.leadership.is_leader:
                await self.leadership.acquired()
                while self.leadership.is_leader:
                    try:
                        await self.take_office()
                        break
                    except Exception:
                        log.exception("broadcast: could not start leading; retrying")
                        await asyncio.sleep(self.poll_seconds)
            await self.leadership.lost()
            log.warning("broadcast: not the leader any more; scheduling and sending stopped")
            try:
                await self.leave_office(self.step_down_grace)
            except Exception:  # this loop must live on: it is how we ever lead again
                log.exception("broadcast: stepping down failed")

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._serve())

    async def stop(self, grace: float = 10.0) -> None:
        """Stop scheduling, let sends in flight finish (up to ``grace`` s), step down."""
        self._stopping = True
        self.kick()
        self._let_go_of_scheduler()
        tasks = [task for task in (self._task, self._pump) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = self._pump = None
        await self.broadcaster.stop(grace)
        await self.leadership.release()


def rate_limited(
    adapters: Mapping[str, ChatAdapter], settings: Any, engine: Engine | None = None
) -> dict[str, BroadcastSender]:
    """The adapters as broadcast senders; wrap any that bootstrap did not wrap."""
    senders: dict[str, BroadcastSender] = {}
    for name, adapter in adapters.items():
        if isinstance(adapter, RateLimitedAdapter):
            senders[name] = adapter
        elif getattr(adapter, "paces_itself", False):  # several accounts, each with its limiter
            senders[name] = adapter  # type: ignore[assignment]
        else:
            log.warning(
                "broadcast: the %s adapter is not rate limited; wrapping it for broadcasts only "
                "(wrap it in bootstrap so replies share the limiter and go first)",
                name,
            )
            senders[name] = RateLimitedAdapter(adapter, limiter_for(name, settings, engine=engine))
    return senders


async def start_broadcasting(
    services: Services,
    adapters: Mapping[str, ChatAdapter],
    *,
    poll_seconds: float = 5.0,
    concurrency: int = SENDS_AT_ONCE,
    leadership: Leadership | None = None,
    scheduler: AsyncIOScheduler | None = None,
) -> BroadcastHandle:
    """Start the campaign jobs and the pump in the running event loop, on the leader only.

    ``scheduler``: the process's scheduler (``new_scheduler``), started; without it, one of
    its own, which ``handle.stop()`` stops. A process that leads at once has caught up and
    scheduled its jobs when this returns; any other stands by and takes over when the
    leader's lock is free.
    """
    settings = services.settings
    senders = rate_limited(adapters, settings, services.engine)

    def new_broadcaster() -> Broadcaster:
        return Broadcaster(
            services.engine,
            settings,
            senders,
            clock=services.clock,
            concurrency=concurrency,
            fail_unknown_platforms=True,
        )

    owns_scheduler = scheduler is None
    if scheduler is None:
        scheduler = new_scheduler(settings.tz)
        scheduler.start()
    leadership = leadership or Leadership(services.engine)
    handle = BroadcastHandle(
        new_broadcaster, scheduler, poll_seconds, leadership, owns_scheduler=owns_scheduler
    )
    try:
        if await leadership.try_acquire():  # campaign jobs exist only while leading
            await handle.take_office()
    except Exception:
        handle._let_go_of_scheduler()
        await leadership.release()
        raise
    handle.start()
    return handle
