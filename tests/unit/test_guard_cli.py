"""``jingmin guard`` CLI through typer's CliRunner, and the user-facing templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jinja2.exceptions import UndefinedError
from typer.testing import CliRunner

from guard import render
from guard.cli import app

runner = CliRunner()


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_check_writes_one_json_line_per_input() -> None:
    stdin = "\n".join(
        [
            json.dumps(
                {"text": "刷 单 返 利，日 入 五 百，加 V ❤：ff 6 6 8 8"}, ensure_ascii=False
            ),
            json.dumps({"text": "我电话13912345678，谁捡到钱包请联系我"}, ensure_ascii=False),
            json.dumps({"text": "今天天气不错"}, ensure_ascii=False),
        ]
    )
    result = runner.invoke(app, ["check"], input=stdin + "\n")
    assert result.exit_code == 0, result.output
    scam, pii, ok = _lines(result.output)
    assert (scam["verdict"], scam["kind"]) == ("scam", "shuadan")
    assert scam["label"] and isinstance(scam["score"], float)
    assert (pii["verdict"], pii["kind"], pii["label"]) == ("pii", "phone", "手机号")
    assert (ok["verdict"], ok["kind"]) == ("ok", None)
    assert ok["text"] == "今天天气不错"
    assert "刷 单" in result.output  # ensure_ascii=False: Chinese stays readable


def test_check_reports_bad_lines_and_goes_on() -> None:
    stdin = "\n".join(["", "not json", '{"text": 5}', "[1, 2]", '{"text": "收到，谢谢物业"}'])
    result = runner.invoke(app, ["check"], input=stdin + "\n")
    assert result.exit_code == 0
    records = _lines(result.output)
    assert len(records) == 5
    assert [("error" in r) for r in records] == [True, True, True, True, False]
    assert records[0]["line"] == 1
    assert records[4]["verdict"] == "ok"


def test_check_exempts_the_station_phone() -> None:
    stdin = json.dumps({"text": "值班电话 139-1234-5678"}, ensure_ascii=False) + "\n"
    plain = runner.invoke(app, ["check"], input=stdin)
    exempt = runner.invoke(app, ["check", "--exempt", "13912345678"], input=stdin)
    assert _lines(plain.output)[0]["verdict"] == "pii"
    assert _lines(exempt.output)[0]["verdict"] == "ok"


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8"
    )
    return path


def test_eval_prints_tables_figures_and_mistakes(tmp_path: Path) -> None:
    file = _write(
        tmp_path / "set.jsonl",
        [
            {"text": "刷单返利，日结，加V：abc123", "expect": "scam", "kind": "lure"},
            {"text": "我电话13912345678", "expect": "pii", "kind": "phone"},
            {"text": "今天天气不错", "expect": "ok", "kind": "chat"},
            {"text": "今天下雨了", "expect": "scam", "kind": "planted-mistake"},
        ],
    )
    result = runner.invoke(app, ["eval", str(file)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert "By expected label" in out and "By kind" in out
    assert "scam / planted-mistake" in out
    assert "scam recall 50.0%" in out
    assert "pii recall 100.0%" in out
    assert "false alarms on ok 0.0%" in out
    assert "Mistakes (1)" in out and "今天下雨了" in out


def test_eval_missing_file_exits_1_with_a_plain_message(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", str(tmp_path / "missing.jsonl")])
    assert result.exit_code == 1
    assert "cannot read" in result.output
    assert "Traceback" not in result.output


def test_eval_malformed_file_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "expect": "maybe"}\n', encoding="utf-8")
    result = runner.invoke(app, ["eval", str(bad)])
    assert result.exit_code == 1
    assert "bad.jsonl:1" in result.output


# ---------------------------------------------------------------- templates


def test_templates_render_plain_chinese_with_the_hotlines() -> None:
    warning = render.scam_warning("刷单返利 / 虚假兼职")
    assert "刷单返利" in warning and "96110" in warning and "国家反诈中心App" in warning
    reminder = render.pii_reminder("身份证号", "张阿姨")
    assert reminder.startswith("张阿姨") and "身份证号" in reminder
    scam_reply = render.check_reply("scam", "冒充公检法", "没有安全账户。")
    assert "冒充公检法" in scam_reply and "没有安全账户" in scam_reply and "110" in scam_reply
    assert "手机号" in render.check_reply("pii", "手机号")
    assert "96110" in render.check_reply("ok", "")


def test_officer_alert_masks_the_message() -> None:
    alert = render.officer_alert("幸福小区警民群", "李四", "刷单返利", "加我 13912345678 日结")
    assert "幸福小区警民群" in alert and "李四" in alert
    assert "13912345678" not in alert and "139****5678" in alert


def test_missing_template_variable_is_an_error() -> None:
    with pytest.raises(UndefinedError):
        render.render("scam_warning")
