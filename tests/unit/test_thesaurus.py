"""The thesaurus: its file reads, and a message's groups are found wherever they occur."""

from __future__ import annotations

from pathlib import Path

import pytest

from faq.learned import features
from faq.thesaurus import Thesaurus, ThesaurusError, shipped


def test_the_shipped_file_reads_and_finds_words_in_any_wording() -> None:
    groups = shipped().groups("俺家电驴子的电瓶叫人偷了咋整")
    assert {"ebike", "battery", "how-to-do"} <= groups
    assert shipped().groups("电动车电池被偷了怎么办") & groups >= {"ebike", "battery"}


def test_one_character_words_stand_for_nothing(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("# comment\n\ndoor: 门 单元门 楼门\nsfz: 身份证 SFZ\n", encoding="utf-8")
    thesaurus = Thesaurus.read(path)
    assert thesaurus.groups("开门") == set()
    assert thesaurus.groups("单元门口的sfz") == {"door", "sfz"}


@pytest.mark.parametrize("line", ["no colon here", ": 词", "name:   "])
def test_a_broken_line_is_named(tmp_path: Path, line: str) -> None:
    path = tmp_path / "t.txt"
    path.write_text(f"ok: 好的 行的\n{line}\n", encoding="utf-8")
    with pytest.raises(ThesaurusError, match=r"t\.txt:2"):
        Thesaurus.read(path)


def test_groups_are_features() -> None:
    assert "sebike" in features("电驴子丢了")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("lssfz在哪办 多少钱", "临时身份证在哪办 多少钱"),
        ("gatxz续签", "港澳通行证续签"),
        ("sfz和hkb都带上", "身份证和户口本都带上"),
        ("xx小区3号楼", "xx小区3号楼"),  # a placeholder, not 谢谢
        ("wifi密码多少", "wifi密码多少"),  # not a group's initials
        ("sfzabc", "sfzabc"),  # inside a longer Latin word
    ],
)
def test_pinyin_initials_a_group_lists_are_written_out(typed: str, meant: str) -> None:
    assert shipped().expand(typed) == meant


def test_a_written_out_abbreviation_has_the_words_features() -> None:
    assert {f for f in features("hz过期了") if f.startswith("b")} == {
        f for f in features("护照过期了") if f.startswith("b")
    }


def test_the_clause_a_resident_rules_out_is_not_read() -> None:
    assert features("不是问迁出，是想迁进来") == features("是想迁进来")
    assert "c迁" in features("不是我说 迁户口快多了")  # no "是…" after it: kept
