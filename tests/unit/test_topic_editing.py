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
from faq.knowledge import (
    SAMPLE_STATION,
    FaqError,
    load_knowledge,
    load_topics,
    parse_topic,
    topic_answer,
)

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


XQ = SAMPLE_STATION | {"id": "xq", "name": "兴庆派出所"}
JF = SAMPLE_STATION | {"id": "jf", "name": "金凤派出所", "phone": "0951-7000000"}
OVERRIDDEN = {
    "id": "ok-topic",
    "title": "标题",
    "aliases": ["别名"],
    "examples": ["例句"],
    "source": "依据",
    "answer": "您好，请联系{{ station.name }}，电话 {{ station.phone }}。\n",
    "station_answers": {"xq": "兴庆的居民请到一楼{{ station.name }}窗口办理。\n"},
}


def test_a_station_answer_is_used_in_that_stations_groups_only() -> None:
    topic = checked_topic(OVERRIDDEN, [XQ, JF])
    assert topic.station_answers == (("xq", "兴庆的居民请到一楼{{ station.name }}窗口办理。\n"),)
    assert (
        topic.answer_for("xq").startswith("兴庆的居民") and topic.answer_for("jf") == topic.answer
    )
    assert topic.answer_for(None) == topic.answer
    assert topic_answer(topic, XQ) == "兴庆的居民请到一楼兴庆派出所窗口办理。"
    assert topic_answer(topic, JF) == "您好，请联系金凤派出所，电话 0951-7000000。"
    # The file reads back as the topic, [station_answers] included.
    text = topic_toml(topic)
    assert "[station_answers]" in text
    assert parse_topic_text(text, [XQ, JF], "ok-topic.toml") == topic
    assert "[station_answers]" not in topic_toml(replace(topic, station_answers=()))


@pytest.mark.parametrize(
    "answers",
    [
        {"xq": "{{ station.nothing.deeper }}"},  # rendered as the answer is, in the sandbox
        {"xq": "{% if %}"},
        {"xq": "  "},
        {"xq": 3},
        {"": "答"},
        "兴庆",  # not a table
        {"nowhere": "答"},  # not a configured station: a mistyped id must not go unnoticed
    ],
)
def test_a_bad_station_answer_names_the_field(answers: object) -> None:
    with pytest.raises(FaqError) as refused:
        checked_topic(OVERRIDDEN | {"station_answers": answers}, [XQ, JF])
    assert refused.value.key == "station_answers"


def test_a_station_answer_must_render_with_its_stations_details() -> None:
    odd = XQ | {"hours": None}
    fine = OVERRIDDEN | {"station_answers": {"jf": "{{ station.hours.upper() }}"}}
    assert checked_topic(fine, [odd, JF]).answer_for("jf") == "{{ station.hours.upper() }}"
    with pytest.raises(FaqError) as refused:
        checked_topic(
            OVERRIDDEN | {"station_answers": {"xq": "{{ station.hours.upper() }}"}}, [odd, JF]
        )
    assert refused.value.key == "station_answers"
