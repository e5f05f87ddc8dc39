"""The `jingmin` command line."""

# ruff: noqa: E402  (the collector is switched off before the imports below)
from __future__ import annotations

import gc

# Loading the command line makes ~600,000 objects that live as long as the process, and
# the collector's full passes over them while they load were 0.4 s of a 1.1 s import (and
# again in every later full pass). Off while loading; what loaded is then frozen
# (``gc.freeze``: kept out of every later pass, as ``bot.runtime.settle_memory`` does with
# what start-up builds); the collector is on again for whatever runs next.
_COLLECTING = gc.isenabled()
gc.disable()

import asyncio
import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from faq.live import KnowledgeBase

from bot.entry import database_or_exit, err, settings_or_exit
from core.config import TELEGRAM_TOKEN_ENV, WECHAT_TOKEN_ENV, Settings

app = typer.Typer(help="警民 jingmin: the community-police group-chat bot.", no_args_is_help=True)
faq_app = typer.Typer(help="The FAQ knowledge base and matcher.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
privacy_app = typer.Typer(help="Residents' data: export, erase, purge.", no_args_is_help=True)
app.add_typer(faq_app, name="faq")
app.add_typer(db_app, name="db")
app.add_typer(privacy_app, name="privacy")

DEMO_CONFIG = Path(__file__).with_name("demo.toml")
ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config file (see config.example.toml).")
]
out = Console(highlight=False)


def _knowledge(config: Path | None) -> KnowledgeBase:
    """Exactly the knowledge base of the deployment ``config`` describes (shipped topics when
    there is none), or one line naming the broken file and exit code 2."""
    from bot.bootstrap import knowledge_base
    from faq.knowledge import FaqError
    from faq.learned import CorpusError

    try:
        return knowledge_base(settings_or_exit(config) if config else Settings())
    except (FaqError, CorpusError) as problem:
        err.print(str(problem), markup=False)
        raise typer.Exit(2) from None


@app.command()
def demo(
    config: ConfigOption = None,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default: a SQLite file).")] = None,
) -> None:
    """Chat with the bot in a simulated community group in this terminal."""
    asyncio.run(_run_demo(_on_demo_database(settings_or_exit(config, DEMO_CONFIG), db)))


def _on_demo_database(settings: Settings, url: str | None = None) -> Settings:
    """The demo's own database (``bot/demo.toml``'s) unless ``url`` says otherwise: the
    demo's tickets and groups never land in a real station's database."""
    url = url or settings_or_exit(DEMO_CONFIG).database.url
    return settings.model_copy(
        update={"database": settings.database.model_copy(update={"url": url})}
    )


async def _run_demo(settings: Settings) -> None:
    from sqlmodel import select

    from bot.adapters.console import GROUP, ConsoleAdapter
    from bot.bootstrap import build_dispatcher, build_services
    from core.db import Officer, session
    from handlers.common import ensure_group

    services = build_services(settings)
    if not settings.officers:
        err.print(f"the demo needs at least one [[officers]] entry; see {DEMO_CONFIG}")
        raise typer.Exit(2)
    officer_name = settings.officers[0].name
    console = ConsoleAdapter(officer_name)
    with session(services.engine) as db:
        # The demo group starts bound to the first officer, as if they had sent /bind.
        officer = db.exec(select(Officer).where(Officer.name == officer_name)).one()
        group = ensure_group(db, GROUP, console.group_title)
        group.station_id, group.officer_id = officer.station_id, officer.id
        db.add(group)
        db.commit()
    await console.start(build_dispatcher(services, {"console": console}))


@app.command()
def run(config: ConfigOption = None) -> None:
    """Start every enabled platform; with no platform token, the console demo."""
    from bot.observability import configure_logging
    from bot.runtime import StartupError, enabled_platforms, missing_tokens, run_bot

    default = DEMO_CONFIG if config is None and not Path("config.toml").exists() else None
    settings = settings_or_exit(config, default)
    ops = settings.operations
    configure_logging(ops.log_format, ops.log_level, platform_payloads=ops.log_platform_payloads)
    missing = missing_tokens(settings)
    if missing:
        err.print(f"cannot start: {missing}", markup=False, soft_wrap=True)  # one line
        raise typer.Exit(2)
    if not enabled_platforms(settings):
        demo_settings = _on_demo_database(settings)
        err.print(
            "No platform is enabled ([telegram] or [wechat] enabled = true, with"
            f" {TELEGRAM_TOKEN_ENV} or {WECHAT_TOKEN_ENV} set): starting the console demo"
            f" on its own database ({demo_settings.database.url}).",
            markup=False,
        )
        asyncio.run(_run_demo(demo_settings))
        return
    try:
        asyncio.run(run_bot(settings))
    except StartupError as problem:
        err.print(f"cannot start: {problem}", markup=False)
        raise typer.Exit(2) from None


