"""The knowledge base in use: topics and the model learned from them, replaced whole.

A station grows its own knowledge base by dropping topic files into ``[faq] topics_dir``.
Every worker notices a change within ``reload_seconds`` (a cheap look at the files' sizes
and times), retrains off the event loop and swaps the new topics and model in at once. A
broken file is reported with its name and key, and the last good knowledge base stays in
use: the bot is never left without a model.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.templates import literal_template
from faq.knowledge import FaqError, FaqTopic, load_knowledge, topic_files
from faq.learned import (
    DEFAULT_THRESHOLDS,
    CorpusError,
    Example,
    LearnedMatcher,
    Reading,
    build_learned_matcher,
)
from faq.matcher import Decision, Thresholds

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Taught:
    """A question an officer taught with 加入FAQ: with a topic (an approved draft) or with
    the officer's own answer, which becomes a topic of its own."""

    id: int
    question: str
    faq_id: str | None = None
    answer: str | None = None

    def topic(self) -> FaqTopic | None:
        if self.faq_id or not self.answer:
            return None
        return FaqTopic(
            id=f"{TAUGHT_PREFIX}{self.id}",
            title=self.question,
            aliases=(),
            examples=(self.question,),
            source="民警加入FAQ",
            answer=literal_template(self.answer),
        )


TAUGHT_PREFIX = "taught-"


@dataclass(frozen=True, slots=True)
class Snapshot:
    topics: Mapping[str, FaqTopic]
    matcher: LearnedMatcher
    fingerprint: str
    taught: tuple[Taught, ...]


def files_fingerprint(station_dir: Path | None) -> str:
    digest = hashlib.sha256()
    for path in topic_files(station_dir):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while we looked: the next look sees it gone
        digest.update(f"{path}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\x1e".encode())
    return digest.hexdigest()


class KnowledgeBase(Mapping[str, FaqTopic]):
    """The topics by id (a read-only mapping) and ``decide``, always from one snapshot."""

    def __init__(
        self,
        station_dir: Path | None = None,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        taught: Callable[[], Sequence[Taught]] = tuple,
        cache_dir: Path | None = None,
        corpus: Sequence[Example] | None = None,
    ) -> None:
        self.station_dir = station_dir
        self._corpus = corpus
        self.thresholds = thresholds
        self._taught = taught
        self._cache_dir = cache_dir
        # At start-up a broken file stops us: there is nothing to keep.
        self.current = self._build(files_fingerprint(station_dir), tuple(taught()))

    def _build(self, fingerprint: str, taught: tuple[Taught, ...]) -> Snapshot:
        own = [topic for t in taught if (topic := t.topic())]
        topics = (*load_knowledge(self.station_dir), *own)
        known = {t.id for t in topics}
        # An own-answer question is its own topic's example already; an approved draft
        # teaches that these words mean that topic.
        extra = [Example(t.question, "ask", t.faq_id) for t in taught if t.faq_id in known]
        matcher = build_learned_matcher(
            topics, self.thresholds, self._corpus, self._cache_dir, extra=extra
        )
        return Snapshot({t.id: t for t in topics}, matcher, fingerprint, taught)

    def refresh(self, force: bool = False) -> str | None:
        """Retrain if the files or the taught questions changed. Blocking: call it on a
        thread. Returns the problem when a changed file is broken (the old set stays)."""
        fingerprint, taught = files_fingerprint(self.station_dir), tuple(self._taught())
        current = self.current
        if not force and (fingerprint, taught) == (current.fingerprint, current.taught):
            return None
        try:
            self.current = self._build(fingerprint, taught)
        except (FaqError, CorpusError) as problem:
            log.error("knowledge base not reloaded, the last good one stays in use: %s", problem)
            return str(problem)
        log.info("knowledge base reloaded: %d topics", len(self.current.topics))
        return None

    def decide(self, text: str, addressed: bool = False) -> Decision:
        return self.current.matcher.decide(text, addressed=addressed)

    def read(self, text: str, explain: bool = False) -> Reading:
        return self.current.matcher.read(text, explain=explain)

    def __getitem__(self, key: str) -> FaqTopic:
        return self.current.topics[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.current.topics)

    def __len__(self) -> int:
        return len(self.current.topics)
