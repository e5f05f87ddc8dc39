"""An admin edits a topic in a real browser (Debian's chromium, as in
``test_console_browser``), and the deployment's own `jingmin faq match --config` answers
the new wording with that topic: the save reached the topic files every bot reads.

One database only (SQLite): a browser run is slow, and the HTTP tests cover both.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from core.config import load_settings
from tests.e2e.test_console_browser import browser, console_url
from tests.integration.test_console import World, request_link
from tests.integration.test_console_knowledge import NEW_WORDING, TOPIC, build_world

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
__all__ = ["browser", "console_url"]  # the fixtures, shared

CONFIG = """
[database]
url = "sqlite:///{db}"

[web]
public_url = "https://console.example.org/jm"

[faq]
topics_dir = "topics"

[[stations]]
id = "xq"
name = "兴庆派出所"
address = "解放东街1号"
phone = "0951-6000000"
hours = "9-17"

[[officers]]
name = "李警官"
station = "xq"

[[officers]]
name = "张所长"
station = "xq"
admin = true

[[officers]]
name = "赵警官"
station = "xq"
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A deployment's config file, its topics folder beside it."""
    home = tmp_path_factory.mktemp("deployment")
    (home / "topics").mkdir()
    path = home / "config.toml"
    path.write_text(CONFIG.format(db=home / "jingmin.db"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(config: Path) -> Iterator[World]:
    built = build_world(load_settings(config))
    yield built
    built.services.engine.dispose()


def faq_match(config: Path, text: str) -> object:
    result = CliRunner().invoke(
        app, ["faq", "match", "--config", str(config)], input=json.dumps({"text": text}) + "\n"
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output.splitlines()[-1])["faq_id"]


def test_an_admin_teaches_a_topic_a_new_wording_and_faq_match_answers_it(
    world: World, config: Path, console_url: str, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    shots = Path(os.environ.get("JINGMIN_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    assert faq_match(config, NEW_WORDING) != TOPIC

    browser.get(console_url + request_link(world, "张所长"))
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    WebDriverWait(browser, 15).until(expected_conditions.url_to_be(f"{console_url}/tickets"))
    browser.get(f"{console_url}/topics/{TOPIC}/edit")
    examples = browser.find_element(By.ID, "examples")
    examples.send_keys("\n" + NEW_WORDING)
    browser.find_element(By.ID, "aliases").send_keys("\n小本本")
    browser.save_screenshot(str(shots / "console-topic-edit.png"))
    browser.find_element(By.CSS_SELECTOR, "button[value='save']").click()
    WebDriverWait(browser, 30).until(
        expected_conditions.url_to_be(f"{console_url}/topics/{TOPIC}?done=saved")
    )
    assert "已保存" in browser.find_element(By.CSS_SELECTOR, ".note").text
    assert "张所长" in browser.find_element(By.CSS_SELECTOR, "ul.cards").text  # the history

    assert faq_match(config, NEW_WORDING) == TOPIC  # a new process, from the files
    browser.get(f"{console_url}/try")
    browser.find_element(By.ID, "text").send_keys(NEW_WORDING)
    browser.find_element(By.CSS_SELECTOR, "form[action='/try'] button").click()
    WebDriverWait(browser, 15).until(
        lambda _: browser.find_elements(By.CSS_SELECTOR, f"a[href='/topics/{TOPIC}']")
    )