@app.command()
def web(
    config: ConfigOption = None,
    port: Annotated[int | None, typer.Option(help="Port (default: [web] port).")] = None,
) -> None:
    """Serve the station console (sign in with /login in the bot's private chat)."""
    from bot.console_serve import serve
    from bot.observability import configure_logging

    default = DEMO_CONFIG if config is None and not Path("config.toml").exists() else None
    settings = settings_or_exit(config, default)
    ops = settings.operations
    configure_logging(ops.log_format, ops.log_level)
    serve(settings, port=port)


@faq_app.command("list")
def faq_list(config: ConfigOption = None) -> None:
    """List the FAQ entries."""
    table = Table("id", "title", "examples", "aliases")
    for topic in _knowledge(config).values():
        table.add_row(topic.id, topic.title, str(len(topic.examples)), "、".join(topic.aliases[:4]))
    out.print(table)


StationOption = Annotated[
    str | None,
    typer.Option(
        "--station",
        help="A station id of the config: its group's answer (the station's own, if any).",
    ),
]


def _station_details(config: Path | None, station_id: str | None) -> dict[str, Any]:
    """The details of ``station_id`` in the config (its first station without one; the
    sample station without a config), or one line and exit code 2."""
    from faq.knowledge import SAMPLE_STATION

    if not config:
        if station_id:
            err.print("--station needs --config (the stations are in the config)")
            raise typer.Exit(2)
        return dict(SAMPLE_STATION)
    settings = settings_or_exit(config)
    if station_id is None:
        return settings.stations[0].model_dump() if settings.stations else dict(SAMPLE_STATION)
    station = settings.station(station_id)
    if station is None:
        err.print(f"no station {station_id!r} in {config}", markup=False)
        raise typer.Exit(2)
    return station.model_dump()


@faq_app.command("show")
def faq_show(
    faq_id: Annotated[str, typer.Argument(metavar="ID")],
    config: ConfigOption = None,
    station_id: StationOption = None,
) -> None:
    """Show one FAQ entry, its answer rendered for a station of the config (the first
    unless --station), that station's own answer if the topic has one."""
    from faq.knowledge import topic_answer

    topic = _knowledge(config).get(faq_id)
    if topic is None:
        err.print(f"no FAQ entry {faq_id!r}; `jingmin faq list` shows the ids")
        raise typer.Exit(1)
    station = _station_details(config, station_id)
    out.print(f"[bold]{topic.id}[/bold] {topic.title}   ({topic.file})")
    out.print("别名: " + "、".join(topic.aliases), markup=False)
    out.print("例句: " + " / ".join(topic.examples), markup=False)
    out.print("依据: " + topic.source, markup=False)
    out.print("\n" + topic_answer(topic, station), markup=False)


@faq_app.command("match")
def faq_match(
    config: ConfigOption = None,
    explain: Annotated[bool, typer.Option(help="Add the terms, cues and topics found.")] = False,
    station_id: StationOption = None,
) -> None:
    """Read JSON lines {"text": ..., "addressed": false} on stdin; write one decision per line.
    With --station, a decision with a topic also carries the answer a group of that station
    gets ("answer") and whether it is the station's own ("station_answer")."""
    from faq.knowledge import topic_answer

    knowledge = _knowledge(config)
    station = _station_details(config, station_id) if station_id else None
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, addressed = str(row["text"]), bool(row.get("addressed", False))
        except (ValueError, KeyError, TypeError) as problem:
            print(
                json.dumps(
                    {"error": f"bad input line: {problem}", "line": line.rstrip("\n")},
                    ensure_ascii=False,
                )
            )
            continue
        decision = knowledge.decide(text, addressed=addressed)
        result: dict[str, object] = {
            "text": text,
            "action": decision.action,
            "faq_id": decision.faq_id,
            "score": decision.score,
        }
        topic = knowledge.get(decision.faq_id) if decision.faq_id else None
        if station is not None and topic is not None:
            result["answer"] = topic_answer(topic, station)
            result["station_answer"] = station["id"] in dict(topic.station_answers)
        if explain:
            reading = knowledge.read(text, explain=True)
            result |= {
                "reason": decision.reason,
                "intents": {k: round(v, 3) for k, v in reading.intents.items()},
                "topics": [[topic, round(p, 3)] for topic, p in reading.topics],
                "evidence": reading.evidence,
            }
        print(json.dumps(result, ensure_ascii=False), flush=True)


