"""Measure the guard on labelled JSON lines shaped like ``shared/eval/guard_dev.jsonl``:
``{"text": ..., "expect": "scam" | "pii" | "ok", "kind": ...}``.

A line is correct when the verdict matches ``expect``; ``kind`` in the file is only a
grouping for the report (it names the file's own categories, such as ``warning`` or
``masked``, not necessarily the guard's script ids).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from core.labelled import Case, EvalFileError, read_cases
from guard.detect import GuardResult, check

VERDICTS = ("scam", "pii", "ok")
__all__ = ["VERDICTS", "Case", "EvalFileError", "Report", "evaluate", "read_cases"]


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    result: GuardResult

    @property
    def correct(self) -> bool:
        return self.result.verdict == self.case.expect


@dataclass(slots=True)
class Tally:
    count: int = 0
    correct: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.count if self.count else 0.0


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome]
    by_expect: dict[str, Tally] = field(default_factory=dict)
    by_kind: dict[tuple[str, str], Tally] = field(default_factory=dict)

    def _rate(self, expect: str) -> float:
        tally = self.by_expect.get(expect)
        return tally.percent if tally else 0.0

    @property
    def scam_recall(self) -> float:
        return self._rate("scam")

    @property
    def pii_recall(self) -> float:
        return self._rate("pii")

    @property
    def false_alarm_rate(self) -> float:
        """Share of ``ok`` lines that got a scam or pii verdict, in percent."""
        tally = self.by_expect.get("ok")
        return 100.0 - tally.percent if tally and tally.count else 0.0

    @property
    def mistakes(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]


def evaluate(cases: Iterable[Case], *, exempt_numbers: frozenset[str] = frozenset()) -> Report:
    report = Report(outcomes=[])
    for case in cases:
        outcome = Outcome(case, check(case.text, exempt_numbers=exempt_numbers))
        report.outcomes.append(outcome)
        for tally in (
            report.by_expect.setdefault(case.expect, Tally()),
            report.by_kind.setdefault((case.expect, case.kind), Tally()),
        ):
            tally.count += 1
            tally.correct += int(outcome.correct)
    return report
