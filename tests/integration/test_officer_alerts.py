"""Alerts an officer pushes from the phone, on a real database (SQLite and PostgreSQL):
the whole bot's dispatcher, the broadcaster's pump and the outbox, over the fake adapter."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_outbox, build_services
from broadcasts.media import Media
from broadcasts.models import BroadcastRun, Campaign, Delivery, OfficerAlert
from broadcasts.runs import Broadcaster
from core.config import parse_settings
from core.db import Group, Officer, OutboxMessage
from core.events import ButtonPress, ChatRef, IncomingMessage, Outgoing
from handlers.services import Services
from infra.outbox import OutboxSender
from infra.ratelimit import RateLimitedAdapter, RateLimiter, Unlimited
from tests.e2e.test_broadcast_support import ManualClock

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
IDS = {"王警官": "9001", "李警官": "9002", "赵所长": "9003", "市局刘": "9009"}
_messages = itertools.count(1)


def settings_for(url: str, media_dir: str = "", **xq: Any):  # type: ignore[no-untyped-def]
    station = {"address": "解放东街1号", "phone": "0951-6000000", "hours": "9-17"}
    return parse_settings(
        {
            "database": {"url": url},
            "broadcasts": {"media_dir": media_dir},
            "stations": [
                station | {"id": "xq", "name": "兴庆派出所"} | xq,
                station | {"id": "jf", "name": "金凤派出所"},
            ],
            "officers": [
                {
                    "name": "王警官",
                    "station": "xq",
                    "telegram_id": IDS["王警官"],
                    "wechat_id": IDS["王警官"],
                },
                {"name": "李警官", "station": "jf", "telegram_id": IDS["李警官"]},
                {"name": "赵所长", "station": "xq", "telegram_id": IDS["赵所长"], "admin": True},
                {
                    "name": "市局刘",
                    "station": "xq",
                    "telegram_id": IDS["市局刘"],
                    "city_admin": True,
                },
            ],
        },
        "test",
    )


class Bot:
    """The bot as ``jingmin run`` wires it, with the broadcaster pumped by hand."""

    def __init__(self, services: Services, adapter: FakeAdapter) -> None:
        self.services, self.adapter = services, adapter
        self.platform = adapter.platform
        self.clock: ManualClock = services.clock  # type: ignore[assignment]
        sender = RateLimitedAdapter(adapter, RateLimiter(Unlimited()))
        self.broadcaster = Broadcaster(
            services.engine, services.settings, {self.platform: sender}, clock=self.clock
        )
        self.outbox: OutboxSender = build_outbox(services, {self.platform: adapter})

    async def says(self, officer: str, text: str = "", **media: str) -> list[Outgoing]:
        chat = ChatRef(self.platform, IDS[officer])  # type: ignore[arg-type]
        message = IncomingMessage(
            chat, IDS[officer], officer, text, str(next(_messages)), False, True,
            self.clock.now(), **media,
        )  # fmt: skip
        return await self.adapter.inject(message)

    async def taps(self, officer: str, data: str, card: str = "50") -> list[Outgoing]:
        chat = ChatRef(self.platform, IDS[officer])  # type: ignore[arg-type]
        press = ButtonPress(chat, IDS[officer], officer, data, card, self.clock.now())
        return await self.adapter.inject(press)

    async def settle(self) -> None:
        """Pump until no fan-out runs, then deliver what the outbox holds."""
        for _ in range(10):
            await self.broadcaster.pump()
            active = list(self.broadcaster._active.values())
            if not active:
                break
            await asyncio.gather(*active)
        await self.outbox.deliver_due()

    def to_groups(self) -> dict[str, int]:
        copies: dict[str, int] = {}
        for out in self.adapter.sent:
            if out.chat.chat_id.startswith("-") or out.chat.chat_id.endswith("@chatroom"):
                copies[out.chat.chat_id] = copies.get(out.chat.chat_id, 0) + 1
        return copies

    def to_officer(self, officer: str) -> list[str]:
        return [o.text for o in self.adapter.sent if o.chat.chat_id == IDS[officer]]


async def start(
    url: str, platform: str = "telegram", rooms: tuple[str, ...] = (), **settings: Any
) -> Bot:
    """The bot on ``platform``, with Telegram's groups (-101, -102 王警官's, -103 of 兴庆;
    -201, -202 of 金凤; -104 inactive) and ``rooms``, WeChat rooms of 王警官's."""
    services = build_services(settings_for(url, **settings), ManualClock(NOW))
    adapter = FakeAdapter(platform=platform)
    await adapter.start(build_dispatcher(services, {platform: adapter}))
    with Session(services.engine) as db:
        wang = db.exec(select(Officer).where(Officer.name == "王警官")).one()
        rows = [("-101", "xq", wang.id), ("-102", "xq", wang.id), ("-103", "xq", None)]
        rows += [("-201", "jf", None), ("-202", "jf", None)]
        rows += [(room, "xq", wang.id) for room in rooms]
        for chat_id, station, officer_id in rows:
            db.add(
                Group(
                    platform="wechat" if chat_id.endswith("@chatroom") else "telegram",
                    chat_id=chat_id,
                    title=f"幸福里{chat_id[1:]}号楼",
                    station_id=station,
                    officer_id=officer_id,
                )
            )
        db.add(Group(platform="telegram", chat_id="-104", station_id="xq", active=False))
        db.commit()
    return Bot(services, adapter)


