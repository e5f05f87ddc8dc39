"""What residents type, made safe to show inside the bot's own messages.

A display name or a question is the resident's voice, not the bot's: it is shown only
cleaned (control and format characters — RTL overrides, zero-width characters, BOMs —
and blank-looking fillers removed), capped in length with "…", and, for longer text, as a
*quote*: a block the platform shows apart from the bot's words (a blockquote entity on
Telegram; every line prefixed on WeChat and the console), so newlines in a question
cannot forge the layout of the message around it.

Templates mark a quote with the ``quote`` filter; ``split_quotes`` turns the rendered text
into plain text plus the quotes' spans, which travel in ``Outgoing.quotes``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

# Private-use characters: cleaning removes them from whatever a resident typed, so only
# the ``quote`` filter can open or close a quote.
QUOTE_OPEN, QUOTE_CLOSE = "\ue000", "\ue001"
QUOTE_PREFIX = "｜"  # how a quoted line starts where the platform has no quote block
ELLIPSIS = "…"

# Letters and symbols that show as nothing: Hangul fillers, the braille blank.
_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_LINE_BREAKS = frozenset("\n\r\x85\u2028\u2029\x0b\x0c")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_QUOTE = re.compile(f"{QUOTE_OPEN}(.*?){QUOTE_CLOSE}", re.S)


@cache
def _kept(char: str, newlines: bool) -> str:
    if char in _LINE_BREAKS:
        return "\n" if newlines else " "
    if char == "\t":
        return " "
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Co") or char in _BLANK_LOOKING:
        return ""
    return " " if category == "Zs" else char


def clean(text: str, *, newlines: bool = False) -> str:
    """``text`` without invisible characters; other spaces become one space, and line breaks
    become ``\\n`` (or a space when ``newlines`` is false). Trimmed."""
    text = text.replace("\r\n", "\n")
    kept = "".join(_kept(char, newlines) for char in text)
    lines = [_SPACES.sub(" ", line).strip() for line in kept.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def is_blank(text: str | None) -> bool:
    """Nothing visible: empty once invisible characters and spaces are gone."""
    return not clean(text or "")


def cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last being "…" when it was longer."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def inline(text: str | None, limit: int = 40) -> str:
    """A resident's words on one line of the bot's message: cleaned, one line, capped."""
    return cap(clean(text or ""), limit)


def name(text: str | None, limit: int = 16) -> str:
    """A display name or a group title, as the bot may show it."""
    return inline(text, limit)


def quote(text: str | None, limit: int = 1000) -> str:
    """A resident's words as a quote block (cleaned, line breaks kept, capped)."""
    return f"{QUOTE_OPEN}{cap(clean(text or '', newlines=True), limit)}{QUOTE_CLOSE}"


Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Quoted:
    """Rendered text without markers, and where its quotes are (``text[start:end]``)."""

    text: str
    quotes: tuple[Span, ...] = ()


def split_quotes(rendered: str) -> Quoted:
    plain: list[str] = []
    spans: list[Span] = []
    position = 0
    length = 0
    for match in _QUOTE.finditer(rendered):
        before = _unmarked(rendered[position : match.start()])
        plain.append(before)
        length += len(before)
        body = _unmarked(match[1])
        if body:
            spans.append((length, length + len(body)))
        plain.append(body)
        length += len(body)
        position = match.end()
    plain.append(_unmarked(rendered[position:]))
    return Quoted("".join(plain), tuple(spans))


def _unmarked(text: str) -> str:
    return text.replace(QUOTE_OPEN, "").replace(QUOTE_CLOSE, "")


def with_prefixed_quotes(text: str, quotes: tuple[Span, ...]) -> str:
    """The text for a platform without quote blocks: every quoted line starts with "｜"."""
    if not quotes:
        return text
    out: list[str] = []
    position = 0
    for start, end in quotes:
        out.append(text[position:start])
        lines = text[start:end].split("\n")
        out.append("\n".join(QUOTE_PREFIX + line for line in lines))
        position = end
    out.append(text[position:])
    return "".join(out)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (entity offsets and the 4,096 limit): UTF-16 units."""
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def fit(text: str, quotes: tuple[Span, ...], limit: int, marker: str) -> Quoted:
    """Cut ``text`` so that it and ``marker`` fit in ``limit`` UTF-16 units; quotes are
    clipped to what is left. The caller shortens quotes first; this is the last resort."""
    if utf16_len(text) <= limit:
        return Quoted(text, quotes)
    room = limit - utf16_len(marker)
    kept = text
    while kept and utf16_len(kept) > room:
        kept = kept[: len(kept) - max((utf16_len(kept) - room) // 2, 1)]
    clipped = tuple((s, min(e, len(kept))) for s, e in quotes if s < len(kept))
    return Quoted(kept + marker, clipped)
