"""Pictures, videos and files sent with a campaign or an alert: checked, stored, referenced.

A campaign (or a one-off alert) may carry ONE picture, video or file; its rendered text is
the caption. What it may be is checked when it is SAVED, against every platform it may go
to (``media_limits.toml``: type and size per platform, with the sources cited), so a send
never finds out that WeChat or Telegram refuses it. A refusal is a ``MediaProblem`` whose
text is Chinese, for the officer or admin (``templates/media_refused.j2``).

The content is kept on disk in ``[broadcasts] media_dir``, named by its sha256 (the same
video saved twice is stored once), and described by a ``broadcast_media`` row: kind, MIME
type, size, original file name, and Telegram's ``file_id`` once it has been uploaded, so
a fan-out to 300 groups uploads it once and a restart does not upload it again
(``DatabaseFileIds``, the ``core.ports.MediaFileIds`` the Telegram adapter uses).

The kind and type come from the content first (its leading bytes), then the file name:
a program renamed ``.mp4`` is refused, not sent as a video.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, update
from sqlmodel import Field, Session, SQLModel, select

from core.config import Settings
from core.events import MediaKind, MediaRef
from core.templates import render

LIMITS_FILE = Path(__file__).resolve().parent / "media_limits.toml"
PLATFORMS = ("telegram", "wechat")
KINDS: tuple[MediaKind, ...] = ("photo", "video", "file")
MB = 1_000_000
EXECUTABLE = "application/x-msdownload"
# Leading bytes -> MIME type, for the types the limits name (and programs, to refuse them).
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"MZ", EXECUTABLE),
    (b"\x7fELF", EXECUTABLE),
)
# Types mimetypes may not know on a bare system.
_EXTENSIONS = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webp": "image/webp",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".apk": "application/vnd.android.package-archive",
}


class MediaProblem(ValueError):
    """A picture, video or file that cannot be sent; the message says why, in Chinese."""


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Media(SQLModel, table=True):
    """Stored content, once per sha256; campaigns (and alerts) point at it."""

    __tablename__ = "broadcast_media"
    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(unique=True)
    kind: str  # photo | video | file
    mime: str
    size: int
    filename: str
    # Telegram's id for the uploaded content (per bot): later sends reuse it, no upload.
    telegram_file_id: str | None = None
    created_at: datetime = Field(default_factory=_now)


@dataclass(frozen=True, slots=True)
class MediaFile:
    """Content that passed the checks, not yet stored."""

    kind: MediaKind
    mime: str
    size: int
    filename: str
    sha256: str
    data: bytes


# --------------------------------------------------------------------------------------
# Limits


@cache
def limits() -> Mapping[str, Any]:
    with LIMITS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def _name(key: str) -> str:
    return str(limits()["names"].get(key, key))


def megabytes(size: int) -> str:
    """ "2.3 MB" (1 MB = 1,000,000 bytes, as in the limits)."""
    return f"{size / MB:.1f} MB" if size >= MB // 10 else f"{max(size, 1) / 1000:.0f} KB"


def _refuse(reason: str, **values: Any) -> MediaProblem:
    return MediaProblem(render("media_refused.j2", reason=reason, **values))


def sniff_mime(data: bytes, filename: str = "", declared: str | None = None) -> str:
    """The content's MIME type: its leading bytes, else the file name, else ``declared``."""
    for prefix, mime in _SIGNATURES:
        if data.startswith(prefix):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    suffix = Path(filename).suffix.lower()
    guessed = _EXTENSIONS.get(suffix) or mimetypes.guess_type(f"x{suffix}")[0]
    return guessed or declared or "application/octet-stream"


def kind_of(mime: str) -> MediaKind:
    if mime.startswith("image/"):
        return "photo"
    if mime.startswith("video/"):
        return "video"
    return "file"


def allowed_mimes(kind: MediaKind, platform: str) -> tuple[str, ...]:
    table = limits()
    if kind == "file":  # documents, and pictures or videos sent as a file (full quality)
        shown = [*table[platform]["photo"]["mimes"], *table[platform]["video"]["mimes"]]
        return (*table["file"]["mimes"], *shown)
    return tuple(table[platform][kind]["mimes"])


def max_bytes(kind: MediaKind, platform: str) -> int:
    return int(limits()[platform][kind]["max_bytes"])


def caption_chars(platform: str) -> int:
    return int(limits()[platform]["caption_chars"])


def check_media(
    kind: MediaKind, mime: str, size: int, filename: str, platforms: Collection[str] = PLATFORMS
) -> None:
    """Type and size against every platform given; ``MediaProblem`` (Chinese) if not."""
    shown = {"filename": filename, "kind_name": _name(kind), "size": megabytes(size)}
    if size <= 0:
        raise _refuse("empty", **shown)
    for platform in [p for p in PLATFORMS if p in platforms]:
        allowed = allowed_mimes(kind, platform)
        if mime not in allowed:
            kinds = "、".join(sorted({_extension(m) for m in allowed}))
            raise _refuse(
                "wrong_type",
                mime=mime,
                allowed=kinds,
                platform_name=_name(platform),
                **shown,
            )
        limit = max_bytes(kind, platform)
        if size > limit:
            raise _refuse("too_big", limit=megabytes(limit), platform_name=_name(platform), **shown)


