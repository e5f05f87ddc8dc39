"""What keeping the bot's answers as rows costs per answered question (issue 20).

    .venv/bin/python bench/answer_rows.py [--url URL] [--answers N]

An answer in a group becomes a ``bot_answer`` row once the platform took it (one INSERT
with where it landed). This times that bookkeeping alone (``answer_outgoing`` and
``record_sent``), ``--answers`` times on one database (default: a fresh SQLite file; pass
a PostgreSQL URL for that), and prints the mean CPU time (the host is shared) and the
median and p99 wall time per answer in milliseconds, and a vote's cost likewise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from core.db import BotAnswer, create_tables, make_engine, session  # noqa: E402
from core.events import ChatRef, IncomingMessage  # noqa: E402
from handlers.feedback import answer_outgoing, cast_vote, record_sent  # noqa: E402
from handlers.services import AnswersInFlight  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="")
    parser.add_argument("--answers", type=int, default=500)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    create_tables(engine)
    now = datetime.now(UTC)
    answer_ms: list[float] = []
    vote_ms: list[float] = []
    cpu_started = time.process_time()
    in_flight = AnswersInFlight()
    for n in range(args.answers):
        msg = IncomingMessage(
            ChatRef("telegram", f"-{n % 50}"), f"r{n}", "张阿姨", "身份证丢了咋补办", str(n),
            is_group=True, addressed=False, received_at=now,
        )  # fmt: skip
        started = time.perf_counter()
        out = answer_outgoing(
            in_flight, msg, "xq", "id-card-lost", "id-card-lost", "答案" * 200, now
        )
        record_sent(engine, in_flight, out.tag or "", str(10_000 + n))
        answer_ms.append((time.perf_counter() - started) * 1000)
    answer_cpu = (time.process_time() - cpu_started) * 1000 / args.answers
    with session(engine) as db:
        answers = list(db.exec(select(BotAnswer)).all())
    for n, answer in enumerate(answers):
        started = time.perf_counter()
        with session(engine) as db:
            cast_vote(db, answer, f"v{n}", n % 3 != 0, now)
            db.commit()
        vote_ms.append((time.perf_counter() - started) * 1000)
    dialect = engine.dialect.name
    print(f"{dialect:10s} answer row + sent id   CPU {answer_cpu:.2f} ms per answer (mean)")
    for name, values in (("answer row + sent id", answer_ms), ("vote", vote_ms)):
        print(
            f"{dialect:10s} {name:22s} median {statistics.median(values):.2f} ms"
            f"  p99 {percentile(values, 0.99):.2f} ms  ({len(values)} runs)"
        )


if __name__ == "__main__":
    main()
