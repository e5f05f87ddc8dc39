"""Job ads' misspelt keywords (兼直, 日洁, 躺挣) are read back in the flat text, and only there."""

from __future__ import annotations

import pytest

from guard import normalize, scam


@pytest.mark.parametrize(
    ("raw", "flat"),
    [
        ("兼直 日洁200", "兼职日结200"),
        ("兼 直 日 洁 ➕ v", "兼职日结加v"),  # spaced out and a + for 加
        ("兼.耳只 日.洁", "兼职日结"),  # 职 split into 耳只, dots between characters
        ("兼値", "兼职"),
        ("躺/挣/项/目", "躺赚项目"),
        # ordinary words that hold the same characters stay as they are
        ("主播兼直播运营", "主播兼直播运营"),
        ("每日洁面", "每日洁面"),
        ("节日洁净", "节日洁净"),
        ("今日洁具特价", "今日洁具特价"),
    ],
)
def test_misspelt_job_words_read_back(raw: str, flat: str) -> None:
    assert normalize.flat(raw) == flat


def test_misspelt_job_ad_hooks_the_job_script() -> None:
    a = scam.assess("日洁200 兼直 宝妈学生都可 薇 kk5533")
    assert a.script is not None and a.script.id == "shuadan"
    assert a.is_lure
