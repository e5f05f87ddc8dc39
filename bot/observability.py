"""Logs (text or one JSON object per line), /healthz and Prometheus metrics.

One filter, ``PrivacyFilter``, sits on the root handler, so every record of every logger
(jingmin, telegram, httpx, apscheduler, wechaty, ...) passes it whatever logger it came
through (a filter on a *logger* misses its children's records). It works on the final
text: the message with its arguments, the formatted exception (formatted here, then
masked, so that the formatter's ``exc_text`` cache holds the masked copy) and the stack.
It redacts tokens (every secret registered with ``register_secret`` and the tokens'
shapes) and masks ID, phone and card numbers, also when invisible characters, written
out as escapes in a debug dump, split them.

Platform libraries log whole requests and updates at DEBUG; those loggers stay at INFO
unless ``[operations] log_platform_payloads`` asks for them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.inbound import visible
from core.config import TELEGRAM_TOKEN_ENV, WEBHOOK_SECRET_ENV, WECHAT_TOKEN_ENV, secret
from guard.pii import mask_pii
from infra.metrics import Metrics

# Loggers that print requests, responses or updates in full at DEBUG.
PAYLOAD_LOGGERS = ("telegram", "httpx", "httpcore", "hpack", "aiohttp", "grpclib", "wechaty")
REDACTED = "<token>"
_TOKEN_SHAPES = re.compile(
    r"(?<!\d)\d{5,16}:[A-Za-z0-9_-]{30,}"  # a Telegram bot token, also in .../bot<token>/
    r"|(?<=token)(?:\[adopted\])?<[^>\s]+>"  # wechaty prints token<...>
)
# Invisible characters written as escapes (a repr or JSON dump of an update) split a number
# just as well as the characters themselves; they go before masking.
_ESCAPED_INVISIBLE = re.compile(
    r"\\u(?:00ad|200[b-f]|202[a-e]|206[0-9a-f]|feff)|\\x(?:ad)", re.IGNORECASE
)
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """A token or password that must never appear in a log line."""
    if value and len(value.strip()) >= 8:
        _secrets.add(value.strip())


def scrub(text: str) -> str:
    """``text`` fit for a log: no token, no personal number, nothing invisible."""
    text = visible(_ESCAPED_INVISIBLE.sub("", text))
    for value in sorted(_secrets, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    return mask_pii(_TOKEN_SHAPES.sub(REDACTED, text))


class PrivacyFilter(logging.Filter):
    """Put on a handler (the root one): every record that handler writes is scrubbed."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the (scrubbed) text
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text or record.exc_info:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


def adopt_library_loggers() -> None:
    """Send every logger that a library gave its own handler (wechaty-puppet-service writes
    straight to stderr, with propagate off) through the root handler and its privacy filter
    instead. Called by configure_logging and after importing such a library."""
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and not logger.propagate:
            logger.handlers.clear()
            logger.propagate = True


def configure_logging(
    log_format: str = "text", level: str = "INFO", *, platform_payloads: bool = False
) -> None:
    """One handler on the root logger, with ``PrivacyFilter``; every logger writes to it."""
    for name in (TELEGRAM_TOKEN_ENV, WECHAT_TOKEN_ENV, WEBHOOK_SECRET_ENV):
        register_secret(secret(name))
    handler = logging.StreamHandler()
    handler.addFilter(PrivacyFilter())
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    adopt_library_loggers()
    quiet = root.level < logging.INFO and not platform_payloads
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if quiet else logging.NOTSET)


async def serve_health_and_metrics(
    metrics: Metrics, host: str, port: int, healthy: Callable[[], bool]
) -> web.AppRunner:
    """``/healthz`` (200 when every platform is connected, else 503) and ``/metrics``."""

    async def healthz(_: web.Request) -> web.Response:
        ok = healthy()
        return web.json_response({"ok": ok}, status=200 if ok else 503)

    async def metrics_page(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