NOTICE = "【寻人】王某某，男，78岁，今早在丽景街走失，身穿蓝色外套。请见到的居民拨打110。"


async def test_an_officer_pushes_to_their_groups_and_gets_the_report(db_url: str) -> None:
    bot = await start(db_url)
    (held,) = await bot.says("王警官", NOTICE)
    assert "要把这条消息推送到群里吗" in held.text and NOTICE in held.text
    assert [b.label for b in held.buttons[0]] == ["推送", "紧急推送"]

    # No station-wide or city scope for him: his own groups are picked at once.
    (card,) = await bot.says("王警官", "推送")
    assert "将发往我负责的群，共 2 个群" in card.text
    assert "本所" not in card.text and "全市" not in card.text
    assert [b.label for b in card.buttons[0]] == ["确认推送", "取消"]
    assert bot.to_groups() == {}  # nothing before the officer confirms

    (queued,) = await bot.taps("王警官", card.buttons[0][0].data)
    assert queued.edit_message_id == "50" and "已开始发往 2 个群" in queued.text
    await bot.settle()
    assert bot.to_groups() == {"-101": 1, "-102": 1}
    assert all(o.text == NOTICE for o in bot.adapter.sent if o.chat.chat_id.startswith("-"))
    report = bot.to_officer("王警官")[-1]
    assert "推送 #1 已发完" in report and "送达 2 个群" in report
    with Session(bot.services.engine) as db:
        (run,) = db.exec(select(BroadcastRun)).all()
        assert run.trigger == "officer:王警官" and run.state == "done"
        alert = db.exec(select(OfficerAlert)).one()
        assert alert.phase == "done" and alert.scope == "mine" and alert.groups == 2

    (listed,) = await bot.says("王警官", "广播列表")
    assert "推送#1" not in listed.text  # a push is not one of the station's campaigns

    # The run is over: a second tap of the card sends nothing again.
    (again,) = await bot.taps("王警官", card.buttons[0][0].data)
    assert "已经处理过" in again.text
    await bot.settle()
    assert bot.to_groups() == {"-101": 1, "-102": 1}
    assert sum("已发完" in t for t in bot.to_officer("王警官")) == 1


async def test_the_city_admin_chooses_among_three_scopes_by_number(db_url: str) -> None:
    bot = await start(db_url)
    with Session(bot.services.engine) as db:
        liu = db.exec(select(Officer).where(Officer.name == "市局刘")).one()
        group = db.exec(select(Group).where(Group.chat_id == "-103")).one()
        group.officer_id = liu.id
        db.add(group)
        db.commit()
    await bot.says("市局刘", NOTICE)
    (menu,) = await bot.says("市局刘", "紧急推送")
    assert "紧急" in menu.text
    assert "1. 我负责的群（1 个）" in menu.text
    assert "2. 本所全部的群（3 个）" in menu.text and "3. 全市全部的群（5 个）" in menu.text
    assert [row[0].data for row in menu.buttons[:3]] == [
        "a:scope:1:1",
        "a:scope:1:2",
        "a:scope:1:3",
    ]
    (card,) = await bot.says("市局刘", "推送 3")
    assert "将发往全市全部的群，共 5 个群" in card.text
    (queued,) = await bot.says("市局刘", "确认推送")
    assert "紧急" in queued.text and "5 个群" in queued.text
    await bot.settle()
    assert bot.to_groups() == {c: 1 for c in ("-101", "-102", "-103", "-201", "-202")}
    assert "送达 5 个群" in bot.to_officer("市局刘")[-1]


