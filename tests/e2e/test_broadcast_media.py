"""A video campaign to 300 groups, exactly once each: through the real PTB adapter against
the fake Bot API with ONE upload (the file_id is kept in the database, so a restarted
adapter sends the next run without uploading again), and through the real python-wechaty
client against the Node gateway (a FileBox and its caption per room, one delivery)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.wechat import WechatAdapter
from broadcasts import ledger
from broadcasts.fanout import FanOut
from broadcasts.media import DatabaseFileIds, Media, inspect_media, media_store
from broadcasts.models import Campaign, DeliveryState
from broadcasts.runs import campaign_media, text_source
from core.config import Settings
from infra.ratelimit import RateLimitedAdapter, RateLimiter, Unlimited, limiter_for
from tests.e2e.test_broadcast_support import SIMPLE_TEMPLATE, add_groups, deliveries, make_db
from tests.e2e.test_broadcast_support import settings_for as base_settings
from tests.e2e.wechat_fixtures import WechatGateway, fast_wechat_options
from tests.fakes.telegram_server import FakeTelegram

pytestmark = pytest.mark.e2e
SLOT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
GROUPS = 300


def video(size: int = 2_300_000) -> bytes:
    """An MP4 as far as its header goes (ftyp box), of ``size`` bytes."""
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return head + bytes(range(256)) * ((size - len(head)) // 256 + 1)


def settings_for(db_url: str, media_dir: Path, **sections: object) -> Settings:
    return base_settings(db_url, broadcasts={"media_dir": str(media_dir)}, **sections)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return settings_for(db_url, tmp_path / "media")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_db(settings)
    yield engine
    engine.dispose()


def video_campaign(engine: Engine, settings: Settings, data: bytes) -> Campaign:
    """Saved as the console and `broadcast add --media` save it: checked, then stored."""
    media = inspect_media(data, "反诈情景剧.mp4")
    with Session(engine, expire_on_commit=False) as db:
        saved = ledger.save_campaign(
            db,
            Campaign(name="情景剧", template_source=SIMPLE_TEMPLATE),
            tz=settings.tz,
            now=SLOT - timedelta(days=1),
            media=media,
            store=media_store(settings),
        )
        db.commit()
        return saved


def open_slot(engine: Engine, campaign: Campaign, slot: datetime) -> None:
    with Session(engine) as db:
        ledger.open_run(db, campaign, slot, "test", approved_by="test", now=slot)


async def send_slot(
    engine: Engine, settings: Settings, adapter: TelegramAdapter, campaign: Campaign, slot: datetime
) -> int:
    open_slot(engine, campaign, slot)
    sender = RateLimitedAdapter(adapter, RateLimiter(Unlimited()))
    result = await FanOut(engine, {"telegram": sender}, concurrency=16).run(
        campaign.id,  # type: ignore[arg-type]
        slot,
        text_source(engine, settings, campaign, slot),
        media=campaign_media(engine, settings, campaign),
    )
    return result.sent


async def started(fake: FakeTelegram, engine: Engine) -> TelegramAdapter:
    adapter = TelegramAdapter(
        fake.token, api_base_url=fake.api_base_url, file_ids=DatabaseFileIds(engine)
    )
    await adapter.open()
    return adapter


async def test_a_video_to_300_groups_is_uploaded_once_and_sent_once_per_group(
    fake_telegram: FakeTelegram, engine: Engine, settings: Settings
) -> None:
    fake = fake_telegram
    chats = [fake.add_group(f"幸福里{i}号楼", with_bot=True) for i in range(GROUPS)]
    add_groups(engine, chats)
    data = video()
    campaign = video_campaign(engine, settings, data)
    stored = media_store(settings).path_of(inspect_media(data, "x.mp4").sha256)
    assert stored.read_bytes() == data

    adapter = await started(fake, engine)
    try:
        sent = await send_slot(engine, settings, adapter, campaign, SLOT)
    finally:
        await adapter.stop()

    assert sent == GROUPS
    assert len(fake.uploads) == 1 and adapter.uploads == 1
    (upload,) = fake.uploads
    assert (upload.method, upload.size, upload.filename) == ("video", len(data), "反诈情景剧.mp4")
    assert all(c.params.get("supports_streaming") is True for c in fake.calls_to("sendVideo"))
    for chat in chats:
        (message,) = fake.sent_to(chat)  # exactly once per group
        assert message.media == "video" and message.file_id == upload.file_id
        assert message.text.startswith("兴庆派出所提醒：")  # the rendered text is the caption
    rows = deliveries(engine, campaign.id)
    assert len(rows) == GROUPS  # one delivery each
    assert {r.state for r in rows} == {DeliveryState.SENT}
    with Session(engine) as db:
        (row,) = db.exec(select(Media)).all()
        assert row.telegram_file_id == upload.file_id and row.kind == "video"

    # A restarted bot (a new adapter, same database) sends the next run by file_id.
    again = await started(fake, engine)
    try:
        assert (
            await send_slot(engine, settings, again, campaign, SLOT + timedelta(days=7)) == GROUPS
        )
    finally:
        await again.stop()
    assert len(fake.uploads) == 1 and again.uploads == 0
    assert all(len(fake.sent_to(c)) == 2 for c in chats)


async def test_a_file_id_telegram_does_not_know_is_uploaded_again(
    fake_telegram: FakeTelegram, engine: Engine, settings: Settings
) -> None:
    """Another bot token's file_id (kept in the database) is refused: upload once more."""
    fake = fake_telegram
    chats = [fake.add_group(f"群{i}", with_bot=True) for i in range(5)]
    add_groups(engine, chats)
    campaign = video_campaign(engine, settings, video(400_000))
    DatabaseFileIds(engine).put("telegram", inspect_media(video(400_000), "v.mp4").sha256, "old")

    adapter = await started(fake, engine)
    try:
        assert await send_slot(engine, settings, adapter, campaign, SLOT) == 5
    finally:
        await adapter.stop()
    assert len(fake.uploads) == 1
    assert (
        DatabaseFileIds(engine).get("telegram", fake.uploads[0].sha256) == fake.uploads[0].file_id
    )


