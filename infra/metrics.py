"""The bot's Prometheus metrics, in a registry of its own (no process-wide globals)."""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from core.dispatcher import Middleware, Next
from core.events import Event, SentRef


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
        self.handling = Histogram(
            "jingmin_handling_seconds", "Time to handle an event, replies sent included",
            ["event"], registry=self.registry,
        )  # fmt: skip
        self.escalations_open = Gauge(
            "jingmin_escalations_open", "Tickets waiting for an officer", registry=self.registry
        )
        self.messages_lost = Gauge(
            "jingmin_messages_lost",
            "Messages a gateway announced but never described (WeChat), since start",
            registry=self.registry,
        )

    def count_open_escalations_with(self, count: Callable[[], int]) -> None:
        self.escalations_open.set_function(count)

    def count_lost_messages_with(self, count: Callable[[], int]) -> None:
        self.messages_lost.set_function(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def timed(metrics: Metrics) -> Middleware:
    """Dispatcher middleware: how long each kind of event takes to handle."""

    async def timing(event: Event, handle: Next) -> list[SentRef]:
        started = time.perf_counter()
        try:
            return await handle(event)
        finally:
            metrics.handling.labels(type(event).__name__).observe(time.perf_counter() - started)

    return timing
