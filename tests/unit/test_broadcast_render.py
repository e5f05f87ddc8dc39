"""The library of anti-fraud warnings and template validation (bad ones refused at save)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from broadcasts.render import (
    MAX_LENGTH,
    SAMPLE_STATION,
    StationInfo,
    TemplateProblem,
    library,
    library_template,
    render_template,
    rotation_source,
    tip_of_the_day,
    tips,
    validate_template,
)

SCRIPTS = [
    "冒充电商/物流客服退款",
    "刷单返利",
    "冒充医保/社保",
    "冒充公检法",
    "虚假贷款",
    "网络婚恋交友/杀猪盘",
    "虚假投资理财",
    "冒充领导熟人",
    "游戏装备/账号交易",
    "虚假征信/注销校园贷",
]
STATION = StationInfo("xq", "兴庆派出所", "0951-6000000")
DAY = date(2026, 3, 2)


def test_the_library_covers_the_common_scripts() -> None:
    titles = [t.title for t in library()]
    assert len(titles) >= 10
    for script in SCRIPTS:
        assert script in titles


@pytest.mark.parametrize("item", library(), ids=lambda t: t.key)
def test_each_warning_is_short_concrete_and_ends_with_where_to_turn(item) -> None:  # type: ignore[no-untyped-def]
    text = render_template(item.source, STATION, DAY)
    lines = text.splitlines()
    assert len(text) <= 300
    assert "骗子" in text  # the script the fraudster uses ...
    assert "千万不要" in text  # ... and the one thing never to do
    assert "兴庆派出所" in text and "0951-6000000" in text
    assert "3月2日" in text and tip_of_the_day(DAY) in text
    last = lines[-1]
    assert "96110" in last and re.search(r"(?<!9)110", last) and last.endswith("国家反诈中心App。")


def test_rotation_shows_each_warning_once_in_as_many_weeks() -> None:
    source = rotation_source()
    seen = set()
    for week in range(len(library())):
        text = render_template(source, STATION, DAY + timedelta(weeks=week))
        seen.add(text.splitlines()[0].split("】", 1)[1])
    assert len(seen) == len(library())
    validate_template(source)


def test_tip_of_the_day_rotates_by_date_and_is_stable() -> None:
    assert tip_of_the_day(DAY) == tip_of_the_day(DAY)
    assert len({tip_of_the_day(DAY + timedelta(days=n)) for n in range(len(tips()))}) == len(tips())


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("{% if %}", "syntax error on line 1"),
        ("您好 {{ station.nmae }}", "cannot be rendered"),
        ("{{ resident }}", "'resident' is undefined"),
        ("{{ ''.__class__.__mro__ }}", "unsafe"),
        ("   ", "empty"),
        ("{% if false %}x{% endif %}", "empty message"),
        ("{{ '很长' * 3000 }}", f"one message holds {MAX_LENGTH}"),
        ("{{ 1 // 0 }}", "ZeroDivisionError"),
        # A rotation branch that only a later week reaches is still checked.
        ("{% if week_index % 5 == 4 %}{{ nope }}{% else %}ok{% endif %}", "'nope' is undefined"),
    ],
)
def test_bad_templates_are_refused_when_saved(source: str, problem: str) -> None:
    with pytest.raises(TemplateProblem, match=re.escape(problem)):
        validate_template(source)


def test_a_good_template_validates_to_a_sample() -> None:
    sample = validate_template(
        "{{ station.name }}：{{ tip }}（{{ today.month }}月{{ today.day }}日）"
    )
    assert sample.startswith(SAMPLE_STATION.name)


def test_library_lookup() -> None:
    assert library_template("fraud_04_police").title == "冒充公检法"
    assert library_template("04_police").key == "fraud_04_police"
    with pytest.raises(TemplateProblem, match="no library template"):
        library_template("fraud_99")