@faq_app.command("reload")
def faq_reload(config: ConfigOption = None) -> None:
    """Check the deployment's topic files and train their model now; running workers pick
    the change up by themselves within [faq] reload_seconds."""
    knowledge = _knowledge(config)
    where = knowledge.station_dir or "the shipped topics only"
    out.print(f"knowledge base ready: {len(knowledge)} topics ({where})", markup=False)


@faq_app.command("eval")
def faq_eval(
    file: Annotated[
        Path, typer.Argument(help="Labelled JSON lines like shared/eval/faq_dev.jsonl.")
    ],
    config: ConfigOption = None,
) -> None:
    """Score the matcher on labelled lines: by label, by kind, and every mistake."""
    from faq.evaluation import EvalFileError, evaluate, read_cases

    try:
        cases = read_cases(file)
    except EvalFileError as problem:
        err.print(str(problem), markup=False)
        raise typer.Exit(1) from None
    report = evaluate(cases, _knowledge(config).decide)
    confusion = Table(title="topics: expected -> what the bot did (mistakes only)")
    for column in ("expected", "got", "messages"):
        confusion.add_column(column, justify="right" if column == "messages" else "left")
    for (expected, got), count in report.confusion():
        confusion.add_row(expected, got, str(count))
    out.print(confusion)
    for title, key in (
        ("by expected label", lambda o: o.case.expect),
        ("by kind", lambda o: o.case.kind),
    ):
        table = Table(title=title)
        for column in ("", "messages", "right", "%"):
            table.add_column(column, justify="right" if column else "left")
        for name, total, good in report.groups(key):
            table.add_row(name, str(total), str(good), f"{100 * good / total:.0f}")
        out.print(table)
    mistakes = [o for o in report.outcomes if not o.correct]
    out.print(f"[bold]mistakes ({len(mistakes)})[/bold]")
    for o in mistakes:
        d = o.decision
        out.print(
            f"  expected {o.case.expect} [{o.case.kind}], got {d.action} {d.faq_id or ''}"
            f" {d.score}: {o.case.text}",
            markup=False,
        )
    for name, value in report.headline().items():
        out.print(f"{value:7.1%}  {name}")
    out.print(f"{report.clarified:7.1%}  topic questions clarified, the right topic offered")
    out.print("all targets met" if report.meets_targets() else "[red]some targets missed[/red]")


@db_app.command("init")
def db_init(config: ConfigOption = None) -> None:
    """Bring the schema up to date and load the config's stations, officers and the FAQ."""
    from bot import migrate
    from bot.bootstrap import build_services
    from core.db import make_engine

    settings = settings_or_exit(config)
    engine = make_engine(settings.database.url)
    migrate.upgrade(engine)
    build_services(settings, engine=engine)
    out.print(f"database ready: {settings.database.url.split('@')[-1]}")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOption = None) -> None:
    """Apply the schema migrations (automatic on start for SQLite; run this for PostgreSQL)."""
    from bot import migrate
    from core.db import make_engine

    settings = settings_or_exit(config)
    migrate.upgrade(make_engine(settings.database.url))
    out.print(f"schema up to date: {settings.database.url.split('@')[-1]}")


def _since(since: str | None, default_days: int, settings: Settings) -> datetime:
    if since is None:
        return datetime.now(settings.tz) - timedelta(days=default_days)
    try:
        return datetime.combine(date.fromisoformat(since), time(), settings.tz)
    except ValueError:
        err.print(f"--since wants a date like 2026-11-01, not {since!r}")
        raise typer.Exit(2) from None


SinceOption = Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")]


