"""Statistics, FAQ gaps and the weekly report, from a real conversation in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_services
from bot.cli import app
from core.events import ButtonPress
from handlers.reports import due_weekly_reports
from reports.stats import compute_stats
from tests.integration.test_flow import Clock, said, settings_for

PNG = b"\x89PNG\r\n\x1a\n"


async def a_week_of_questions(db_url: str, clock: Clock):  # type: ignore[no-untyped-def]
    """Tue 2026-11-17 .. : answers, escalations, and officers answering 30 and 90 minutes later."""
    clock.at = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
    settings = settings_for(db_url).model_copy(update={"officers": ()})
    officer = settings_for(db_url).officers[0].model_copy(update={"telegram_id": "42"})
    services = build_services(settings.model_copy(update={"officers": (officer,)}), clock)
    bot = FakeAdapter()
    await bot.start(build_dispatcher(services, {"console": bot}))
    await bot.inject(said("/bind", sender="王警官", at=clock.now()))
    await bot.inject(said("身份证丢了咋补办", at=clock.now()))
    await bot.inject(said("良民证咋开", sender="r2", at=clock.now()))
    for number, question in enumerate(
        ["小区门口的井盖松了 能找人修吗", "井盖松了 能找人来修一下吗"], 1
    ):
        await bot.inject(said(question, sender=f"r{number + 5}", addressed=True, at=clock.now()))
    clock.at += timedelta(days=1)
    await bot.inject(said("过年能不能在小区里放烟花", sender="r9", at=clock.now()))
    clock.at += timedelta(minutes=30)
    services.questions.flush(services.engine)  # the bot writes these every second
    return services, bot


async def test_stats_and_gaps(db_url: str) -> None:
    clock = Clock()
    services, bot = await a_week_of_questions(db_url, clock)
    officer = said("x", sender="王警官", group=False).chat
    await bot.inject(
        said("修改 1 已报市政，这两天来修", sender="王警官", group=False, at=clock.now())
    )
    assert officer.chat_id == "officer:王警官"
    since = datetime(2026, 11, 16, tzinfo=UTC)
    services.questions.flush(services.engine)
    stats = compute_stats(services.engine, since, since + timedelta(days=7), services.settings.tz)
    assert (stats.questions, stats.answered_automatically, stats.escalated) == (5, 2, 3)
    assert stats.answered_by_officers == 1
    assert stats.median_minutes is not None and 1440 + 29 <= stats.median_minutes <= 1440 + 31
    assert stats.gaps[0].size == 2 and "井盖" in stats.gaps[0].sample
    assert sum(sum(day.values()) for day in stats.daily.values()) == 5


async def test_weekly_report_goes_out_once_with_a_chart(db_url: str) -> None:
    clock = Clock()
    services, bot = await a_week_of_questions(db_url, clock)
    answer = next(o for o in bot.sent if o.buttons and "40元" in o.text)
    down = answer.buttons[0][1].data
    await bot.inject(ButtonPress(answer.chat, "r3", "r3", down, "9", clock.now(), "cb-1"))
    clock.at = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Monday 07:00 in Shanghai: too early
    assert await due_weekly_reports(services) == []
    clock.at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
    reports = await due_weekly_reports(services)
    assert [r.chat.chat_id for r in reports] == ["42"]
    assert "居民提问 5 条" in reports[0].text and "井盖" in reports[0].text
    assert "身份证丢失补领：👍0 👎1" in reports[0].text  # residents' votes, by topic
    assert reports[0].image_png is not None and reports[0].image_png.startswith(PNG)
    assert await due_weekly_reports(services) == []
    restarted = build_services(services.settings, clock)
    assert await due_weekly_reports(restarted) == []  # once per week, even after a restart


async def test_stats_and_gaps_commands(db_url: str, tmp_path: Path) -> None:
    clock = Clock()
    _, bot = await a_week_of_questions(db_url, clock)
    answer = next(o for o in bot.sent if o.buttons and "40元" in o.text)
    up = answer.buttons[0][0].data
    await bot.inject(ButtonPress(answer.chat, "r3", "r3", up, "9", clock.now(), "cb-1"))
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    runner = CliRunner()
    chart = tmp_path / "chart.png"
    shown = runner.invoke(
        app, ["stats", "--config", str(config), "--since", "2026-11-01", "--chart", str(chart)]
    )
    assert shown.exit_code == 0 and "questions seen" in shown.output and "井盖" in shown.output
    assert chart.read_bytes().startswith(PNG)
    votes = next(line for line in shown.output.splitlines() if "id-card-lost" in line)
    assert [cell.strip() for cell in votes.split("│")[1:4]] == ["id-card-lost", "1", "0"]
    gaps = runner.invoke(app, ["faq", "gaps", "--config", str(config), "--since", "2026-11-01"])
    assert gaps.exit_code == 0 and "2 ×" in gaps.output
    bad = runner.invoke(app, ["stats", "--config", str(config), "--since", "last week"])
    assert bad.exit_code == 2 and "YYYY" not in bad.output and "2026-11-01" in bad.output
