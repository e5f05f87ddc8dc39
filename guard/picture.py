"""Pictures posted in groups: lures arrive as chat screenshots, posters and QR codes.

A picture is read twice, in memory only (never written anywhere; only the verdict leaves
this module): Tesseract reads its text (Debian's ``tesseract-ocr-chi-sim`` data, through
``tesserocr``, which keeps one engine loaded instead of starting a process per picture),
and zxing-cpp decodes its QR codes. The text is then judged by the same guard as a typed
message (``guard.detect.check``); a QR code that pays someone (收款码) or invites into a
group (群二维码) is a warning of its own, since a stranger's one is how most lures in
WeChat groups end. Whether the sender is an officer is for the handler to say.

Both readers are CPU-bound and blocking (about 0.1-0.3 s a picture): call
``check_picture`` off the event loop (``asyncio.to_thread``).
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from guard.detect import OK, GuardResult, check
from guard.scam import scripts_text

log = logging.getLogger(__name__)

# Debian's tessdata folders (tesseract 5, then 4), after TESSDATA_PREFIX if set.
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata")
OCR_LANGUAGE = "chi_sim"  # reads Latin letters and digits well enough for links and numbers
MAX_SIDE = 1600  # larger pictures are scaled down first: text stays legible, OCR gets faster
SURE_OCR = 90  # Tesseract's mean confidence at which one reading is enough
MIN_SIDE = 200  # a picture is never read smaller than this
DARK = 110  # mean grey below which a picture is mostly dark: Tesseract wants dark on light
MAX_PIXELS = 40_000_000  # past this a "picture" is a decompression bomb, not a chat post
_CJK = "\u3400-\u9fff\uf900-\ufaff"
# Tesseract puts spaces between Chinese characters and breaks wrapped lines; the guard's
# n-grams want the words whole.
_CJK_GAP_RE = re.compile(f"(?<=[{_CJK}，。！？：；、）】」])\\s+(?=[{_CJK}，。！？：；、（【「])")


@dataclass(frozen=True, slots=True)
class PictureReading:
    text: str  # what OCR read, tidied
    codes: tuple[str, ...]  # the payloads of the QR codes in it


class OcrUnavailable(Exception):
    """No Tesseract language data: pictures are then checked for QR codes only."""


def tessdata_dir() -> str:
    candidates = [os.environ.get("TESSDATA_PREFIX", ""), *TESSDATA_DIRS]
    for folder in candidates:
        if folder and (Path(folder) / f"{OCR_LANGUAGE}.traineddata").is_file():
            return folder
    raise OcrUnavailable(f"no {OCR_LANGUAGE}.traineddata in {', '.join(filter(None, candidates))}")


class _Engine:
    """One Tesseract engine, loaded once (0.2 s) and used by one thread at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._api: Any = None

    @contextmanager
    def api(self) -> Iterator[Any]:
        with self._lock:
            if self._api is None:
                import tesserocr  # loads libtesseract: only once a picture comes

                self._api = tesserocr.PyTessBaseAPI(
                    path=tessdata_dir(), lang=OCR_LANGUAGE, psm=tesserocr.PSM.AUTO
                )
            yield self._api


_ENGINE = _Engine()


def _open(data: bytes) -> Any:
    from PIL import Image, ImageOps, ImageStat

    opened = Image.open(io.BytesIO(data))
    width, height = opened.size
    if width * height > MAX_PIXELS:
        raise ValueError(f"picture of {width}x{height} pixels")
    picture = opened.convert("L")
    if ImageStat.Stat(picture).mean[0] < DARK:
        picture = ImageOps.invert(picture)  # light text on a dark poster or dark-mode chat
    if max(width, height) > MAX_SIDE:
        scale = MAX_SIDE / max(width, height)
        picture = picture.resize((round(width * scale), round(height * scale)))
    return picture


def tidy(text: str) -> str:
    return _CJK_GAP_RE.sub("", text).strip()


def _ocr(picture: Any) -> str:
    """Tesseract reads best at chat-text size; a poster's big letters it misreads (文艺 as
    文己) with less confidence. Then it reads the picture again at half size (half the
    time again) and the more confident reading wins."""
    with _ENGINE.api() as api:
        api.SetImage(picture)
        best = (api.MeanTextConf(), api.GetUTF8Text())
        if best[0] < SURE_OCR and min(picture.size) >= 2 * MIN_SIDE:
            api.SetImage(picture.resize((picture.width // 2, picture.height // 2)))
            best = max(best, (api.MeanTextConf(), api.GetUTF8Text()))
    return tidy(best[1])


def read_picture(data: bytes) -> PictureReading:
    """OCR text and QR payloads of an encoded picture (PNG, JPEG, WebP...)."""
    import zxingcpp

    picture = _open(data)
    codes = tuple(
        code.text
        for code in zxingcpp.read_barcodes(
            picture, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
        if code.valid and code.text
    )
    try:
        text = _ocr(picture)
    except OcrUnavailable as missing:
        log.warning("guard: pictures are checked for QR codes only: %s", missing)
        text = ""
    return PictureReading(text, codes)


@dataclass(frozen=True, slots=True)
class _CodeKind:
    id: str
    name: str
    advice: str
    pattern: re.Pattern[str]


@cache
def _code_kinds() -> tuple[_CodeKind, ...]:
    raw = tomllib.loads(scripts_text())
    return tuple(
        _CodeKind(kid, str(k["name"]), str(k["advice"]), re.compile("|".join(k["patterns"]), re.I))
        for kid, k in raw["qr"].items()
    )


def judge_code(payload: str) -> GuardResult:
    """A payment or group-invite QR code is a warning; any other code is judged as text."""
    for kind in _code_kinds():
        if kind.pattern.search(payload):
            return GuardResult("scam", kind.id, kind.name, 0.9, kind.advice)
    return check(payload)


def judge(reading: PictureReading, *, exempt_numbers: frozenset[str] = frozenset()) -> GuardResult:
    """The picture's verdict: its text as a message, else its worst QR code."""
    result = check(reading.text, exempt_numbers=exempt_numbers) if reading.text else OK
    if result.verdict == "scam":
        return result
    for payload in reading.codes:
        code = judge_code(payload)
        if code.verdict == "scam":
            return code
    return result


def check_picture(data: bytes, *, exempt_numbers: frozenset[str] = frozenset()) -> GuardResult:
    """Blocking: run it off the event loop. A file that is no picture is ``OK``."""
    return check_and_read(data, exempt_numbers=exempt_numbers)[0]


def check_and_read(
    data: bytes, *, exempt_numbers: frozenset[str] = frozenset()
) -> tuple[GuardResult, PictureReading]:
    """The verdict and what was read (the text and QR codes a lure's fingerprint is made
    of: ``guard.wave``). Blocking; a file that is no picture is ``OK`` with nothing read."""
    try:
        reading = read_picture(data)
    except (OSError, ValueError) as unreadable:  # PIL's UnidentifiedImageError is an OSError
        log.info("guard: picture not read: %s", unreadable)
        return OK, PictureReading("", ())
    return judge(reading, exempt_numbers=exempt_numbers), reading
