"""Choose the personal-matter model's strength and threshold (``guard.personal``) on its
training data only.

Five-fold cross-validation over everything the model learns from (the personal corpus,
the lure corpus and the FAQ's everyday text as "ok"): each line is read by a model that
never saw it. For each strength and threshold: the personal lines caught (read as
``guard.personal`` decides: a person and a matter seen, and the probability at or above
the threshold), false alarms on the personal corpus's hard negatives (the same matters
said of no one, of the writer, in the news; the same people in everyday talk) and on the
other text. Chosen: the most caught with hard negatives at 1 % or fewer and other text at
0.25 % or fewer; of equals, the fewer hard false alarms, then the higher threshold. No
evaluation set is read.

    .venv/bin/python bench/personal_cv.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # not bench/: bench/guard.py

from guard import personal  # noqa: E402

FOLDS = 5
SEED = 7
STRENGTHS = (2.0, 4.0, 8.0, 16.0)
THRESHOLDS = (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9)
HARD_CAP = 0.01
OTHER_CAP = 0.0025


def main() -> None:
    own = personal.read_corpus()
    examples = personal.training_examples()
    mine = len(own)  # training_examples() puts the personal corpus first
    order = list(range(len(examples)))
    random.Random(SEED).shuffle(order)
    fold = {i: n % FOLDS for n, i in enumerate(order)}
    seen = [personal.seen(e.text) for e in examples]
    best: tuple[float, float, float, float] | None = None
    for strength in STRENGTHS:
        p = [0.0] * len(examples)
        for k in range(FOLDS):
            train = [e for i, e in enumerate(examples) if fold[i] != k]
            model = personal.PersonalModel(personal.train(train, strength))
            for i, e in enumerate(examples):
                if fold[i] == k:
                    p[i] = model.probability(e.text, seen[i])
        pii = [i for i in range(mine) if examples[i].label == "pii"]
        hard = [i for i in range(mine) if examples[i].label == "ok"]
        other = range(mine, len(examples))
        for t in THRESHOLDS:
            caught = sum(p[i] >= t for i in pii) / len(pii)
            hard_fa = sum(p[i] >= t for i in hard) / len(hard)
            other_fa = sum(p[i] >= t for i in other) / len(other)
            print(
                f"C={strength} t={t}: caught {100 * caught:.1f} % of {len(pii)}, "
                f"hard negatives {100 * hard_fa:.2f} % of {len(hard)}, "
                f"other text {100 * other_fa:.3f} % of {len(other)}",
                flush=True,
            )
            if hard_fa <= HARD_CAP and other_fa <= OTHER_CAP:
                key = (caught, t, strength, hard_fa)
                if best is None or (caught, -hard_fa, t) > (best[0], -best[3], best[1]):
                    best = key
    if best is not None:
        caught, t, strength, hard_fa = best
        print(f"chosen: C={strength} threshold={t} ({100 * caught:.1f} % caught)")
    else:
        print("no setting within the caps")


if __name__ == "__main__":
    main()