async def test_a_station_admin_reaches_the_station_and_not_other_stations(db_url: str) -> None:
    bot = await start(db_url)
    await bot.says("赵所长", NOTICE)
    (card,) = await bot.says("赵所长", "推送")
    assert "将发往本所全部的群，共 3 个群" in card.text and "全市" not in card.text
    await bot.says("赵所长", "确认")
    await bot.settle()
    assert bot.to_groups() == {"-101": 1, "-102": 1, "-103": 1}
    with Session(bot.services.engine) as db:
        chats = {d.chat_id for d in db.exec(select(Delivery))}
    assert chats == {"-101", "-102", "-103"}  # not the inactive group, nor jf's
    report = bot.to_officer("赵所长")[-1]
    assert "送达 3 个群。" in report and "失败" not in report


async def test_an_open_station_lets_every_officer_reach_it(db_url: str) -> None:
    bot = await start(db_url, alerts_by_every_officer=True)
    await bot.says("王警官", NOTICE)
    (menu,) = await bot.says("王警官", "推送")
    assert "1. 我负责的群（2 个）" in menu.text and "2. 本所全部的群（3 个）" in menu.text
    assert "全市" not in menu.text
    (answer,) = await bot.says("王警官", "推送 3")  # not on his list
    assert "请回复列表里的编号" in answer.text


async def test_commands_and_lures_are_not_offered_to_push(db_url: str) -> None:
    bot = await start(db_url)
    for text in (
        "/check 你好",
        "/whatever",
        "【公安局通知】您的账户涉嫌洗钱，请立即转账到安全账户",
    ):
        replies = await bot.says("王警官", text)
        assert not any("要把这条消息推送到群里吗" in o.text for o in replies), text
    with Session(bot.services.engine) as db:
        assert db.exec(select(OfficerAlert)).all() == []


async def test_a_question_the_faq_answers_is_answered_and_can_still_be_pushed(
    db_url: str,
) -> None:
    """Officers ask the bot too (to forward its answer): a question it would answer is
    answered, not shown back as a push; 推送 still takes it."""
    bot = await start(db_url)
    replies = await bot.says("王警官", "良民证咋开")
    assert any("无犯罪记录" in o.text for o in replies)
    assert not any("要把这条消息推送到群里吗" in o.text for o in replies)
    (card,) = await bot.says("王警官", "推送")
    assert "将发往我负责的群，共 2 个群" in card.text


async def test_cancel_expiry_and_a_new_message_replacing_the_old(db_url: str) -> None:
    bot = await start(db_url)
    await bot.says("王警官", "第一条")
    await bot.says("王警官", NOTICE)  # replaces the first
    (card,) = await bot.says("王警官", "推送")
    assert NOTICE in card.text and "第一条" not in card.text
    (cancelled,) = await bot.says("王警官", "取消")
    assert "已取消推送 #2" in cancelled.text
    (nothing,) = await bot.says("王警官", "确认推送")
    assert "没有等待推送的消息" in nothing.text
    # 取消 with nothing live is not the push's: it goes on to the ticket commands.
    (ticket_answer,) = await bot.says("王警官", "取消")
    assert "推送" not in ticket_answer.text

    await bot.says("王警官", NOTICE)
    await bot.says("王警官", "推送")
    bot.clock.advance(minutes=16)
    (late,) = await bot.says("王警官", "确认推送")
    assert "超过 15 分钟没有确认，已作废" in late.text
    (gone,) = await bot.says("王警官", "确认推送")
    assert "没有等待推送的消息" in gone.text
    await bot.settle()
    assert bot.to_groups() == {}
    with Session(bot.services.engine) as db:
        assert db.exec(select(Campaign)).all() == []
        phases = [a.phase for a in db.exec(select(OfficerAlert).order_by(OfficerAlert.id))]  # type: ignore[arg-type]
    assert phases == ["cancelled", "cancelled", "expired"]


