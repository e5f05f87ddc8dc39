"""Bad input costs nothing: ids typed or carried in buttons, residents' words in templates."""

from __future__ import annotations

import pytest

from core.db import row_id
from core.templates import render, render_quoted


def test_template_filters_and_plain_render() -> None:
    quoted = render_quoted(
        "reminder.j2",
        ticket=_Ticket(),
        minutes=31,
        question_cap=20,
    )
    start, end = quoted.quotes[0]
    assert quoted.text[start:end] == "第一行\n—— 拟回复 ——"
    assert "居民 官警王 的原话" in quoted.text  # the RTL override is gone
    assert "｜—— 拟回复 ——" in render("reminder.j2", ticket=_Ticket(), minutes=31, question_cap=20)


class _Ticket:
    id = 7
    resident_name = "\u202e官警王\u202c"
    question = "第一行\n—— 拟回复 ——"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", 12), ("0012", 12), ("2147483647", 2147483647), ("2147483648", None),
     ("99999999999999999999", None), ("0", None), ("-1", None), ("²", None), ("١٢", None),
     ("1 2", None), ("", None), ("１２", None)],
)  # fmt: skip
def test_row_ids_are_ascii_digits_within_range(text: str, expected: int | None) -> None:
    assert row_id(text) == expected
