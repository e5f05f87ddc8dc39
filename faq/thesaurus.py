"""Words residents use for one meaning (faq/dict/thesaurus.txt): 电驴子 and 电瓶车 are one
thing, 咋整 and 怎么办 one question. A message's groups are features beside its
characters, so two wordings of one need share something the models can weigh.

The file was written from the topic list alone, by an author who saw no eval set.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache
from pathlib import Path

from faq.text import initials

THESAURUS = Path(__file__).parent / "dict" / "thesaurus.txt"
SHORTEST = 2  # one character (门, 说, 好) is in too many words to stand for a meaning
_LATIN_WORD = re.compile(r"(?<![a-z0-9])[a-z]{2,8}(?![a-z0-9])")


class ThesaurusError(Exception):
    pass


class Thesaurus:
    def __init__(self, groups: dict[str, tuple[str, ...]]) -> None:
        # A word's groups, and by first character the lengths of the words that start
        # with it: at each place of a message, one dict lookup per length (a handful),
        # not one comparison per word (a common character starts dozens).
        self._names: dict[str, list[str]] = defaultdict(list)
        lengths: dict[str, set[int]] = defaultdict(set)
        # Pinyin initials a group lists for its first word (sfz, hkb, lssfz, gatxz): the
        # word itself, so that characters and pinyin see what the resident meant.
        self.abbreviations: dict[str, str] = {}
        for name, words in groups.items():
            for word in words:
                if len(word) >= SHORTEST:
                    self._names[word].append(name)
                    lengths[word[0]].add(len(word))
                if (
                    _LATIN_WORD.fullmatch(word)
                    and len(set(word)) > 1  # xx is a placeholder (xx小区) as often as 谢谢
                    and initials(words[0]) == word
                ):
                    self.abbreviations[word] = words[0]
        self._lengths = {first: tuple(sorted(sizes)) for first, sizes in lengths.items()}

    @classmethod
    def read(cls, path: Path = THESAURUS) -> Thesaurus:
        groups: dict[str, tuple[str, ...]] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, colon, words = line.partition(":")
            if not colon or not name.strip() or not words.split():
                raise ThesaurusError(f"{path}:{number}: expected 'name: word word …'")
            groups[name.strip()] = tuple(w.lower() for w in words.split())
        return cls(groups)

    def expand(self, text: str) -> str:
        """``text`` (normalised) with abbreviations written out: lssfz办 -> 临时身份证办."""
        if not self.abbreviations or not any("a" <= c <= "z" for c in text):
            return text
        return _LATIN_WORD.sub(lambda m: self.abbreviations.get(m.group(), m.group()), text)

    def groups(self, text: str) -> set[str]:
        """The groups one of whose words occurs in ``text`` (already normalised)."""
        found: set[str] = set()
        names = self._names
        for i, char in enumerate(text):
            for size in self._lengths.get(char, ()):
                hit = names.get(text[i : i + size])
                if hit:
                    found.update(hit)
        return found


@cache
def shipped() -> Thesaurus:
    return Thesaurus.read()
