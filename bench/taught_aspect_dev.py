"""Figures on the taught-aspect development set (``tests/unit/data/taught_aspect_dev``):
30 questions an officer taught on this station's practicalities of a shipped topic (which
window, appointment, Saturdays, photo, posting, payment, parking…), three paraphrases each,
and general questions on the shipped topics near them, which must keep the shipped answer.
Taught ids marked ``held`` are held out: never tuned on.

This set is for development: look at its lines and its mistakes freely.

    PYTHONPATH=. .venv/bin/python bench/taught_aspect_dev.py [--mistakes] [--cache DIR]

Prints, for the paraphrases (tuned and held out): answered with the taught answer, drafted
for the officer (the taught answer as the draft), answered with another taught answer,
answered with a shipped topic, nothing; for the general questions: answered with their
shipped topic, answered with a taught answer (wrong), the rest.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from pathlib import Path

from faq.live import TAUGHT_PREFIX, KnowledgeBase, Taught

DATA = Path(__file__).resolve().parent.parent / "tests/unit/data/taught_aspect_dev"


def rows(name: str) -> list[dict[str, object]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def outcome(action: str, faq_id: str | None, want: str) -> str:
    if action == "answer" and faq_id == want:
        return "taught"
    if faq_id == want:
        return "drafted"
    if action == "answer" and (faq_id or "").startswith(TAUGHT_PREFIX):
        return "other-taught"
    if action == "answer":
        return "shipped"
    return "nothing"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mistakes", action="store_true")
    parser.add_argument("--cache", type=Path)
    args = parser.parse_args()
    taught_rows = rows("taught.jsonl")
    held = {int(str(r["id"])) for r in taught_rows if r["held"]}
    taught = tuple(
        Taught(int(str(r["id"])), str(r["question"]), answer=str(r["answer"])) for r in taught_rows
    )
    with tempfile.TemporaryDirectory() as scratch:
        cache = args.cache or Path(scratch)
        knowledge = KnowledgeBase(taught=lambda: taught, cache_dir=cache)
        counts = {"tuned": Counter[str](), "held": Counter[str]()}
        for p in rows("paraphrases.jsonl"):
            n = int(str(p["id"]))
            d = knowledge.decide(str(p["text"]))
            got = outcome(d.action, d.faq_id, f"{TAUGHT_PREFIX}{n}")
            counts["held" if n in held else "tuned"][got] += 1
            if args.mistakes and got != "taught":
                print(
                    f"  {'H' if n in held else 'T'} {n:2} {got:12} {d.action} {d.faq_id} "
                    f"{d.score:.2f} {p['text']}"
                )
        general: Counter[str] = Counter()
        for g in rows("general.jsonl"):
            d = knowledge.decide(str(g["text"]))
            if d.action == "answer" and d.faq_id == g["topic"]:
                got = "shipped"
            elif d.action == "answer" and (d.faq_id or "").startswith(TAUGHT_PREFIX):
                got = "taught(wrong)"
            else:
                got = "other"
            general[got] += 1
            if args.mistakes and got != "shipped":
                print(
                    f"  G {got:13} {d.action} {d.faq_id} {d.score:.2f} {g['text']}"
                    f" (want {g['topic']})"
                )
        wrongly = 0
        for o in rows("other.jsonl"):
            d = knowledge.decide(str(o["text"]))
            taught_answer = d.action == "answer" and (d.faq_id or "").startswith(TAUGHT_PREFIX)
            wrongly += taught_answer
            if args.mistakes and taught_answer:
                print(f"  O {d.faq_id} {d.score:.2f} {o['text']}")
    kinds = ("taught", "drafted", "other-taught", "shipped", "nothing")
    for name, c in counts.items():
        total = sum(c.values())
        print(f"{name:5} ({total}): " + "  ".join(f"{k} {c[k]}" for k in kinds))
    total = sum(general.values())
    print(
        f"general ({total}): "
        + "  ".join(f"{k} {general[k]}" for k in ("shipped", "taught(wrong)", "other"))
    )
    print(f"other ({len(rows('other.jsonl'))}): answered with a taught answer {wrongly}")


if __name__ == "__main__":
    main()
