from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import ConfigError, load_settings

GOOD = """
timezone = "Asia/Shanghai"
[database]
url = "sqlite:///x.db"
[[stations]]
id = "xq"
name = "兴庆派出所"
address = "银川市兴庆区"
phone = "0951-1234567"
hours = "9:00-17:00"
[[officers]]
name = "王警官"
station = "xq"
telegram_id = 12345
duty = true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_is_typed(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD))
    assert settings.officers[0].telegram_id == "12345"
    assert settings.stations[0].name == "兴庆派出所"
    assert settings.telegram.api_base_url == "https://api.telegram.org/bot"
    assert settings.tz.key == "Asia/Shanghai"


def test_example_config_loads() -> None:
    settings = load_settings(Path(__file__).resolve().parents[2] / "config.example.toml")
    assert settings.stations and settings.officers


BAD_CASES = [
    (GOOD.replace('phone = "0951-1234567"\n', ""), "stations[0].phone", "missing"),
    (GOOD.replace("duty = true", 'duty = "yes"'), "officers[0].duty", "valid boolean"),
    (
        GOOD.replace('station = "xq"', 'station = "nowhere"'),
        "officers[0].station",
        "unknown station",
    ),
    (GOOD + "\n[telegram]\nenabeld = true\n", "telegram.enabeld", "unknown key"),
    (GOOD.replace('"Asia/Shanghai"', '"Mars/Olympus"'), "timezone", "unknown timezone"),
    (GOOD.replace("[[officers]]", "[[officers]"), "", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD_CASES)
def test_bad_config_names_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.key == key
    assert problem in caught.value.problem
    message = str(caught.value)
    assert str(path) in message and problem in message


@pytest.mark.parametrize(("text", "key", "problem"), BAD_CASES)
def test_cli_stops_with_one_line_and_exit_code_2(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    result = CliRunner().invoke(app, ["db", "init", "--config", str(write(tmp_path, text))])
    assert result.exit_code == 2
    assert problem in result.output and "Traceback" not in result.output
    assert key in result.output


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["db", "init", "--config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2 and "file not found" in result.output
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    result = CliRunner().invoke(app, ["db", "init", "--config", str(folder)])
    assert result.exit_code == 2 and "cannot read it" in result.output