async def test_station_approval_applies_to_an_officers_push(db_url: str) -> None:
    bot = await start(db_url, alerts_need_approval=True)
    await bot.says("王警官", NOTICE)
    await bot.says("王警官", "推送")
    (queued,) = await bot.says("王警官", "确认推送")
    assert "已提交本所管理员批准" in queued.text
    await bot.settle()
    assert bot.to_groups() == {}
    approval = [o for o in bot.adapter.sent if "广播待批准" in o.text]
    # For the admins to approve (the station's, and the city admin of the station).
    assert [o.chat.chat_id for o in approval] == [IDS["赵所长"], IDS["市局刘"]]
    assert NOTICE in approval[0].text
    (own,) = await bot.taps("王警官", approval[0].buttons[0][0].data)  # not his own push
    assert "须由本所管理员批准" in own.text
    await bot.settle()
    assert bot.to_groups() == {}
    await bot.taps("赵所长", approval[0].buttons[0][0].data)  # 批准
    await bot.settle()
    assert bot.to_groups() == {"-101": 1, "-102": 1}
    assert "送达 2 个群" in bot.to_officer("王警官")[-1]

    # The admin's own push needs nobody's approval.
    await bot.says("赵所长", "通知：今晚停水")
    await bot.says("赵所长", "推送")
    (queued,) = await bot.says("赵所长", "确认推送")
    assert "已开始发往 3 个群" in queued.text


async def test_two_taps_of_confirm_open_one_run(db_url: str) -> None:
    bot = await start(db_url)
    await bot.says("王警官", NOTICE)
    (card,) = await bot.says("王警官", "推送")
    confirm = card.buttons[0][0].data
    first, second = await asyncio.gather(bot.taps("王警官", confirm), bot.taps("王警官", confirm))
    both = first[0].text + "|" + second[0].text
    assert "已开始发往 2 个群" in both and "已经处理过" in both
    await bot.settle()
    assert bot.to_groups() == {"-101": 1, "-102": 1}
    with Session(bot.services.engine) as db:
        assert len(db.exec(select(BroadcastRun)).all()) == 1


async def test_someone_elses_card_and_made_up_buttons(db_url: str) -> None:
    bot = await start(db_url)
    await bot.says("王警官", NOTICE)
    (card,) = await bot.says("王警官", "推送")
    (refused,) = await bot.taps("赵所长", card.buttons[0][0].data)
    assert "没有等待推送的消息" in refused.text
    for data in ("a:confirm:x:", "a:nuke:1:", "a:confirm:99999999999:", "a:scope:1:9"):
        (answer,) = await bot.taps("王警官", data)
        assert answer.text and "Traceback" not in answer.text
    await bot.settle()
    assert bot.to_groups() == {}


async def test_urgent_push_starts_before_a_scheduled_campaign(db_url: str) -> None:
    bot = await start(db_url)
    with Session(bot.services.engine) as db:
        campaign = Campaign(
            name="每周反诈", template_source="反诈提醒", targets_json='{"kind": "all"}'
        )
        db.add(campaign)
        db.commit()
        db.refresh(campaign)
    assert campaign.id is not None
    await bot.broadcaster.fire(campaign.id, NOW - timedelta(minutes=1))
    await bot.says("王警官", NOTICE)
    await bot.says("王警官", "紧急推送")
    await bot.says("王警官", "确认推送")
    await bot.settle()
    to_101 = [o.text for o in bot.adapter.sent if o.chat.chat_id == "-101"]
    assert to_101 == [NOTICE, "反诈提醒"]  # the older scheduled run waited for the push
    with Session(bot.services.engine) as db:
        outbox = db.exec(select(OutboxMessage).where(OutboxMessage.kind == "alert report")).all()
    assert len(outbox) == 1 and outbox[0].state == "sent"