@app.command()
def stats(
    config: ConfigOption = None,
    station: Annotated[str | None, typer.Option(help="One station's groups only.")] = None,
    since: SinceOption = None,
    chart: Annotated[Path | None, typer.Option(help="Also write the daily chart (PNG).")] = None,
) -> None:
    """Questions seen, answered, escalated, officers' response times, FAQ gaps (default: 7 days)."""
    from handlers.reports import LABELS_FILE
    from reports.stats import chart_png, compute_stats

    settings = settings_or_exit(config)
    if station and settings.station(station) is None:
        err.print(f"no station {station!r} in the config")
        raise typer.Exit(2)
    start = _since(since, 7, settings)
    report = compute_stats(_engine(config), start, datetime.now(settings.tz), settings.tz, station)
    table = Table("figure", "value")
    median, p90 = report.median_minutes, report.p90_minutes
    for name, value in (
        ("questions seen", report.questions),
        ("answered automatically", report.answered_automatically),
        ("escalated to officers", report.escalated),
        ("answered by officers", report.answered_by_officers),
        ("median minutes to an officer's answer", f"{median:.0f}" if median is not None else "-"),
        ("p90 minutes to an officer's answer", f"{p90:.0f}" if p90 is not None else "-"),
    ):
        table.add_row(name, str(value))
    out.print(table)
    if report.votes:
        votes = Table("topic", "👍 useful", "👎 not solved")
        for topic, (up, down) in sorted(report.votes.items(), key=lambda item: -item[1][1]):
            votes.add_row(topic or "(taught answer)", str(up), str(down))
        out.print(votes)
    for cluster in report.gaps[:10]:
        out.print(f"  {cluster.size:3d} × {cluster.sample}", markup=False)
    if chart:
        import tomllib

        chart.write_bytes(chart_png(report, tomllib.loads(LABELS_FILE.read_text("utf-8"))))
        out.print(f"chart written to {chart}")


@faq_app.command("gaps")
def faq_gaps(config: ConfigOption = None, since: SinceOption = None) -> None:
    """Escalated questions no FAQ entry covers, grouped: the entries to write next."""
    from reports.stats import compute_stats

    settings = settings_or_exit(config)
    report = compute_stats(
        _engine(config), _since(since, 30, settings), datetime.now(settings.tz), settings.tz
    )
    if not report.gaps:
        out.print("no unanswered questions in that period")
    for cluster in report.gaps:
        out.print(f"[bold]{cluster.size} ×[/bold] {cluster.sample}")
        for question in cluster.questions[1:4]:
            out.print(f"      {question}", markup=False)


ResidentOption = Annotated[str, typer.Option("--resident", help="The resident's platform id.")]
PlatformOption = Annotated[str | None, typer.Option(help="telegram or wechat (default: both).")]


def _engine(config: Path | None) -> Engine:
    return database_or_exit(settings_or_exit(config))


@privacy_app.command("export")
def privacy_export(
    resident: ResidentOption, config: ConfigOption = None, platform: PlatformOption = None
) -> None:
    """Print everything kept about a resident, as JSON."""
    from privacy.retention import export_resident

    data = export_resident(_engine(config), resident, platform)
    print(json.dumps(data, ensure_ascii=False, indent=2))


@privacy_app.command("erase")
def privacy_erase(
    resident: ResidentOption, config: ConfigOption = None, platform: PlatformOption = None
) -> None:
    """Remove a resident's name, id and words; outcomes stay for the statistics."""
    from privacy.retention import erase_resident

    count = erase_resident(_engine(config), resident, platform)
    out.print(f"erased the resident's data from {count} ticket(s) and the audit trail")


@privacy_app.command("purge")
def privacy_purge(config: ConfigOption = None) -> None:
    """Apply [privacy] retention_days now (the bot also does it daily)."""
    from datetime import UTC, datetime

    from privacy.retention import purge_older_than

    days = settings_or_exit(config).privacy.retention_days
    report = purge_older_than(_engine(config), datetime.now(UTC), days)
    out.print(
        f"older than {days} days: {report.tickets_reduced} ticket(s) reduced to their outcome,"
        f" {report.updates_forgotten} update id(s) forgotten"
    )


def _mount_subcommands() -> None:
    from bot.broadcast_cli import app as broadcast_app
    from bot.console_cli import app as admin_app
    from guard.cli import app as guard_app

    app.add_typer(guard_app, name="guard")
    app.add_typer(broadcast_app, name="broadcast")
    app.add_typer(admin_app, name="admin")


_mount_subcommands()
gc.freeze()
if _COLLECTING:
    gc.enable()


def main() -> None:
    app()