WECHAT_ROOMS = 300


async def test_a_video_to_300_wechat_rooms_goes_as_a_file_and_its_caption_once_each(
    wechat_gateway: WechatGateway, db_url: str, tmp_path: Path
) -> None:
    """The real python-wechaty client against the Node gateway: each room gets the video
    (streamed as a FileBox) and then the text, and the ledger counts one delivery."""
    resident = await wechat_gateway.add_contact("居民")
    rooms = [
        await wechat_gateway.add_room(f"阳光小区{i}栋", [resident]) for i in range(WECHAT_ROOMS)
    ]
    settings = settings_for(
        db_url,
        tmp_path / "media",
        wechat={
            "enabled": True,
            "seconds_between_sends": 0,  # the pace is tested in test_broadcast_wechat.py
            "daily_send_cap": 10_000,
            "broadcast_hours": "00:00-24:00",
        },
    )
    engine = make_db(settings)
    add_groups(engine, rooms, platform="wechat")
    data = video(1_500_000)
    campaign = video_campaign(engine, settings, data)
    open_slot(engine, campaign, SLOT)
    adapter = WechatAdapter(
        wechat_gateway.endpoint, wechat_gateway.token, options=fast_wechat_options()
    )

    async def ignore(_: object) -> None:
        return None

    await adapter.start(ignore)
    try:
        sender = RateLimitedAdapter(adapter, limiter_for("wechat", settings, engine=engine))
        result = await FanOut(engine, {"wechat": sender}, concurrency=8).run(
            campaign.id,  # type: ignore[arg-type]
            SLOT,
            text_source(engine, settings, campaign, SLOT),
            media=campaign_media(engine, settings, campaign),
        )
    finally:
        await adapter.stop()

    assert (result.sent, result.failed) == (WECHAT_ROOMS, 0), deliveries(engine)[0].reason
    wanted = set(rooms)
    sent = [m for m in await wechat_gateway.sent() if m["conversationId"] in wanted]
    files = [m for m in sent if m["kind"] == "file"]
    texts = [m for m in sent if m["kind"] == "text"]
    assert sorted(m["conversationId"] for m in files) == sorted(rooms)  # each room once
    assert sorted(m["conversationId"] for m in texts) == sorted(rooms)
    digest = inspect_media(data, "v.mp4").sha256
    assert all(
        (m["fileName"], m["size"], m["sha256"]) == ("反诈情景剧.mp4", len(data), digest)
        for m in files
    )
    assert all(m["text"].startswith("兴庆派出所提醒：") for m in texts)
    by_room = {m["conversationId"]: m["seq"] for m in files}
    assert all(by_room[m["conversationId"]] < m["seq"] for m in texts)  # the file, then its text
    rows = deliveries(engine, campaign.id)
    assert len(rows) == WECHAT_ROOMS  # one delivery each
    assert {r.state for r in rows} == {DeliveryState.SENT}
    engine.dispose()


async def test_media_lost_from_the_store_fails_its_rows_without_sending(
    fake_telegram: FakeTelegram, engine: Engine, settings: Settings
) -> None:
    fake = fake_telegram
    chats = [fake.add_group(f"群{i}", with_bot=True) for i in range(3)]
    add_groups(engine, chats)
    data = video(200_000)
    campaign = video_campaign(engine, settings, data)
    media_store(settings).path_of(inspect_media(data, "v.mp4").sha256).unlink()

    adapter = await started(fake, engine)
    try:
        assert await send_slot(engine, settings, adapter, campaign, SLOT) == 0
    finally:
        await adapter.stop()
    assert fake.uploads == [] and fake.all_sent() == []
    rows = deliveries(engine, campaign.id)
    assert all(r.state == "failed" and "missing from the store" in r.reason for r in rows)
