"""`jingmin broadcast ...`: manage campaigns and send them by hand.

Also runnable alone: ``python -m bot.broadcast_cli send-now 3 --config config.toml``.
Every command takes ``--config``; a bad config prints one line and exits 2. A refused
campaign (bad template, bad schedule, unknown station) prints why and exits 1.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.entry import database_or_exit, err, settings_or_exit
from bot.observability import configure_logging
from broadcasts import ledger, rules
from broadcasts.fanout import SENDS_AT_ONCE, Progress
from broadcasts.media import (
    DatabaseFileIds,
    MediaFile,
    MediaProblem,
    enabled_platforms,
    inspect_media,
    label,
    media_ref,
    media_store,
    media_unreadable,
)
from broadcasts.models import (
    BY_CLI,
    CLI_VIA_BOT,
    Approval,
    Campaign,
    DeliveryState,
    RunState,
    to_db,
)
from broadcasts.planner import (
    Schedule,
    ScheduleProblem,
    Targets,
    next_slot,
    parse_slot_key,
    plan_deliveries,
)
from broadcasts.render import (
    SAMPLE_STATION,
    TemplateProblem,
    library,
    library_template,
    render_template,
    rotation_source,
)
from broadcasts.rules import CampaignProblem
from broadcasts.runs import Broadcaster, local_day, local_time, station_info, text_source
from core.config import (
    TELEGRAM_TOKEN_ENV,
    Settings,
    WechatAccount,
    secret,
)
from core.db import as_utc
from infra.leader import someone_leads

app = typer.Typer(help="Scheduled anti-fraud broadcasts.", no_args_is_help=True)
log = logging.getLogger(__name__)
out = Console(highlight=False)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config file (see config.example.toml).")
]
IdArgument = Annotated[int, typer.Argument(metavar="ID", help="Campaign id (see `list`).")]
SEED_NAME = "每周反诈提醒"
SEED_CRON = "0 10 * * 1"  # Mondays 10:00 in the configured time zone


def _campaign(db: Session, campaign_id: int) -> Campaign:
    campaign = db.get(Campaign, campaign_id)
    if campaign is None:
        err.print(f"no campaign #{campaign_id}; `jingmin broadcast list` shows them")
        raise typer.Exit(1)
    return campaign


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


@app.command("list")
def list_campaigns(config: ConfigOption = None) -> None:
    """List campaigns with their schedule, next run, targets and last run."""
    settings = settings_or_exit(config)
    engine = database_or_exit(settings)
    tz, now = settings.tz, datetime.now(UTC)
    table = Table("id", "name", "schedule", "next", "targets", "approval", "state", "last run")
    with Session(engine) as db:
        for c in ledger.campaigns(db):
            assert c.id is not None
            schedule = rules.schedule_of(c)
            upcoming = None if c.paused else next_slot(schedule, tz, now)
            runs = ledger.runs_of(db, c.id, limit=1)
            last = f"{local_time(as_utc(runs[0].slot), tz)} {runs[0].state}" if runs else ""
            table.add_row(
                str(c.id),
                c.name,
                schedule.describe(tz),
                local_time(upcoming, tz) if upcoming else "",
                rules.targets_of(c).describe(),
                "yes" if c.requires_approval else "no",
                "paused" if c.paused else "active",
                last,
            )
    out.print(table)


@app.command()
def add(
    name: Annotated[str, typer.Option(help="A unique name.")],
    library_key: Annotated[
        str | None, typer.Option("--library", help="A library template, e.g. fraud_04_police.")
    ] = None,
    template_file: Annotated[
        Path | None, typer.Option(help="A jinja2 template file of your own.")
    ] = None,
    text: Annotated[str | None, typer.Option(help="The template text itself.")] = None,
    cron: Annotated[
        str | None, typer.Option(help="Five-field cron in the configured time zone.")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="One-off time, e.g. 2026-12-01T10:00 (local).")
    ] = None,
    stations: Annotated[str | None, typer.Option(help="Only these station ids (a,b).")] = None,
    groups: Annotated[str | None, typer.Option(help="Only these group ids (1,2).")] = None,
    approval: Annotated[
        bool, typer.Option(help="The station's officer approves each run first.")
    ] = False,
    media_file: Annotated[
        Path | None,
        typer.Option("--media", help="A picture, video or file sent with the text as its caption."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Add a campaign; its template (and picture, video or file) is checked now, never at
    send time, against the limits of every platform the deployment sends on."""
    settings = settings_or_exit(config)
    media = _media(media_file, settings) if media_file is not None else None
    sources = [s for s in (library_key, template_file, text) if s is not None]
    if len(sources) != 1:
        err.print("give exactly one of --library, --template-file, --text")
        raise typer.Exit(1)
    try:
        if library_key is not None:
            source = library_template(library_key).source
        elif template_file is not None:
            source = template_file.read_text(encoding="utf-8")
        else:
            source = text or ""
    except (TemplateProblem, OSError) as problem:
        err.print(str(problem), markup=False)
        raise typer.Exit(1) from None
    if stations and groups:
        err.print("give --stations or --groups, not both")
        raise typer.Exit(1)
    targets = (
        Targets("stations", _ids(stations))
        if stations
        else Targets("groups", _ids(groups))
        if groups
        else Targets()
    )
    try:
        run_at = _local_time(at, settings) if at else None
    except ScheduleProblem as problem:
        err.print(str(problem), markup=False)
        raise typer.Exit(1) from None
    campaign = Campaign(
        name=name,
        template_source=source,
        cron=cron,
        run_at=to_db(run_at) if run_at else None,
        targets_json=targets.to_json(),
        requires_approval=approval,
    )
    engine = database_or_exit(settings)
    with Session(engine) as db:
        try:
            saved = ledger.save_campaign(
                db,
                campaign,
                tz=settings.tz,
                now=datetime.now(UTC),
                known_stations=[s.id for s in settings.stations],
                media=media,
                store=media_store(settings),
                platforms=enabled_platforms(settings),
            )
            db.commit()
            db.refresh(saved)
        except CampaignProblem as problem:
            err.print(f"campaign refused: {problem}", markup=False)
            raise typer.Exit(1) from None
        when = Schedule(cron, run_at).describe(settings.tz)
        with_media = f" with {media.kind} {media.filename!r} ({media.size} bytes)" if media else ""
        out.print(f"added campaign #{saved.id} {saved.name!r}{with_media}: {when}", markup=False)


