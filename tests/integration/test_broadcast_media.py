"""A campaign with a picture, video or file on a real database: everything is checked
when it is SAVED (`broadcast add --media`, ``ledger.save_campaign`` for the console) and
refused at once in Chinese; what was saved is previewed with its next run and sent by the
bot's own pump with the media on every row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.broadcast_cli import app
from broadcasts import ledger
from broadcasts.media import Media, inspect_media, media_store
from broadcasts.models import Campaign
from broadcasts.rules import CampaignProblem
from broadcasts.runs import Broadcaster
from core.db import make_engine
from core.events import MediaRef
from tests.conftest import STATION
from tests.e2e.test_broadcast_support import (
    SIMPLE_TEMPLATE,
    FakeSender,
    LightServices,
    ManualClock,
    add_groups,
    make_db,
    settings_for,
)
from tests.integration.test_broadcast_runs import command, private, settle

runner = CliRunner()
MONDAY_10 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
LONG = "{{ station.name }}提醒：" + "请大家注意防范电信网络诈骗。" * 80  # > 1024 characters


def sized(head: bytes, size: int) -> bytes:
    return head + b"\0" * (size - len(head))


def config_file(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[database]
url = "{db_url}"

[broadcasts]
media_dir = "{tmp_path / "media"}"

{STATION}
""",
        encoding="utf-8",
    )
    return path


def cli(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*args, "--config", str(config)], env={"COLUMNS": "200"})


def saved(url: str) -> tuple[list[Campaign], list[Media]]:
    engine = make_engine(url)
    with Session(engine) as db:
        found = list(db.exec(select(Campaign))), list(db.exec(select(Media)))
    engine.dispose()
    return found


def test_bad_media_and_captions_are_refused_in_chinese_when_added(
    db_url: str, tmp_path: Path
) -> None:
    config = config_file(tmp_path, db_url)
    files = {
        "big.mp4": sized(MP4, 10_000_001),  # WeChat's 10 MB (Telegram would take it)
        "情景剧.mp4": sized(b"MZ\x90\x00", 4000),  # a program, renamed
        "反诈.apk": sized(b"PK\x03\x04", 4000),
        "ok.mp4": sized(MP4, 2_300_000),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    refusals = {
        "oversized": (["--text", "看视频", "--media", "big.mp4"], "超过微信的上限 10.0 MB"),
        "a program": (["--text", "看视频", "--media", "情景剧.mp4"], "格式"),
        "an installer": (["--text", "看视频", "--media", "反诈.apk"], "格式"),
        "missing": (["--text", "看视频", "--media", "nowhere.mp4"], "读不到文件"),
        "template": (["--text", "{{ station.nmae }}", "--media", "ok.mp4"], "模板有误"),
        "caption": (["--text", LONG, "--media", "ok.mp4"], "配文有"),
    }
    for why, (args, says) in refusals.items():
        media_args = [str(tmp_path / a) if a.endswith((".mp4", ".apk")) else a for a in args]
        result = cli(config, "add", "--name", why, *media_args)
        assert result.exit_code == 1, (why, result.output)
        assert "campaign refused" in result.output and says in result.output, (why, result.output)
        assert "未保存" in result.output and "Traceback" not in result.output, why
    assert saved(db_url) == ([], [])
    assert not (tmp_path / "media").exists()  # nothing written for a refused campaign

    long_text_alone = cli(config, "add", "--name", "长文", "--text", LONG)
    assert long_text_alone.exit_code == 0, long_text_alone.output  # 4096 without media

    ok = cli(config, "add", "--name", "情景剧", "--text", SIMPLE_TEMPLATE, "--cron", "0 10 * * 1")
    assert ok.exit_code == 0
    ok = cli(
        config, "add", "--name", "视频", "--text", SIMPLE_TEMPLATE, "--cron", "0 10 * * 1",
        "--media", str(tmp_path / "ok.mp4"),
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "with video 'ok.mp4' (2300000 bytes)" in ok.output
    campaigns, media = saved(db_url)
    (row,) = media
    assert (row.kind, row.mime, row.size, row.filename) == (
        "video",
        "video/mp4",
        2_300_000,
        "ok.mp4",
    )
    assert campaigns[-1].media_id == row.id and campaigns[-2].media_id is None
    assert (tmp_path / "media" / row.sha256).read_bytes() == files["ok.mp4"]

    shown = cli(config, "preview", str(campaigns[-1].id))
    assert shown.exit_code == 0, shown.output
    assert "next run: " in shown.output and "10:00" in shown.output
    assert "[视频 2.3 MB] ok.mp4" in shown.output and "兴庆派出所提醒" in shown.output


def test_the_consoles_save_refuses_before_writing_anything(db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, broadcasts={"media_dir": str(tmp_path / "media")})
    engine = make_db(settings)
    media = inspect_media(sized(MP4, 50_000), "v.mp4")
    with Session(engine) as db:
        for source, says in (("{% if %}", "模板有误"), (LONG, "最多 1024 个字")):
            with pytest.raises(CampaignProblem, match=says):
                ledger.save_campaign(
                    db,
                    Campaign(name="x", template_source=source),
                    tz=settings.tz,
                    now=MONDAY_10,
                    media=media,
                    store=media_store(settings),
                )
    assert not (tmp_path / "media").exists()
    engine.dispose()


def video_campaign(engine: Engine, settings, **kw: object) -> Campaign:  # type: ignore[no-untyped-def]
    media = inspect_media(sized(MP4, 2_300_000), "情景剧.mp4")
    with Session(engine, expire_on_commit=False) as db:
        saved = ledger.save_campaign(
            db,
            Campaign(name="情景剧", template_source=SIMPLE_TEMPLATE, **kw),  # type: ignore[arg-type]
            tz=settings.tz,
            now=MONDAY_10 - timedelta(days=7),
            media=media,
            store=media_store(settings),
        )
        db.commit()
        return saved


async def test_preview_and_the_bots_own_run_carry_the_media(db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, broadcasts={"media_dir": str(tmp_path / "media")})
    engine = make_db(settings)
    xq = add_groups(engine, ["-101", "-102"], station="xq")
    add_groups(engine, ["-201"], station="jf")
    campaign = video_campaign(engine, settings, cron="0 10 * * 1")
    clock = ManualClock(MONDAY_10 - timedelta(days=2))  # Saturday: the next run is Monday
    services = LightServices(settings, engine, clock)

    (shown,) = await command(services, private("xq", f"/preview {campaign.id}"))
    assert "下次发送：2026-03-02 10:00" in shown.text and "（兴庆派出所）" in shown.text
    assert "[视频 2.3 MB] 兴庆派出所提醒：" in shown.text
    (other,) = await command(services, private("xq", f"/preview {campaign.id} jf"))
    assert "（金凤派出所）" in other.text and "金凤派出所提醒：" in other.text

    sender = FakeSender()
    broadcaster = Broadcaster(engine, settings, {"telegram": sender}, clock=clock)
    await broadcaster.fire(campaign.id, MONDAY_10)  # type: ignore[arg-type]
    await settle(broadcaster)
    to_groups = [out for out in sender.sent if out.chat.chat_id.startswith("-")]
    assert sorted(out.chat.chat_id for out in to_groups) == ["-101", "-102", "-201"]
    assert all(isinstance(out.media, MediaRef) and out.media.kind == "video" for out in to_groups)
    (path,) = {out.media.path for out in to_groups if out.media is not None}
    assert Path(path).stat().st_size == 2_300_000
    assert sender.copies()[xq[0].chat_id] == 1
    engine.dispose()
