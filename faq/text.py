"""Text normalisation and pinyin-space term matching for Chinese group messages.

Residents type with pinyin input methods, so their typos are homophones (户扣 for 户口,
身分证 for 身份证, 无犯最记录). Matching terms on toneless syllables instead of characters
catches every such typo without a typo list; requiring some characters to agree keeps
unrelated homophones (够 vs 狗) apart. Latin pinyin typed inline ("hukou") is split into
syllables, and pinyin initials (sfz, wfz) are ordinary terms.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# "@name" up to whitespace; WeChat ends mentions with U+2005 (four-per-em space).
MENTION = re.compile(r"@[^\s\u2005@]{1,20}[\s\u2005]?")
# "@所有人" (WeChat's @all) addresses the whole group, not one neighbour: a question put to
# everyone may be one the bot answers, unlike "@李姐 你家孩子户口上好了没".
EVERYONE_MENTION = re.compile(r"^(所有人|全体成员|全体|大家|all|everyone)$")
LATIN_WORD = re.compile(r"[a-z]+|\d+")
MAX_INPUT_CHARS = 2000
# Nobody types more than a sentence of pinyin inline; a longer run of letters is a link,
# a code or a flood ("aaaa…" would split into 4,096 syllables and cost the guard 40 ms).
LONGEST_PINYIN_WORD = 40
# Agreeing on a particle says nothing: 挂了 is not a typo of 刮了.
PARTICLES = frozenset(
    "了的着过吗呢吧啊么嘛呀哦个一不"
)  # a question is never longer; the rest is noise to skip


@cache  # some 1,500 readings for 27,000 characters: each is worked out once
def _toneless(reading: str) -> str:
    bare = "".join(c for c in unicodedata.normalize("NFD", reading) if not unicodedata.combining(c))
    return bare.replace("ü", "v")


@cache
def _syllables() -> dict[str, str]:
    """Each character's first reading, toneless, from pypinyin's character table, read as
    the JSON file it ships: importing pypinyin would also load its phrase dictionary
    (0.6 s at every start), which nothing here uses."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pypinyin is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.json"
    readings: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for code, reading in readings.items():
        if 0x3400 <= int(code) <= 0x9FFF:
            table[chr(int(code))] = _toneless(reading.split(",")[0])
    return table


def initials(word: str) -> str | None:
    """The first letters of the pinyin of ``word``'s characters (身份证: sfz), as residents
    abbreviate it; None when a character has no reading."""
    table = _syllables()
    letters = [table.get(ch, "")[:1] for ch in word]
    return "".join(letters) if all(letters) else None


@cache
def _valid_syllables() -> frozenset[str]:
    return frozenset(_syllables().values())


def _split_pinyin(word: str) -> list[str] | None:
    """Split a Latin word into pinyin syllables, longest first; None if it is not pinyin."""
    valid, out, i = _valid_syllables(), [], 0
    while i < len(word):
        for size in range(min(6, len(word) - i), 0, -1):
            if word[i : i + size] in valid:
                out.append(word[i : i + size])
                i += size
                break
        else:
            return None
    return out if len(out) > 1 else None


@dataclass(frozen=True, slots=True)
class Token:
    syllable: str  # toneless pinyin, a Latin word, or a digit run
    char: str  # the Chinese character, or "" for Latin/digits


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[:MAX_INPUT_CHARS]).lower()
    return "".join(c if c.isprintable() else " " for c in text)


def question_key(text: str) -> str:
    """The same question typed twice, whatever the mentions, spaces and punctuation."""
    body, _ = strip_mentions(normalise(text))
    return "".join(c for c in body if c.isalnum())


def strip_mentions(text: str) -> tuple[str, list[str]]:
    names = [m.group(0)[1:].strip() for m in MENTION.finditer(text)]
    return MENTION.sub(" ", text), names


