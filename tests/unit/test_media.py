"""broadcasts.media: what a picture, video or file may be (per platform, from the limits
table), the store on disk, and how the console demo shows one."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.adapters.console import GROUP, ConsoleAdapter
from broadcasts.media import (
    MediaProblem,
    MediaStore,
    check_caption,
    inspect_media,
    label,
    limits,
    max_bytes,
    sniff_mime,
    suffix_of,
)
from core.events import MediaRef, Outgoing

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
PDF = b"%PDF-1.7\n"


def sized(head: bytes, size: int) -> bytes:
    return head + b"\0" * (size - len(head))


def test_kind_and_type_come_from_the_content() -> None:
    assert inspect_media(sized(MP4, 2_300_000), "情景剧.mp4").kind == "video"
    assert inspect_media(sized(JPEG, 5000), "通报.jpg").kind == "photo"
    shown_as_file = inspect_media(sized(JPEG, 5000), "通报.jpg", kind="file")
    assert shown_as_file.kind == "file"  # an officer may send a picture as a document
    document = inspect_media(sized(PDF, 5000), "反诈日报.pdf")
    assert (document.kind, document.mime) == ("file", "application/pdf")
    assert inspect_media(sized(JPEG, 5000), "misnamed.mp4").mime == "image/jpeg"


def test_a_fetched_picture_is_named_by_what_it_is() -> None:
    """A WeChat gateway sends a file as a picture by its name (handlers.alerts names one)."""
    named = {suffix_of(sniff_mime(sized(h, 100))) for h in (JPEG, b"\x89PNG\r\n\x1a\n", MP4)}
    assert named == {".jpg", ".png", ".mp4"}
    assert suffix_of("application/x-unheard-of") == ""


@pytest.mark.parametrize(
    ("data", "name", "says"),
    [
        (sized(MP4, 10_000_001), "大视频.mp4", "超过微信的上限 10.0 MB"),
        (sized(MP4, 50_000_001), "更大.mp4", "超过"),
        (sized(JPEG, 10_000_001), "大图.jpg", "图片「大图.jpg」有 10.0 MB"),
        (sized(b"MZ\x90\x00", 1000), "情景剧.mp4", "格式"),  # a program renamed .mp4
        (sized(b"PK\x03\x04", 1000), "国家反诈中心.apk", "格式"),
        (sized(b"\x00\x00\x00\x14ftypqt  ", 1000), "苹果.mov", "只能是 MP4 格式"),
        (b"", "空.jpg", "空文件"),
    ],
)
def test_bad_files_are_refused_in_chinese(data: bytes, name: str, says: str) -> None:
    with pytest.raises(MediaProblem) as refused:
        inspect_media(data, name)
    message = str(refused.value)
    assert says in message and "未保存" in message
    assert not any(word in message for word in ("Error", "Traceback", "refused"))


def test_only_the_platforms_in_use_bound_the_size() -> None:
    video = sized(MP4, 20_000_000)  # over WeChat's 10 MB, under Telegram's 50 MB
    assert inspect_media(video, "v.mp4", platforms=["telegram"]).size == 20_000_000
    with pytest.raises(MediaProblem, match="微信"):
        inspect_media(video, "v.mp4", platforms=["telegram", "wechat"])


def test_limits_are_the_documented_ones() -> None:
    assert max_bytes("photo", "telegram") == 10_000_000
    assert max_bytes("video", "telegram") == max_bytes("file", "telegram") == 50_000_000
    assert limits()["telegram"]["caption_chars"] == 1024
    check_caption("字" * 1024)
    with pytest.raises(MediaProblem, match="最多 1024 个字"):
        check_caption("字" * 1025)


def test_the_store_names_content_by_its_hash_and_writes_it_once(tmp_path: Path) -> None:
    store = MediaStore(tmp_path / "media")
    media = inspect_media(sized(MP4, 4000), "a.mp4")
    path = store.put(media)
    assert path.name == media.sha256 and path.read_bytes() == media.data
    mtime = path.stat().st_mtime_ns
    assert store.put(inspect_media(sized(MP4, 4000), "b.mp4")) == path
    assert path.stat().st_mtime_ns == mtime
    assert [p.name for p in (tmp_path / "media").iterdir()] == [media.sha256]
    with pytest.raises(ValueError):
        store.path_of("../../etc/passwd")


def test_the_console_shows_the_kind_and_size_before_the_caption() -> None:
    ref = MediaRef("video", "0" * 64, "video/mp4", 2_300_000, "v.mp4", "/nowhere")
    assert label(ref) == "[视频 2.3 MB]"
    assert label(MediaRef("photo", "0" * 64, "image/jpeg", 52_000, "p.jpg", "/x")) == "[图片 52 KB]"
    screen = io.StringIO()
    adapter = ConsoleAdapter("王警官", out=screen)

    asyncio.run(
        adapter.send(Outgoing(GROUP, "这条情景剧小视频大家一定要看，谨防上当受骗", media=ref))
    )
    assert "[视频 2.3 MB] 这条情景剧小视频大家一定要看，谨防上当受骗" in screen.getvalue()


def test_an_outbox_row_keeps_the_media_of_its_message() -> None:
    """An alert with a picture written to the outbox is sent with the picture."""
    from datetime import UTC, datetime

    from sqlmodel import Session, SQLModel, create_engine

    from infra.outbox import enqueue, outgoing

    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    ref = MediaRef("photo", "a" * 64, "image/jpeg", 52_000, "寻人启事.jpg", "/media/" + "a" * 64)
    with Session(engine) as db:
        row = enqueue(db, Outgoing(GROUP, "寻人：请留意", media=ref), "alert", datetime.now(UTC))
        db.commit()
        db.refresh(row)
        assert outgoing(row).media == ref
        plain = enqueue(db, Outgoing(GROUP, "文字"), "alert", datetime.now(UTC))
        assert outgoing(plain).media is None
