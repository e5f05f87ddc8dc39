"""A personal-matter development set (tests/unit/data/personal_v17.jsonl, or the file named
as the first argument, e.g. personal_v25_dev.jsonl): personal data caught and false alarms,
tuned and held-out lines apart, by class; --misses lists the tuned lines it gets wrong
(never the held-out ones: those are not tuned on)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # not bench/: bench/guard.py

from guard.detect import check  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "unit" / "data"


def main() -> None:
    names = [a for a in sys.argv[1:] if not a.startswith("--")]
    dev = DATA / (names[0] if names else "personal_v17.jsonl")
    rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line]
    right: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    misses = []
    for r in rows:
        verdict = check(r["text"]).verdict
        key = (r["part"], r["class"])
        total[key] += 1
        if verdict == r["expect"]:
            right[key] += 1
        elif r["part"] == "tune":
            misses.append(f"{r['class']} {verdict}: {r['text']}")
    for part in ("tune", "held"):
        pii = [k for k in total if k[0] == part and k[1] != "n"]
        caught = sum(right[k] for k in pii)
        seen = sum(total[k] for k in pii)
        neg = (part, "n")
        alarms = total[neg] - right[neg]
        by = " ".join(f"c{k[1]} {right[k]}/{total[k]}" for k in sorted(pii))
        print(
            f"{part}: personal data {caught}/{seen} ({100 * caught / seen:.1f} %), "
            f"false alarms {alarms}/{total[neg]}; {by}"
        )
    if "--misses" in sys.argv:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