async def test_a_telegram_picture_goes_by_its_file_id_to_telegram_groups_only(db_url: str) -> None:
    bot = await start(db_url, rooms=("r1@chatroom",))
    (held,) = await bot.says("王警官", "请大家转告家人", picture_id="AgACphoto-1")
    assert "[图片]" in held.text and "请大家转告家人" in held.text
    (card,) = await bot.says("王警官", "推送")
    assert "共 2 个群" in card.text  # his WeChat room cannot get a Telegram file_id
    await bot.says("王警官", "确认推送")
    await bot.settle()
    assert bot.to_groups() == {"-101": 1, "-102": 1}
    pictures = [o for o in bot.adapter.sent if o.chat.chat_id in ("-101", "-102")]
    assert all(o.media is not None and o.media.kind == "photo" for o in pictures)
    assert all(o.text == "请大家转告家人" for o in pictures)
    with Session(bot.services.engine) as db:
        (media,) = db.exec(select(Media)).all()
        campaign = db.exec(select(Campaign)).one()
        room = db.exec(select(Delivery).where(Delivery.chat_id == "r1@chatroom")).one()
    assert media.telegram_file_id == "AgACphoto-1" and campaign.media_id == media.id
    assert pictures[0].media is not None and pictures[0].media.sha256 == media.sha256
    assert room.state == "skipped"
    assert "1 个群未发" in bot.to_officer("王警官")[-1]


async def test_a_video_without_words_gets_a_caption_of_ours(db_url: str) -> None:
    bot = await start(db_url)
    (held,) = await bot.says("王警官", video_id="BAACvideo-7")
    assert "[视频]" in held.text and "社区民警提醒" in held.text
    await bot.says("王警官", "推送")
    await bot.says("王警官", "确认推送")
    await bot.settle()
    videos = [o for o in bot.adapter.sent if o.chat.chat_id == "-101"]
    assert len(videos) == 1 and videos[0].media is not None and videos[0].media.kind == "video"


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


async def test_a_wechat_picture_is_fetched_checked_and_stored(db_url: str, tmp_path: Path) -> None:
    bot = await start(
        db_url, platform="wechat", rooms=("r1@chatroom", "r2@chatroom"), media_dir=str(tmp_path)
    )
    bot.adapter.pictures["msg-77"] = PNG
    (held,) = await bot.says("王警官", "", picture_id="msg-77")
    assert "[图片]" in held.text
    (card,) = await bot.says("王警官", "推送")
    assert "共 4 个群" in card.text  # stored content reaches Telegram's groups too
    await bot.says("王警官", "确认推送")
    with Session(bot.services.engine) as db:  # this bot sends WeChat only
        for d in db.exec(select(Delivery).where(Delivery.platform == "telegram")):
            d.state = "skipped"
            db.add(d)
        db.commit()
    await bot.settle()
    rooms = [o for o in bot.adapter.sent if o.chat.chat_id.endswith("@chatroom")]
    assert {o.chat.chat_id for o in rooms} == {"r1@chatroom", "r2@chatroom"}
    media = rooms[0].media
    assert media is not None and media.kind == "photo" and media.mime == "image/png"
    assert Path(media.path).read_bytes() == PNG and Path(media.path).parent == tmp_path


async def test_a_file_the_platforms_refuse_is_refused_at_once(db_url: str, tmp_path: Path) -> None:
    store = tmp_path / "media"
    bot = await start(db_url, platform="wechat", media_dir=str(store))
    bot.adapter.pictures["msg-1"] = b"MZ" + bytes(100)  # a program, not a picture
    (refused,) = await bot.says("王警官", "看看", picture_id="msg-1")
    assert "未保存" in refused.text and "推送" not in refused.text
    (nothing,) = await bot.says("王警官", "推送")
    assert "没有等待推送的消息" in nothing.text
    assert not store.exists() or list(store.iterdir()) == []


async def test_words_too_long_for_a_caption_are_refused_at_once(db_url: str) -> None:
    bot = await start(db_url)
    (refused,) = await bot.says("王警官", "长" * 1500, picture_id="AgACphoto-2")
    assert "配文有 1500 个字" in refused.text and "1024" in refused.text
    (nothing,) = await bot.says("王警官", "推送")
    assert "没有等待推送的消息" in nothing.text


async def test_a_push_the_admin_rejects_is_reported_as_not_sent(db_url: str) -> None:
    bot = await start(db_url, alerts_need_approval=True)
    await bot.says("王警官", NOTICE)
    await bot.says("王警官", "推送")
    await bot.says("王警官", "确认推送")
    await bot.settle()
    card = next(o for o in bot.adapter.sent if o.chat.chat_id == IDS["赵所长"])
    await bot.taps("赵所长", card.buttons[0][1].data)  # 不发
    await bot.settle()
    assert bot.to_groups() == {}
    assert "被本所管理员驳回，没有发到群里" in bot.to_officer("王警官")[-1]
