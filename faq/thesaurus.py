"""Words residents use for one meaning (faq/dict/thesaurus.txt): 电驴子 and 电瓶车 are one
thing, 咋整 and 怎么办 one question. A message's groups are features beside its
characters, so two wordings of one need share something the models can weigh.

The file was written from the topic list alone, by an author who saw no eval set.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from pathlib import Path

THESAURUS = Path(__file__).parent / "dict" / "thesaurus.txt"
SHORTEST = 2  # one character (门, 说, 好) is in too many words to stand for a meaning


class ThesaurusError(Exception):
    pass


class Thesaurus:
    def __init__(self, groups: dict[str, tuple[str, ...]]) -> None:
        self._by_first: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for name, words in groups.items():
            for word in words:
                if len(word) >= SHORTEST:
                    self._by_first[word[0]].append((word, name))
        for candidates in self._by_first.values():
            candidates.sort(key=lambda pair: -len(pair[0]))

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

    def groups(self, text: str) -> set[str]:
        """The groups one of whose words occurs in ``text`` (already normalised)."""
        found = set()
        for i, char in enumerate(text):
            for word, name in self._by_first.get(char, ()):
                if text.startswith(word, i):
                    found.add(name)
        return found


@cache
def shipped() -> Thesaurus:
    return Thesaurus.read()
