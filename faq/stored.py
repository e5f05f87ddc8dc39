"""The knowledge base's rows in the database: topics mirrored for the console, and the
questions officers taught with 加入FAQ."""

from __future__ import annotations

import json

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.db import FaqEntry, LearnedQuestion, session
from faq.knowledge import FaqTopic
from faq.live import Taught


def sync_faq(db: Session, topics: tuple[FaqTopic, ...]) -> None:
    for topic in topics:
        row = db.get(FaqEntry, topic.id) or FaqEntry(id=topic.id, title="", answer="", source="")
        row.title, row.answer, row.source, row.file = (
            topic.title,
            topic.answer,
            topic.source,
            topic.file,
        )
        row.examples_json = json.dumps(topic.examples, ensure_ascii=False)
        row.aliases_json = json.dumps(topic.aliases, ensure_ascii=False)
        db.add(row)
    db.commit()


def taught_questions(engine: Engine) -> list[Taught]:
    with session(engine) as db:
        rows = db.exec(select(LearnedQuestion).order_by(col(LearnedQuestion.id))).all()
        return [Taught(r.id or 0, r.text_key, r.faq_id, r.answer) for r in rows]
