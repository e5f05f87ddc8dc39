from __future__ import annotations

import re
from pathlib import Path

import pytest

from faq.knowledge import (
    TOPICS_DIR,
    FaqError,
    load_topic_file,
    load_topics,
    render_answer,
)
from tests.conftest import SHARED

STATION = {"name": "兴庆派出所", "address": "解放东街1号", "phone": "0951-6000000", "hours": "9-17"}


def required_ids() -> set[str]:
    topics = SHARED / "faq_topics.md"
    if not topics.exists():
        pytest.skip("shared/faq_topics.md is not beside the repository")
    return set(re.findall(r"^\| ([a-z][a-z-]+) \|", topics.read_text(encoding="utf-8"), re.M)) - {
        "id"
    }


def test_every_required_topic_exists_with_content() -> None:
    topics = {t.id: t for t in load_topics()}
    assert required_ids() <= set(topics)
    for topic in topics.values():
        assert len(topic.examples) >= 5, topic.id
        assert topic.aliases and topic.source.strip(), topic.id
        assert topic.patterns, f"{topic.id} has no [match] patterns"


def test_answers_render_with_the_station_details() -> None:
    station_topic = next(t for t in load_topics() if t.id == "station-contact")
    text = render_answer(station_topic.answer, STATION)
    assert "兴庆派出所" in text and "0951-6000000" in text and "{{" not in text


GOOD = (TOPICS_DIR / "dog-registration.toml").read_text(encoding="utf-8")


def rewrite(tmp_path: Path, text: str, name: str = "dog-registration") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda s: s.replace("{{ station.name }}", "{{ station.nmae }}", 1), "bad answer template"),
        (lambda s: s.replace("{{ station.name }}", "{% if %}", 1), "bad answer template"),
        (lambda s: "colour = 'red'\n" + s, "unknown field(s) colour"),
        (lambda s: re.sub(r"^source = .*$", "", s, flags=re.M), "missing field(s) source"),
        (lambda s: re.sub(r"^aliases = .*$", "aliases = 3", s, flags=re.M), "'aliases' must be"),
    ],
)
def test_bad_entry_is_rejected_with_its_file_name(tmp_path: Path, change, problem: str) -> None:  # type: ignore[no-untyped-def]
    assert "{{ station.name }}" in GOOD
    path = rewrite(tmp_path, change(GOOD))
    with pytest.raises(FaqError) as caught:
        load_topic_file(path)
    assert problem in str(caught.value) and str(path) in str(caught.value)


def test_id_must_match_the_file_name(tmp_path: Path) -> None:
    with pytest.raises(FaqError, match="does not match the file name"):
        load_topic_file(rewrite(tmp_path, GOOD, name="cats"))


def test_sandbox_blocks_unsafe_templates() -> None:
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        render_answer("{{ station.__class__.__mro__ }}", STATION)
