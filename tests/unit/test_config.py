from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from core.config import ConfigError, load_settings

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


ACCOUNT = """
[[wechat.accounts]]
id = "{id}"
endpoint = "10.0.0.5:8788"
token_env = "JINGMIN_WECHAT_TOKEN_XQ"
daily_send_cap = 300
broadcast_hours = "09:00-20:00"
"""


def test_the_single_wechat_keys_are_one_account_named_default(tmp_path: Path) -> None:
    text = GOOD + '\n[wechat]\nendpoint = "gw:1"\ndaily_send_cap = 500\n'
    (account,) = load_settings(write(tmp_path, text)).wechat.all_accounts()
    assert (account.id, account.endpoint, account.token_env) == (
        "default",
        "gw:1",
        "JINGMIN_WECHAT_TOKEN",
    )
    assert (account.daily_send_cap, account.seconds_between_sends) == (500, 3.0)
    assert account.hours.describe() == "08:00-21:00"


def test_an_account_block_takes_what_it_leaves_out_from_wechat(tmp_path: Path) -> None:
    text = GOOD + "\n[wechat]\nseconds_between_sends = 5.0\n" + ACCOUNT.format(id="xq-1")
    account = load_settings(write(tmp_path, text)).wechat.account
    assert (account.id, account.endpoint, account.token_env) == (
        "xq-1",
        "10.0.0.5:8788",
        "JINGMIN_WECHAT_TOKEN_XQ",
    )
    assert (account.daily_send_cap, account.seconds_between_sends) == (300, 5.0)
    assert account.hours.describe() == "09:00-20:00"


def test_several_accounts_each_with_their_own_gateway_and_day(tmp_path: Path) -> None:
    second = ACCOUNT.format(id="xq-2").replace("10.0.0.5", "10.0.0.6").replace("300", "200")
    text = GOOD + "\n[wechat]\nrest_hours = 12\n" + ACCOUNT.format(id="xq-1") + second
    wechat = load_settings(write(tmp_path, text)).wechat
    first, other = wechat.all_accounts()
    assert wechat.several and (first.id, other.id) == ("xq-1", "xq-2")
    assert (first.endpoint, other.endpoint) == ("10.0.0.5:8788", "10.0.0.6:8788")
    assert (first.daily_send_cap, other.daily_send_cap) == (300, 200)
    assert first.rest_hours == other.rest_hours == 12


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
    (GOOD + '\n[wechat]\nbroadcast_hours = "21:00-08:00"\n', "wechat.broadcast_hours", "before"),
    (
        GOOD + '\n[wechat]\nendpoint = "a:1"\n' + ACCOUNT.format(id="xq-1"),
        "wechat.endpoint",
        "in [[wechat.accounts]]",
    ),
    (
        GOOD + ACCOUNT.format(id="xq-1") + ACCOUNT.format(id="xq-1"),
        "wechat.accounts[1].id",
        "duplicate account id",
    ),
    (
        GOOD + ACCOUNT.format(id="xq-1") + ACCOUNT.format(id="xq-2"),
        "wechat.accounts[1].endpoint",
        "another account uses",
    ),
    (GOOD + ACCOUNT.format(id="x y"), "wechat.accounts[0].id", "should match pattern"),
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
