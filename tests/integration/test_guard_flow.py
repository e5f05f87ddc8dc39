"""The guard inside the bot: warnings, alerts, deletion, /check, and nothing personal kept."""

from __future__ import annotations

import dataclasses
import logging
import re

import pytest

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_services
from bot.runtime import deduplicated
from tests.conftest import every_row
from tests.integration.test_flow import GROUP, OFFICER_CHAT, Clock, said, settings_for

ID_NUMBER = "640104199003071234"  # checksum computed below so the test owns its data
PHONE = "13912345678"
CARD = "6222021234567890128"


def valid_id(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


def luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number][::-1]
    return (
        sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        % 10
        == 0
    )


async def start(
    db_url: str, clock: Clock, delete_lures: bool = False
) -> tuple[object, FakeAdapter]:
    settings = settings_for(db_url, delete_lures=delete_lures)
    services = build_services(settings, clock)
    bot = FakeAdapter()
    await bot.start(deduplicated(services, build_dispatcher(services, {"console": bot})))
    await bot.inject(said("/bind", sender="王警官"))
    return services, bot


LURE = "【兼职】在家刷单，垫付本金立返佣金15%，日结不押金，加微信 sd88866 带你做第一单"


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_lure_gets_a_warning_and_the_officer_an_alert(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    lure = said(LURE)
    out = await bot.inject(lure)
    warning = next(o for o in out if o.chat == GROUP)
    alert = next(o for o in out if o.chat == OFFICER_CHAT)
    assert warning.reply_to == lure.message_id and "96110" in warning.text
    assert "张阿姨" in alert.text and "刷单" in alert.text
    assert not any(o.delete_message_id for o in out)  # the station did not enable deletion


async def test_lure_is_deleted_where_the_station_enabled_it(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock, delete_lures=True)
    lure = said(LURE)
    out = await bot.inject(lure)
    assert any(o.delete_message_id == lure.message_id for o in out)


async def test_officers_messages_are_never_acted_on(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    warning = said(f"提醒大家：最近有人发“{LURE}”这种消息，都是诈骗！", sender="王警官")
    assert await bot.inject(warning) == []


async def test_personal_number_gets_a_kind_reminder(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    posted = said(f"我身份证号 {valid_id('64010419900307123')} 帮我查查户口迁移办好了没")
    out = await bot.inject(posted)
    reminder = out[0]
    assert reminder.reply_to == posted.message_id and "身份证号" in reminder.text
    assert "撤回" in reminder.text


async def test_check_in_private(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    verdict = await bot.inject(said(f"/check {LURE}", sender="r7", group=False))
    assert "诈骗" in verdict[0].text and "96110" in verdict[0].text
    pasted = await bot.inject(said(LURE, sender="r7", group=False))
    assert "诈骗" in pasted[0].text
    fine = await bot.inject(said("/check 明天上午小区停水，请提前储水", sender="r7", group=False))
    assert "没看出" in fine[0].text


async def test_nothing_personal_reaches_the_database_or_the_logs(
    db_url: str, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    id_number = valid_id("64010419900307123")
    assert luhn_ok(CARD)
    caplog.set_level(logging.DEBUG)
    _, bot = await start(db_url, clock)
    for message in (
        said(
            f"我电话{PHONE} 身份证{id_number} 卡号{CARD} 社保卡被冻结了能帮我查下吗", addressed=True
        ),
        said(f"@警务助手 我的手机 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]} 收不到验证码 咋办"),
        said(f"我的卡 {CARD} 被冻结了 这是诈骗吗", sender="r9", group=False),
    ):
        await bot.inject(message)
    await bot.inject(said(f"修改 1 已收到，号码{PHONE}我私下联系您", sender="王警官", group=False))

    raw = (PHONE, id_number, CARD)
    for table, row in every_row(db_url):
        flat = re.sub(r"\s", "", " ".join(str(v) for v in row))
        assert not any(number in flat for number in raw), (table, row)
    logged = re.sub(r"\s", "", caplog.text)
    assert not any(number in logged for number in raw)


def _picture(lines: list[str]) -> bytes:
    from tests.unit.test_guard_picture import poster

    return poster(lines, 3)


async def test_a_lure_picture_is_warned_about_and_never_kept(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    bot.pictures["p1"] = _picture(["高薪兼职", "手机刷单 佣金秒返", "加微信 jianzhi7788"])
    posted = dataclasses.replace(said(""), picture_id="p1")
    out = await bot.inject(posted)
    warning = next(o for o in out if o.chat == GROUP)
    alert = next(o for o in out if o.chat == OFFICER_CHAT)
    assert warning.reply_to == posted.message_id and "96110" in warning.text
    assert "[图片]" in alert.text and "jianzhi7788" not in alert.text
    for _table, row in every_row(db_url):
        assert not any(isinstance(v, bytes) and len(v) > 1000 for v in row)
        assert "jianzhi7788" not in " ".join(map(str, row))


async def test_a_harmless_picture_gets_no_answer_not_even_from_the_faq(
    db_url: str, clock: Clock
) -> None:
    _, bot = await start(db_url, clock)
    bot.pictures["p2"] = _picture(["户口迁移需要什么材料", "身份证怎么补办"])
    assert await bot.inject(dataclasses.replace(said(""), picture_id="p2")) == []
    from tests.unit.test_guard_picture import qr_poster

    bot.pictures["p3"] = qr_poster("wxp://f2f0officer", ["物业费", "扫码付款"])
    from_officer = dataclasses.replace(said("", sender="王警官"), picture_id="p3")
    assert await bot.inject(from_officer) == []
