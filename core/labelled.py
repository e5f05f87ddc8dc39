"""Labelled JSON lines ``{"text": ..., "expect": ..., "kind": ...}`` used to score the
matcher (shared/eval/faq_dev.jsonl) and the guard (shared/eval/guard_dev.jsonl)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Case:
    text: str
    expect: str
    kind: str


class EvalFileError(Exception):
    """The file cannot be read or a line is not a labelled case."""


def parse_cases(
    lines: Iterable[str], source: str = "<input>", allowed: Collection[str] | None = None
) -> list[Case]:
    cases: list[Case] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalFileError(f"{source}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            raise EvalFileError(f"{source}:{number}: needs an object with a string 'text'")
        expect = raw.get("expect")
        if not isinstance(expect, str) or (allowed is not None and expect not in allowed):
            wanted = f" in {tuple(allowed)}" if allowed is not None else ""
            raise EvalFileError(f"{source}:{number}: needs 'expect'{wanted}")
        cases.append(Case(raw["text"], expect, str(raw.get("kind") or "-")))
    return cases


def read_cases(path: Path, allowed: Collection[str] | None = None) -> list[Case]:
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from None
    return parse_cases(content.splitlines(), str(path), allowed)
