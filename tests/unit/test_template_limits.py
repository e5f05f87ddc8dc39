"""Admin-written templates cost nothing (issue 21): every payload refused clearly, fast.

Broadcast templates are checked by ``validate_template`` (at ``broadcast add``), FAQ
answers by ``parse_topic`` (at load, which with ``[faq] topics_dir`` is the bot's start).
Each payload must be refused with a message that says why, in under a second of this
thread's CPU time, and never as TypeError, RecursionError or a hang. CPU time, as the
sandbox's own deadline: on a busy machine a wall clock measures the neighbours.
"""

from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest
from jinja2 import TemplateError

from broadcasts.render import (
    SAMPLE_STATION,
    TemplateProblem,
    render_template,
    rotation_source,
    validate_template,
)
from core.sandbox import MAX_DEPTH, LimitedSandbox
from faq.knowledge import FaqError, check_answers, parse_topic

NESTED_RANGE = "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
APPEND_LOOP = (
    "{% set items = [] %}{% for i in range(100000) %}{% for j in range(100000) %}"
    "{% set _ = items.append(j) %}{% endfor %}{% endfor %}{{ items|length }}"
)
RECURSIVE_MACRO = "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}"
EXPONENTIAL_MACRO = (
    "{% macro m(n) %}{% if n < 19 %}{{ m(n + 1) }}{{ m(n + 1) }}{% endif %}x{% endmacro %}"
    "{{ m(0) }}"
)
DOUBLING = (
    "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s|length }}"
)
SET_BLOCK = (
    "{% set big %}{% for i in range(100000) %}" + "很长" * 2000 + "{% endfor %}{% endset %}"
    "{{ big|length }}"
)
STRING_LOOPS = (
    "{% set s = 'x' * 4000 %}{% for a in s %}{% for b in s %}{% for c in s %}.{% endfor %}"
    "{% endfor %}{% endfor %}"
)

# (payload, what the refusal says)
PAYLOADS = [
    pytest.param(NESTED_RANGE, "too much work", id="nested-range"),
    pytest.param(APPEND_LOOP, "", id="append-loop"),
    pytest.param(RECURSIVE_MACRO, f"more than {MAX_DEPTH} deep", id="recursive-macro"),
    pytest.param(EXPONENTIAL_MACRO, "", id="exponential-macro"),
    pytest.param("{% import 'x.j2' as x %}", "{% import %} is not allowed", id="import"),
    pytest.param("{% from 'x.j2' import y %}", "import %} is not allowed", id="from-import"),
    pytest.param("{% include 'x.j2' %}", "{% include %} is not allowed", id="include"),
    pytest.param("{% extends 'x.j2' %}", "{% extends %} is not allowed", id="extends"),
    pytest.param("{{ 'x' * 1000000000 }}", "would build a value", id="string-times"),
    pytest.param("{{ [0] * 1000000000 }}", "would build a value", id="list-times"),
    pytest.param("{{ 99 ** 99 ** 99 }}", "too large", id="power"),
    pytest.param(DOUBLING, "builds a value", id="concat-doubling"),
    pytest.param(SET_BLOCK, "too much text", id="set-block"),
    pytest.param(STRING_LOOPS, "too much work", id="string-loops"),
    pytest.param("{{ 'x'|center(1000000000) }}", "would build", id="center"),
    pytest.param("{{ ('x' * 90000)|replace('', 'y' * 90000) }}", "would build", id="replace"),
    pytest.param("{{ '{:>999999999}'.format(1) }}", "would build", id="format-width"),
    pytest.param("{{ '%0999999999d' % 1 }}", "would build", id="percent-width"),
    pytest.param("{{ range(90000)|join('y' * 90000) }}", "would build", id="join"),
    pytest.param("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", "recursive", id="rec"),
    pytest.param("{{ ''|xmlattr }}", "xmlattr", id="unknown-filter"),
]


def _refused_quickly(check: object, source: str, problem: str, error: type[Exception]) -> str:
    started = time.thread_time()
    with pytest.raises(error) as caught:
        check(source)  # type: ignore[operator]
    elapsed = time.thread_time() - started
    assert elapsed < 1.0, f"refused after {elapsed:.2f} s"
    message = str(caught.value)
    assert problem in message
    return message


