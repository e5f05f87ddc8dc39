"""Print the console's ticket queue page time with 10,000 tickets (issue 17: p95 ≤ 200 ms).

    .venv/bin/python bench/console_queue.py [DATABASE_URL]

Default: a new SQLite file in a temporary folder; give a PostgreSQL URL of an empty,
migrated database to measure that. The page is requested over HTTP in process (Starlette's
TestClient: routing, session and role checks, the query, the template), as the station
admin (the whole station) and as an officer (their groups). Only prints figures.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TICKETS, GROUPS, REQUESTS = 10_000, 200, 200


def seed(url: str) -> tuple[Any, dict[str, str]]:
    """A station of ``GROUPS`` groups and ``TICKETS`` tickets; the services and the
    session tokens of its admin and of an officer (also for ``bench/console_pages.py``)."""
    from sqlalchemy import insert
    from sqlmodel import select

    from bot.bootstrap import build_services
    from core.config import parse_settings
    from core.db import Escalation, Group, Officer, session
    from officers import signin as auth

    station = {"address": "a", "phone": "0951-6000000", "hours": "9-17"}
    settings = parse_settings(
        {
            "database": {"url": url},
            "web": {"secure_cookies": False},
            "stations": [station | {"id": "xq", "name": "兴庆派出所"}],
            "officers": [
                {"name": "张所长", "station": "xq", "admin": True},
                {"name": "李警官", "station": "xq"},
            ],
        },
        "bench",
    )
    services = build_services(settings)
    now = datetime.now(UTC)
    with session(services.engine) as db:
        admin = db.exec(select(Officer).where(Officer.name == "张所长")).one()
        officer = db.exec(select(Officer).where(Officer.name == "李警官")).one()
        for n in range(GROUPS):
            owner = officer.id if n % 10 == 0 else admin.id
            db.add(
                Group(
                    platform="console",
                    chat_id=f"g{n}",
                    title=f"社区群{n}",
                    station_id="xq",
                    officer_id=owner,
                )
            )
        db.commit()
        rows = [
            {
                "platform": "console",
                "chat_id": f"g{n % GROUPS}",
                "message_id": str(n),
                "resident_id": f"r{n}",
                "resident_name": "居民",
                "action": "escalate",
                "question": f"小区门口的井盖松了 第{n}次 能找人修一下吗",
                "state": "pending" if n % 3 else "answered",
                "officer_id": officer.id if n % GROUPS % 10 == 0 else admin.id,
                "created_at": now - timedelta(minutes=n),
                "updated_at": now,
                "reminded": 0,
                "add_to_faq": False,
            }
            for n in range(TICKETS)
        ]
        db.connection().execute(insert(Escalation), rows)
        db.commit()
        tokens = {}
        for who in (admin, officer):
            tokens[who.name] = auth.start_session(db, who, now, 1, "bench")
        db.commit()
    return services, tokens


def measure(
    services: Any, tokens: dict[str, str], pages: list[tuple[str, str]], requests: int, what: str
) -> None:
    """Prints the median and p95 of ``requests`` GETs of each (officer, path)."""
    from starlette.testclient import TestClient

    from console.app import create_app

    app = create_app(services, services.settings.web, b"bench-secret")
    with TestClient(app) as client:
        for name, path in pages:
            client.cookies.set("jingmin_session", tokens[name])
            assert client.get(path).status_code == 200
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - start) * 1000)
            times.sort()
            p95 = times[int(len(times) * 0.95) - 1]
            print(
                f"{name} {path:<20} median {statistics.median(times):6.1f} ms"
                f"  p95 {p95:6.1f} ms  ({what}, {requests} requests)"
            )


def main(url: str) -> None:
    services, tokens = seed(url)
    pages = [
        ("张所长", "/tickets"),
        ("张所长", "/tickets?view=all"),
        ("李警官", "/tickets"),
        ("张所长", "/tickets?group=5"),
    ]
    measure(services, tokens, pages, REQUESTS, f"{TICKETS} tickets")
    services.engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(f"sqlite:///{Path(folder) / 'bench.db'}")
