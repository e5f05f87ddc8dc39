"""Residents' data: kept only as long as configured, exportable and erasable on request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, String, cast, literal, update
from sqlmodel import col, delete, or_, select

from core.db import (
    AnswerVote,
    AuditEntry,
    BotAnswer,
    Escalation,
    LureSighting,
    OutboxMessage,
    SeenUpdate,
    session,
)
from core.states import OutboxState

ERASED = "（已删除）"
FINISHED = (OutboxState.SENT, OutboxState.FAILED, OutboxState.UNKNOWN)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    tickets_reduced: int
    updates_forgotten: int


def purge_older_than(engine: Engine, now: datetime, days: int) -> PurgeReport:
    """Tickets older than ``days`` keep their outcome and FAQ id, not the words."""
    cutoff = now - timedelta(days=days)
    with session(engine) as db:
        old = db.exec(
            select(Escalation).where(Escalation.created_at < cutoff, Escalation.question != ERASED)
        ).all()
        for ticket in old:
            ticket.question, ticket.draft, ticket.answer = ERASED, None, None
            ticket.resident_name = ERASED
            db.add(ticket)
        forgotten = db.exec(delete(SeenUpdate).where(col(SeenUpdate.seen_at) < cutoff))
        db.exec(_finished_outbox().where(col(OutboxMessage.updated_at) < cutoff))
        # The bot's answers hold who asked and what; votes keep only their counts.
        db.exec(delete(BotAnswer).where(col(BotAnswer.created_at) < cutoff))
        _forget_voters(db, col(AnswerVote.at) < cutoff)
        # Lures seen in groups count only within the early warning's window.
        db.exec(delete(LureSighting).where(col(LureSighting.at) < cutoff))
        db.commit()
        return PurgeReport(len(old), int(forgotten.rowcount or 0))


def _finished_outbox() -> Any:
    """Outbox rows no longer to be sent (they hold the words and the resident's name)."""
    return delete(OutboxMessage).where(col(OutboxMessage.state).in_(FINISHED))


def _tickets(db: Any, resident_id: str, platform: str | None) -> list[Escalation]:
    query = select(Escalation).where(Escalation.resident_id == resident_id)
    if platform:
        query = query.where(Escalation.platform == platform)
    return list(db.exec(query.order_by(col(Escalation.id))).all())


def export_resident(
    engine: Engine, resident_id: str, platform: str | None = None
) -> dict[str, Any]:
    with session(engine) as db:
        tickets = _tickets(db, resident_id, platform)
        ids = [t.id for t in tickets]
        audit = db.exec(
            select(AuditEntry).where(
                or_(
                    col(AuditEntry.escalation_id).in_(ids),
                    AuditEntry.actor == f"resident:{resident_id}",
                )
            )
        ).all()
        return {
            "resident_id": resident_id,
            "tickets": [t.model_dump(mode="json") for t in tickets],
            "audit": [a.model_dump(mode="json") for a in audit],
            "answers": [
                a.model_dump(mode="json")
                for a in db.exec(select(BotAnswer).where(BotAnswer.resident_id == resident_id))
            ],
            "votes": [
                v.model_dump(mode="json")
                for v in db.exec(select(AnswerVote).where(AnswerVote.voter_id == resident_id))
            ],
        }


def erase_resident(engine: Engine, resident_id: str, platform: str | None = None) -> int:
    """Removes the resident's name, id and words from their tickets and the audit trail;
    the outcome (answered, by whom, when) stays, so the station's statistics still add up."""
    with session(engine) as db:
        tickets = _tickets(db, resident_id, platform)
        for ticket in tickets:
            ticket.resident_id = ticket.resident_name = ticket.question = ERASED
            ticket.draft = ticket.answer = None
            db.add(ticket)
        for entry in db.exec(
            select(AuditEntry).where(AuditEntry.actor == f"resident:{resident_id}")
        ):
            entry.actor, entry.detail = f"resident:{ERASED}", ""
            db.add(entry)
        # Answers to them already sent (or given up): their text and the resident's name.
        ids = [t.id for t in tickets]
        db.exec(_finished_outbox().where(col(OutboxMessage.ticket_id).in_(ids)))
        answers = delete(BotAnswer).where(col(BotAnswer.resident_id) == resident_id)
        if platform:
            answers = answers.where(col(BotAnswer.platform) == platform)
        db.exec(answers)
        _forget_voters(db, col(AnswerVote.voter_id) == resident_id)
        db.commit()
        return len(tickets)


def _forget_voters(db: Any, which: Any) -> None:
    """Votes matching ``which`` stay counted but no longer say whose they were (each gets
    an id of its own: one vote per voter and answer is a unique key)."""
    anonymous = literal(ERASED) + cast(AnswerVote.id, String)
    db.exec(
        update(AnswerVote)
        .where(which, col(AnswerVote.voter_id).not_like(f"{ERASED}%"))
        .values(voter_id=anonymous)
    )
