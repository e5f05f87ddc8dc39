"""Print the console's groups and reports page times on a busy station.

    .venv/bin/python bench/console_pages.py [DATABASE_URL]

The station of ``bench/console_queue.py`` (200 groups, 10,000 tickets) with a month of
questions (100,000) and of updates in the ledger (200,000: each group's last message is a
lookup there). Default: a new SQLite file; give a PostgreSQL URL of an empty, migrated
database to measure that. Only prints figures.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS, UPDATES, REQUESTS = 100_000, 200_000, 50
ACTIONS = ("answer", "answer", "answer", "clarify", "suggest", "escalate")


def main(url: str) -> None:
    from sqlalchemy import insert

    from bench.console_queue import GROUPS, measure, seed
    from core.db import QuestionEvent, SeenUpdate, session

    services, tokens = seed(url)
    now = datetime.now(UTC)
    month = 30 * 24 * 3600
    with session(services.engine) as db:
        for start in range(0, UPDATES, 20_000):
            db.connection().execute(
                insert(SeenUpdate),
                [
                    {
                        "platform": "console",
                        "chat_id": f"g{n % GROUPS}",
                        "message_id": f"m{n}",
                        "seen_at": now - timedelta(seconds=n * month // UPDATES),
                        "done_at": now,
                    }
                    for n in range(start, start + 20_000)
                ],
            )
        for start in range(0, QUESTIONS, 20_000):
            db.connection().execute(
                insert(QuestionEvent),
                [
                    {
                        "at": now - timedelta(seconds=n * month // QUESTIONS),
                        "platform": "console",
                        "chat_id": f"g{n % GROUPS}",
                        "station_id": "xq",
                        "action": ACTIONS[n % len(ACTIONS)],
                        "faq_id": f"topic-{n % 40}",
                    }
                    for n in range(start, start + 20_000)
                ],
            )
        db.commit()
    pages = [
        ("张所长", "/groups"),
        ("李警官", "/groups"),
        ("张所长", "/reports"),
        ("李警官", "/reports"),
        ("张所长", "/reports/export.csv"),
    ]
    measure(services, tokens, pages, REQUESTS, f"{QUESTIONS} questions, {UPDATES} updates")
    # A report is kept for minutes: what the first view of a period costs.
    from console import reports

    tz = services.settings.tz
    for scope in (reports.Scope("xq"), reports.Scope("xq", tuple(f"g{n}" for n in range(20)))):
        with session(services.engine) as db:
            start = time.perf_counter()
            reports.build(db, scope, now - timedelta(days=30), now, tz)
            took = (time.perf_counter() - start) * 1000
        print(f"first report of 30 days, {len(scope.chats or ()) or 'all'} groups: {took:.0f} ms")
    services.engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(f"sqlite:///{Path(folder) / 'bench.db'}")
