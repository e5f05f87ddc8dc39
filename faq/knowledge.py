"""The FAQ knowledge base: one reviewable TOML file per topic under ``faq/topics``."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Template, TemplateError

from core.sandbox import LimitedSandbox

TOPICS_DIR = Path(__file__).parent / "topics"
REQUIRED_FIELDS = ("id", "title", "aliases", "examples", "source", "answer")
# review: the date a person should look at it again; station_answers: a station's own
# answer (a table of station id = answer template), used in that station's groups
OPTIONAL_FIELDS = ("match", "review", "station_answers")
MATCH_FIELDS = ("patterns", "exclude")
STATION_FIELDS = ("name", "address", "phone", "hours")
# Rendered once at load so a template that needs anything else fails then, not in a group.
SAMPLE_STATION = {
    "name": "示例派出所",
    "address": "示例路1号",
    "phone": "0000-0000000",
    "hours": "9:00-17:00",
}


class FaqError(Exception):
    """A broken topic: its file, the problem, and the field at fault (``key``, when one is)."""

    def __init__(self, file: str, problem: str, key: str = "") -> None:
        self.file, self.problem, self.key = file, problem, key
        super().__init__(f"FAQ entry {file}: {problem}")


@dataclass(frozen=True, slots=True)
class FaqTopic:
    id: str
    title: str
    aliases: tuple[str, ...]
    examples: tuple[str, ...]
    source: str
    answer: str  # jinja2 template source
    patterns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    review: date | None = None
    station_answers: tuple[tuple[str, str], ...] = ()  # (station id, answer template)
    file: str = field(default="", compare=False)

    def answer_for(self, station_id: str | None) -> str:
        """The answer template for a group of ``station_id``: the station's own answer when
        the topic has one, else the topic's answer."""
        return dict(self.station_answers).get(station_id or "", self.answer)


# Answers are admin-written (topic files): no other templates, bounded work (core.sandbox).
_env = LimitedSandbox(keep_trailing_newline=False)


@lru_cache(maxsize=1024)
def _compiled(template: str) -> Template:
    return _env.from_string(template)  # compiling costs ~1 ms; the knowledge base is small


def render_answer(template: str, station: Mapping[str, str]) -> str:
    return _compiled(template).render(station=dict(station)).strip()


def topic_answer(topic: FaqTopic, station: Mapping[str, Any]) -> str:
    """``topic``'s answer for a group of ``station`` (a station's details, with its
    ``id``): the station's own answer if the topic has one, rendered with its details."""
    return render_answer(topic.answer_for(station.get("id")), station)


def _check_answer(
    answer: str, station: Mapping[str, str], file: str, where: str = "", key: str = "answer"
) -> None:
    try:
        render_answer(answer, station)
    except TemplateError as exc:  # syntax, undefined, sandbox limits (time, size, depth)
        raise FaqError(file, f"bad answer template{where}: {exc}", key) from None
    except Exception as exc:  # e.g. {{ 1 // 0 }}
        problem = f"bad answer template{where}: {type(exc).__name__}: {exc}"
        raise FaqError(file, problem, key) from None


def check_answers(topics: Iterable[FaqTopic], stations: Iterable[Mapping[str, Any]]) -> None:
    """Render every answer for every configured station (its own answer where a topic
    has one), so that an answer that fails only with one station's details stops the
    start, not a question in that station's group; a station's answer for a station not
    configured (a mistyped id) stops it too."""
    every, configured = tuple(topics), tuple(stations)
    ids = {str(station["id"]) for station in configured if "id" in station}
    for topic in every:
        unknown = sorted({station_id for station_id, _ in topic.station_answers} - ids)
        if ids and unknown:
            problem = f"[station_answers] names unknown station(s) {', '.join(unknown)}"
            raise FaqError(topic.file or topic.id, problem, "station_answers")
    for station in configured:
        for topic in every:
            template = topic.answer_for(station.get("id"))
            key = "answer" if template == topic.answer else "station_answers"
            where = f" for {station.get('name', '')}"
            _check_answer(template, station, topic.file or topic.id, where, key)


def _station_answers(value: Any, file: str) -> tuple[tuple[str, str], ...]:
    """The ``[station_answers]`` table: station ids to answer templates, each checked as
    ``answer`` is."""
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and key.strip() and isinstance(answer, str) and answer.strip()
        for key, answer in value.items()
    ):
        problem = "[station_answers] must map station ids to non-empty answer templates"
        raise FaqError(file, problem, "station_answers")
    for station_id, answer in value.items():
        _check_answer(answer, SAMPLE_STATION, file, f" of {station_id}", "station_answers")
    return tuple(sorted(value.items()))


def _strings(
    data: Mapping[str, Any], key: str, file: str, *, required: bool = True
) -> tuple[str, ...]:
    value = data.get(key, [] if not required else None)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise FaqError(file, f"'{key}' must be a list of non-empty strings", key)
    if required and not value:
        raise FaqError(file, f"'{key}' must not be empty", key)
    return tuple(value)


def parse_topic(data: Mapping[str, Any], file: str) -> FaqTopic:
    unknown = sorted(set(data) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise FaqError(file, f"unknown field(s) {', '.join(unknown)}", unknown[0])
    missing = [key for key in REQUIRED_FIELDS if key not in data]
    if missing:
        raise FaqError(file, f"missing field(s) {', '.join(missing)}", missing[0])
    for key in ("id", "title", "source", "answer"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise FaqError(file, f"'{key}' must be a non-empty string", key)
    match = data.get("match", {})
    if not isinstance(match, dict) or set(match) - set(MATCH_FIELDS):
        raise FaqError(file, f"[match] may only hold {', '.join(MATCH_FIELDS)}", "match")
    review = data.get("review")
    if review is not None and (not isinstance(review, date) or hasattr(review, "hour")):
        raise FaqError(file, "'review' must be a date such as 2027-06-30", "review")
    _check_answer(data["answer"], SAMPLE_STATION, file)
    return FaqTopic(
        id=data["id"],
        title=data["title"],
        aliases=_strings(data, "aliases", file),
        examples=_strings(data, "examples", file),
        source=data["source"],
        answer=data["answer"],
        patterns=_strings(match, "patterns", file, required=False),
        exclude=_strings(match, "exclude", file, required=False),
        review=review,
        station_answers=_station_answers(data.get("station_answers", {}), file),
        file=file,
    )


def load_topic_file(path: Path) -> FaqTopic:
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise FaqError(str(path), f"cannot read it: {exc}") from None
    topic = parse_topic(data, str(path))
    if topic.id != path.stem:
        raise FaqError(str(path), f"id {topic.id!r} does not match the file name", "id")
    return topic


def load_topics(directory: Path = TOPICS_DIR) -> tuple[FaqTopic, ...]:
    return tuple(load_topic_file(path) for path in sorted(directory.glob("*.toml")))


def topic_files(station_dir: Path | None) -> list[Path]:
    """The files behind a deployment's knowledge base: the shipped ones, then the station's."""
    shipped = sorted(TOPICS_DIR.glob("*.toml"))
    return shipped + (sorted(station_dir.glob("*.toml")) if station_dir else [])


def load_knowledge(station_dir: Path | None = None) -> tuple[FaqTopic, ...]:
    """The shipped topics, with a station's own folder of topic files on top: a file whose id
    exists replaces that topic for this deployment, a new id adds one."""
    if station_dir is not None and not station_dir.is_dir():
        raise FaqError(str(station_dir), "the topics_dir folder does not exist")
    topics = {topic.id: topic for topic in map(load_topic_file, topic_files(station_dir))}
    return tuple(topics[key] for key in sorted(topics))
