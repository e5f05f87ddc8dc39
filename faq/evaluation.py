"""Score the matcher on labelled lines shaped like ``shared/eval/faq_dev.jsonl``."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.labelled import Case, EvalFileError, read_cases
from faq.matcher import Decision

__all__ = ["Case", "EvalFileError", "Report", "evaluate", "read_cases"]

NON_TOPIC = ("escalate", "ignore")


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    decision: Decision

    @property
    def correct(self) -> bool:
        d, expect = self.decision, self.case.expect
        if expect == "ignore":
            return d.action == "ignore"
        if expect == "escalate":
            return d.action in ("escalate", "suggest")
        return d.action == "answer" and d.faq_id == expect

    @property
    def wrong_answer(self) -> bool:
        d = self.decision
        return d.action == "answer" and (
            self.case.expect in NON_TOPIC or d.faq_id != self.case.expect
        )


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    def _share(self, expect: Callable[[str], bool], hit: Callable[[Outcome], bool]) -> float:
        chosen = [o for o in self.outcomes if expect(o.case.expect)]
        return sum(map(hit, chosen)) / len(chosen) if chosen else 1.0

    @property
    def topic_answered(self) -> float:
        return self._share(lambda e: e not in NON_TOPIC, lambda o: o.correct)

    @property
    def clarified(self) -> float:
        """Topic questions the bot asked about, offering the right topic among two."""
        return self._share(
            lambda e: e not in NON_TOPIC,
            lambda o: o.decision.action == "clarify" and o.case.expect in o.decision.choices,
        )

    @property
    def wrong_answers(self) -> float:
        return sum(o.wrong_answer for o in self.outcomes) / max(1, len(self.outcomes))

    @property
    def ignore_kept(self) -> float:
        return self._share(lambda e: e == "ignore", lambda o: o.correct)

    @property
    def escalate_caught(self) -> float:
        return self._share(lambda e: e == "escalate", lambda o: o.correct)

    def headline(self) -> dict[str, float]:
        return {
            "topic questions answered right (target >= 0.90)": self.topic_answered,
            "wrong answers / all messages (target <= 0.02)": self.wrong_answers,
            "ignore kept silent (target >= 0.95)": self.ignore_kept,
            "escalate escalated or suggested (target >= 0.85)": self.escalate_caught,
        }

    def meets_targets(self) -> bool:
        return (
            self.topic_answered >= 0.90
            and self.wrong_answers <= 0.02
            and self.ignore_kept >= 0.95
            and self.escalate_caught >= 0.85
        )

    def confusion(self) -> list[tuple[tuple[str, str], int]]:
        """(expected, what was done) for every mistake, most frequent first."""
        counts: dict[tuple[str, str], int] = {}
        for o in self.outcomes:
            if not o.correct:
                d = o.decision
                got = f"{d.action} {d.faq_id}" if d.faq_id and d.action != "escalate" else d.action
                counts[o.case.expect, got] = counts.get((o.case.expect, got), 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def groups(self, key: Callable[[Outcome], str]) -> list[tuple[str, int, int]]:
        counts: dict[str, list[int]] = {}
        for outcome in self.outcomes:
            row = counts.setdefault(key(outcome), [0, 0])
            row[0] += 1
            row[1] += outcome.correct
        return [(name, total, good) for name, (total, good) in sorted(counts.items())]


def evaluate(cases: Iterable[Case], decide: Callable[[str], Decision]) -> Report:
    return Report([Outcome(case, decide(case.text)) for case in cases])
