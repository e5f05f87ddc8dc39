"""Logs (text or one JSON object per line), /healthz and Prometheus metrics.

Every log record passes through ``MaskPersonalData`` first, so even a careless log line
cannot carry an ID, phone or card number; tokens are kept out at the adapters.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from guard.pii import mask_pii


class MaskPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = mask_pii(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_pii(logging.Formatter().formatException(record.exc_info))
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


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(MaskPersonalData())
    handler.setFormatter(
        JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


class Metrics:
    """The bot's metrics, in a registry of its own (no process-wide globals)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "jingmin_messages", "Messages received", ["platform"], registry=self.registry
        )
        self.actions = Counter(
            "jingmin_actions", "Matcher decisions on residents' messages", ["action"],
            registry=self.registry,
        )  # fmt: skip
        self.deliveries = Counter(
            "jingmin_deliveries", "Broadcast deliveries by outcome", ["outcome"],
            registry=self.registry,
        )  # fmt: skip
        self.send_latency = Histogram(
            "jingmin_send_seconds", "Time for one send to the platform", ["platform"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )  # fmt: skip
        self.escalations_open = Gauge(
            "jingmin_escalations_open", "Tickets waiting for an officer", registry=self.registry
        )

    def count_open_escalations_with(self, count: Callable[[], int]) -> None:
        self.escalations_open.set_function(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)


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
