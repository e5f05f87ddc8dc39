"""Topic files written by the console: TOML that reads back as the topic, an id fit for a
file name, the loader's checks with the field named, and a file replaced whole."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from faq.editing import (
    checked_topic,
    parse_topic_text,
    remove_topic_file,
    topic_toml,
    write_topic_file,
)
from faq.knowledge import SAMPLE_STATION, FaqError, load_knowledge, load_topics, parse_topic

STATIONS = [SAMPLE_STATION]


def test_every_shipped_topic_reads_back_from_its_toml() -> None:
    for topic in load_topics():
        assert parse_topic(tomllib.loads(topic_toml(topic)), topic.file) == topic


def test_awkward_text_reads_back_exactly() -> None:
    topic = replace(
        load_topics()[0],
        title='引号"和\\反斜杠',
        aliases=("a\tb", "'单引号'"),
        answer='"""三个引号""" \x01 {{ station.name }}\r\n末尾"',
        review=date(2027, 6, 30),
        patterns=(),
        exclude=("不要",),
    )
    assert parse_topic(tomllib.loads(topic_toml(topic)), topic.file) == topic


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"id": "../etc/passwd"}, "id"),
        ({"id": "Big"}, "id"),
        ({"id": "taught-3"}, "id"),
        ({"title": " "}, "title"),
        ({"aliases": []}, "aliases"),
        ({"examples": ["", "x"]}, "examples"),
        ({"answer": "{{ station.nothing.deeper }}"}, "answer"),
        ({"review": "2027-06-30"}, "review"),  # a TOML date, not a string
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_topic_names_the_field(change: dict[str, object], key: str) -> None:
    data = {
        "id": "ok-topic",
        "title": "标题",
        "aliases": ["别名"],
        "examples": ["例句"],
        "source": "依据",
        "answer": "您好，{{ station.name }}",
    }
    with pytest.raises(FaqError) as refused:
        checked_topic(data | change, STATIONS)
    assert refused.value.key == key


def test_an_answer_must_render_for_every_station() -> None:
    odd = {"name": "所", "address": "路", "phone": "1", "hours": None}
    text = topic_toml(replace(load_topics()[0], answer="{{ station.hours.upper() }}"))
    assert parse_topic_text(text, STATIONS, "x.toml").answer  # fine with the sample
    with pytest.raises(FaqError) as refused:
        parse_topic_text(text, [odd], "x.toml")
    assert refused.value.key == "answer"
    with pytest.raises(FaqError) as broken:
        parse_topic_text("id = ", STATIONS, "x.toml")
    assert broken.value.key == "file"


def test_a_written_file_overrides_the_shipped_topic_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    shipped = load_topics()[0]
    edited = replace(shipped, title="本站的标题", review=date(2027, 1, 1))
    write_topic_file(tmp_path, shipped.id, topic_toml(edited))
    write_topic_file(tmp_path, shipped.id, topic_toml(edited))  # replaced whole, again
    assert [p.name for p in tmp_path.iterdir()] == [f"{shipped.id}.toml"]
    loaded = {t.id: t for t in load_knowledge(tmp_path)}
    assert loaded[shipped.id] == edited
    remove_topic_file(tmp_path, shipped.id)
    assert {t.id: t for t in load_knowledge(tmp_path)}[shipped.id] == shipped
    with pytest.raises(FaqError):
        write_topic_file(tmp_path, "../outside", "x")
