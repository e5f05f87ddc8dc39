"""The console in a real browser: Debian's chromium and chromedriver, driven by Selenium
(no browser download). Skipped where chromium is not installed (`scripts/test.sh`
installs it with apt-get when it can).

An officer signs in through the link the bot sent, answers a ticket on a phone-sized
screen, and cannot open another station's ticket; a resident's <script> stays text; the
queue shows a ticket opened meanwhile without a reload; an admin creates a campaign, sends
it, and the bot's broadcaster delivers it to the station's groups.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn

from console.app import create_app
from core.db import QuestionEvent, session
from tests.conftest import free_port
from tests.integration.test_console import (
    GROUP_A,
    GROUP_B,
    GROUP_C,
    SECRET,
    START,
    World,
    open_ticket,
    request_link,
    ticket_of,
    world,
)
from tests.integration.test_console_broadcasts import deliver

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
__all__ = ["world"]  # the fixture, shared with the HTTP tests
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
OUTCOME = {"a": "answer", "c": "clarify", "s": "suggest", "e": "escalate"}


@pytest.fixture
def console_url(world: World) -> Iterator[str]:
    """The console on a real socket, in a thread of this process (beside the fake bot)."""
    world.clock.moment = START
    port = free_port()
    app = create_app(world.services, world.services.settings.web, SECRET)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the console did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser() -> Iterator[object]:
    if CHROMIUM is None or DRIVER is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=390,844",
    ):  # a phone's screen
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def test_an_officer_answers_on_a_phone_and_cannot_see_another_station(
    world: World, console_url: str, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    shots = Path(os.environ.get("JINGMIN_SCREENSHOTS") or tmp_path)  # the README's come from here
    shots.mkdir(parents=True, exist_ok=True)

    question = "<script>window.pwned = 1</script> 小区门口的井盖松了"
    ticket_id = open_ticket(world, question=question)
    elsewhere = open_ticket(world, GROUP_C)

    browser.get(console_url + request_link(world, "李警官"))
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    # A click returns before the form's POST and its redirect have loaded: wait for them.
    WebDriverWait(browser, 15).until(expected_conditions.url_to_be(f"{console_url}/tickets"))
    shown = browser.find_element(By.CSS_SELECTOR, f"a[href='/tickets/{ticket_id}'] .question")
    assert shown.text.startswith("<script>window.pwned = 1</script>")
    assert browser.execute_script("return window.pwned === undefined")
    browser.save_screenshot(str(shots / "console-queue.png"))

    browser.find_element(By.CSS_SELECTOR, f"a[href='/tickets/{ticket_id}']").click()
    answer = browser.find_element(By.ID, "answer")
    answer.clear()
    answer.send_keys("您好，井盖已报市政热线。")
    browser.find_element(
        By.CSS_SELECTOR, f"form[action='/tickets/{ticket_id}/edit'] button"
    ).click()
    assert "已修改并发送" in browser.find_element(By.CSS_SELECTOR, ".note").text
    ticket = ticket_of(world, ticket_id)
    assert ticket.state == "sending answer" and ticket.answer == "您好，井盖已报市政热线。"
    browser.save_screenshot(str(shots / "console-ticket.png"))

    browser.get(f"{console_url}/tickets/{elsewhere}")
    assert "找不到这个页面" in browser.find_element(By.CSS_SELECTOR, ".problem").text
    assert ticket_of(world, elsewhere).state == "pending"
    assert (shots / "console-queue.png").stat().st_size > 1000


def test_an_admin_sees_the_reports_chart_and_the_groups(
    world: World, console_url: str, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """The chart is a PNG the page's Content-Security-Policy lets the browser load."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    shots = Path(os.environ.get("JINGMIN_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with session(world.services.engine) as db:  # a week of questions in group A
        for day, actions in enumerate(("aaes", "aaaacs", "aas", "aaaaaeec", "aaas", "aacs")):
            for n, letter in enumerate(actions):
                db.add(QuestionEvent(at=START - timedelta(days=day, minutes=n),
                                     platform="console", chat_id="group:a", station_id="xq",
                                     action=OUTCOME[letter], faq_id="newborn-hukou"))  # fmt: skip
        db.commit()
    browser.get(console_url + request_link(world, "张所长"))
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    WebDriverWait(browser, 15).until(expected_conditions.url_to_be(f"{console_url}/tickets"))
    browser.get(f"{console_url}/reports?days=7")
    chart = browser.find_element(By.CSS_SELECTOR, "img.chart")
    WebDriverWait(browser, 15).until(
        lambda _: browser.execute_script("return arguments[0].complete", chart)
    )
    assert browser.execute_script("return arguments[0].naturalWidth", chart) == 700
    browser.save_screenshot(str(shots / "console-reports.png"))
    browser.get(f"{console_url}/groups")
    titles = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "ul.cards strong")]
    assert "社区群A" in titles and "社区群B" in titles and "社区群C" not in titles


def shows(browser, selector: str, words: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the page that a click loads shows ``words``. Read by a script in the
    current document each time: an element found on the old page may go stale, or belong
    to no document, while the new one loads."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    script = (
        "return Array.from(document.querySelectorAll(arguments[0]))"
        ".map(e => e.textContent).join('\\n')"
    )
    WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,)).until(
        lambda _: words in browser.execute_script(script, selector)
    )


def test_an_admin_creates_a_campaign_and_it_is_delivered(
    world: World, console_url: str, browser, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    shots = Path(os.environ.get("JINGMIN_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    browser.get(console_url + request_link(world, "张所长"))
    browser.find_element(By.CSS_SELECTOR, "form[action='/login'] button").click()
    WebDriverWait(browser, 15).until(expected_conditions.url_to_be(f"{console_url}/tickets"))
    # The queue follows a ticket opened in the chat meanwhile (live.js, no reload).
    fresh = open_ticket(world)
    WebDriverWait(browser, 15).until(
        lambda _: browser.find_elements(By.CSS_SELECTOR, f"a[href='/tickets/{fresh}']")
    )

    browser.get(f"{console_url}/broadcasts/new")
    browser.find_element(By.ID, "name").send_keys("冬季反诈提醒")
    browser.find_element(By.ID, "template").send_keys(
        "{{ station.name }}提醒：网上刷单返利都是诈骗！"
    )
    browser.find_element(By.CSS_SELECTOR, "button[value='preview']").click()
    preview = browser.find_element(By.ID, "preview")
    assert preview.text == "兴庆派出所提醒：网上刷单返利都是诈骗！"
    browser.save_screenshot(str(shots / "console-broadcast.png"))
    browser.find_element(By.ID, "save").click()
    shows(browser, ".note", "已保存")
    browser.find_element(By.ID, "send-now").click()
    shows(browser, ".note", "已开始发送")

    got = deliver(world)  # the running bot's broadcaster, on the fake adapter's groups
    assert got == {
        GROUP_A.chat_id: ["兴庆派出所提醒：网上刷单返利都是诈骗！"],
        GROUP_B.chat_id: ["兴庆派出所提醒：网上刷单返利都是诈骗！"],
    }
    browser.refresh()
    assert browser.find_element(By.CSS_SELECTOR, ".reports .delivered").text == "2"
