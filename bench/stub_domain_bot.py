"""Bench only: `jingmin run` with the FAQ decision and the guard replaced by constant stubs.

    python bench/stub_domain_bot.py --config <config.toml>   (as `python -m bot run`)

Everything else is the real process: the same imports (``bot.cli`` first, so the collector
is handled as `jingmin run` handles it), adapters, update ledger, dispatcher, handlers, answer
rows, outbox and timers; the stubs are handed in through ``run_bot``'s ``services_for`` and
``build_services``' ``knowledge``/``guard_check``. The topics are the deployment's (answers
are rendered as usual) but no model is loaded or asked: every text is answered with one
topic and every text passes the guard. ``bench/telegram_e2e.py --stub-domain`` runs it beside
the real bot, so the difference between the two is what the FAQ decision and the guard cost
(CPU per message, and the models' memory).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine  # noqa: E402

import bot.cli  # noqa: E402, F401  (the collector off while loading, as `jingmin run`)
from bot.bootstrap import build_services  # noqa: E402
from bot.entry import settings_or_exit  # noqa: E402
from bot.observability import configure_logging  # noqa: E402
from bot.runtime import run_bot  # noqa: E402
from core.config import Settings  # noqa: E402
from faq.knowledge import FaqTopic, load_knowledge  # noqa: E402
from faq.learned import Reading  # noqa: E402
from faq.live import KnowledgeBase  # noqa: E402
from faq.matcher import Decision  # noqa: E402
from guard.detect import OK, GuardResult  # noqa: E402
from handlers.services import Services  # noqa: E402

# Answers every bench question (bench/telegram_e2e.py's are all about papers and permits);
# any topic would do, this one's answer is of typical length.
STUB_TOPIC = "id-card-lost"


class StubKnowledge(KnowledgeBase):
    """The deployment's topics, and one constant decision for every text."""

    def __init__(self, station_dir: Path | None) -> None:  # no model is built or loaded
        self.station_dir = station_dir
        self._topics = {topic.id: topic for topic in load_knowledge(station_dir)}
        self._decision = Decision("answer", STUB_TOPIC, 1.0, "stub")

    def refresh(self, force: bool = False) -> str | None:
        return None

    def decide(self, text: str, addressed: bool = False) -> Decision:
        return self._decision

    def read(self, text: str, explain: bool = False) -> Reading:
        raise NotImplementedError("the stub knowledge base only decides")

    def __getitem__(self, key: str) -> FaqTopic:
        return self._topics[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._topics)

    def __len__(self) -> int:
        return len(self._topics)


def let_through(text: str, *, exempt_numbers: frozenset[str] = frozenset()) -> GuardResult:
    return OK


def stub_services(settings: Settings, engine: Engine) -> Services:
    knowledge = StubKnowledge(settings.faq.topics_dir)
    return build_services(settings, engine=engine, knowledge=knowledge, guard_check=let_through)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    settings = settings_or_exit(Path(parser.parse_args().config), None)
    ops = settings.operations
    configure_logging(ops.log_format, ops.log_level, platform_payloads=ops.log_platform_payloads)
    asyncio.run(run_bot(settings, services_for=stub_services))


if __name__ == "__main__":
    main()
