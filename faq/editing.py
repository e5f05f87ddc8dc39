"""Topic files written by people outside the repository: a topic as TOML text, checked
with ``faq.knowledge``'s own rules, and written into a station's ``topics_dir`` at once.

The console saves a topic here; the bots' workers notice the changed folder and reload
(``faq.live``). A file is replaced in one rename, so a worker never reads half of one.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from faq.knowledge import FaqError, FaqTopic, check_answers, parse_topic

# A topic's id is its file's name: lower-case words joined by hyphens, nothing else.
TOPIC_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ID_LIMIT = 64
RESERVED_PREFIXES = ("taught-",)  # the ids of questions officers taught (faq.live)
TOPIC_FILE_LIMIT = 200_000  # bytes in one uploaded topic file


def _string(value: str, multiline: bool = False) -> str:
    """A TOML basic string (multi-line for an answer) that reads back as exactly ``value``."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r")
    escaped = "".join(
        c if c == "\n" or (c >= " " and c != "\x7f") else f"\\u{ord(c):04x}" for c in escaped
    )
    if multiline:
        return f'"""\n{escaped}"""'  # the newline after the quotes is not part of the value
    return '"' + escaped.replace("\n", "\\n") + '"'


def _strings(values: Iterable[str]) -> str:
    items = [_string(v) for v in values]
    if not items:
        return "[]"
    return "[\n" + "".join(f"  {item},\n" for item in items) + "]"


def topic_toml(topic: FaqTopic) -> str:
    """The topic file for ``topic``: ``load_topic_file`` reads back the same topic."""
    lines = [
        f"id = {_string(topic.id)}",
        f"title = {_string(topic.title)}",
        f"aliases = {_strings(topic.aliases)}",
        f"examples = {_strings(topic.examples)}",
        f"source = {_string(topic.source)}",
    ]
    if topic.review is not None:
        lines.append(f"review = {topic.review.isoformat()}")
    lines.append(f"answer = {_string(topic.answer, multiline=True)}")
    if topic.station_answers:
        lines += ["", "[station_answers]"]
        lines += [
            f"{_string(station)} = {_string(answer, multiline=True)}"
            for station, answer in topic.station_answers
        ]
    if topic.patterns or topic.exclude:
        lines += ["", "[match]"]
        if topic.patterns:
            lines.append(f"patterns = {_strings(topic.patterns)}")
        if topic.exclude:
            lines.append(f"exclude = {_strings(topic.exclude)}")
    return "\n".join(lines) + "\n"


def check_id(topic_id: str, file: str) -> None:
    if len(topic_id) > ID_LIMIT or not TOPIC_ID.fullmatch(topic_id):
        raise FaqError(file, "the id must be lower-case letters, digits and hyphens", "id")
    if topic_id.startswith(RESERVED_PREFIXES):
        raise FaqError(file, f"ids starting with {RESERVED_PREFIXES} are reserved", "id")


def checked_topic(
    data: Mapping[str, Any], stations: Iterable[Mapping[str, Any]], file: str = ""
) -> FaqTopic:
    """``data`` as a topic, by the loader's rules, its id fit for a file name and its
    answer rendered for every station; else ``FaqError`` with the field at fault."""
    name = file or f"{data.get('id', '')}.toml"
    topic = parse_topic(data, name)
    check_id(topic.id, name)
    check_answers((topic,), stations)
    return topic


def parse_topic_text(text: str, stations: Iterable[Mapping[str, Any]], file: str) -> FaqTopic:
    """An uploaded topic file, checked as ``checked_topic`` does."""
    if len(text.encode()) > TOPIC_FILE_LIMIT:
        raise FaqError(file, "the file is too large", "file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FaqError(file, f"not a TOML file: {exc}", "file") from None
    return checked_topic(data, stations, file)


def write_topic_file(directory: Path, topic_id: str, text: str) -> Path:
    """Writes ``<topic_id>.toml`` into ``directory`` whole: a temporary file beside it,
    flushed to disk, then renamed over the old one."""
    check_id(topic_id, topic_id)
    target = directory / f"{topic_id}.toml"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{topic_id}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def remove_topic_file(directory: Path, topic_id: str) -> None:
    check_id(topic_id, topic_id)
    (directory / f"{topic_id}.toml").unlink(missing_ok=True)
