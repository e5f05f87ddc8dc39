"""Figures on the v15 class development set (``tests/unit/data/faq_classes_v15_*``): the
seven classes of issue 13's fifteenth blind set's misses, written from their descriptions,
with look-alikes. The tuning half's mistakes are printed with ``--mistakes``; the held-out
half is scored by its figures only and never tuned on.

    PYTHONPATH=. .venv/bin/python bench/faq_classes_v15.py [--mistakes] [--cache DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

from core.labelled import read_cases
from faq.evaluation import Report, evaluate
from faq.live import KnowledgeBase

DATA = Path(__file__).resolve().parent.parent / "tests/unit/data"


def show(name: str, report: Report) -> None:
    figures = report.headline().values()
    print(name + ": " + " / ".join(f"{x:.1%}" for x in figures), end="  ")
    total: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for outcome in report.outcomes:
        total[outcome.case.kind] += 1
        right[outcome.case.kind] += outcome.correct
    print(", ".join(f"{k} {right[k]}/{n}" for k, n in sorted(total.items())))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mistakes", action="store_true")
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    cache = args.cache or Path(tempfile.mkdtemp())
    knowledge = KnowledgeBase(None, cache_dir=cache)
    tune = evaluate(read_cases(DATA / "faq_classes_v15_tune.jsonl"), knowledge.decide)
    held = evaluate(read_cases(DATA / "faq_classes_v15_held.jsonl"), knowledge.decide)
    show("tune", tune)
    show("held", held)
    if args.mistakes:
        for o in tune.outcomes:
            if not o.correct:
                d = o.decision
                print(
                    f"  [{o.case.kind}] {o.case.expect} <- {d.action} {d.faq_id} {d.score}"
                    f" ({d.reason}): {o.case.text}"
                )


if __name__ == "__main__":
    main()