@pytest.mark.parametrize(("source", "problem"), PAYLOADS)
def test_broadcast_payloads_are_refused_at_save_in_under_a_second(
    source: str, problem: str
) -> None:
    _refused_quickly(validate_template, source, problem, TemplateProblem)


@pytest.mark.parametrize(("source", "problem"), PAYLOADS)
def test_faq_answer_payloads_are_refused_at_load_in_under_a_second(
    source: str, problem: str
) -> None:
    topic = {
        "id": "bad",
        "title": "坏模板",
        "aliases": ["坏"],
        "examples": ["坏模板怎么办"],
        "source": "测试",
        "answer": source,
    }
    message = _refused_quickly(lambda s: parse_topic(topic, "bad.toml"), source, problem, FaqError)
    assert message.startswith("FAQ entry bad.toml: bad answer template")


@pytest.mark.parametrize("weekday", range(7))
def test_a_template_that_breaks_on_one_weekday_is_refused_at_save(weekday: int) -> None:
    source = f"{{% if today.weekday() == {weekday} %}}{{{{ nope }}}}{{% else %}}好{{% endif %}}"
    day = date(2026, 1, 5) + timedelta(days=weekday)
    with pytest.raises(TemplateProblem, match=re.escape(f"on {day:%A}")):
        validate_template(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% if today.month == 12 and today.day == 31 %}{{ 1 // 0 }}{% endif %}年末好",
        "{% if today.day == 29 and today.month == 2 %}{{ nope }}{% endif %}闰年好",
        "{{ station.address[0] }}",  # a station with only the required fields
        "{% if week_index % 53 == 7 %}{{ nope }}{% endif %}好",
    ],
)
def test_branches_on_dates_and_stations_are_checked(source: str) -> None:
    with pytest.raises(TemplateProblem):
        validate_template(source)


def test_library_rotation_still_validates_quickly() -> None:
    started = time.thread_time()
    validate_template(rotation_source())
    assert time.thread_time() - started < 1.0


def test_ordinary_templates_render_unchanged() -> None:
    source = (
        "{% for word in ['一', '二'] %}{{ loop.index }}{{ word }}{% endfor %}"
        "{{ station.name ~ '：' ~ tip }}{{ '%02d' % today.month }}{{ ', '.join(['a', 'b']) }}"
        "{{ range(3)|join('-') }}{{ '{}号'.format(today.day) }}"
    )
    text = render_template(source, SAMPLE_STATION, date(2026, 3, 2))
    assert text.startswith("1一2二兴庆派出所：")
    assert text.endswith("03a, b0-1-22号")


def test_send_time_render_is_bounded_too() -> None:
    env = LimitedSandbox()
    started = time.thread_time()
    with pytest.raises(TemplateError, match=r"too much work|too long"):
        env.from_string(NESTED_RANGE).render()
    assert time.thread_time() - started < 0.5


class SlowStation:
    """A station whose name takes wall time but no CPU, as when another thread holds the GIL."""

    @property
    def name(self) -> str:
        time.sleep(0.005)
        return "所"


def test_a_busy_machine_does_not_refuse_an_ordinary_template() -> None:
    source = "{% for i in range(100) %}{{ station.name }}{% endfor %}"  # half a second's wait
    assert LimitedSandbox().from_string(source).render(station=SlowStation()) == "所" * 100


def test_faq_answers_are_checked_for_every_configured_station() -> None:
    topic = parse_topic(
        {
            "id": "t",
            "title": "标题",
            "aliases": ["别名"],
            "examples": ["例句"],
            "source": "依据",
            "answer": "{% if station.name == '银湖派出所' %}{{ nope }}{% endif %}请来",
        },
        "t.toml",
    )
    fine = {"name": "兴庆派出所", "address": "", "phone": "0951-1", "hours": ""}
    check_answers([topic], [fine])
    with pytest.raises(FaqError, match="for 银湖派出所: 'nope' is undefined"):
        check_answers([topic], [fine, fine | {"name": "银湖派出所"}])


def test_big_numbers_that_are_not_widths_are_fine() -> None:
    source = (
        "{% set ns = namespace(total=1000000) %}{{ ns.total }} {{ 12345678|string }} "
        "{{ dict(a=2000000).a }} {{ '{:,}'.format(1234567) }}"
    )
    text = render_template(source, SAMPLE_STATION, date(2026, 3, 2))
    assert text == "1000000 12345678 2000000 1,234,567"