def _media(path: Path, settings: Settings) -> MediaFile:
    """The file given with --media, checked for the enabled platforms, or exit 1."""
    try:
        data = path.read_bytes()
    except OSError:
        err.print(f"campaign refused: {media_unreadable(path.name)}", markup=False)
        raise typer.Exit(1) from None
    try:
        return inspect_media(data, path.name, platforms=enabled_platforms(settings))
    except MediaProblem as problem:
        err.print(f"campaign refused: {problem}", markup=False)
        raise typer.Exit(1) from None


def _local_time(text: str, settings: Settings) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ScheduleProblem(f"not a time: {text!r} (write 2026-12-01T10:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=settings.tz)


@app.command()
def preview(
    campaign_id: IdArgument,
    station: Annotated[str | None, typer.Option(help="Render for this station id.")] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="Render for this date (default: the next run's).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Show when the campaign next runs and its text as a station's groups would get it."""
    settings = settings_or_exit(config)
    engine = database_or_exit(settings)
    tz, now = settings.tz, datetime.now(UTC)
    with Session(engine) as db:
        campaign = _campaign(db, campaign_id)
        info = station_info(db, settings, station) if (station or settings.stations) else None
        attached = ledger.media_of(db, campaign)
    upcoming = None if campaign.paused else next_slot(rules.schedule_of(campaign), tz, now)
    when = (
        date.fromisoformat(day)
        if day
        else local_day(upcoming, tz)
        if upcoming
        else local_day(now, tz)
    )
    try:
        text = render_template(campaign.template_source, info or SAMPLE_STATION, when)
    except TemplateProblem as problem:
        err.print(str(problem), markup=False)
        raise typer.Exit(1) from None
    shown = info or SAMPLE_STATION
    out.print(f"[bold]#{campaign.id} {campaign.name}[/bold]  ({when.isoformat()}, {shown.name})")
    next_run = local_time(upcoming, tz) if upcoming else "none scheduled"
    out.print(f"next run: {next_run}", markup=False)
    if attached is not None:
        shown_media = label(media_ref(attached, media_store(settings)))
        out.print(f"{shown_media} {attached.filename}", markup=False)
    out.print(text, markup=False)


@app.command()
def plan(
    campaign_id: IdArgument,
    at: Annotated[
        str | None,
        typer.Option(help="Plan a run starting then (local, 2026-12-01T10:00)."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Before anything is sent: per account, the groups, the messages, when the run would
    finish at the configured pace, and what waits for the daily cap or broadcast hours.

    It plans what is left of the campaign's open run if it has one, else a run at --at,
    else its next scheduled run, else one starting now.
    """
    settings = settings_or_exit(config)
    engine = database_or_exit(settings)
    tz, now = settings.tz, datetime.now(UTC).replace(microsecond=0)
    with Session(engine, expire_on_commit=False) as db:
        campaign = _campaign(db, campaign_id)
        running = [r for r in ledger.open_runs(db) if r.campaign_id == campaign_id]
        if running and at is None:
            slot = as_utc(running[-1].slot)
            start, basis = now, f"what is left of the open run of {local_time(slot, tz)}"
            left = ledger.run_counts(engine, campaign_id, slot)
            sends = {
                p: ledger.run_counts(engine, campaign_id, slot, platforms=[p]).get(
                    DeliveryState.PENDING
                )
                for p in PLATFORMS
            }
            by_account = ledger.pending_by_account(engine, campaign_id, slot, "wechat")
            skipped = left.skipped_reasons
        else:
            try:
                start, basis = _plan_start(campaign, at, settings, now)
            except ScheduleProblem as problem:
                err.print(str(problem), markup=False)
                raise typer.Exit(1) from None
            rows = plan_deliveries(rules.targets_of(campaign), ledger.group_views(db))
            sends = {
                p: sum(r.platform == p and r.state == DeliveryState.PENDING for r in rows)
                for p in PLATFORMS
            }
            by_account = Counter(
                r.account
                for r in rows
                if r.platform == "wechat" and r.state == DeliveryState.PENDING
            )
            skipped = Counter(
                r.reason for r in rows if r.state != DeliveryState.PENDING
            ).most_common()
    out.print(f"#{campaign.id} {campaign.name}: {basis}, from {local_time(start, tz)} ({tz.key})")
    if campaign.requires_approval:
        out.print("each station's officer approves first; this assumes every station does")
    for line in _plan_lines(engine, settings, sends, start, now, by_account):
        out.print(line, markup=False)
    for reason, count in skipped:
        out.print(f"not sent: {count} group{'' if count == 1 else 's'} ({reason})", markup=False)


def _plan_start(
    campaign: Campaign, at: str | None, settings: Settings, now: datetime
) -> tuple[datetime, str]:
    if at:
        return _local_time(at, settings), "a run at the time given"
    upcoming = None if campaign.paused else next_slot(rules.schedule_of(campaign), settings.tz, now)
    if upcoming is not None:
        return upcoming, "the next scheduled run"
    return now, "a run sent now"


def _plan_lines(
    engine: Engine,
    settings: Settings,
    sends: dict[str, int],
    start: datetime,
    now: datetime,
    by_account: Mapping[str | None, int],
) -> list[str]:
    """Per account: groups, messages, the days they go out on, the finish, what waits."""
    from infra.pacing import project_sends
    from infra.ratelimit import SlidingWindows

    tz, lines = settings.tz, []
    if sends.get("telegram"):
        t = settings.telegram
        rate = SlidingWindows.per_second(
            t.max_messages_per_second, t.max_messages_per_minute_per_group
        ).broadcast_rate
        (share,) = project_sends(sends["telegram"], start, seconds_per_send=1 / rate, tz=tz)
        lines.append(f"telegram: {share.sends} groups, {share.sends} messages at {rate:g} a second")
        lines.append(f"  expected finish: {local_time(share.last, tz)}")
    if sends.get("wechat"):
        accounts = settings.wechat.all_accounts()
        for w in accounts:
            # rows planned before their room had an account go out through the first
            count = by_account.get(w.id, 0) + (by_account.get(None, 0) if w is accounts[0] else 0)
            if count:
                lines += _wechat_plan(engine, settings, w, count, start, now)
    if not any(sends.values()):
        lines.append("nothing to send: no active group of this campaign is bound to a station")
    return lines


def _wechat_plan(
    engine: Engine,
    settings: Settings,
    w: WechatAccount,
    total: int,
    start: datetime,
    now: datetime,
) -> list[str]:
    """One WeChat account's part of a run."""
    from infra.pacing import Account, DatabaseTally, project_sends
    from infra.ratelimit import wechat_seconds_per_send

    tz, lines = settings.tz, []
    today = local_day(now, tz) == local_day(start, tz)
    day = local_day(start, tz)
    spent = DatabaseTally(engine).sent(Account("wechat", w.id), day) if today else 0
    pace = wechat_seconds_per_send(w.seconds_between_sends)
    shares = project_sends(
        total,
        start,
        seconds_per_send=pace,
        tz=tz,
        cap=w.daily_send_cap,
        hours=w.hours,
        sent_today=spent,
    )
    lines.append(
        f"wechat account {w.id}: {total} rooms, {total} messages, one every "
        f"{w.seconds_between_sends:g} s plus jitter ({pace:.2f} s on average), daily cap "
        f"{w.daily_send_cap} ({spent} sent that day so far), broadcast hours "
        f"{w.hours.describe()}"
    )
    for share in shares:
        why = f", then the {share.stopped_by}" if share.stopped_by else ""
        lines.append(
            f"  {share.day.isoformat()}  {_hhmm(share.first, tz)}-{_hhmm(share.last, tz)}"
            f"  {share.sends} messages{why}"
        )
    lines.append(f"  expected finish: {local_time(shares[-1].last, tz)}")
    later = total - shares[0].sends
    if shares[0].first > start:
        lines.append(
            f"  outside the broadcast hours: nothing goes out before "
            f"{local_time(shares[0].first, tz)}"
        )
    if later:
        lines.append(
            f"  outside the cap or hours: {later} messages wait for a later day "
            f"(from {local_time(shares[1].first, tz)})"
        )
    return lines


def _hhmm(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


@app.command("send-now")
def send_now(
    campaign_id: IdArgument,
    slot_text: Annotated[
        str | None, typer.Option("--slot", help="Resume/send this slot (UTC, 20260105T020000Z).")
    ] = None,
    resend_unknown: Annotated[
        bool,
        typer.Option(
            help="Also resend rows whose delivery is unknown after a crash (may duplicate)."
        ),
    ] = False,
    new: Annotated[
        bool, typer.Option("--new", help="Send again even if it was sent today.")
    ] = False,
    concurrency: Annotated[int, typer.Option(min=1, max=64)] = SENDS_AT_ONCE,
    progress: Annotated[bool, typer.Option(help="Show a live progress bar.")] = True,
    config: ConfigOption = None,
) -> None:
    """Send a campaign now on every enabled platform, with a live progress bar.

    Everything is checked first (tokens, the campaign, its text for every station, the
    connections); only then is the run opened, so a command that fails leaves nothing
    for the running bot to send later. When a bot is running on this database, the run
    is handed to it instead (a WeChat gateway serves one client, and one sender keeps the
    platform's pace). Run it again after an interruption: it resumes the unfinished slot
    and sends only what is missing. If the campaign was already sent from here today,
    nothing is sent again unless --new is given (a crash after the last message must not
    become a second broadcast when the command is simply re-run).
    """
    configure_logging("text", "WARNING")  # through the privacy filter, like `jingmin run`
    settings = settings_or_exit(config)
    engine = database_or_exit(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    with Session(engine, expire_on_commit=False) as db:
        campaign = _campaign(db, campaign_id)
        slot, note = _slot_to_send(db, settings, campaign_id, slot_text, new, now)
    if slot is None:
        out.print(note, markup=False)
        raise typer.Exit(0)
    via_bot = someone_leads(engine)
    tokens = {} if via_bot else _tokens(settings)
    if note:
        err.print(note, markup=False)
    _check_texts(engine, settings, campaign, slot)

    def open_run(trigger: str, platforms: list[str] | None) -> None:
        """The checks again and the run, in one transaction (the campaign row locked)."""
        with Session(engine, expire_on_commit=False) as db:
            again, _ = _slot_to_send(db, settings, campaign_id, slot_text, new, now, lock=True)
            if again != slot:
                err.print("another send-now of this campaign started meanwhile; nothing sent")
                raise typer.Exit(1)
            run = ledger.open_run(
                db, campaign, slot, trigger, approved_by="cli", platforms=platforms, now=now
            )
            if run.state == RunState.OPEN and run.trigger in (BY_CLI, CLI_VIA_BOT):
                run.trigger = trigger  # a send-now run is resumed by whoever sends it now
                db.add(run)
                db.commit()
        if resend_unknown:
            count = ledger.resend_unknown(engine, campaign_id, slot, now)
            err.print(f"{count} deliveries of unknown outcome queued again")

    if via_bot:
        open_run(CLI_VIA_BOT, None)
        pending = ledger.run_counts(engine, campaign_id, slot).get(DeliveryState.PENDING)
        out.print(
            f"#{campaign_id} slot {local_time(slot, settings.tz)}: handed to the running bot, "
            f"which sends {pending} messages at its pace; `jingmin broadcast report "
            f"{campaign_id}` shows how far it got"
        )
        raise typer.Exit(0)
    result = asyncio.run(
        _send(engine, settings, tokens, campaign_id, slot, concurrency, progress, open_run, now)
    )
    out.print(
        f"#{campaign_id} slot {local_time(slot, settings.tz)}: sent {result.sent}, "
        f"failed {result.failed}, skipped {result.skipped}, pending {result.pending}"
    )
    if result.pending and result.resume_at is not None:
        out.print(
            f"the rest waits for the account's next opening, "
            f"{local_time(result.resume_at, settings.tz)} (daily cap or broadcast hours): "
            f"the running bot sends it then, or run this command again"
        )
    raise typer.Exit(0 if result.pending == 0 else 1)


PLATFORMS = ("telegram", "wechat")


def _tokens(settings: Settings) -> dict[str, str]:
    """Each enabled platform's token (Telegram when none is enabled, as before)."""
    enabled = [p for p in PLATFORMS if getattr(settings, p).enabled] or ["telegram"]
    envs = {
        "telegram": [TELEGRAM_TOKEN_ENV],
        "wechat": [a.token_env for a in settings.wechat.all_accounts()],
    }
    tokens: dict[str, str] = {}
    for platform in enabled:
        for env in envs[platform]:
            token = secret(env)
            if not token:
                err.print(
                    f"{env} is not set; put the {platform} token in that "
                    "variable (or set enabled = false for that platform in the config)"
                )
                raise typer.Exit(2)
            tokens.setdefault(platform, token)  # several WeChat accounts: each reads its own
    return tokens


def _slot_to_send(
    db: Session,
    settings: Settings,
    campaign_id: int,
    slot_text: str | None,
    new: bool,
    now: datetime,
    *,
    lock: bool = False,
) -> tuple[datetime | None, str]:
    """(the slot to send, a note) or (None, why nothing is to be sent)."""
    ours = (BY_CLI, CLI_VIA_BOT)
    done = ledger.latest_run(db, campaign_id, ours, lock=lock)
    if slot_text:
        try:
            return parse_slot_key(slot_text), ""
        except ScheduleProblem as problem:
            err.print(str(problem), markup=False)
            raise typer.Exit(1) from None
    unfinished = ledger.latest_open_run(db, campaign_id, ours)
    if unfinished is not None:
        slot = as_utc(unfinished.slot)
        return slot, f"resuming the unfinished run of {local_time(slot, settings.tz)}"
    if not new and done is not None:
        when = as_utc(done.slot)
        if local_day(when, settings.tz) == local_day(now, settings.tz):
            return None, (
                f"#{campaign_id} was already sent today at {local_time(when, settings.tz)} "
                f"(`report {campaign_id}`); --new sends it again"
            )
    return now, ""


def _check_texts(engine: Engine, settings: Settings, campaign: Campaign, slot: datetime) -> None:
    """Render the text for every station the run reaches, before anything is opened."""
    texts = text_source(engine, settings, campaign, slot)
    with Session(engine) as db:
        stations = sorted(ledger.campaign_stations(db, campaign))
    for station in stations:
        try:
            texts(station)
        except TemplateProblem as problem:
            err.print(f"#{campaign.id} cannot be written for station {station}: {problem}")
            raise typer.Exit(1) from None


async def _connect(settings: Settings, tokens: dict[str, str], engine: Engine) -> dict[str, Any]:
    """Open every platform for sending, or close what was opened and exit 2."""
    opened: dict[str, Any] = {}
    platform = ""
    try:
        for platform, token in tokens.items():
            if platform == "telegram":
                from bot.adapters.telegram import TelegramAdapter

                telegram = TelegramAdapter(
                    token,
                    api_base_url=settings.telegram.api_base_url,
                    file_ids=DatabaseFileIds(engine),
                )
                await _open_for_sending(telegram)
                opened[platform] = telegram
            elif settings.wechat.several:
                from bot.runtime import build_wechat_accounts

                accounts = build_wechat_accounts(settings, engine)
                await accounts.start(_ignore)  # each account's rooms are read as it connects
                opened[platform] = accounts
            else:
                from bot.adapters.wechat import WechatAdapter

                account = settings.wechat.account
                wechat = WechatAdapter(account.endpoint, token, token_env=account.token_env)
                await wechat.start(_ignore)  # a gateway serves one client: the bot is not up
                opened[platform] = wechat
    except Exception as problem:
        for adapter in opened.values():
            await adapter.stop()
        err.print(f"{platform}: cannot send: {problem}; nothing was sent", markup=False)
        raise typer.Exit(2) from None
    return opened


async def _send(
    engine: Engine,
    settings: Settings,
    tokens: dict[str, str],
    campaign_id: int,
    slot: datetime,
    concurrency: int,
    show: bool,
    open_run: Callable[[str, list[str] | None], None],
    now: datetime,
) -> Progress:
    from infra.ratelimit import RateLimitedAdapter, limiter_for

    adapters = await _connect(settings, tokens, engine)
    try:
        open_run(BY_CLI, sorted(adapters))  # only now: every check has passed
        senders = {
            name: adapter
            if getattr(adapter, "paces_itself", False)  # several accounts: a limiter each
            else RateLimitedAdapter(adapter, limiter_for(name, settings, engine=engine))
            for name, adapter in adapters.items()
        }
        broadcaster = Broadcaster(engine, settings, senders, concurrency=concurrency)
        columns = (
            TextColumn("[bold]broadcast #{task.fields[campaign]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("sent {task.fields[sent]} · failed {task.fields[failed]}"),
            TimeElapsedColumn(),
        )
        try:
            with Bar(*columns, console=err, disable=not show) as bar:
                task = bar.add_task("send", total=None, campaign=campaign_id, sent=0, failed=0)

                def update(p: Progress) -> None:
                    bar.update(task, total=p.total, completed=p.done, sent=p.sent, failed=p.failed)

                return await broadcaster.send_run(campaign_id, slot, progress=update)
        except Exception as error:
            log.exception("send-now failed")
            reason = f"send-now failed: {type(error).__name__}: {error}"
            removed = ledger.withdraw_run(engine, campaign_id, slot, reason, now)
            left = "the run was removed" if removed else "what was not sent is marked skipped"
            err.print(f"{reason}; {left}, so the bot will not send it later", markup=False)
            raise typer.Exit(1) from None
        finally:
            await broadcaster.stop()
    finally:
        for adapter in adapters.values():
            await adapter.stop()


async def _ignore(_event: Any) -> None:
    return None


async def _open_for_sending(adapter: Any) -> None:
    """Start the adapter for sending. Prefers a send-only ``open()`` when the adapter has
    one; otherwise ``start()``, which also polls for updates (do not run send-now while
    the bot itself is running on the same token: use the officer's /send instead)."""
    opener = getattr(adapter, "open", None)
    if callable(opener):
        await opener()
    else:
        await adapter.start(_ignore)


def _set_paused(campaign_id: int, paused: bool, config: Path | None) -> None:
    settings = settings_or_exit(config)
    engine = database_or_exit(settings)
    with Session(engine) as db:
        campaign = _campaign(db, campaign_id)
        campaign.paused = paused
        campaign.updated_at = to_db(datetime.now(UTC))
        db.add(campaign)
        db.commit()
    out.print(f"#{campaign_id} {'paused' if paused else 'resumed'}")


@app.command()
def pause(campaign_id: IdArgument, config: ConfigOption = None) -> None:
    """Stop scheduling a campaign (the running bot notices within seconds)."""
    _set_paused(campaign_id, True, config)


@app.command()
def resume(campaign_id: IdArgument, config: ConfigOption = None) -> None:
    """Schedule a paused campaign again (slots missed while paused are not sent)."""
    _set_paused(campaign_id, False, config)


@app.command()
def report(
    campaign_id: IdArgument,
    runs: Annotated[int, typer.Option(help="How many recent runs.")] = 10,
    failures: Annotated[bool, typer.Option(help="List every failed/skipped group.")] = False,
    config: ConfigOption = None,
) -> None:
    """Per run: delivered, failed (with reasons), skipped, pending, and approvals."""
    settings = settings_or_exit(config)
    engine = database_or_exit(settings)
    tz = settings.tz
    with Session(engine) as db:
        campaign = _campaign(db, campaign_id)
        out.print(f"[bold]#{campaign.id} {campaign.name}[/bold]")
        found = ledger.runs_of(db, campaign_id, limit=runs)
        if not found:
            out.print("no runs yet")
            return
        table = Table("slot", "trigger", "state", "sent", "failed", "skipped", "pending", "sending")
        details: list[str] = []
        for run in found:
            slot = as_utc(run.slot)
            counts = ledger.run_counts(engine, campaign_id, slot)
            table.add_row(
                local_time(slot, tz),
                run.trigger,
                run.state + (f" ({run.reason})" if run.reason else ""),
                str(counts.get(DeliveryState.SENT)),
                str(counts.get(DeliveryState.FAILED)),
                str(counts.get(DeliveryState.SKIPPED)),
                str(counts.get(DeliveryState.PENDING)),
                str(counts.get(DeliveryState.SENDING)),
            )
            label = local_time(slot, tz)
            for reason, count in counts.failed_reasons:
                details.append(f"{label} failed ×{count}: {reason}")
            for reason, count in counts.skipped_reasons:
                details.append(f"{label} skipped ×{count}: {reason}")
            for rs in ledger.run_stations(db, run):
                if rs.approval != Approval.AUTO:
                    who = f" by {rs.decided_by}" if rs.decided_by else ""
                    details.append(f"{label} station {rs.station_id}: {rs.approval}{who}")
            if failures:
                for platform, chat_id, reason in ledger.failed_rows(engine, campaign_id, slot):
                    details.append(f"{label}   {platform}:{chat_id}  {reason}")
    out.print(table)
    for line in details:
        out.print("  " + line, markup=False)


@app.command()
def seed(
    cron: Annotated[str, typer.Option(help="When, in the configured time zone.")] = SEED_CRON,
    approval: Annotated[
        bool, typer.Option(help="The station's officer approves each run first.")
    ] = False,
    replace: Annotated[bool, typer.Option(help="Replace the rotation if it exists.")] = False,
    config: ConfigOption = None,
) -> None:
    """Install the default weekly rotation: one library warning a week, in turn."""
    settings = settings_or_exit(config)
    engine = database_or_exit(settings)
    source = rotation_source()
    with Session(engine) as db:
        existing = db.exec(select(Campaign).where(Campaign.name == SEED_NAME)).first()
        if existing is not None and not replace:
            out.print(f"#{existing.id} {SEED_NAME} exists already (--replace to overwrite it)")
            return
        campaign = existing or Campaign(name=SEED_NAME, template_source=source)
        campaign.template_source, campaign.cron, campaign.run_at = source, cron, None
        campaign.requires_approval = approval
        campaign.targets_json = Targets().to_json()
        try:
            saved = ledger.save_campaign(db, campaign, tz=settings.tz, now=datetime.now(UTC))
            db.commit()
            db.refresh(saved)
        except CampaignProblem as problem:
            err.print(f"campaign refused: {problem}", markup=False)
            raise typer.Exit(1) from None
    titles = "、".join(t.title for t in library())
    out.print(
        f"installed #{saved.id} {SEED_NAME}: {len(library())} warnings rotating weekly, "
        f"{Schedule(cron).describe(settings.tz)}\n{titles}",
        markup=False,
    )


if __name__ == "__main__":
    app()
