"""`jingmin run`: start every enabled platform and the timers, stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import os
import secrets
import signal
import tomllib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from apscheduler.job import Job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine
from sqlmodel import col, func, select

from bot.bootstrap import build_dispatcher, build_outbox, build_services, open_database
from bot.migrate import DatabaseBehind
from bot.observability import serve_health_and_metrics
from bot.scheduler import INTERVALS, new_scheduler, start_broadcasting
from broadcasts.media import DatabaseFileIds
from core.config import TELEGRAM_TOKEN_ENV, WEBHOOK_SECRET_ENV, Settings, secret
from core.db import Escalation, Officer, session
from core.dispatcher import Dispatcher
from core.events import ChatRef, Event, IncomingMessage, Outgoing
from core.ports import ChatAdapter, Clock
from core.states import TicketState
from core.templates import render
from faq.knowledge import FaqError
from handlers.common import refresh_group_cache
from handlers.reach import report_unreachable
from handlers.reminders import due_reminders
from handlers.reports import due_weekly_reports
from handlers.services import Services
from infra.accounts import AccountDirectory, AccountRouter
from infra.inbox import STALE_SECONDS, Inbox, Intake, UpdateLedger
from infra.ratelimit import RateLimitedAdapter, limiter_for, wechat_limiter
from privacy.retention import purge_older_than

log = logging.getLogger("jingmin")
COMMANDS_FILE = Path(__file__).resolve().parents[1] / "handlers" / "templates" / "commands.toml"


class StartupError(Exception):
    """Something the admin must fix before the bot can run; the message says what."""


# SIGTERM must end the process well within systemd's 30 s (issue 21: ≤ 10 s): sends in
# flight get this long, then each adapter stops (Telegram: STOP_GRACE_SECONDS more).
BROADCAST_STOP_GRACE_SECONDS = 3.0
# How often each worker looks for outbox rows due (a retry's time come); rows written while
# handling an event are sent at once, not at this pace.
OUTBOX_SECONDS = 1.0


def _platforms(settings: Settings) -> list[tuple[str, bool, list[str]]]:
    wechat_envs = [account.token_env for account in settings.wechat.all_accounts()]
    return [
        ("telegram", settings.telegram.enabled, [TELEGRAM_TOKEN_ENV]),
        ("wechat", settings.wechat.enabled, wechat_envs),
    ]


def enabled_platforms(settings: Settings) -> list[str]:
    """The platforms to start: enabled in the config, with their token(s) in the environment."""
    return [
        name
        for name, enabled, envs in _platforms(settings)
        if enabled and all(secret(env) for env in envs)
    ]


def missing_tokens(settings: Settings) -> str | None:
    """One line naming each enabled platform's token missing from the environment."""
    missing = [
        f"[{name}] is enabled but {env} is not set in the environment"
        for name, enabled, envs in _platforms(settings)
        for env in envs
        if enabled and not secret(env)
    ]
    return "; ".join(missing) if missing else None


ConnectionListener = Callable[[bool, str], Awaitable[object]]


def build_wechat_accounts(
    settings: Settings,
    engine: Engine,
    on_connection: ConnectionListener | None = None,
    *,
    options: Any = None,
    clock: Clock | None = None,
) -> AccountRouter:
    """Several WeChat accounts as one adapter: one gateway client and one limiter (pace,
    daily cap, hours) per account, each account's rooms read as it connects, and an
    account that logs out resting (its rooms go to their spares)."""
    from bot.adapters.wechat import WechatAdapter

    accounts = settings.wechat.all_accounts()
    directory = AccountDirectory(engine, "wechat", [a.id for a in accounts], clock)
    senders: dict[str, RateLimitedAdapter] = {}
    routers: list[AccountRouter] = []  # the one made below, for the listeners
    for account in accounts:

        async def rooms(found: list[tuple[str, str]], account_id: str = account.id) -> None:
            await asyncio.to_thread(directory.roster, account_id, found)

        async def connection(
            connected: bool, reason: str, account_id: str = account.id, rest: float = 0.0
        ) -> None:
            if not connected and "logged out" in reason and routers:
                await routers[0].rest(account_id, reason, rest)
            if on_connection is not None:
                await on_connection(connected, f"{account_id}: {reason}")

        adapter = WechatAdapter(
            account.endpoint,
            secret(account.token_env),
            options=options,
            clock=clock,
            on_connection_change=partial(connection, rest=account.rest_hours * 3600),
            token_env=account.token_env,
            on_rooms=rooms,
            rest_seconds=account.rest_hours * 3600,
        )
        limiter = wechat_limiter(account, settings, engine=engine)
        senders[account.id] = RateLimitedAdapter(adapter, limiter)
    routers.append(AccountRouter(senders, directory))
    return routers[0]


