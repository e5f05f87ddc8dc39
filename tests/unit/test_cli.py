from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from tests.conftest import REPO

runner = CliRunner()


def test_faq_match_contract() -> None:
    lines = "\n".join(
        [
            json.dumps({"text": "良民证咋开"}, ensure_ascii=False),
            json.dumps({"text": "今天天气不错", "addressed": True}, ensure_ascii=False),
            "not json",
            json.dumps({"text": "收到"}, ensure_ascii=False),
        ]
    )
    result = runner.invoke(app, ["faq", "match"], input=lines)
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[0] == {
        "text": "良民证咋开",
        "action": "answer",
        "faq_id": "no-criminal-record",
        "score": rows[0]["score"],
    }
    assert 0.5 <= rows[0]["score"] <= 1
    # Addressed small talk opens no ticket; the handler answers it with the help text.
    assert rows[1]["action"] == "ignore"
    assert "error" in rows[2]
    assert rows[3]["action"] == "ignore" and rows[3]["faq_id"] is None


def test_faq_match_explain_shows_the_evidence() -> None:
    result = runner.invoke(app, ["faq", "match", "--explain"], input='{"text": "身分证丢了咋办"}\n')
    row = json.loads(result.output)
    assert row["faq_id"] == "id-card-lost"
    assert row["topics"][0][0] == "id-card-lost"
    assert max(row["intents"], key=row["intents"].get) == "ask"
    assert row["evidence"]["topic"]


def test_faq_eval_prints_tables_mistakes_and_headline() -> None:
    result = runner.invoke(app, ["faq", "eval", str(REPO / "tests/data/faq_holdout.jsonl")])
    assert result.exit_code == 0
    for heading in ("by expected label", "by kind", "mistakes", "topic questions answered right"):
        assert heading in result.output
    assert "all targets met" in result.output


def test_faq_eval_missing_file_is_a_plain_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["faq", "eval", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1 and "cannot read" in result.output


def test_faq_list_and_show() -> None:
    listed = runner.invoke(app, ["faq", "list"])
    assert listed.exit_code == 0 and "temporary-id" in listed.output
    shown = runner.invoke(app, ["faq", "show", "station-contact"])
    assert shown.exit_code == 0 and "示例派出所" in shown.output
    assert runner.invoke(app, ["faq", "show", "nope"]).exit_code == 1


def test_db_init_creates_the_tables(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n', encoding="utf-8")
    result = runner.invoke(app, ["db", "init", "--config", str(config)])
    assert result.exit_code == 0 and (tmp_path / "x.db").exists()


def test_demo_survives_hostile_input_and_answers(tmp_path: Path) -> None:
    """The real `jingmin demo` process, typed at through a pipe."""
    typed = "\n".join(
        [
            "身份证丢了咋补办",
            "",
            "😀😀😀",
            "\x00\x07\x1b[2J",
            "身份证" * 34_000,
            "@警务助手 小区门口的路灯坏了好几天了 能找人修吗",
            "/as officer",
            "待办",
            "修改 1 您好，路灯归市政管，我已经帮您报给了社区。",
            "/quit",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--db", f"sqlite:///{tmp_path / 'demo.db'}"],
        input=typed,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "40元" in done.stdout  # the FAQ answer
    assert "工单号 #1" in done.stdout  # the addressed question was escalated
    assert "路灯归市政管" in done.stdout  # the officer's answer went back to the group


def test_faq_match_and_show_say_which_answer_a_station_gets(tmp_path: Path) -> None:
    """A topic with 兴庆's own answer: --station xq gets it, jf the topic's answer."""
    topics = tmp_path / "topics"
    topics.mkdir()
    shipped = (REPO / "faq/topics/no-criminal-record.toml").read_text(encoding="utf-8")
    own = '\n[station_answers]\nxq = """\n兴庆的居民请到{{ station.name }}一楼窗口开证明。\n"""\n'
    head, table, rest = shipped.partition("\n[match]")
    (topics / "no-criminal-record.toml").write_text(head + own + table + rest, encoding="utf-8")
    station = 'address = "路"\nphone = "1"\nhours = "9-17"\n'
    config = tmp_path / "c.toml"
    config.write_text(
        f'[database]\nurl = "sqlite:///{tmp_path / "x.db"}"\n[faq]\ntopics_dir = "{topics}"\n'
        f'[[stations]]\nid = "xq"\nname = "兴庆派出所"\n{station}'
        f'[[stations]]\nid = "jf"\nname = "金凤派出所"\n{station}',
        encoding="utf-8",
    )
    asked = json.dumps({"text": "良民证咋开"}, ensure_ascii=False) + "\n"

    def match(*options: str) -> dict[str, object]:
        result = runner.invoke(
            app, ["faq", "match", "--config", str(config), *options], input=asked
        )
        assert result.exit_code == 0, result.output
        row: dict[str, object] = json.loads(result.output)
        return row

    assert "answer" not in match()  # the contract without --station is unchanged
    xq, jf = match("--station", "xq"), match("--station", "jf")
    assert xq["answer"] == "兴庆的居民请到兴庆派出所一楼窗口开证明。" and xq["station_answer"]
    assert jf["station_answer"] is False and "金凤派出所" not in str(xq["answer"])
    assert jf["faq_id"] == xq["faq_id"] == "no-criminal-record"
    shown = runner.invoke(
        app, ["faq", "show", "no-criminal-record", "--config", str(config), "--station", "xq"]
    )
    assert "兴庆的居民请到兴庆派出所一楼窗口开证明。" in shown.output
    unknown = runner.invoke(app, ["faq", "match", "--station", "nowhere", "--config", str(config)])
    assert unknown.exit_code == 2
    assert runner.invoke(app, ["faq", "match", "--station", "xq"]).exit_code == 2
