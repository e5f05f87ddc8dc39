"""What residents type, made safe once at the edge, before anything else sees it.

Every adapter's mapping function (update -> event) ends with ``clean_event``, so the
dispatcher, the guard, the matcher, the database and the logs only ever see text that

- holds no lone surrogate (half of a UTF-16 pair, which JSON can carry and which raises
  ``UnicodeEncodeError`` on the first ``encode``): it becomes U+FFFD;
- holds no control or format character (NUL, escape sequences, zero-width spaces, the
  bidirectional overrides that make "‮官警王‬" read backwards, soft hyphens, BOMs),
  except newlines and tabs in messages and the zero-width joiner inside emoji;
- is in Unicode NFC (composed, as typed on any keyboard; NFKC would turn the full-width
  punctuation of Chinese text into ASCII and change what the resident wrote);
- is at most ``MAX_TEXT`` characters (names and titles ``MAX_NAME``, on one line): the
  guard and the matcher then cost a bounded time per message whatever arrives, and a
  cut text ends with ``CUT_MARK`` so a person reading it knows.

Display names and group titles also have their ID, phone and card numbers masked here
("王 139****5678"): they are stored (tickets, group rows) and shown, and the bot never
needs a number from a name. A message's text keeps its numbers: the guard must see them.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from functools import lru_cache
from typing import TypeVar

from core.events import BotAddedToGroup, ButtonPress, Event, IncomingMessage, MembersJoined
from guard.pii import mask_addresses, mask_pii

E = TypeVar("E", bound=Event)

MAX_TEXT = 4096  # a whole Telegram message: the ticket keeps what the resident wrote
MAX_NAME = 64
CUT_MARK = "…"
_KEEP = "\n\t\u200d"  # newline, tab, and the zero-width joiner that glues emoji
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_SPACES = re.compile(r"\s+")


def _drop(ch: str, keep: str) -> bool:
    """A control (Cc), format (Cf) or unpaired surrogate (Cs) character not in ``keep``."""
    return ch not in keep and unicodedata.category(ch) in ("Cc", "Cf", "Cs")


def visible(text: str, keep: str = _KEEP) -> str:
    """``text`` without lone surrogates (U+FFFD instead) and control or format characters
    other than ``keep``; line breaks of every kind become ``\\n``."""
    # Pairs written as two code points join up; a lone half becomes U+FFFD.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _LINE_BREAKS.sub("\n", text)
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch for ch in text if not _drop(ch, keep))


def _cleaned(text: str) -> str:
    return unicodedata.normalize("NFC", visible(text))


def _capped(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(CUT_MARK)].rstrip() + CUT_MARK


def clean_text(text: str, limit: int = MAX_TEXT) -> str:
    """A message as the bot works with it: see the module docstring."""
    return _capped(_cleaned(text), limit).strip()


# Every message carries its group's title and its sender's name, the same ones again and
# again: masking them (~0.03 ms of CPU each) once per distinct name, not once per message.
@lru_cache(maxsize=4096)
def clean_name(name: str, limit: int = MAX_NAME) -> str:
    """A display name or group title: cleaned like a message, on one line, short, and with
    personal numbers and home addresses masked."""
    return _capped(mask_addresses(mask_pii(_SPACES.sub(" ", _cleaned(name)).strip())), limit)


def clean_event(event: E) -> E:
    """The same event with every resident-typed string cleaned (ids are left alone)."""
    if isinstance(event, IncomingMessage):
        return dataclasses.replace(
            event,
            text=clean_text(event.text),
            sender_name=clean_name(event.sender_name),
            chat_title=clean_name(event.chat_title),
        )
    if isinstance(event, ButtonPress):
        return dataclasses.replace(event, sender_name=clean_name(event.sender_name))
    if isinstance(event, BotAddedToGroup):
        return dataclasses.replace(event, title=clean_name(event.title))
    if isinstance(event, MembersJoined):
        return dataclasses.replace(event, names=tuple(clean_name(n) for n in event.names))
    return event
