"""`jingmin run` refuses to start without an enabled platform's token, and the console
demo never touches the configured (production) database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

TOKENS = ("JINGMIN_TELEGRAM_TOKEN", "JINGMIN_WECHAT_TOKEN")


def jingmin(
    tmp_path: Path, config: str, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in TOKENS}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(tmp_path / "config.toml")],
        input=stdin,
        capture_output=True,
        text=True,
        env=env | {"PYTHONPATH": str(REPO)},
        cwd=tmp_path,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("section", "variable"),
    [("telegram", "JINGMIN_TELEGRAM_TOKEN"), ("wechat", "JINGMIN_WECHAT_TOKEN")],
)
def test_an_enabled_platform_without_its_token_stops_the_start(
    tmp_path: Path, section: str, variable: str
) -> None:
    done = jingmin(
        tmp_path,
        f'[database]\nurl = "sqlite:///{tmp_path / "production.db"}"\n'
        f"[{section}]\nenabled = true\n",
        "run",
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and f"[{section}]" in lines[0], done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert not (tmp_path / "production.db").exists()  # nothing started, nothing written


def test_with_no_platform_enabled_the_demo_runs_on_its_own_database(tmp_path: Path) -> None:
    done = jingmin(
        tmp_path,
        f'[database]\nurl = "sqlite:///{tmp_path / "production.db"}"\n'
        '[[stations]]\nid = "xq"\nname = "兴庆派出所"\naddress = "a"\nphone = "p"\nhours = "h"\n'
        '[[officers]]\nname = "王警官"\nstation = "xq"\n',
        "run",
        stdin="身份证丢了咋办\n/quit\n",
    )
    assert done.returncode == 0, done.stderr
    assert "console demo" in done.stderr and "jingmin-demo.db" in done.stderr
    assert "补" in done.stdout  # the demo answered
    assert (tmp_path / "jingmin-demo.db").exists()
    assert not (tmp_path / "production.db").exists()
