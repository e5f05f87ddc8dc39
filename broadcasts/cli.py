"""`jingmin broadcast ...`: manage campaigns and send them by hand.

Also runnable alone: ``python -m broadcasts.cli send-now 3 --config config.toml``.
Every command takes ``--config``; a bad config prints one line and exits 2. A refused
campaign (bad template, bad schedule, unknown station) prints why and exits 1.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bar
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.config import TELEGRAM_TOKEN_ENV, ConfigError, Settings, load_settings, secret
from bot.db import as_utc, create_tables, make_engine
from bot.observability import configure_logging
from broadcasts import ledger
from broadcasts.fanout import SENDS_AT_ONCE, Progress
from broadcasts.ledger import CampaignProblem
from broadcasts.models import Campaign, to_db
from broadcasts.planner import (
    Schedule,
    ScheduleProblem,
    Targets,
    next_slot,
    parse_slot_key,
)
from broadcasts.render import (
    SAMPLE_STATION,
    TemplateProblem,
    library,
    library_template,
    render_template,
    rotation_source,
)
from broadcasts.runs import Broadcaster, local_day, local_time, station_info

app = typer.Typer(help="Scheduled anti-fraud broadcasts.", no_args_is_help=True)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config file (see config.example.toml).")
]
IdArgument = Annotated[int, typer.Argument(metavar="ID", help="Campaign id (see `list`).")]
SEED_NAME = "每周反诈提醒"
SEED_CRON = "0 10 * * 1"  # Mondays 10:00 in the configured time zone


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config or Path("config.toml"))
    except ConfigError as problem:
        err.print(str(problem), markup=False)
        raise typer.Exit(2) from None


def _engine(settings: Settings) -> Engine:
    engine = make_engine(settings.database.url)
    create_tables(engine)
    return engine


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
    settings = _settings(config)
    engine = _engine(settings)
    tz, now = settings.tz, datetime.now(UTC)
    table = Table("id", "name", "schedule", "next", "targets", "approval", "state", "last run")
    with Session(engine) as db:
        for c in ledger.campaigns(db):
            assert c.id is not None
            schedule = ledger.schedule_of(c)
            upcoming = None if c.paused else next_slot(schedule, tz, now)
            runs = ledger.runs_of(db, c.id, limit=1)
            last = f"{local_time(as_utc(runs[0].slot), tz)} {runs[0].state}" if runs else ""
            table.add_row(
                str(c.id),
                c.name,
                schedule.describe(tz),
                local_time(upcoming, tz) if upcoming else "",
                ledger.targets_of(c).describe(),
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
    config: ConfigOption = None,
) -> None:
    """Add a campaign; its template is checked now, never at send time."""
    settings = _settings(config)
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
    engine = _engine(settings)
    with Session(engine) as db:
        try:
            saved = ledger.save_campaign(
                db,
                campaign,
                tz=settings.tz,
                now=datetime.now(UTC),
                known_stations=[s.id for s in settings.stations],
            )
        except CampaignProblem as problem:
            err.print(f"campaign refused: {problem}", markup=False)
            raise typer.Exit(1) from None
        when = Schedule(cron, run_at).describe(settings.tz)
        out.print(f"added campaign #{saved.id} {saved.name!r}: {when}", markup=False)


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
    day: Annotated[str | None, typer.Option("--date", help="Render for this date.")] = None,
    config: ConfigOption = None,
) -> None:
    """Show a campaign's text as a station's groups would get it."""
    settings = _settings(config)
    engine = _engine(settings)
    with Session(engine) as db:
        campaign = _campaign(db, campaign_id)
        info = station_info(db, settings, station) if (station or settings.stations) else None
    when = date.fromisoformat(day) if day else local_day(datetime.now(UTC), settings.tz)
    try:
        text = render_template(campaign.template_source, info or SAMPLE_STATION, when)
    except TemplateProblem as problem:
        err.print(str(problem), markup=False)
        raise typer.Exit(1) from None
    out.print(f"[bold]#{campaign.id} {campaign.name}[/bold]  ({when.isoformat()})")
    out.print(text, markup=False)


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
    """Send a campaign to its Telegram groups now, with a live progress bar.

    Run it again after an interruption: it resumes the unfinished slot and sends only
    what is missing. If the campaign was already sent from here today, nothing is sent
    again unless --new is given (a crash after the last message must not become a
    second broadcast when the command is simply re-run).
    """
    configure_logging("text", "WARNING")  # through the privacy filter, like `jingmin run`
    settings = _settings(config)
    token = secret(TELEGRAM_TOKEN_ENV)
    if not token:
        err.print(f"{TELEGRAM_TOKEN_ENV} is not set; put the bot token in that variable")
        raise typer.Exit(2)
    engine = _engine(settings)
    now = datetime.now(UTC).replace(microsecond=0)
    with Session(engine, expire_on_commit=False) as db:
        campaign = _campaign(db, campaign_id)
        if slot_text:
            try:
                slot = parse_slot_key(slot_text)
            except ScheduleProblem as problem:
                err.print(str(problem), markup=False)
                raise typer.Exit(1) from None
        else:
            unfinished = ledger.latest_open_run(db, campaign_id, "cli")
            slot = as_utc(unfinished.slot) if unfinished else now
            if unfinished:
                err.print(f"resuming the unfinished run of {local_time(slot, settings.tz)}")
            elif not new:
                done = ledger.latest_run(db, campaign_id, "cli")
                today = local_day(now, settings.tz)
                if done is not None and local_day(as_utc(done.slot), settings.tz) == today:
                    out.print(
                        f"#{campaign_id} was already sent today at "
                        f"{local_time(as_utc(done.slot), settings.tz)} "
                        f"(`report {campaign_id}`); --new sends it again"
                    )
                    raise typer.Exit(0)
        ledger.open_run(db, campaign, slot, "cli", approved_by="cli", now=now)
    if resend_unknown:
        count = ledger.resend_unknown(engine, campaign_id, slot, now)
        err.print(f"{count} deliveries of unknown outcome queued again")
    result = asyncio.run(_send(engine, settings, token, campaign_id, slot, concurrency, progress))
    out.print(
        f"#{campaign_id} slot {local_time(slot, settings.tz)}: sent {result.sent}, "
        f"failed {result.failed}, skipped {result.skipped}, pending {result.pending}"
    )
    raise typer.Exit(0 if result.pending == 0 else 1)


async def _send(
    engine: Engine,
    settings: Settings,
    token: str,
    campaign_id: int,
    slot: datetime,
    concurrency: int,
    show: bool,
) -> Progress:
    from bot.adapters.telegram import TelegramAdapter, TelegramSetupError
    from bot.ratelimit import RateLimitedAdapter, limiter_for

    adapter = TelegramAdapter(token, api_base_url=settings.telegram.api_base_url)
    try:
        await _open_for_sending(adapter)
    except TelegramSetupError as problem:
        err.print(str(problem), markup=False)
        raise typer.Exit(2) from None
    sender = RateLimitedAdapter(adapter, limiter_for("telegram", settings))
    broadcaster = Broadcaster(engine, settings, {"telegram": sender}, concurrency=concurrency)
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
    finally:
        await broadcaster.stop()
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
    settings = _settings(config)
    engine = _engine(settings)
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
    settings = _settings(config)
    engine = _engine(settings)
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
                str(counts.get("sent")),
                str(counts.get("failed")),
                str(counts.get("skipped")),
                str(counts.get("pending")),
                str(counts.get("sending")),
            )
            label = local_time(slot, tz)
            for reason, count in counts.failed_reasons:
                details.append(f"{label} failed ×{count}: {reason}")
            for reason, count in counts.skipped_reasons:
                details.append(f"{label} skipped ×{count}: {reason}")
            for rs in ledger.run_stations(db, run):
                if rs.approval != "auto":
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
    settings = _settings(config)
    engine = _engine(settings)
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
