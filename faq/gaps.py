"""Group unanswered questions into clusters: the FAQ entries to write next."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from faq.text import question_key

SIMILAR = 0.3  # Jaccard overlap of character pairs that makes two questions one cluster


@dataclass
class Cluster:
    sample: str
    questions: list[str] = field(default_factory=list)
    _pairs: set[str] = field(default_factory=set, repr=False)

    @property
    def size(self) -> int:
        return len(self.questions)


def _pairs(text: str) -> set[str]:
    key = question_key(text)
    return {key[i : i + 2] for i in range(len(key) - 1)} or {key}


def cluster_questions(questions: Iterable[str], similar: float = SIMILAR) -> list[Cluster]:
    """Greedy single pass: each question joins the first cluster it overlaps enough."""
    clusters: list[Cluster] = []
    for question in questions:
        pairs = _pairs(question)
        for cluster in clusters:
            union = len(pairs | cluster._pairs)
            if union and len(pairs & cluster._pairs) / union >= similar:
                cluster.questions.append(question)
                break
        else:
            clusters.append(Cluster(question, [question], pairs))
    return sorted(clusters, key=lambda c: c.size, reverse=True)
