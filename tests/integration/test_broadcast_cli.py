"""`jingmin broadcast ...` (bot.broadcast_cli) on a real database. `send-now` against a real
server is exercised by tests/e2e/test_broadcast_kill.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.broadcast_cli import SEED_NAME, app
from broadcasts import ledger
from broadcasts.models import BY_CLI, CLI_VIA_BOT, BroadcastRun, Campaign, Delivery
from broadcasts.runs import Broadcaster
from core.db import as_utc, make_engine
from infra.leader import SCHEDULER, lock_for, lock_name
from tests.conftest import STATION, free_port
from tests.e2e.test_broadcast_support import (
    FakeSender,
    ManualClock,
    add_campaign,
    add_groups,
    deliveries,
    make_db,
    settings_for,
)

runner = CliRunner()
SLOT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def config_file(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[database]
url = "{db_url}"

{STATION}
""",
        encoding="utf-8",
    )
    return path


def cli(config: Path, *args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    wide = {"COLUMNS": "200"} | (env or {})  # rich wraps tables at 80 columns otherwise
    return runner.invoke(app, [*args, "--config", str(config)], env=wide)


def campaigns(url: str) -> list[Campaign]:
    engine = make_engine(url)
    with Session(engine) as db:
        found = list(db.exec(select(Campaign)))
    engine.dispose()
    return found


def test_add_checks_everything_before_saving(db_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, db_url)
    ok = cli(
        config, "add", "--name", "公检法", "--library", "fraud_04_police", "--cron", "0 10 * * 1"
    )
    assert ok.exit_code == 0, ok.output
    assert "added campaign #1" in ok.output

    refusals = {
        "template": ["--name", "坏模板", "--text", "您好 {{ station.nmae }}"],
        "syntax": ["--name", "语法", "--text", "{% if %}"],
        "cron": ["--name", "时间", "--text", "hi", "--cron", "0 25 * * *"],
        "past": ["--name", "过去", "--text", "hi", "--at", "2020-01-01T10:00"],
        "station": ["--name", "派出所", "--text", "hi", "--stations", "nowhere"],
        "group": ["--name", "群", "--text", "hi", "--groups", "999"],
        "duplicate": ["--name", "公检法", "--text", "hi"],
    }
    for why, args in refusals.items():
        result = cli(config, "add", *args)
        assert result.exit_code == 1, (why, result.output)
        assert "campaign refused" in result.output, (why, result.output)
    two_sources = cli(config, "add", "--name", "x", "--text", "a", "--library", "fraud_02_brushing")
    assert two_sources.exit_code == 1
    assert [c.name for c in campaigns(db_url)] == ["公检法"]

    listing = cli(config, "list")
    assert listing.exit_code == 0 and "公检法" in listing.output and "0 10 * * 1" in listing.output


def test_seed_installs_the_weekly_rotation_once(db_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, db_url)
    first = cli(config, "seed")
    assert first.exit_code == 0 and "12 warnings rotating weekly" in first.output
    assert "exists already" in cli(config, "seed").output
    (campaign,) = campaigns(db_url)
    assert (campaign.name, campaign.cron, campaign.requires_approval) == (
        SEED_NAME,
        "0 10 * * 1",
        False,
    )
    replaced = cli(config, "seed", "--replace", "--approval", "--cron", "30 9 * * 3")
    assert replaced.exit_code == 0
    (campaign,) = campaigns(db_url)
    assert (campaign.cron, campaign.requires_approval) == ("30 9 * * 3", True)

    shown = cli(config, "preview", "1", "--date", "2026-03-02")
    assert shown.exit_code == 0 and "兴庆派出所" in shown.output and "3月2日" in shown.output


def test_pause_and_resume(db_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, db_url)
    cli(config, "seed")
    assert cli(config, "pause", "1").exit_code == 0
    assert campaigns(db_url)[0].paused is True
    assert "paused" in cli(config, "list").output
    assert cli(config, "resume", "1").exit_code == 0
    assert campaigns(db_url)[0].paused is False
    missing = cli(config, "pause", "7")
    assert missing.exit_code == 1 and "no campaign #7" in missing.output


def test_report_shows_delivered_failed_with_reasons_and_pending(
    db_url: str, tmp_path: Path
) -> None:
    config = config_file(tmp_path, db_url)
    engine = make_db(settings_for(db_url))
    add_groups(engine, ["-1", "-2", "-3", "-4"])
    add_groups(engine, ["-5"], station=None)
    cli(config, "seed")
    with Session(engine) as db:
        campaign = db.get(Campaign, 1)
        assert campaign is not None
        ledger.open_run(db, campaign, SLOT, "cli", approved_by="cli", now=SLOT)
    rows = {r.chat_id: r for r in deliveries(engine)}
    for chat in ("-1", "-2"):
        assert ledger.claim(engine, rows[chat].id, "w", SLOT)  # type: ignore[arg-type]
        ledger.mark_sent(engine, rows[chat].id, "w", chat, SLOT)  # type: ignore[arg-type]
    kicked = "chat gone: Forbidden: bot was kicked from the group chat"
    ledger.mark_failed(engine, rows["-3"].id, kicked, SLOT)  # type: ignore[arg-type]

    report = cli(config, "report", "1", "--failures")

    assert report.exit_code == 0, report.output
    line = next(line for line in report.output.splitlines() if "2026-03-02" in line)
    cells = [cell.strip() for cell in line.split("│")[1:-1]]
    assert cells[3:8] == ["2", "1", "1", "1", "0"]  # sent, failed, skipped, pending, sending
    assert f"failed ×1: {kicked}" in report.output
    assert "skipped ×1: group is not bound to a station" in report.output
    assert "telegram:-3" in report.output


def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["list", "--config", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "file not found" in missing.output


def test_send_now_needs_the_token(db_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, db_url)
    cli(config, "seed")
    result = cli(config, "send-now", "1", env={"JINGMIN_TELEGRAM_TOKEN": ""})
    assert result.exit_code == 2 and "JINGMIN_TELEGRAM_TOKEN is not set" in result.output


# --------------------------------------------------------------------------------------
# WeChat-only deployments, and a send-now that fails leaves nothing behind

WECHAT_ONLY = '\n[wechat]\nenabled = true\nendpoint = "127.0.0.1:{port}"\n'
NO_TOKENS = {"JINGMIN_TELEGRAM_TOKEN": "", "JINGMIN_WECHAT_TOKEN": ""}


def wechat_only(tmp_path: Path, db_url: str, port: int = 9) -> Path:
    config = config_file(tmp_path, db_url)
    config.write_text(config.read_text("utf-8") + WECHAT_ONLY.format(port=port), "utf-8")
    return config


def runs_and_rows(engine: Engine) -> tuple[list[BroadcastRun], list[Delivery]]:
    with Session(engine) as db:
        return list(db.exec(select(BroadcastRun))), list(db.exec(select(Delivery)))


def test_a_wechat_only_deployment_needs_no_telegram_token(db_url: str, tmp_path: Path) -> None:
    config = wechat_only(tmp_path, db_url)
    engine = make_db(settings_for(db_url))
    add_groups(engine, ["room1@chatroom"], platform="wechat")
    assert cli(config, "seed", env=NO_TOKENS).exit_code == 0
    shown = cli(config, "preview", "1", "--date", "2026-03-02", env=NO_TOKENS)
    assert shown.exit_code == 0 and "兴庆派出所" in shown.output, shown.output
    assert cli(config, "report", "1", env=NO_TOKENS).exit_code == 0

    refused = cli(config, "send-now", "1", env=NO_TOKENS)
    assert refused.exit_code == 2, refused.output
    assert "JINGMIN_WECHAT_TOKEN is not set" in refused.output
    assert "TELEGRAM" not in refused.output
    assert runs_and_rows(engine) == ([], [])  # nothing opened for the bot to send later
    engine.dispose()


def test_a_send_now_that_cannot_connect_opens_nothing(db_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, db_url)
    closed = f"http://127.0.0.1:{free_port()}/bot"
    config.write_text(
        config.read_text("utf-8") + f'\n[telegram]\nenabled = true\napi_base_url = "{closed}"\n',
        "utf-8",
    )
    engine = make_db(settings_for(db_url))
    add_groups(engine, ["-1", "-2"])
    cli(config, "seed")
    result = cli(config, "send-now", "1", env={"JINGMIN_TELEGRAM_TOKEN": "123:abc"})
    assert result.exit_code == 2, result.output
    assert "nothing was sent" in result.output
    assert runs_and_rows(engine) == ([], [])
    engine.dispose()


def test_with_a_bot_running_send_now_hands_the_run_to_it(db_url: str, tmp_path: Path) -> None:
    config = wechat_only(tmp_path, db_url)
    settings = settings_for(db_url)
    engine = make_db(settings)
    add_groups(engine, ["room1@chatroom", "room2@chatroom"], platform="wechat")
    cli(config, "seed")
    bot_lock = lock_for(engine, lock_name(SCHEDULER))  # the running bot leads
    assert bot_lock.try_lock()
    try:
        handed = cli(config, "send-now", "1", env=NO_TOKENS)  # no token needed here
    finally:
        bot_lock.unlock()
    assert handed.exit_code == 0, handed.output
    assert "handed to the running bot" in handed.output and "2 messages" in handed.output
    (run,), rows = runs_and_rows(engine)
    assert run.trigger == CLI_VIA_BOT and {r.state for r in rows} == {"pending"}
    planned = cli(config, "plan", "1", env=NO_TOKENS)
    assert "what is left of the open run" in planned.output
    assert "wechat account default: 2 rooms, 2 messages" in planned.output

    # the bot sends it at once: it is not left to a command line that is not sending
    sender = FakeSender(platform="wechat")
    bot = Broadcaster(engine, settings, {"wechat": sender}, clock=ManualClock(as_utc(run.slot)))
    asyncio.run(_settle(bot))
    assert sender.copies() == {"room1@chatroom": 1, "room2@chatroom": 1}

    again = cli(config, "send-now", "1", env=NO_TOKENS)
    assert again.exit_code == 0 and "already sent today" in again.output
    engine.dispose()


async def _settle(bot: Broadcaster) -> None:
    for _ in range(5):
        await bot.pump()
        for task in list(bot._active.values()):
            await task


def test_withdrawing_a_run_leaves_nothing_for_the_bot(db_url: str, tmp_path: Path) -> None:
    engine = make_db(settings_for(db_url))
    add_groups(engine, ["-1", "-2", "-3"])
    campaign = add_campaign(engine)
    assert campaign.id is not None
    with Session(engine) as db:
        ledger.open_run(db, campaign, SLOT, BY_CLI, approved_by="cli", now=SLOT)
    assert ledger.withdraw_run(engine, campaign.id, SLOT, "send-now failed: boom", SLOT)
    assert runs_and_rows(engine) == ([], [])

    with Session(engine) as db:
        ledger.open_run(db, campaign, SLOT, BY_CLI, approved_by="cli", now=SLOT)
    first = deliveries(engine)[0]
    assert first.id is not None and ledger.claim(engine, first.id, "w", SLOT)
    ledger.mark_sent(engine, first.id, "w", "m1", SLOT)
    assert not ledger.withdraw_run(engine, campaign.id, SLOT, "send-now failed: boom", SLOT)
    (run,), rows = runs_and_rows(engine)
    assert run.state == "done" and sorted(r.state for r in rows) == ["sent", "skipped", "skipped"]
    engine.dispose()


def test_plan_shows_each_account_before_anything_is_sent(db_url: str, tmp_path: Path) -> None:
    config = wechat_only(tmp_path, db_url)
    config.write_text(
        config.read_text("utf-8").replace(
            "\n[wechat]\n", "\n[wechat]\ndaily_send_cap = 800\nseconds_between_sends = 3.0\n"
        )
        + "\n[telegram]\nenabled = true\n",
        "utf-8",
    )
    engine = make_db(settings_for(db_url))
    add_groups(engine, [f"room{i}@chatroom" for i in range(1362)], platform="wechat")
    add_groups(engine, ["-1", "-2"])
    add_groups(engine, ["-9"], station=None)
    cli(config, "seed")

    shown = cli(config, "plan", "1", "--at", "2026-03-02T20:30", env=NO_TOKENS)

    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "a run at the time given, from 2026-03-02 20:30" in text
    assert "telegram: 2 groups, 2 messages at 29 a second" in text
    assert "wechat account default: 1362 rooms, 1362 messages" in text
    assert "daily cap 800 (0 sent that day so far), broadcast hours 08:00-21:00" in text
    assert "2026-03-02  20:30-20:59  480 messages, then the broadcast hours" in text
    assert "2026-03-03  08:00-08:49  800 messages, then the daily cap" in text
    assert "2026-03-04  08:00-08:05  82 messages" in text
    assert "expected finish: 2026-03-04 08:05" in text
    assert "outside the cap or hours: 882 messages wait for a later day" in text
    assert "not sent: 1 group (group is not bound to a station yet" in text
    assert runs_and_rows(engine) == ([], [])  # planning sends nothing and opens nothing
    engine.dispose()


def test_the_cli_uses_the_configured_wechat_account(db_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, db_url)
    config.write_text(
        config.read_text("utf-8")
        + '\n[wechat]\nenabled = true\n\n[[wechat.accounts]]\nid = "xq-1"\n'
        + 'endpoint = "127.0.0.1:9"\ntoken_env = "JINGMIN_WECHAT_TOKEN_XQ"\n'
        + "daily_send_cap = 300\n",
        "utf-8",
    )
    engine = make_db(settings_for(db_url))
    add_groups(engine, ["room1@chatroom"], platform="wechat")
    cli(config, "seed")
    planned = cli(config, "plan", "1", "--at", "2026-03-02T10:00")
    assert "wechat account xq-1: 1 rooms" in planned.output and "daily cap 300" in planned.output
    refused = cli(config, "send-now", "1", env=NO_TOKENS | {"JINGMIN_WECHAT_TOKEN_XQ": ""})
    assert refused.exit_code == 2 and "JINGMIN_WECHAT_TOKEN_XQ is not set" in refused.output
    engine.dispose()


def test_plan_shows_each_of_several_accounts_with_its_rooms(db_url: str, tmp_path: Path) -> None:
    config = config_file(tmp_path, db_url)
    accounts = "".join(
        f'\n[[wechat.accounts]]\nid = "xq-{n}"\nendpoint = "127.0.0.1:{9000 + n}"\n'
        f'token_env = "JINGMIN_WECHAT_TOKEN_{n}"\n'
        for n in range(10)
    )
    config.write_text(config.read_text("utf-8") + "\n[wechat]\nenabled = true\n" + accounts)
    engine = make_db(settings_for(db_url))
    rooms = add_groups(engine, [f"room{i}@chatroom" for i in range(1362)], platform="wechat")
    with Session(engine) as db:  # as each account's room list leaves them: ~136 rooms each
        for index, group in enumerate(rooms):
            group.account = f"xq-{index % 10}"
            db.add(group)
        db.commit()
    cli(config, "seed")

    shown = cli(config, "plan", "1", "--at", "2026-03-02T10:00", env=NO_TOKENS)

    assert shown.exit_code == 0, shown.output
    text = shown.output
    for n in range(10):
        rooms_of_n = 137 if n < 2 else 136
        assert f"wechat account xq-{n}: {rooms_of_n} rooms, {rooms_of_n} messages" in text
    assert "2026-03-02  10:00-10:08  137 messages" in text  # every account done in minutes
    assert "wait for a later day" not in text
    engine.dispose()


def test_a_database_the_cli_made_first_is_one_the_bot_starts_on(tmp_path: Path) -> None:
    """The broadcast CLI used to create its tables itself (no migration stamp), so a bot
    started on that fresh SQLite file failed on tables that already existed."""
    from bot import migrate
    from bot.bootstrap import build_services
    from core.config import load_settings

    config = config_file(tmp_path, f"sqlite:///{tmp_path / 'first.db'}")
    added = cli(
        config, "add", "--name", "公检法", "--library", "fraud_04_police", "--cron", "0 10 * * 1"
    )
    assert added.exit_code == 0, added.output
    services = build_services(load_settings(config))
    assert migrate.is_current(services.engine)
    assert [c.name for c in campaigns(f"sqlite:///{tmp_path / 'first.db'}")] == ["公检法"]
    services.engine.dispose()