def build_adapters(
    settings: Settings, engine: Engine, on_wechat_connection: ConnectionListener | None = None
) -> dict[str, ChatAdapter]:
    """The enabled platforms' adapters; ``engine``: the process's one database (accounts'
    rooms and daily counts, Telegram's uploaded files)."""
    adapters: dict[str, ChatAdapter] = {}
    if "wechat" in enabled_platforms(settings) and settings.wechat.several:
        adapters["wechat"] = build_wechat_accounts(settings, engine, on_wechat_connection)
    elif "wechat" in enabled_platforms(settings):
        from bot.adapters.wechat import WechatAdapter

        account = settings.wechat.account
        adapters["wechat"] = WechatAdapter(
            account.endpoint,
            secret(account.token_env),
            on_connection_change=on_wechat_connection,
            token_env=account.token_env,
        )
    if "telegram" in enabled_platforms(settings):
        from bot.adapters.telegram import TelegramAdapter, WebhookOptions

        telegram = settings.telegram
        webhook = None
        if telegram.mode == "webhook":
            webhook_secret = secret(WEBHOOK_SECRET_ENV)
            if not webhook_secret or not telegram.webhook_url:
                raise StartupError(
                    f"telegram: webhook mode needs [telegram] webhook_url and a secret in the "
                    f"environment variable {WEBHOOK_SECRET_ENV} (1-256 of A-Z a-z 0-9 _ -)"
                )
            webhook = WebhookOptions(
                telegram.webhook_url, webhook_secret, telegram.webhook_listen, telegram.webhook_port
            )
        adapters["telegram"] = TelegramAdapter(
            secret(TELEGRAM_TOKEN_ENV),
            api_base_url=telegram.api_base_url,
            webhook=webhook,
            file_ids=DatabaseFileIds(engine),
        )
    return adapters


def deduplicated(services: Services, dispatcher: Dispatcher, worker: str | None = None) -> Inbox:
    """The event sink for every adapter: the update ledger in front of the dispatcher."""

    def count(event: Event) -> None:
        if isinstance(event, IncomingMessage):
            services.metrics.messages.labels(event.chat.platform).inc()

    return Inbox(
        UpdateLedger(services.engine, worker),
        dispatcher.handle,
        already_handled=partial(ticket_opened_for, services),
        count=count,
    )


def ticket_opened_for(services: Services, event: Event) -> bool:
    """Whether a message handled again after a crash had opened its ticket already (its
    card and acknowledgement are the ticket's to deliver, not the message's)."""
    if not isinstance(event, IncomingMessage):
        return False
    with session(services.engine) as db:
        query = select(Escalation.id).where(
            Escalation.platform == event.chat.platform,
            Escalation.chat_id == event.chat.chat_id,
            Escalation.message_id == event.message_id,
        )
        return db.exec(query).first() is not None


