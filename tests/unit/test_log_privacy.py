"""No token and no personal number in any log line (issue 21).

Every logger the bot and its libraries use, at every level, in both formats, with and
without an exception whose text carries both: the one filter on the root handler must
redact the token and mask the phone number.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import pytest

import bot.adapters.wechat  # noqa: F401  (wechaty's loggers come with handlers of their own)
from bot.observability import PrivacyFilter, configure_logging, register_secret, scrub

TOKEN = "6543210987:AAHfakeTOKENforLogTests-0123456789abc"
UNSHAPED = "wechat-gateway-s3cret-token"  # no known shape: found because it is registered
PHONE = "13912345678"
LOGGERS = [
    "",  # root
    "jingmin",
    "jingmin.runtime",
    "handlers.questions",
    "broadcasts.runs",
    "telegram",
    "telegram.ext.Updater",
    "telegram.ext.ExtBot",
    "telegram.request.BaseRequest",
    "httpx",
    "httpcore.http11",
    "apscheduler.scheduler",
    "apscheduler.executors.default",
    "aiohttp.access",
    "sqlalchemy.engine.Engine",
    "PuppetService",
    "wechaty",
]
LEVELS = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]


@pytest.fixture
def logs(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    register_secret(UNSHAPED)
    yield capsys
    logging.getLogger().handlers.clear()
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("telegram", "httpx", "httpcore", "wechaty"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _emit(name: str, level: int, with_exception: bool) -> None:
    logger = logging.getLogger(name)
    message = "GET https://api.telegram.org/bot%s/getUpdates from %s, gateway %s"
    args = (TOKEN, f"王 {PHONE}", UNSHAPED)
    if not with_exception:
        logger.log(level, message, *args)
        return
    try:
        raise RuntimeError(f"request to /bot{TOKEN}/sendMessage for {PHONE} ({UNSHAPED})")
    except RuntimeError:
        logger.log(level, message, *args, exc_info=True)


def _assert_clean(output: str) -> None:
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert UNSHAPED not in output
    assert PHONE not in output
    assert "<token>" in output and "139****5678" in output


@pytest.mark.parametrize("log_format", ["text", "json"])
@pytest.mark.parametrize("with_exception", [False, True], ids=["plain", "exception"])
@pytest.mark.parametrize("name", LOGGERS)
def test_no_logger_at_any_level_leaks(
    logs: pytest.CaptureFixture[str], name: str, with_exception: bool, log_format: str
) -> None:
    configure_logging(log_format, "DEBUG", platform_payloads=True)
    logger = logging.getLogger(name)
    saved = logger.level, logger.disabled  # other tests' libraries may have set them
    logger.setLevel(logging.DEBUG)
    logger.disabled = False
    try:
        for level in LEVELS:
            _emit(name, level, with_exception)
    finally:
        logger.setLevel(saved[0])
        logger.disabled = saved[1]
    output = logs.readouterr().err
    assert output.count("getUpdates") == len(LEVELS)
    _assert_clean(output)
    if with_exception:
        assert output.count("RuntimeError: request") == len(LEVELS)
    if log_format == "json":
        assert all(json.loads(line) for line in output.splitlines() if line.startswith("{"))


def test_platform_payloads_stay_out_at_debug_unless_asked(
    logs: pytest.CaptureFixture[str],
) -> None:
    configure_logging("text", "DEBUG")
    for name in ("telegram.ext.ExtBot", "httpx", "jingmin"):
        logging.getLogger(name).debug("payload of %s", name)
    output = logs.readouterr().err
    assert "payload of jingmin" in output
    assert "payload of telegram" not in output and "payload of httpx" not in output


def test_exception_text_cached_by_an_earlier_formatter_is_masked_too() -> None:
    try:
        raise ValueError(f"card for {PHONE}")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, "", 0, "failed", None, None)
        record.exc_info = sys.exc_info()
    logging.Formatter().format(record)  # caches the unmasked exc_text, as handlers do
    assert PHONE in (record.exc_text or "")
    PrivacyFilter().filter(record)
    assert PHONE not in (record.exc_text or "") and "139****5678" in (record.exc_text or "")


@pytest.mark.parametrize(
    "text",
    [
        "tel 139\u200b1234\u200b5678",  # split by zero-width spaces
        "tel 139\u00ad1234\u00ad5678",  # by soft hyphens
        'text": "tel 139\\u200b1234\\u200b5678"',  # the same, as PTB's debug dump writes it
        "tel 139\\xad1234\\xad5678",
    ],
)
def test_numbers_split_by_invisible_characters_are_masked(text: str) -> None:
    assert "1234" not in scrub(text)


def test_a_lone_surrogate_in_a_log_line_does_not_break_logging(
    logs: pytest.CaptureFixture[str],
) -> None:
    configure_logging("text", "INFO")
    logging.getLogger("jingmin").info("resident wrote %s", "好\ud83d")
    assert "resident wrote 好\ufffd" in logs.readouterr().err
