"""Campaign templates: the library, the tip of the day, validation and rendering.

A campaign's text is a jinja2 template kept in its database row, rendered in a sandbox
with ``StrictUndefined``. It may use:

- ``station``: ``name``, ``phone``, ``address``, ``hours`` of the group's station;
- ``today``: the slot's date in the configured time zone (``today.month``, ``today.day``);
- ``tip``: the tip of the day from ``broadcasts/tips.toml`` (same for everyone that day);
- ``week_index``: whole weeks since 0001-01-01, for rotations (``week_index % 12``).

A template is checked when it is saved (``validate_template``): it must compile and
render for every day of 53 weeks and a leap day (so every branch on the weekday, the
month, the day or the rotation runs), for a sample station and for one with only the
required fields, be non-empty and fit in one Telegram message (in a media caption, when
the campaign carries a picture or video: ``max_length``). A bad template is refused
at ``add``, never discovered at send time. The sandbox (``core.sandbox``) bounds the work:
no other templates; bounded loops, recursion and sizes; the whole check gets
``CHECK_SECONDS``, a send-time render ``core.sandbox.RENDER_SECONDS``. The text is
rendered once per station per slot, not per group.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateError, TemplateSyntaxError

from core.sandbox import LimitedSandbox, limits

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
TIPS_FILE = HERE / "tips.toml"
LIBRARY_PREFIX = "fraud_"
MAX_LENGTH = 4096  # one Telegram message
CHECK_SECONDS = 0.8  # every render of the save-time check together
CHECK_DAYS = 7 * 53  # every weekday of every week of a rotation of up to 53 weeks
LEAP_DAY = date(2028, 2, 29)  # the one day of the year a year from now may not have


class TemplateProblem(ValueError):
    """A campaign template that cannot be used; the message says why, in plain words."""


class TooLong(TemplateProblem):
    """A rendering longer than the message (or a media caption) holds."""

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"template renders to {length} characters; one message holds {limit}")
        self.length, self.limit = length, limit


@dataclass(frozen=True, slots=True)
class StationInfo:
    id: str
    name: str
    phone: str
    address: str = ""
    hours: str = ""


SAMPLE_STATION = StationInfo(
    id="sample",
    name="兴庆派出所",
    phone="0951-6000000",
    address="银川市兴庆区解放东街1号",
    hours="周一至周五 8:30-12:00、14:30-18:00",
)
# A station with only the required fields: a template must not depend on the others.
BARE_STATION = StationInfo(id="bare", name="示例派出所", phone="0951-6000001")


@dataclass(frozen=True, slots=True)
class LibraryTemplate:
    key: str  # file name without .j2, e.g. "fraud_04_police"
    title: str  # from the leading {# ... #} comment
    source: str


@cache
def _environment() -> LimitedSandbox:
    return LimitedSandbox(trim_blocks=True, lstrip_blocks=True)


@cache
def tips() -> tuple[str, ...]:
    with TIPS_FILE.open("rb") as handle:
        data = tomllib.load(handle)
    found = tuple(str(t).strip() for t in data.get("tips", ()) if str(t).strip())
    if not found:
        raise TemplateProblem(f"{TIPS_FILE} has no tips")
    return found


def tip_of_the_day(day: date) -> str:
    all_tips = tips()
    return all_tips[day.toordinal() % len(all_tips)]


def week_index(day: date) -> int:
    return day.toordinal() // 7


def template_values(station: StationInfo, day: date) -> dict[str, Any]:
    return {
        "station": station,
        "today": day,
        "tip": tip_of_the_day(day),
        "week_index": week_index(day),
    }


def compile_template(source: str) -> Template:
    try:
        return _environment().from_string(source)
    except TemplateSyntaxError as error:
        raise TemplateProblem(
            f"template syntax error on line {error.lineno}: {error.message}"
        ) from None


def render_template(
    template: Template | str, station: StationInfo, day: date, *, max_length: int = MAX_LENGTH
) -> str:
    compiled = compile_template(template) if isinstance(template, str) else template
    try:
        text = compiled.render(**template_values(station, day)).strip()
    except TemplateError as error:  # UndefinedError, SecurityError, ...
        raise TemplateProblem(f"template cannot be rendered: {error}") from None
    except Exception as error:  # e.g. a ZeroDivisionError inside the template
        raise TemplateProblem(f"template failed: {type(error).__name__}: {error}") from None
    if not text:
        raise TemplateProblem("template renders to an empty message")
    if len(text) > max_length:
        raise TooLong(len(text), max_length)
    return text


def validate_template(
    source: str, *, start: date | None = None, max_length: int = MAX_LENGTH
) -> str:
    """Refuse a template that would fail at send time; returns a sample rendering.

    Renders every day of ``CHECK_DAYS`` for both sample stations under one budget, so a
    template that fails on one weekday, or is slow, is refused now, in under a second.
    """
    if not source.strip():
        raise TemplateProblem("the template is empty")
    compiled = compile_template(source)
    first = start or date(2026, 1, 5)
    sample = ""
    with limits(CHECK_SECONDS):
        days = [first + timedelta(days=offset) for offset in range(CHECK_DAYS)]
        for day in [*days, LEAP_DAY]:
            for station in (SAMPLE_STATION, BARE_STATION):
                try:
                    text = render_template(compiled, station, day, max_length=max_length)
                except TooLong:
                    raise
                except TemplateProblem as problem:
                    raise TemplateProblem(
                        f"{problem} (on {day:%A %Y-%m-%d} for a station like {station.id!r})"
                    ) from None
                sample = sample or text
    return sample


@cache
def library() -> tuple[LibraryTemplate, ...]:
    """The anti-fraud warnings shipped in ``broadcasts/templates/fraud_*.j2``, in order."""
    found = []
    for path in sorted(TEMPLATES.glob(f"{LIBRARY_PREFIX}*.j2")):
        source = path.read_text(encoding="utf-8")
        first = source.lstrip().splitlines()[0] if source.strip() else ""
        title = first.removeprefix("{#").removesuffix("#}").strip() if first else path.stem
        found.append(LibraryTemplate(path.stem, title or path.stem, source))
    return tuple(found)


def library_template(key: str) -> LibraryTemplate:
    for item in library():
        if key in (item.key, item.key.removeprefix(LIBRARY_PREFIX)):
            return item
    known = ", ".join(t.key for t in library())
    raise TemplateProblem(f"no library template {key!r} (known: {known})")


def rotation_source(items: tuple[LibraryTemplate, ...] | None = None) -> str:
    """One template that shows a different library warning each week, in turn."""
    chosen = items if items is not None else library()
    if not chosen:
        raise TemplateProblem("the rotation needs at least one template")
    parts = [
        f"{{# 每周轮换：{len(chosen)} 条反诈提醒 #}}",
        f"{{% set n = week_index % {len(chosen)} %}}",
    ]
    for index, item in enumerate(chosen):
        keyword = "if" if index == 0 else "elif"
        parts.append(f"{{% {keyword} n == {index} %}}")
        parts.append(item.source.strip())
    parts.append("{% endif %}")
    return "\n".join(parts) + "\n"