def suffix_of(mime: str) -> str:
    """The file name extension of a MIME type (".png"); "" when none is known."""
    ours = next((ext for ext, known in _EXTENSIONS.items() if known == mime), None)
    return ours or mimetypes.guess_extension(mime) or ""


def _extension(mime: str) -> str:
    return (suffix_of(mime) or mime).lstrip(".").upper()


def caption_limits(platforms: Collection[str] = PLATFORMS) -> list[int]:
    """How long a caption may be on each platform given."""
    return [caption_chars(p) for p in PLATFORMS if p in platforms] or [caption_chars("telegram")]


def caption_problem(length: int, platforms: Collection[str] = PLATFORMS) -> str:
    """Why a caption of ``length`` characters is refused (Chinese), or "" if it is not."""
    for platform in [p for p in PLATFORMS if p in platforms]:
        limit = caption_chars(platform)
        if length > limit:
            return render(
                "media_refused.j2",
                reason="caption_too_long",
                length=length,
                limit=limit,
                platform_name=_name(platform),
            )
    return ""


def check_caption(text: str, platforms: Collection[str] = PLATFORMS) -> None:
    """A caption too long for a platform's media message; ``MediaProblem`` (Chinese)."""
    problem = caption_problem(len(text), platforms)
    if problem:
        raise MediaProblem(problem)


def inspect_media(
    data: bytes,
    filename: str,
    *,
    mime: str | None = None,
    kind: MediaKind | None = None,
    platforms: Collection[str] = PLATFORMS,
) -> MediaFile:
    """Content an officer or admin gave, checked for every platform in ``platforms``.

    ``kind`` sends a picture or video as a file when given as "file"; by default it
    follows the type. ``mime`` is what the platform said the content was (a forwarded
    message); the content's own leading bytes win over it and over the file name.
    """
    name = Path(filename).name or "file"
    found = sniff_mime(data, name, mime)
    chosen: MediaKind = kind or kind_of(found)
    if found == EXECUTABLE:
        chosen = "file"  # refused below as a file type no platform gets from us
    check_media(chosen, found, len(data), name, platforms)
    return MediaFile(chosen, found, len(data), name, hashlib.sha256(data).hexdigest(), data)


def media_unreadable(filename: str) -> str:
    """Why a file that cannot be read is refused (Chinese)."""
    return render("media_refused.j2", reason="unreadable", filename=filename)


def enabled_platforms(settings: Settings) -> tuple[str, ...]:
    """The platforms a deployment sends on (both when none is enabled: it may be later)."""
    return tuple(p for p in PLATFORMS if getattr(settings, p).enabled) or PLATFORMS


# --------------------------------------------------------------------------------------
# The store on disk


class MediaStore:
    """Content-addressed files: ``<directory>/<sha256>``, written once, atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.directory / sha256

    def put(self, media: MediaFile) -> Path:
        path = self.path_of(media.sha256)
        if path.exists() and path.stat().st_size == media.size:
            return path
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(media.data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path


def media_dir(settings: Settings) -> Path:
    if settings.broadcasts.media_dir:
        return Path(settings.broadcasts.media_dir)
    url = settings.database.url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        return Path(url.removeprefix("sqlite:///")).parent / "media"
    return Path("media")


def media_store(settings: Settings) -> MediaStore:
    return MediaStore(media_dir(settings))


# --------------------------------------------------------------------------------------
# Rows


def save_media(db: Session, store: MediaStore, media: MediaFile) -> Media:
    """Store the content and get or add its row (flushed; the caller commits)."""
    store.put(media)
    row = db.exec(select(Media).where(Media.sha256 == media.sha256)).first()
    if row is None:
        row = Media(
            sha256=media.sha256,
            kind=media.kind,
            mime=media.mime,
            size=media.size,
            filename=media.filename,
        )
        db.add(row)
        db.flush()
    return row


def media_ref(media: Media, store: MediaStore) -> MediaRef:
    return MediaRef(
        kind=cast(MediaKind, media.kind),
        sha256=media.sha256,
        mime=media.mime,
        size=media.size,
        filename=media.filename,
        path=str(store.path_of(media.sha256).resolve()),
    )


def label(ref: MediaRef) -> str:
    """ "[视频 2.3 MB]": what the console shows in place of the content."""
    return render("media_label.j2", kind=ref.kind, size=ref.size)


class DatabaseFileIds:
    """``core.ports.MediaFileIds`` on ``broadcast_media``: Telegram's ``file_id`` survives
    a restart, so content is uploaded once per bot, not once per process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, platform: str, sha256: str) -> str | None:
        if platform != "telegram":
            return None
        with Session(self.engine) as db:
            row = db.exec(select(Media).where(Media.sha256 == sha256)).first()
            return row.telegram_file_id if row is not None else None

    def put(self, platform: str, sha256: str, file_id: str) -> None:
        if platform != "telegram":
            return
        with Session(self.engine) as db:
            db.exec(
                update(Media)
                .where(Media.sha256 == sha256)  # type: ignore[arg-type]
                .values(telegram_file_id=file_id)
            )
            db.commit()