def tokenize(text: str) -> list[Token]:
    """Tokens of already normalised text; punctuation, emoji and spaces are dropped."""
    table = _syllables()
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        syllable = table.get(ch)
        if syllable is not None:
            tokens.append(Token(syllable, ch))
            i += 1
            continue
        latin = LATIN_WORD.match(text, i)
        if latin:
            word = latin.group(0)
            pinyin = word.isalpha() and len(word) <= LONGEST_PINYIN_WORD
            parts = _split_pinyin(word) if pinyin else None
            tokens.extend(Token(p, "") for p in parts or [word])
            i = latin.end()
            continue
        i += 1
    return tokens


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    syllables: tuple[str, ...]
    chars: tuple[str, ...]


def compile_term(term: str) -> Term:
    tokens = tokenize(normalise(term))
    if not tokens:
        raise ValueError(f"term {term!r} has no letters, digits or Chinese characters")
    # A Chinese character sliced from a string is a new object each time: interned, the
    # 70,000 terms of a 2,000-topic knowledge base share one per character (12 MB less).
    chars = tuple(sys.intern(t.char) for t in tokens)
    return Term(term, tuple(t.syllable for t in tokens), chars)


class TermIndex:
    """Finds which of many terms occur in a token list, in time independent of their number."""

    def __init__(self, terms: Iterable[str]) -> None:
        self._by_syllables: dict[tuple[str, ...], list[Term]] = {}
        for raw in set(terms):
            term = compile_term(raw)
            self._by_syllables.setdefault(term.syllables, []).append(term)
        self._lengths = sorted({len(key) for key in self._by_syllables}, reverse=True)

    def find(self, tokens: Sequence[Token]) -> set[str]:
        syllables = [t.syllable for t in tokens]
        found: set[str] = set()
        for start in range(len(tokens)):
            for size in self._lengths:
                candidates = self._by_syllables.get(tuple(syllables[start : start + size]))
                if candidates:
                    span = tokens[start : start + size]
                    found.update(
                        t.text
                        for t in candidates
                        if _chars_agree(t, span) and not _straddles(t, tokens, start, size)
                    )
        return found


def _straddles(term: Term, tokens: Sequence[Token], start: int, size: int) -> bool:
    """A short homophone that is half of a neighbouring word is not a typo: in 迁入地直接
    the 地直 that sounds like 地址 belongs to 地 + 直接, and 在那边 holds 那边, not 在哪."""
    written = "".join(t.char for t in tokens[start : start + size])
    if size != 2 or len(written) != 2 or written == term.text:
        return False
    words = dictionary_words()
    before = tokens[start - 1].char + written[0] if start > 0 else ""
    after = written[-1] + tokens[start + size].char if start + size < len(tokens) else ""
    return before in words or after in words


@cache
def dictionary_words() -> frozenset[str]:
    """Common Chinese words of 2-4 characters from jieba's dictionary (frequency >= 50).

    Rare entries are left out: 身分证 and 护罩 are in the dictionary, but in a residents'
    group they are typos of 身份证 and 护照, not words of their own.
    """
    spec = importlib.util.find_spec("jieba")  # locate, don't import: jieba loads slowly
    if spec is None or spec.origin is None:
        return frozenset()
    path = Path(spec.origin).parent / "dict.txt"
    return frozenset(
        re.findall(r"^(\S\S\S?\S?) (?:[5-9]\d|\d{3,}) ", path.read_text(encoding="utf-8"), re.M)
    )


def _chars_agree(term: Term, span: Sequence[Token]) -> bool:
    """Whether a span that sounds like ``term`` is that term, perhaps mistyped.

    A homophone that is itself a dictionary word is a different word (登机 is not 登记,
    护罩 is not 护照); otherwise it is a typo if at least one character in two agrees
    (户扣, 落护, 派出锁). Latin pinyin typed by the resident has no characters to compare.
    """
    written = "".join(t.char for t in span)
    if written == term.text:
        return True
    if all(not t.char for t in span):
        return True
    if not written or written in dictionary_words():
        return False
    same = sum(
        1
        for want, got in zip(term.chars, span, strict=True)
        if want == got.char and want not in PARTICLES
    )
    return same * 2 >= len(term.chars)
