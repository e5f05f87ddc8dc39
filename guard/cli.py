"""``jingmin guard``: check messages from stdin, or measure the guard on a labelled file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from guard.detect import check as check_text
from guard.eval import VERDICTS, EvalFileError, Report, evaluate, read_cases

app = typer.Typer(
    help="Scam-lure and personal-data guard: check messages, or evaluate on a labelled file.",
    no_args_is_help=True,
)

ExemptOption = Annotated[
    list[str] | None,
    typer.Option(
        "--exempt",
        help="A public phone number of the station (not personal data). Repeatable.",
    ),
]


def _exempt(values: list[str] | None) -> frozenset[str]:
    return frozenset("".join(ch for ch in v if ch.isdigit()) for v in values or [])


def _check_line(line: str, number: int, exempt: frozenset[str]) -> dict[str, Any]:
    """One output record for one input line; never raises."""
    if not line.strip():
        return {"line": number, "error": "blank line"}
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"line": number, "error": f"invalid JSON: {exc.msg}"}
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        return {"line": number, "error": 'expected an object with a string "text"'}
    text: str = raw["text"]
    result = check_text(text, exempt_numbers=exempt)
    return {
        "text": text,
        "verdict": result.verdict,
        "kind": result.kind,
        "label": result.label,
        "score": result.score,
    }


@app.command()
def check(exempt: ExemptOption = None) -> None:
    """Read JSON lines {"text": "..."} on stdin; write one JSON verdict line per input."""
    numbers = _exempt(exempt)
    for number, line in enumerate(sys.stdin, start=1):
        record = _check_line(line, number, numbers)
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _tally_table(title: str, rows: list[tuple[str, int, int, float]]) -> Table:
    table = Table(title=title)
    table.add_column("label")
    table.add_column("count", justify="right")
    table.add_column("correct", justify="right")
    table.add_column("%", justify="right")
    for name, count, correct, percent in rows:
        table.add_row(name, str(count), str(correct), f"{percent:.1f}")
    return table


def print_report(report: Report, console: Console) -> None:
    by_expect = [
        (name, t.count, t.correct, t.percent) for name, t in sorted(report.by_expect.items())
    ]
    console.print(_tally_table("By expected label", by_expect))
    by_kind = [
        (f"{expect} / {kind}", t.count, t.correct, t.percent)
        for (expect, kind), t in sorted(report.by_kind.items())
    ]
    console.print(_tally_table("By kind", by_kind))
    console.print(
        f"scam recall {report.scam_recall:.1f}%  ·  pii recall {report.pii_recall:.1f}%  ·  "
        f"false alarms on ok {report.false_alarm_rate:.1f}%  ·  {len(report.outcomes)} lines"
    )
    mistakes = report.mistakes
    if not mistakes:
        console.print("no mistakes")
        return
    table = Table(title=f"Mistakes ({len(mistakes)})")
    table.add_column("text", overflow="fold")
    table.add_column("expected")
    table.add_column("got")
    for o in mistakes:
        got = o.result.verdict + (f" / {o.result.kind}" if o.result.kind else "")
        table.add_row(o.case.text, f"{o.case.expect} / {o.case.kind}", got)
    console.print(table)


@app.command("eval")
def eval_file(
    file: Annotated[Path, typer.Argument(help="JSON lines: text, expect, kind.")],
    exempt: ExemptOption = None,
) -> None:
    """Measure the guard on a labelled file; print tables by label and kind, and mistakes."""
    try:
        examples = read_cases(file, VERDICTS)
    except EvalFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    print_report(evaluate(examples, exempt_numbers=_exempt(exempt)), Console())
