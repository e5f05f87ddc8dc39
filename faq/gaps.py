"""Group unanswered questions into clusters: the FAQ entries to write next.

Questions are compared by their keywords, weighted by jieba's TF-IDF (its IDF table knows
that 井盖 says more than 小区), so "小区门口的井盖松了" and "井盖松动了 谁来修" land together
while two questions sharing only 小区 do not.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

SIMILAR = 0.45  # shared keyword weight / the smaller question's keyword weight
KEYWORDS = 3


@dataclass
class Cluster:
    sample: str
    questions: list[str] = field(default_factory=list)
    keywords: dict[str, float] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        return len(self.questions)


def _keywords(text: str) -> dict[str, float]:
    import jieba
    import jieba.analyse

    jieba.setLogLevel(logging.WARNING)
    return dict(jieba.analyse.extract_tags(text, topK=KEYWORDS, withWeight=True))


def _similarity(a: dict[str, float], b: dict[str, float]) -> float:
    shared = sum(min(a[word], b[word]) for word in a.keys() & b.keys())
    smaller = min(sum(a.values()), sum(b.values()))
    return shared / smaller if smaller else 0.0


def cluster_questions(questions: Iterable[str], similar: float = SIMILAR) -> list[Cluster]:
    """Greedy single pass: each question joins the first cluster it is similar enough to."""
    clusters: list[Cluster] = []
    for question in questions:
        words = _keywords(question)
        for cluster in clusters:
            if _similarity(words, cluster.keywords) >= similar:
                cluster.questions.append(question)
                break
        else:
            clusters.append(Cluster(question, [question], words))
    return sorted(clusters, key=lambda c: c.size, reverse=True)
