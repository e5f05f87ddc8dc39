"""Scam early warning through the whole bot (fake adapter, both databases): the same lure
in 3 groups of a station drafts one warning for its other groups; one tap sends it once."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import re
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.adapters.fake import FakeAdapter
from bot.adapters.wechat import outgoing_text
from bot.bootstrap import build_dispatcher, build_services
from bot.runtime import deduplicated
from broadcasts.models import Delivery
from broadcasts.runs import Broadcaster
from core.config import parse_settings
from core.db import Group, LureSighting, LureWave, OutboxMessage, session
from core.events import ButtonPress, ChatRef, IncomingMessage, Outgoing
from handlers.earlywarn import CARD_KIND
from handlers.services import Services
from infra.ratelimit import RateLimitedAdapter, RateLimiter, Unlimited
from tests.conftest import every_row
from tests.fakes.notices import deliver_notices

START = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
OFFICER = ChatRef("console", "officer:王警官")
OTHER_OFFICER = ChatRef("console", "officer:李警官")
PHONE = "13912345678"
LURE = (
    f"【兼职】在家刷单，垫付本金立返佣金15%，日结不押金，加微信 sd88866 或打 {PHONE} 带你做第一单"
)
ALTERED = "兼职：在家刷单!垫付本金马上返佣金20%，当天结不收押金，加薇信sd88866带您做第一单"
SAME_HANDLE = "宝妈学生在家动动手指日赚三百，名额有限，想了解的加 V: sd88866"
OTHER_LURE = "【医保局】您的医保卡异常即将停用，请点击 yb-jihuo.top 重新激活，逾期作废"
_ids = itertools.count(1000)


class Clock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at


def station(sid: str, name: str, phone: str) -> dict[str, str]:
    return {"id": sid, "name": name, "address": "解放东街1号", "phone": phone, "hours": "9-17"}


def settings_for(url: str, **guard: object):  # type: ignore[no-untyped-def]
    """Two stations, one officer each: 王警官 (兴庆, xq) and 李警官 (金凤, jf)."""
    return parse_settings(
        {
            "database": {"url": url},
            "guard": guard,
            "stations": [
                station("xq", "兴庆派出所", "0951-6000000"),
                station("jf", "金凤派出所", "0951-6000001"),
            ],
            "officers": [
                {"name": "王警官", "station": "xq", "duty": True},
                {"name": "李警官", "station": "jf", "duty": True},
            ],
        },
        "test",
    )


def room(n: int) -> ChatRef:
    return ChatRef("console", f"group:{n}")


def posted(n: int, text: str, *, at: datetime = START, sender: str = "r1") -> IncomingMessage:
    return IncomingMessage(
        room(n),
        sender,
        "张三",
        text,
        str(next(_ids)),
        is_group=True,
        addressed=False,
        received_at=at,
        chat_title=f"幸福里{n}号楼",
    )


def private(text: str, officer: str = "王警官") -> IncomingMessage:
    return IncomingMessage(
        ChatRef("console", f"officer:{officer}"),
        officer,
        officer,
        text,
        str(next(_ids)),
        is_group=False,
        addressed=True,
        received_at=START,
    )


async def start(url: str, clock: Clock, **guard: object) -> tuple[Services, FakeAdapter]:
    """The bot with groups 1-5 bound to 兴庆 and 8-9 to 金凤."""
    services = build_services(settings_for(url, **guard), clock)
    bot = FakeAdapter()
    await bot.start(deduplicated(services, build_dispatcher(services, {"console": bot})))
    with session(services.engine) as db:
        for n in (1, 2, 3, 4, 5, 8, 9):
            station = "xq" if n < 8 else "jf"
            db.add(
                Group(
                    platform="console",
                    chat_id=room(n).chat_id,
                    title=f"幸福里{n}号楼",
                    station_id=station,
                )
            )
        db.commit()  # fmt: skip
    return services, bot


def cards(services: Services) -> list[OutboxMessage]:
    with session(services.engine) as db:
        return list(db.exec(select(OutboxMessage).where(OutboxMessage.kind == CARD_KIND)))


def to(chat: ChatRef, sent: list[Outgoing]) -> list[Outgoing]:
    return [o for o in sent if o.chat == chat]


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_a_lure_in_three_groups_drafts_one_warning_and_not_after_two(
    db_url: str, clock: Clock
) -> None:
    services, bot = await start(db_url, clock)
    for n in (1, 2):
        out = await bot.inject(posted(n, LURE))
        assert to(room(n), out) and "诈骗" in to(room(n), out)[0].text  # the group's warning
    assert cards(services) == [] and not any("防骗预警" in o.text for o in bot.sent)

    clock.at = START + timedelta(minutes=20)
    out = await bot.inject(posted(3, LURE, at=clock.at))
    (card,) = to(OFFICER, [o for o in out if "防骗预警草稿" in o.text])
    assert "本所 3 个群" in card.text and "幸福里1号楼" in card.text and "幸福里3号楼" in card.text
    assert "其他 2 个群" in card.text and "发送预警 1" in card.text
    assert "sd88866" in card.text and PHONE not in card.text and "139****5678" in card.text
    assert card.buttons[0][0].data == "b:warn:1" and card.quotes  # the draft is a quote
    # WeChat has no buttons: the card already names the command, once.
    assert outgoing_text(card).count("发送预警 1") == 1
    # The lure in a 4th group and again in the 1st: the same wave, no second card.
    await bot.inject(posted(4, ALTERED, at=clock.at))
    await bot.inject(posted(1, LURE, at=clock.at, sender="r2"))
    assert len(cards(services)) == 1
    assert len([o for o in bot.sent if "防骗预警草稿" in o.text]) == 1
    assert to(OTHER_OFFICER, bot.sent) == []
    with session(services.engine) as db:
        sightings = db.exec(select(LureSighting)).all()
        assert len(sightings) == 5 and {s.wave_id for s in sightings} == {1}


async def test_altered_text_and_another_text_with_the_same_handle_are_the_same_lure(
    db_url: str, clock: Clock
) -> None:
    services, bot = await start(db_url, clock)
    await bot.inject(posted(1, LURE))
    await bot.inject(posted(2, ALTERED))
    assert cards(services) == []
    out = await bot.inject(posted(3, SAME_HANDLE))
    assert any("防骗预警草稿" in o.text for o in to(OFFICER, out))


async def test_different_lures_and_other_stations_groups_do_not_count(
    db_url: str, clock: Clock
) -> None:
    services, bot = await start(db_url, clock)
    await bot.inject(posted(1, LURE))
    await bot.inject(posted(2, OTHER_LURE))  # another lure: no contact or words in common
    await bot.inject(posted(8, LURE))  # 金凤's group
    await bot.inject(posted(9, LURE))  # 金凤's group
    assert cards(services) == []
    await bot.inject(posted(2, LURE))  # now 兴庆 has 2 groups, 金凤 2: still no wave
    assert cards(services) == []
    with session(services.engine) as db:
        assert {s.station_id for s in db.exec(select(LureSighting))} == {"xq", "jf"}


async def test_sightings_outside_the_window_do_not_count(db_url: str, clock: Clock) -> None:
    services, bot = await start(db_url, clock, wave_minutes=30)
    await bot.inject(posted(1, LURE, at=START))
    await bot.inject(posted(2, LURE, at=START + timedelta(minutes=25)))
    await bot.inject(posted(3, LURE, at=START + timedelta(minutes=51)))  # 1 is 51 min back
    assert cards(services) == []
    await bot.inject(posted(4, LURE, at=START + timedelta(minutes=52)))  # 2, 3, 4 in 27 min
    assert len(cards(services)) == 1


async def test_a_message_handled_again_is_counted_once(db_url: str, clock: Clock) -> None:
    services, bot = await start(db_url, clock)
    first = posted(1, LURE)
    await bot.inject(first)
    with session(services.engine) as db:  # as if the worker died before the update was done
        from guard.detect import check
        from handlers.earlywarn import record_lure

        group = db.exec(select(Group).where(Group.chat_id == room(1).chat_id)).one()
        record_lure(db, services, group, first, check(LURE), text=LURE)
    await bot.inject(posted(2, LURE))
    assert cards(services) == []
    with session(services.engine) as db:
        assert len(db.exec(select(LureSighting)).all()) == 2


async def test_one_tap_sends_the_warning_to_the_other_groups_exactly_once(
    db_url: str, clock: Clock
) -> None:
    services, bot = await start(db_url, clock)
    for n in (1, 2, 3):
        await bot.inject(posted(n, LURE))
    (card,) = cards(services)
    sender = RateLimitedAdapter(bot, RateLimiter(Unlimited()))
    broadcaster = Broadcaster(services.engine, services.settings, {"console": sender}, clock=clock)

    press = ButtonPress(OFFICER, "王警官", "王警官", "b:warn:1", card.sent_message_id or "1", START)
    (answer,) = await bot.inject(press)
    assert "正在发往本所 2 个群" in answer.text and answer.edit_message_id == press.message_id
    # A second tap, and the text command from the officer: told, nothing sent twice.
    (again,) = await bot.inject(press)
    assert "已由王警官发送过" in again.text
    (typed,) = await bot.inject(private("发送预警 1"))
    assert "已由王警官发送过" in typed.text
    (stranger,) = await bot.inject(private("发送预警 1", officer="李警官"))
    assert "没有找到本所的防骗预警 #1" in stranger.text

    before = len(bot.sent)
    for _ in range(3):
        await broadcaster.pump()
        await asyncio.gather(*broadcaster._active.values())
    await deliver_notices(broadcaster)
    delivered = bot.sent[before:]
    warnings = [o for o in delivered if "防骗预警（兴庆派出所）" in o.text]
    assert sorted(o.chat.chat_id for o in warnings) == ["group:4", "group:5"]
    text = warnings[0].text
    assert "sd88866" in text and PHONE not in text and "｜" in text and "96110" in text
    summary = [o for o in delivered if o.chat == OFFICER]
    assert summary and "已送达 2 个群" in summary[-1].text
    with session(services.engine) as db:
        rows = db.exec(select(Delivery)).all()
        assert sorted((r.chat_id, r.state) for r in rows) == [
            ("group:4", "sent"),
            ("group:5", "sent"),
        ]
        wave = db.get(LureWave, 1)
        assert wave is not None and wave.sent_by == "officer:王警官" and wave.campaign_id


async def test_a_lure_text_with_braces_is_sent_as_written(db_url: str, clock: Clock) -> None:
    services, bot = await start(db_url, clock)
    lure = "{{ station.name }}{% raw %}通知：刷单返利 垫付本金 立返佣金 加微信 qw98765 {#"
    for n in (1, 2, 3):
        await bot.inject(posted(n, lure))
    assert len(cards(services)) == 1
    await bot.inject(private("发送预警 1"))
    broadcaster = Broadcaster(
        services.engine,
        services.settings,
        {"console": RateLimitedAdapter(bot, RateLimiter(Unlimited()))},
        clock=clock,
    )
    before = len(bot.sent)
    await broadcaster.pump()
    await asyncio.gather(*broadcaster._active.values())
    (warning, *_) = [o for o in bot.sent[before:] if o.chat == room(4)]
    assert "｜{{ station.name }}{% raw %}通知" in warning.text


async def test_no_personal_number_is_kept(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    for n in (1, 2, 3):
        await bot.inject(posted(n, LURE))
    for _table, row in every_row(db_url):
        flat = re.sub(r"\s", "", " ".join(str(v) for v in row))
        assert PHONE not in flat


async def test_a_lure_in_pictures_counts_and_what_ocr_read_is_not_kept(
    db_url: str, clock: Clock
) -> None:
    from tests.unit.test_guard_picture import poster

    services, bot = await start(db_url, clock)
    bot.pictures["p"] = poster(["高薪兼职", "手机刷单 佣金秒返", "加微信 jianzhi7788"], 3)
    for n in (1, 2):
        await bot.inject(dataclasses.replace(posted(n, ""), picture_id="p"))
    assert cards(services) == []
    out = await bot.inject(dataclasses.replace(posted(3, ""), picture_id="p"))
    (card,) = [o for o in to(OFFICER, out) if "防骗预警草稿" in o.text]
    assert "以图片形式发布" in card.text and "jianzhi7788" not in card.text
    for _table, row in every_row(db_url):
        assert "jianzhi7788" not in " ".join(map(str, row))
        assert not any(isinstance(v, bytes) and len(v) > 1000 for v in row)


async def test_two_workers_seeing_the_3rd_and_4th_copy_at_once_make_one_wave(
    db_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each copy is handled in its own thread and session (as two workers would); both
    wait for the other just before deciding. The station's lock (PostgreSQL) or the write
    lock (SQLite) keeps the second out until the first has committed its wave, so the
    wait times out and the second joins that wave instead of starting its own."""
    from guard import wave
    from guard.detect import check
    from handlers.earlywarn import record_lure

    services, bot = await start(db_url, clock)
    for n in (1, 2):
        await bot.inject(posted(n, LURE))
    both = threading.Barrier(2, timeout=1.5)
    decide = wave.assess

    def waiting(*args: Any, **kwargs: Any) -> wave.Verdict:
        with contextlib.suppress(threading.BrokenBarrierError):
            both.wait()
        return decide(*args, **kwargs)

    monkeypatch.setattr(wave, "assess", waiting)

    def worker(n: int) -> None:
        msg = posted(n, LURE)
        with session(services.engine) as db:
            group = db.exec(select(Group).where(Group.chat_id == room(n).chat_id)).one()
            record_lure(db, services, group, msg, check(LURE), text=LURE)

    await asyncio.gather(asyncio.to_thread(worker, 3), asyncio.to_thread(worker, 4))
    assert len(cards(services)) == 1
    with session(services.engine) as db:
        assert len(db.exec(select(LureWave)).all()) == 1
        assert {s.wave_id for s in db.exec(select(LureSighting))} == {1}


async def test_sightings_go_with_the_retention_purge(db_url: str, clock: Clock) -> None:
    from privacy.retention import purge_older_than

    services, bot = await start(db_url, clock)
    for n in (1, 2, 3):
        await bot.inject(posted(n, LURE))
    purge_older_than(services.engine, START + timedelta(days=181), 180)
    with session(services.engine) as db:
        assert db.exec(select(LureSighting)).all() == []
        assert len(db.exec(select(LureWave)).all()) == 1  # what was drafted stays on record