class IntervalJobs:
    """Jobs run every so many seconds on the process's scheduler, as python-telegram-bot's
    JobQueue runs them on APScheduler: an interval trigger, the first run one period after
    start (or at once), one run at a time (a run still going when the next is due skips
    it: ``max_instances=1``, ``coalesce``), a failure logged and the job kept."""

    def __init__(self, scheduler: AsyncIOScheduler) -> None:
        self.scheduler = scheduler
        self._running: set[asyncio.Task[Any]] = set()

    def add(
        self,
        seconds: float,
        job: Callable[[], Awaitable[object]],
        name: str,
        *,
        at_once: bool = False,
    ) -> Job:
        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await job()
            except asyncio.CancelledError:  # the scheduler stopped mid-run (see stop)
                log.debug("%s stopped mid-run", name)
            except Exception:
                log.exception("%s failed; will try again in %ss", name, seconds)
            finally:
                self._running.discard(task)

        first: dict[str, Any] = {"next_run_time": datetime.now(UTC)} if at_once else {}
        return self.scheduler.add_job(
            run,
            "interval",
            seconds=seconds,
            id=f"every: {name}",
            name=name,
            executor=INTERVALS,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            # A run later than a period is overtaken by the next one (coalesced into it).
            misfire_grace_time=max(1, math.ceil(seconds)),
            **first,
        )

    async def stop(self) -> None:
        """Stop the scheduler (these jobs and the campaigns' alike): runs in flight are
        cancelled, as the timers' tasks were, and this waits until they have ended."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)  # cancels the runs (AsyncIOExecutor) ...
            await asyncio.sleep(0)  # ... in the loop's next round
        await asyncio.gather(*self._running, return_exceptions=True)


async def run_bot(
    settings: Settings,
    adapters: Mapping[str, ChatAdapter] | None = None,
    *,
    stop: asyncio.Event | None = None,
    tick_seconds: float = 60.0,
    services_for: Callable[..., Services] = build_services,
) -> None:
    """``services_for(settings, engine=...)``: what the handlers are given, built on the
    process's one database (``build_services``; another knowledge base or guard there)."""
    dispatchers: list[Dispatcher] = []  # filled below; the WeChat listener needs it

    async def wechat_connection(connected: bool, reason: str) -> None:
        if connected:
            log.info("wechat connected")
            return
        log.warning("wechat gateway lost (%s); reconnecting", reason)
        if dispatchers:
            await dispatchers[0].send_all(
                admin_alerts(services, render("wechat_down.j2"))  # the reason stays in the log
            )

    # The process's one database: every part below is handed this engine.
    try:
        engine = open_database(settings)
    except DatabaseBehind as problem:
        raise StartupError(str(problem)) from None
    if adapters is None:
        platforms: Mapping[str, ChatAdapter] = build_adapters(settings, engine, wechat_connection)
    else:
        platforms = adapters
    # Replies and broadcasts share one limiter per platform; replies go first.
    adapters = {
        name: adapter
        if getattr(adapter, "paces_itself", False)
        else RateLimitedAdapter(adapter, limiter_for(name, settings, engine=engine))
        for name, adapter in platforms.items()
    }
    try:
        services = services_for(settings, engine=engine)
    except FaqError as problem:
        raise StartupError(str(problem)) from None
    # The outbox sender claims rows under the update ledger's worker name, whose lock it
    # holds while it lives: another worker finding it free knows a claimed row's sender died.
    worker = f"{os.getpid()}-{secrets.token_hex(4)}"
    sender = build_outbox(services, adapters, worker)
    dispatcher = build_dispatcher(services, adapters, sender)
    dispatchers.append(dispatcher)
    inbox = deduplicated(services, dispatcher, worker)
    for adapter in adapters.values():
        # Adapters that can hold an update's acknowledgement back until it is recorded.
        record_updates_with = getattr(adapter, "record_updates_with", None)
        if record_updates_with is not None:
            record_updates_with(inbox.ledger.take)
    intake = Intake(inbox, inbox.ledger.take)  # once stopping, records events only
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    started: list[ChatAdapter] = []
    timers = IntervalJobs(new_scheduler(settings.tz))  # the process's one scheduler
    try:
        for name, adapter in adapters.items():
            try:
                await adapter.start(intake)
            except Exception as problem:
                raise StartupError(f"{name}: {problem}") from None
            started.append(adapter)
            services.bot_usernames[name] = getattr(adapter, "bot_username", "")
            log.info("%s ready%s", name, _identity(adapter))
            for warning in await _setup_warnings(adapter):
                log.warning("%s: %s", name, warning)
            await _offer_commands(adapter)

        # What a killed or stopped worker took but did not handle, in the background: a
        # flood waits for the group's rate limit, and start-up must not wait for it.
        recovering = asyncio.create_task(inbox.recover())
        timers.scheduler.start()
        broadcasting = await start_broadcasting(services, adapters, scheduler=timers.scheduler)
        if hasattr(adapters.get("wechat"), "on_rest"):  # several accounts: tell the officers

            async def account_rests(*told: Any) -> None:
                await broadcasting.broadcaster.account_rests(*told)

            adapters["wechat"].on_rest = account_rests  # type: ignore[attr-defined]

        async def remind() -> None:
            if await due_reminders(services):
                await sender.deliver_due()

        async def check_reach() -> None:
            if await report_unreachable(services, adapters):
                await sender.deliver_due()

        async def report_unknown() -> None:
            unknown = await sender.recover()
            if unknown:
                log.warning("%d outbox messages were being sent by a stopped worker", unknown)

        async def purge() -> None:
            days = settings.privacy.retention_days
            await asyncio.to_thread(purge_older_than, services.engine, services.clock.now(), days)

        async def write_question_log() -> None:
            services.questions.flush(services.engine)

        async def reload_knowledge() -> None:
            await asyncio.to_thread(services.knowledge.refresh)  # training must not block

        async def refresh_groups() -> None:
            await refresh_group_cache(services)

        async def report() -> None:
            await dispatcher.send_all(await due_weekly_reports(services))

        def on_leader(job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
            """Reminders, reports and purges run in one worker: the broadcast leader."""

            async def run() -> None:
                if broadcasting.leadership.is_leader:
                    await job()

            return run

        timers.add(tick_seconds, on_leader(remind), "ticket reminders")
        timers.add(24 * 3600, on_leader(purge), "retention purge")
        # Officers the bot cannot write to: told to their station now and daily.
        timers.add(24 * 3600, on_leader(check_reach), "officer reach", at_once=True)
        timers.add(600, on_leader(report), "weekly reports")
        timers.add(1.0, write_question_log, "question log")
        timers.add(settings.faq.reload_seconds, reload_knowledge, "knowledge base reload")
        timers.add(STALE_SECONDS, partial(inbox.recover, STALE_SECONDS), "update recovery")
        timers.add(OUTBOX_SECONDS, sender.deliver_due, "outbox")
        # What a killed worker was sending: reported now, in the background (start-up goes
        # on), and again every few seconds for workers that die meanwhile.
        timers.add(STALE_SECONDS, report_unknown, "outbox recovery", at_once=True)
        timers.add(services.groups.renew_after.total_seconds(), refresh_groups, "group cache")
        operations = settings.operations
        if operations.metrics_port:
            services.metrics.count_open_escalations_with(lambda: open_tickets(services))
            services.metrics.count_lost_messages_with(lambda: lost_messages(platforms.values()))
            web = await serve_health_and_metrics(
                services.metrics,
                operations.metrics_host,
                operations.metrics_port,
                lambda: all(getattr(a, "connected", True) for a in started),
            )
            log.info(
                "healthz and metrics on %s:%s", operations.metrics_host, operations.metrics_port
            )
        stop_console = None
        if settings.web.enabled:
            from bot.console_serve import serve_beside_bot

            stop_console = await serve_beside_bot(services, settings.web)
        settle_memory(services)
        log.info("running (worker %s)", inbox.ledger.worker)
        await stop.wait()
        log.info("stopping")
        intake.stopping = True  # from now on events are only recorded, for the next start
        recovering.cancel()
        await timers.stop()
        if stop_console is not None:
            await stop_console()
        await broadcasting.stop(grace=BROADCAST_STOP_GRACE_SECONDS)
        if operations.metrics_port:
            await web.cleanup()
    finally:
        intake.stopping = True
        await timers.stop()  # if start-up failed half-way
        for adapter in reversed(started):
            await adapter.stop()
        if intake.kept:
            log.info("left %d update(s) recorded for the next start", intake.kept)
        await inbox.close()
        services.questions.flush(services.engine)
        services.engine.dispose()


def settle_memory(services: Services) -> None:
    """Build the lazy tables now (jieba's dictionary, the pinyin index, the guard's rules),
    then hide everything loaded at start-up from the garbage collector (``gc.freeze``):
    a full collection walked those ~300,000 objects for ~80 ms, stalling every reply in
    flight, and under load that pause was the p99."""
    sample = "身份证丢了怎么补办"
    services.knowledge.decide(sample, addressed=False)
    services.guard(sample)
    gc.collect()
    gc.freeze()


def lost_messages(adapters: Iterable[object]) -> int:
    """Messages the adapters (each WeChat account's, under its limiter) count as lost."""
    total = 0
    for adapter in adapters:
        accounts = getattr(adapter, "accounts", None)  # several accounts behind one router
        if isinstance(accounts, Mapping):
            total += lost_messages(accounts.values())
            continue
        inner = getattr(adapter, "adapter", adapter)  # under its rate limiter
        total += int(getattr(inner, "lost_messages", 0))
    return total


def admin_alerts(services: Services, text: str) -> list[Outgoing]:
    """A message for the duty officers on Telegram (used when WeChat is down)."""
    with session(services.engine) as db:
        duty = db.exec(select(Officer).where(col(Officer.duty))).all()
    return [Outgoing(ChatRef("telegram", o.telegram_id), text) for o in duty if o.telegram_id]


def open_tickets(services: Services) -> int:
    with session(services.engine) as db:
        query = (
            select(func.count())
            .select_from(Escalation)
            .where(Escalation.state == TicketState.PENDING)
        )
        return int(db.exec(query).one())


def _identity(adapter: ChatAdapter) -> str:
    username = getattr(adapter, "bot_username", "")
    return f" as @{username}" if username else ""


async def _offer_commands(adapter: ChatAdapter) -> None:
    """Where the platform has a command menu, fill it (a failure is not worth stopping for)."""
    set_commands = getattr(adapter, "set_commands", None)
    if set_commands is None:
        return
    commands = list(tomllib.loads(COMMANDS_FILE.read_text(encoding="utf-8")).items())
    try:
        await set_commands(commands)
    except Exception:
        log.warning("could not set the command menu", exc_info=True)


async def _setup_warnings(adapter: ChatAdapter) -> list[str]:
    check = getattr(adapter, "check_setup", None)
    if check is None:
        return []
    warnings: list[str] = await check()
    return warnings
