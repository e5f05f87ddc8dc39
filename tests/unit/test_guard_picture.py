"""Pictures through the guard: chat screenshots, posters and QR posters rendered with a
CJK font from Debian (scripts/test.sh installs it and Tesseract), read back by OCR and
zxing-cpp. Rendered once per session: OCR is the slow part, each picture is read once."""

from __future__ import annotations

import io
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from guard.detect import GuardResult
from guard.picture import check_picture, judge_code, read_picture, tidy

DATA = Path(__file__).resolve().parents[1] / "data" / "guard_pictures.toml"
FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    path = next((p for p in FONTS if Path(p).is_file()), None)
    assert path, "no CJK font: scripts/test.sh installs fonts-wqy-zenhei"
    return ImageFont.truetype(path, size)


def png(picture: Image.Image) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def chat_screenshot(lines: list[str], seed: int) -> bytes:
    """A group chat as a phone shows it: title bar, avatars, one bubble per line."""
    picture = Image.new("RGB", (720, 160 + 110 * len(lines)), (237, 237, 237))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, 720, 80), fill=(247, 247, 247))
    draw.text((260, 22), f"幸福家园{seed % 5 + 1}群(428)", fill="black", font=font(28))
    for i, line in enumerate(lines):
        top = 120 + 110 * i
        draw.rectangle((24, top, 96, top + 72), fill=(90 + 20 * (seed % 7), 140, 200))
        width = min(560, 30 * len(line) + 40)
        draw.rounded_rectangle((116, top, 116 + width, top + 72), 10, fill="white")
        draw.text((136, top + 18), line, fill=(20, 20, 20), font=font(28))
    return png(picture)


def poster(lines: list[str], seed: int) -> bytes:
    """A flyer: coloured background, a big title and its lines."""
    colours = [(200, 30, 30), (250, 200, 40), (30, 90, 170), (240, 240, 240)]
    background = colours[seed % len(colours)]
    ink = "white" if background in [(200, 30, 30), (30, 90, 170)] else "black"
    picture = Image.new("RGB", (800, 260 + 90 * len(lines)), background)
    draw = ImageDraw.Draw(picture)
    draw.text((60, 60), lines[0], fill=ink, font=font(64))
    for i, line in enumerate(lines[1:]):
        draw.text((60, 200 + 90 * i), line, fill=ink, font=font(44))
    return png(picture)


def qr_poster(payload: str, lines: list[str]) -> bytes:
    code = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode)
    qr = Image.fromarray(np.array(zxingcpp.write_barcode_to_image(code, scale=6))).convert("RGB")
    picture = Image.new(
        "RGB", (max(640, qr.width + 80), 200 + 70 * len(lines) + qr.height), "white"
    )
    draw = ImageDraw.Draw(picture)
    for i, line in enumerate(lines):
        draw.text((40, 40 + 70 * i), line, fill="black", font=font(48))
    picture.paste(qr, (40, 120 + 70 * len(lines)))
    return png(picture)


@dataclass(frozen=True)
class Rendered:
    kind: str  # chat, poster, qr
    words: str
    result: GuardResult


def _render_all() -> dict[str, list[Rendered]]:
    data = tomllib.loads(DATA.read_text(encoding="utf-8"))
    out: dict[str, list[Rendered]] = {}
    for side in ("lure", "ok"):
        chats = data[f"{side}_chats"]
        posters = data[f"{side}_posters"]
        pictures = [
            *(("chat", lines, chat_screenshot(lines, i)) for i, lines in enumerate(chats)),
            *(("poster", lines, poster(lines, i)) for i, lines in enumerate(posters)),
            *(("qr", lines, qr_poster(url, lines)) for url, lines in data[f"{side}_qr_posters"]),
        ]
        out[side] = [Rendered(k, " / ".join(w), check_picture(p)) for k, w, p in pictures]
    return out


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Rendered]]:
    return _render_all()


def test_at_least_forty_pictures_each(rendered: dict[str, list[Rendered]]) -> None:
    assert len(rendered["lure"]) >= 40
    assert len(rendered["ok"]) >= 40
    assert {r.kind for r in rendered["lure"]} == {"chat", "poster", "qr"}


def test_lure_pictures_are_recognised(rendered: dict[str, list[Rendered]]) -> None:
    lures = rendered["lure"]
    missed = [r.words for r in lures if r.result.verdict == "ok"]
    recall = 100.0 * (len(lures) - len(missed)) / len(lures)
    assert recall >= 85.0, "\n".join(missed)


def test_harmless_pictures_rarely_alarm(rendered: dict[str, list[Rendered]]) -> None:
    harmless = rendered["ok"]
    alarms = [f"{r.words}: {r.result.label}" for r in harmless if r.result.verdict != "ok"]
    assert 100.0 * len(alarms) / len(harmless) <= 5.0, "\n".join(alarms)


def test_ocr_reads_the_words_and_qr_the_payload() -> None:
    reading = read_picture(qr_poster("wxp://f2f0abc", ["扫码付款"]))
    assert "扫码付款" in reading.text
    assert reading.codes == ("wxp://f2f0abc",)


def test_payment_and_group_codes_warn_other_links_do_not() -> None:
    assert judge_code("wxp://f2f0abc").kind == "qr-payment"
    assert judge_code("https://weixin.qq.com/g/AbCd").kind == "qr-group"
    assert judge_code("https://www.gov.cn/zhengce/").verdict == "ok"


def test_what_is_not_a_picture_is_ok() -> None:
    assert check_picture(b"not a picture").verdict == "ok"


def test_tidy_joins_chinese_that_ocr_spaced_out() -> None:
    assert tidy("加 导 师 微 信 sd88 名额\n有限") == "加导师微信 sd88 名额有限"
