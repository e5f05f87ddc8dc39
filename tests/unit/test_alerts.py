"""What officers are told about the bot's own trouble: Chinese, no gateway error text."""

from __future__ import annotations

import re

from core.templates import render


def test_the_wechat_outage_alert_is_chinese_without_the_gateway_error() -> None:
    text = render("wechat_down.j2")
    assert "微信" in text and re.search(r"[A-Za-z]{3,}", text) is None
