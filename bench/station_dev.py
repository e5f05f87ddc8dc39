"""Figures on the station development set (``tests/unit/data/station_dev``): six topics a
station might write (no patterns), with questions, chatter and the resident's own
incidents on each, and ten questions an officer taught with three paraphrases each.

This set is for development: look at its lines and its mistakes freely. It is not a blind
set; the blind ones (``tests/data/faq_station_topics*``, ``faq_taught*``) are measured by
the tests only.

    PYTHONPATH=. .venv/bin/python bench/station_dev.py [--mistakes] [--cache DIR]

Prints, for the station topics: questions answered right, wrong answers among all
messages, chatter kept silent, incidents escalated (and how many with the station's
answer drafted for the officer), by kind of question; for the taught questions: answered
with the taught answer, drafted for the officer, answered with another topic.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from core.labelled import read_cases
from faq.evaluation import evaluate
from faq.live import TAUGHT_PREFIX, KnowledgeBase, Taught

DATA = Path(__file__).resolve().parent.parent / "tests/unit/data/station_dev"


def station(cache: Path, mistakes: bool) -> None:
    knowledge = KnowledgeBase(DATA / "topics", cache_dir=cache)
    rows = [json.loads(line) for line in (DATA / "questions.jsonl").open(encoding="utf-8")]
    report = evaluate(read_cases(DATA / "questions.jsonl"), knowledge.decide)
    drafted = sum(
        o.decision.action in ("escalate", "suggest") and o.decision.faq_id == row["topic"]
        for o, row in zip(report.outcomes, rows, strict=True)
        if row["expect"] == "escalate"
    )
    incidents = sum(row["expect"] == "escalate" for row in rows)
    figures = (report.topic_answered, report.wrong_answers, report.ignore_kept)
    answered, wrong, silent = (f"{x:.1%}" for x in figures)
    print(
        f"station topics: right {answered}  wrong {wrong}  silent {silent}  "
        f"caught {report.escalate_caught:.1%}  drafted {drafted}/{incidents}"
    )
    by_kind: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for outcome in report.outcomes:
        if outcome.case.expect not in ("ignore", "escalate"):
            by_kind[outcome.case.kind] += 1
            right[outcome.case.kind] += outcome.correct
    print("  by kind: " + ", ".join(f"{k} {right[k]}/{n}" for k, n in sorted(by_kind.items())))
    if mistakes:
        for outcome, row in zip(report.outcomes, rows, strict=True):
            d = outcome.decision
            draft_missing = row["expect"] == "escalate" and d.faq_id != row["topic"]
            if not outcome.correct or draft_missing:
                mark = "  " if outcome.correct else "X "
                print(
                    f"  {mark}{row['expect']:<20} {d.action:<8} {d.faq_id or '-':<20} "
                    f"{d.score:.2f} {d.reason[:18]:<18} {row['text']}"
                )


def taught(cache: Path, mistakes: bool) -> None:
    lines = (DATA / "taught.jsonl").read_text(encoding="utf-8").splitlines()
    questions = tuple(
        Taught(row["id"], row["question"], answer=row["answer"]) for row in map(json.loads, lines)
    )
    knowledge = KnowledgeBase(taught=lambda: questions, cache_dir=cache)
    counts: Counter[str] = Counter()
    paraphrases = (DATA / "paraphrases.jsonl").read_text(encoding="utf-8").splitlines()
    for row in map(json.loads, paraphrases):
        d = knowledge.decide(row["text"])
        want = f"{TAUGHT_PREFIX}{row['id']}"
        if d.action == "answer":
            got = "taught answer" if d.faq_id == want else "another answer"
        elif d.faq_id == want and d.action in ("suggest", "escalate", "clarify"):
            got = "drafted"
        else:
            got = "nothing"
        counts[got] += 1
        if mistakes and got != "taught answer":
            print(
                f"  {want:<10} {got:<15} {d.action:<8} {d.faq_id or '-':<20} "
                f"{d.score:.2f} {row['text']}"
            )
    kinds = ("taught answer", "drafted", "another answer", "nothing")
    print("taught: " + ", ".join(f"{k} {counts[k]}" for k in kinds) + f" of {sum(counts.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--mistakes", action="store_true", help="print every miss")
    parser.add_argument("--cache", type=Path, help="model cache (default: a fresh folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as fresh:
        cache = args.cache or Path(fresh)
        station(cache, args.mistakes)
        taught(cache, args.mistakes)


if __name__ == "__main__":
    main()
