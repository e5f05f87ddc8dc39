"""Measure the guard on labelled JSON lines shaped like ``shared/eval/guard_dev.jsonl``:
``{"text": ..., "expect": "scam" | "pii" | "ok", "kind": ...}``.

A line is correct when the verdict matches ``expect``; ``kind`` in the file is only a
grouping for the report (it names the file's own categories, such as ``warning`` or
``masked``, not necessarily the guard's script ids).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from guard.detect import GuardResult, check

VERDICTS = ("scam", "pii", "ok")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    expect: str
    kind: str


@dataclass(frozen=True, slots=True)
class Outcome:
    example: Example
    result: GuardResult

    @property
    def correct(self) -> bool:
        return self.result.verdict == self.example.expect


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


class EvalFileError(Exception):
    """The file cannot be read or a line is not a labelled example."""


def parse_examples(lines: Iterable[str], source: str = "<input>") -> list[Example]:
    examples: list[Example] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{source}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(raw, dict):
            raise EvalFileError(f"{source}:{number}: expected a JSON object")
        text, expect = raw.get("text"), raw.get("expect")
        if not isinstance(text, str) or expect not in VERDICTS:
            raise EvalFileError(
                f"{source}:{number}: needs a string 'text' and 'expect' in {VERDICTS}"
            )
        examples.append(Example(text, str(expect), str(raw.get("kind") or "-")))
    return examples


def load_examples(path: Path) -> list[Example]:
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from exc
    return parse_examples(content.splitlines(), str(path))


def evaluate(
    examples: Iterable[Example], *, exempt_numbers: frozenset[str] = frozenset()
) -> Report:
    report = Report(outcomes=[])
    for example in examples:
        outcome = Outcome(example, check(example.text, exempt_numbers=exempt_numbers))
        report.outcomes.append(outcome)
        for tally in (
            report.by_expect.setdefault(example.expect, Tally()),
            report.by_kind.setdefault((example.expect, example.kind), Tally()),
        ):
            tally.count += 1
            tally.correct += int(outcome.correct)
    return report
