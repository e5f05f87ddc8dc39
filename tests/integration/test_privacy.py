"""Retention, and a resident's data exported and erased on request (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from sqlmodel import select
from typer.testing import CliRunner

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_services
from bot.cli import app
from core.db import AuditEntry, Escalation, OutboxMessage, session
from privacy.retention import ERASED, erase_resident, export_resident, purge_older_than
from tests.integration.test_flow import Clock, said, settings_for


async def two_residents_asked(db_url: str, clock: Clock):  # type: ignore[no-untyped-def]
    services = build_services(settings_for(db_url), clock)
    bot = FakeAdapter()
    await bot.start(build_dispatcher(services, {"console": bot}))
    await bot.inject(said("/bind", sender="王警官"))
    await bot.inject(said("小区门口的路灯坏了 能找人修吗", addressed=True))
    await bot.inject(said("楼下有人在撬电动车 现在还在", sender="r2"))
    answered = said("修改 1 已报修，今天修好。", sender="王警官", group=False)
    await bot.inject(answered)  # r1's ticket answered: an outbox row holds the words
    return services


def outbox_rows(services, ticket_id: int | None = None) -> int:  # type: ignore[no-untyped-def]
    """Rows (of one ticket's): its acknowledgement, card, answer, the card edited twice
    (decided, then answered), the officer's note."""
    with session(services.engine) as db:
        query = select(OutboxMessage)
        if ticket_id is not None:
            query = query.where(OutboxMessage.ticket_id == ticket_id)
        return len(db.exec(query).all())


async def test_export_then_erase_one_resident(db_url: str) -> None:
    services = await two_residents_asked(db_url, Clock())
    exported = export_resident(services.engine, "r1")
    assert [t["question"] for t in exported["tickets"]] == ["小区门口的路灯坏了 能找人修吗"]
    assert any(a["action"] == "opened" for a in exported["audit"])
    json.dumps(exported)  # it is plain JSON

    assert outbox_rows(services, 1) == 6
    assert erase_resident(services.engine, "r1") == 1
    assert outbox_rows(services, 1) == 0 and outbox_rows(services, 2) == 1
    with session(services.engine) as db:
        tickets = {t.resident_name: t for t in db.exec(select(Escalation)).all()}
        actors = [a.actor for a in db.exec(select(AuditEntry)).all()]
    assert set(tickets) == {ERASED, "r2"}
    assert tickets[ERASED].question == ERASED and tickets[ERASED].state == "answered"
    assert "resident:r1" not in actors and "resident:r2" in actors
    assert export_resident(services.engine, "r1")["tickets"] == []


async def test_retention_keeps_outcomes_not_words(db_url: str) -> None:
    clock = Clock()
    services = await two_residents_asked(db_url, clock)
    assert purge_older_than(services.engine, clock.now(), days=30).tickets_reduced == 0
    assert outbox_rows(services) == 7
    report = purge_older_than(services.engine, clock.now() + timedelta(days=31), days=30)
    assert outbox_rows(services) == 0
    # The one ledger row is a claim: r2's incident was acknowledged in the group.
    assert report.tickets_reduced == 2 and report.updates_forgotten == 1
    with session(services.engine) as db:
        for ticket in db.exec(select(Escalation)).all():
            assert ticket.question == ERASED and ticket.resident_name == ERASED
            assert ticket.action in ("escalate", "suggest")


async def test_privacy_cli(db_url: str, tmp_path: Path) -> None:
    await two_residents_asked(db_url, Clock())
    config = tmp_path / "c.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    runner = CliRunner()
    exported = runner.invoke(
        app, ["privacy", "export", "--resident", "r2", "--config", str(config)]
    )
    assert (
        exported.exit_code == 0
        and "撬电动车" in json.loads(exported.output)["tickets"][0]["question"]
    )
    erased = runner.invoke(app, ["privacy", "erase", "--resident", "r2", "--config", str(config)])
    assert erased.exit_code == 0 and "1 ticket" in erased.output
    purged = runner.invoke(app, ["privacy", "purge", "--config", str(config)])
    assert purged.exit_code == 0 and "older than 180 days" in purged.output
