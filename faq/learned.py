"""A matcher learned from examples: what the resident is doing, and which topic, with odds.

Residents' wording is open-ended, so both decisions are linear models trained on labelled
examples (``faq/corpus``, the topics' own examples and aliases): character n-grams,
toneless-pinyin bigrams (homophone typos: 户扣 sounds like 户口) and a few shape
features go into scikit-learn's logistic regression. Training happens once per content
(cached by a hash of everything it learned from, as plain ``.npz`` arrays and JSON, never
pickle); deciding is a sparse sum over the message's features, a few microseconds per
message, whatever the number of topics.

Then the action: answer only a confident general question on one topic; a plausible
topic for the resident's own case becomes a draft for the officer; incidents, complaints
and police questions nobody wrote a topic for reach the officer; the rest is silence.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import tomllib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from faq.knowledge import FaqTopic
from faq.matcher import DICT_DIR, Decision, Thresholds, build_matcher
from faq.resemblance import (
    BACKGROUND_KEY,
    FLOOR_KEY,
    HELD_MOST,
    Profiles,
    ResemblanceModel,
    calibrated_floor,
    distinctiveness,
    family,
    held_out,
    stray_floor,
)
from faq.resemblance import VERSION as RESEMBLANCE_VERSION
from faq.text import EVERYONE_MENTION, normalise, strip_mentions, tokenize
from faq.thesaurus import THESAURUS
from faq.thesaurus import shipped as thesaurus

CORPUS_DIR = Path(__file__).parent / "corpus"
# "elsewhere": a question on another office's business (新生儿医保在哪交, 丧葬费去哪领), left
# alone. A class of its own, not chatter: it is asked as a police question is, and lumped
# with small talk it taught the model that 在哪办 / 几点上班 / 电话多少 are small talk,
# which is how residents ask this station's practicalities too.
INTENTS = ("ask", "case", "incident", "complaint", "chatter", "ad", "elsewhere")
NOT_FOR_US = ("chatter", "ad", "elsewhere")
NO_TOPIC = "_none"  # a police question none of the topics answers
OFFICER_MENTION = re.compile(r"警|所长|民警|社区|助手")
QUOTE_MARK = re.compile(r"「[^」]*」|^.*[:：].*\n\s*(?:-\s*){3,}", re.S)
SEGMENT_BREAK = re.compile(r"[\s,.!?;:'\"()\[\]<>「」【】、。，！？；：…~—-]+")
# Pinyin typed with spaces (bao jing zen me ban) is one clause, not a word per clause: the
# space between two Latin words keeps its syllables in one segment, whose bigrams meet
# the characters' pinyin (pbao_jing) of every topic file.
LATIN_SPACE = re.compile(r"(?<=[a-z])[ \t]+(?=[a-z])")
MAX_CHARS = 400  # a question is never longer; the rest is noise to skip
DEFAULT_THRESHOLDS = Thresholds(answer=0.5, suggest=0.3, addressed_answer=0.45)
TO_OFFICER = ("case", "incident", "complaint")  # what reaches the officer
# What a new topic's file may answer besides a question: a case or a complaint like its
# own examples, and an aside that asks (今年到底让不让放炮啊，去年管得挺严的), which the
# intent model, knowing no line on the topic, reads as small talk. Never an incident.
OWN_WORDS = ("case", "complaint", "chatter")
# A question an officer taught (one sentence) was one resident's: the next complaint or
# case like it is a new one the officer must see, with the taught answer as the draft
# (with cases and complaints too, 60 taught questions made 3 % of a blind set's messages
# wrong answers, against 1.8 % so).
SENTENCE_OWN_WORDS = ("chatter",)
# A resident telling what they saw or a relative did, then asking whether it is allowed,
# normal or dangerous (看到门上画了个圈，是不是有人踩点), is read as an incident by an
# intent model that knows no line on a station's topic. Such a message is answered from the
# station's file when it asks something and nothing in it says it is happening now or has
# just happened (``now.toml``): that one reaches the officer, with the file's answer drafted.
NOW_WORDS = DICT_DIR / "now.toml"
# Other offices' business (社保卡激活, 公积金提取, 结婚登记): a question for them is not
# the police's, and is left alone when no police topic answers it (``elsewhere.toml``).
ELSEWHERE = DICT_DIR / "elsewhere.toml"
# What a question asks about a service (which window, booking, Saturdays, photo, posting,
# payment, who must come, parking…; ``aspects.toml``): an officer's taught question on one
# of these about a topic we ship answers a message on that topic that asks the same.
ASPECTS = DICT_DIR / "aspects.toml"
NOW_WINDOW = 4  # characters before a word of now.toml that may make it a supposition
ASKING = 0.45  # the intent model's probability that a general question is asked
SURELY_CHATTER = 0.8  # said to the police, a message reaches them unless surely chatter
# Two topics fit a general question: ask which, rather than guess or hand it on.
CLARIFY_ASKING = 0.8  # surely a general question, not the resident's own case
CLARIFY_SECOND = 0.15  # the second topic is a real candidate
CLARIFY_TOGETHER = 0.5  # and between them the two explain the question
FEATURE_VERSION = "11"  # bump when features() or fitting changes: cached models retrain


@cache
def feature_key() -> str:
    """What features() depends on: its version and the text of the thesaurus and the cue
    lexicons, whose groups and cues are features too. A model cached under another
    lexicon is then retrained, not reused."""
    digest = hashlib.sha256()
    for path in (THESAURUS, DICT_DIR / "concepts.toml", DICT_DIR / "intents.toml", ELSEWHERE):
        digest.update(path.read_bytes())
    return f"{FEATURE_VERSION}/{digest.hexdigest()[:16]}"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    topic: str | None = None


class CorpusError(Exception):
    pass


T = TypeVar("T")


def read_jsonl(directory: Path, make: Callable[[dict[str, Any]], T]) -> list[T]:
    """``make`` of every line of every ``*.jsonl`` below ``directory``. A line that is not
    JSON, or that ``make`` refuses (KeyError, ValueError, TypeError), is named."""
    out: list[T] = []
    for path in sorted(directory.rglob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    out.append(make(json.loads(line)))
                except (ValueError, KeyError, TypeError) as problem:
                    raise CorpusError(f"{path}:{number}: {problem}") from None
    return out


def _example(row: dict[str, Any]) -> Example:
    intent, topic = str(row["intent"]), row.get("topic")
    if intent not in INTENTS:
        raise ValueError(f"unknown intent {intent!r}")
    return Example(str(row["text"]), intent, str(topic) if topic else None)


def read_corpus(directory: Path = CORPUS_DIR) -> list[Example]:
    """Every ``*.jsonl`` line below ``directory``: {"text", "intent", "topic", "style"}."""
    return read_jsonl(directory, _example)


def claim_uncovered(corpus: Sequence[Example], topics: Sequence[FaqTopic]) -> list[Example]:
    """A topic the corpus has no examples of (a station's own, an officer's answer) claims
    the corpus's no-topic police questions that name it by title or alias: "婚礼放鞭炮要报备
    吗" was nobody's topic until the station wrote one on 烟花爆竹 with the alias 放鞭炮."""
    covered = {e.topic for e in corpus if e.topic}
    names = {
        topic.id: [n for n in map(_plain, (topic.title, *topic.aliases)) if len(n) >= 2]
        for topic in topics
        if topic.id not in covered
    }
    if not names:
        return list(corpus)
    claimed = []
    for e in corpus:
        if e.topic is None and e.intent in ("ask", "case"):
            text = _plain(e.text)
            owner = next((tid for tid, ns in names.items() if any(n in text for n in ns)), None)
            e = Example(e.text, e.intent, owner) if owner else e
        claimed.append(e)
    return claimed


def _plain(text: str) -> str:
    return "".join(c for c in normalise(text) if c.isalnum())


def topic_examples(topics: Iterable[FaqTopic]) -> list[Example]:
    """What a topic file teaches: its examples and aliases are general questions on it."""
    return [
        Example(text, "ask", topic.id)
        for topic in topics
        for text in (*topic.examples, *topic.aliases, topic.title)
    ]


@dataclass(frozen=True, slots=True)
class Now:
    """``now.toml``: whether a message says it is happening now or has just happened."""

    words: tuple[str, ...]
    unless_after: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def read(cls, path: Path = NOW_WORDS) -> Now:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        return cls(
            tuple(data["words"]),
            tuple(data.get("unless_after", ())),
            tuple(re.compile(p) for p in data.get("regex", ())),
        )

    def __call__(self, text: str) -> bool:
        body = strip_mentions(normalise(text))[0][:MAX_CHARS]
        for word in self.words:
            at = body.find(word)
            while at >= 0:
                before = body[max(0, at - NOW_WINDOW) : at]
                if not any(marker in before for marker in self.unless_after):
                    return True
                at = body.find(word, at + 1)
        return any(p.search(body) for p in self.patterns)


@cache
def now_words() -> Now:
    return Now.read()


@dataclass(frozen=True, slots=True)
class Elsewhere:
    """``elsewhere.toml``: whether a message names another office's business."""

    terms: tuple[str, ...]

    @classmethod
    def read(cls, path: Path = ELSEWHERE) -> Elsewhere:
        with path.open("rb") as handle:
            offices = tomllib.load(handle)["offices"]
        return cls(tuple(sorted({term.lower() for terms in offices.values() for term in terms})))

    def __call__(self, body: str) -> bool:
        return any(term in body for term in self.terms)


@cache
def elsewhere() -> Elsewhere:
    return Elsewhere.read()


@dataclass(frozen=True, slots=True)
class Aspects:
    """``aspects.toml``: what a question asks about a service, and whether a message asks
    what a taught question asked."""

    words: tuple[tuple[str, str], ...]  # (word, its aspect)
    context: frozenset[str]  # the setting (at this station) more than what is asked
    general: frozenset[str]  # what a general question asks (how, materials, cost)
    subject: frozenset[str]  # a subject of its own: the station's parking, Wi-Fi

    @classmethod
    def read(cls, path: Path = ASPECTS) -> Aspects:
        with path.open("rb") as handle:
            aspects = tomllib.load(handle)["aspects"]
        words = tuple(
            (word.lower(), name) for name, aspect in aspects.items() for word in aspect["words"]
        )
        kinds = {name: aspect.get("kind", "specific") for name, aspect in aspects.items()}
        return cls(
            words,
            frozenset(n for n, k in kinds.items() if k == "context"),
            frozenset(n for n, k in kinds.items() if k == "general"),
            frozenset(n for n, k in kinds.items() if k == "subject"),
        )

    def __call__(self, text: str) -> frozenset[str]:
        body = strip_mentions(normalise(text))[0][:MAX_CHARS]
        return frozenset(name for word, name in self.words if word in body)

    def same(self, message: frozenset[str], taught: frozenset[str]) -> bool:
        """Whether a message of aspects ``message`` asks what a taught question of aspects
        ``taught`` asked: a specific aspect of the taught question and none it does not
        cover."""
        if specific := taught - self.context - self.general:
            shared = message & specific
            if message - self.context - self.general - specific:
                return False  # it asks something the taught question does not cover too
            # The station's parking is asked at the station: 小区停车位 is another matter.
            return bool(shared - self.subject or (shared and message & taught & self.context))
        # A taught question that asks only what a general question asks, at this station
        # maybe (在你们所办居住证要带什么): the officer answered the topic's general question
        # for this station; a message asking that and nothing else is theirs. Its setting
        # alone is too little: a message naming the station asks one of many things of it.
        asked = message - self.context
        return bool(asked) and asked <= taught & self.general

    def own(self, message: frozenset[str], taught: frozenset[str]) -> bool:
        """Whether what the two share is a subject of its own (the station's parking)."""
        return bool(message & taught & self.subject)

    def other(self, message: frozenset[str], taught: frozenset[str]) -> bool:
        """Whether the message asks a specific aspect and none the taught question asks."""
        asks = message - self.context - self.general
        return bool(asks and taught - self.context - self.general and not asks & taught)


@cache
def aspects() -> Aspects:
    return Aspects.read()


@dataclass(frozen=True, slots=True)
class Detail:
    """A taught question: the topics of several examples it is on, and what it asks."""

    subjects: frozenset[str]
    asks: frozenset[str]


# "不是问迁出，是想迁进来": the clause the resident rules out names the other topic; what
# they ask follows it. Dropped when the next clause says what it is instead.
NOT_THIS = re.compile(r"不是[^，,。！？!?\s]{1,24}[，,\s]+(?=而是|我是|就是|只是|是|就|而)")


def features(text: str) -> list[str]:
    """The message's features: character 1-3-grams, pinyin bigrams and its shape."""
    body, mentions = strip_mentions(normalise(text))
    quoted = bool(QUOTE_MARK.search(body))
    body = NOT_THIS.sub(" ", thesaurus().expand(body[:MAX_CHARS]))
    out: list[str] = []
    size = 0
    for segment in SEGMENT_BREAK.split(LATIN_SPACE.sub("_", body)):  # nor punctuation
        tokens = tokenize(segment)
        size += len(tokens)
        chars = [t.char or t.syllable for t in tokens]
        syllables = [t.syllable for t in tokens]
        out += [f"c{c}" for c in chars]
        out += [f"b{a}{b}" for a, b in pairwise(chars)]
        out += [f"t{a}{b}{c}" for a, b, c in zip(chars, chars[1:], chars[2:], strict=False)]
        out += [f"p{a}_{b}" for a, b in pairwise(syllables)]
    out += [f"s{group}" for group in sorted(thesaurus().groups(body))]
    first = next((f for f in out if f[0] == "c"), None)
    if first:
        out += ["^" + first[1:], "$" + next(f for f in reversed(out) if f[0] == "c")[1:]]
    out.append("len:" + ("0" if size == 0 else "s" if size <= 6 else "m" if size <= 25 else "l"))
    if "?" in body:
        out.append("mark:?")
    if "!" in body:
        out.append("mark:!")
    if quoted:
        out.append("mark:quote")
    if re.search(r"https?:|www\.|\.com|\.cn", body):
        out.append("mark:link")
    if re.search(r"\d{5,}", body):
        out.append("mark:digits")
    if mentions:
        if any(OFFICER_MENTION.search(name) for name in mentions):
            out.append("at:officer")
        elif all(EVERYONE_MENTION.match(name) for name in mentions):
            out.append("at:all")  # a question to the whole group, which the bot is in
        else:
            out.append("at:other")
    if elsewhere()(body):
        out.append("cue:elsewhere")
    return out


class Featurizer:
    """``features`` plus what the hand-written lexicon sees: intent cues (question, request,
    incident, case, statement, advert, notice…) and the topics whose concept patterns hold.
    The lexicon is exact where it is right; the model learns how far to trust it."""

    def __init__(self, topics: Sequence[FaqTopic] | None) -> None:
        self._rules = build_matcher(topics) if topics is not None else None

    def __call__(self, text: str) -> list[str]:
        out = features(text)
        if self._rules is not None:
            _, cues, ranked = self._rules.explain(text[: MAX_CHARS * 2])
            out += [f"cue:{cue}" for cue in sorted(cues)]  # one order: the same sums
            if "question" not in cues:
                # Nothing asks (no 吗, 咋, 哪, no "?"): a resident telling another how it
                # is done ("养狗登记要先打疫苗 带疫苗本去") says the same words as a question.
                out.append("cue:none-asks")
            elif "mark:quote" in out and not self._own_words_ask(text):
                # The question is in the quote; the writer answers it (「临时身份证当天能拿吗」
                # 能 我上次半小时就拿了) or only reacts to it.
                out.append("cue:quote-asks")
            out += [f"rule:{topic}" for topic, _ in ranked[:2]]
            if ranked:
                out.append(f"rule-strength:{min(3, int(ranked[0][1]))}")
        return out

    def _own_words_ask(self, text: str) -> bool:
        assert self._rules is not None
        own = QUOTE_MARK.sub(" ", strip_mentions(normalise(text))[0])
        cues = self._rules.explain(own[: MAX_CHARS * 2])[1]
        return "question" in cues and "rhetorical" not in cues


DENSE_LIMIT = 4_000_000  # weights kept as a dense array up to this many (16 MB of float32)


class HashedVocabulary:
    """A loaded model's feature rows by the hashes of the feature names: two arrays, 12
    bytes a feature, where a dict keeps each name as a string (~140 bytes a feature with
    the dict; the FAQ's and the guard's models have 399,000). Python's str hash is 64 bits
    and the same within a process, which is where this is built and used; made only when
    the names' hashes are distinct (``of``), so a known feature always finds its own row. A
    message's feature that is not in the vocabulary could only be taken for one that is
    if their hashes are equal: odds of about n / 2**64 a lookup."""

    __slots__ = ("_keys", "_rows")

    def __init__(self, keys: np.ndarray, rows: np.ndarray) -> None:
        self._keys, self._rows = keys, rows

    @classmethod
    def of(cls, names: Sequence[str]) -> HashedVocabulary | None:
        """Row i is ``names[i]``; None if two names share a hash (keep a dict then)."""
        hashes = np.fromiter(map(hash, names), np.int64, len(names))
        order = np.argsort(hashes, kind="stable")
        keys = hashes[order]
        if len(keys) == 0 or bool((keys[1:] == keys[:-1]).any()):
            return None
        return cls(keys, order.astype(np.int32))

    def rows(self, names: Sequence[str]) -> list[int]:
        """The rows of those of ``names`` in the vocabulary, sorted, each once."""
        if not names:
            return []
        wanted = np.fromiter(map(hash, names), np.int64, len(names))
        at = np.searchsorted(self._keys, wanted)
        at[at == len(self._keys)] = 0
        found: list[int] = np.unique(self._rows[at[self._keys[at] == wanted]]).tolist()
        return found

    def get(self, name: str) -> int | None:
        found = self.rows([name])
        return found[0] if found else None

    def __len__(self) -> int:
        return len(self._keys)


@dataclass(frozen=True, slots=True)
class LinearModel:
    """Multinomial logistic regression as per-feature rows of class weights: a dense array
    when small, else CSR arrays (``indptr``/``indices``/``data`` by feature). Plain numpy,
    so deciding needs neither scikit-learn nor scipy."""

    classes: tuple[str, ...]
    vocabulary: Mapping[str, int] | HashedVocabulary  # hashed when loaded from the cache
    bias: np.ndarray
    dense: np.ndarray | None = None  # features x classes
    indptr: np.ndarray | None = None
    indices: np.ndarray | None = None
    data: np.ndarray | None = None

    def _row_sum(self, rows: list[int]) -> np.ndarray:
        if self.dense is not None:
            total: np.ndarray = self.dense[rows].sum(axis=0)
            return total
        assert self.indptr is not None and self.indices is not None and self.data is not None
        spans = [np.arange(self.indptr[i], self.indptr[i + 1]) for i in rows]
        at = np.concatenate(spans)
        return np.bincount(self.indices[at], weights=self.data[at], minlength=len(self.classes))

    def weight(self, row: int, column: int) -> float:
        return float(self._row_sum([row])[column])

    def probabilities(self, feature_names: Sequence[str]) -> np.ndarray:
        vocabulary = self.vocabulary
        if isinstance(vocabulary, HashedVocabulary):
            rows = vocabulary.rows(feature_names)
        else:
            rows = sorted({i for f in feature_names if (i := vocabulary.get(f)) is not None})
        scores = self.bias.copy()
        if rows:
            scale = 1.0 / math.sqrt(len(rows))  # rows were L2-normalised in training
            scores += scale * self._row_sum(rows)
        scores -= scores.max()
        odds = np.exp(scores)
        result: np.ndarray = odds / odds.sum()
        return result

    def evidence(self, feature_names: Sequence[str], cls: str, most: int = 5) -> list[str]:
        """The features that pushed hardest towards ``cls`` (for --explain)."""
        column = self.classes.index(cls)
        found = {f: i for f in feature_names if (i := self.vocabulary.get(f)) is not None}
        weighted = sorted(((self.weight(i, column), f) for f, i in found.items()), reverse=True)
        return [name for w, name in weighted[:most] if w > 0]

    def arrays(self) -> dict[str, np.ndarray]:
        if self.dense is not None:
            return {"bias": self.bias, "dense": self.dense}
        assert self.indptr is not None and self.indices is not None and self.data is not None
        return {
            "bias": self.bias,
            "indptr": self.indptr,
            "indices": self.indices,
            "data": self.data,
        }


def _linear_model(
    classes: tuple[str, ...], vocabulary: Mapping[str, int], coef: np.ndarray, bias: np.ndarray
) -> LinearModel:
    if coef.size <= DENSE_LIMIT:
        return LinearModel(classes, vocabulary, bias, dense=coef)
    from scipy import sparse

    rows = sparse.csr_matrix(coef)
    return LinearModel(
        classes, vocabulary, bias, indptr=rows.indptr, indices=rows.indices, data=rows.data
    )


def _matrix(rows: Sequence[Sequence[str]], vocabulary: Mapping[str, int]) -> Any:
    from scipy import sparse

    indptr, indices = [0], []
    for row in rows:
        seen = sorted({i for f in row if (i := vocabulary.get(f)) is not None})
        indices.extend(seen)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float64)
    matrix = sparse.csr_matrix((data, indices, indptr), shape=(len(rows), len(vocabulary)))
    norms = np.sqrt(np.maximum(np.diff(matrix.indptr), 1)).astype(np.float64)
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def fit_linear(
    rows: Sequence[Sequence[str]],
    labels: Sequence[str],
    strength: float,
    prune: float = 1e-3,
    balanced: bool = False,
    seed: int = 0,
    weights: Sequence[float] | None = None,
) -> LinearModel:
    """``seed`` fixes saga's shuffling: the same examples then give the same weights on
    every machine (without it, probabilities move by up to ~0.02 between trainings)."""
    from sklearn.linear_model import LogisticRegression  # slow to import: only when training

    vocabulary: dict[str, int] = {}
    for row in rows:
        for name in row:
            vocabulary.setdefault(name, len(vocabulary))
    classes = tuple(sorted(set(labels)))
    targets = np.array([classes.index(x) for x in labels])
    sample = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=np.float64)
    if balanced:  # each class weighs as much in all (sklearn's "balanced")
        counts = np.bincount(targets, minlength=len(classes))
        sample = sample * (len(labels) / (len(classes) * counts))[targets]
    # saga's step size ignores sample weights (scikit-learn #31536): a class of one or two
    # examples (a taught question), weighing ~80, made it diverge and read 居住证怎么办理 as
    # the taught question on 居住证 at 1.0. Weights at most 1 with C raised by as much
    # are the same objective, and saga converges on it.
    top = float(sample.max())
    # saga: 10x faster than lbfgs here (scipy's L-BFGS-B step dominates on wide sparse data)
    model = LogisticRegression(
        C=strength * top, solver="saga", max_iter=200, tol=1e-3, random_state=seed
    )
    model.fit(_matrix(rows, vocabulary), targets, sample_weight=sample / top)
    coef = model.coef_.T.astype(np.float32)
    bias = model.intercept_.astype(np.float64)
    if len(classes) == 2:  # sklearn keeps one column for two classes: make it two
        coef = np.hstack([-coef / 2, coef / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2])
    coef[np.abs(coef) < prune] = 0.0
    return _linear_model(classes, vocabulary, coef, bias)


def _save(model: LinearModel, stem: Path) -> None:
    np.savez(stem.with_suffix(".npz"), **model.arrays())  # type: ignore[arg-type]
    vocabulary = model.vocabulary  # a trained model's: the names are kept until saved
    assert not isinstance(vocabulary, HashedVocabulary), "a loaded model is saved already"
    names = sorted(vocabulary, key=vocabulary.__getitem__)
    stem.with_suffix(".json").write_text(
        json.dumps({"classes": model.classes, "features": names}, ensure_ascii=False),
        encoding="utf-8",
    )


def _load(stem: Path) -> LinearModel:
    meta = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
    with np.load(stem.with_suffix(".npz"), allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    names: list[str] = meta["features"]
    vocabulary = HashedVocabulary.of(names) or {name: i for i, name in enumerate(names)}
    return LinearModel(tuple(meta["classes"]), vocabulary, **arrays)


@dataclass(frozen=True, slots=True)
class Models:
    intent: LinearModel
    topic: LinearModel


CLASSIFIER_LIMIT = 300  # uncovered topics the topic classifier still takes as classes

# Regularisation strengths (inverse), chosen on the dev and earlier eval sets.
INTENT_C = 16.0
TOPIC_C = 16.0


def train(
    examples: Sequence[Example],
    featurizer: Featurizer,
    skip: frozenset[str] = frozenset(),
    weights: Sequence[float] | None = None,
) -> Models:
    rows = [featurizer(e.text) for e in examples]
    intent = fit_linear(rows, [e.intent for e in examples], INTENT_C, weights=weights)
    chosen = [
        i for i, e in enumerate(examples) if e.intent in ("ask", "case") and e.topic not in skip
    ]
    topic = fit_linear(
        [rows[i] for i in chosen],
        [examples[i].topic or NO_TOPIC for i in chosen],
        TOPIC_C,
        balanced=True,  # a station's topic with five examples weighs as much as ours
    )
    return Models(intent, topic)


def content_key(
    examples: Sequence[Example], skip: Iterable[str] = (), weights: Sequence[float] | None = None
) -> str:
    digest = hashlib.sha256(f"{feature_key()}/{INTENT_C}/{TOPIC_C}".encode())
    digest.update("\x1d".join(sorted(skip)).encode())
    if weights is not None:
        digest.update(np.asarray(weights, dtype=np.float64).tobytes())
    for e in examples:
        digest.update(f"\x1e{e.intent}\x1f{e.topic or ''}\x1f{e.text}".encode())
    return digest.hexdigest()[:24]


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "jingmin" / "models"


def cached_linear(
    key: str,
    names: Sequence[str],
    fit: Callable[[], Sequence[LinearModel]],
    cache_dir: Path | None = None,
) -> tuple[LinearModel, ...]:
    """The models ``fit`` makes (one per name), from the cache under ``key`` when they were
    trained before: a content hash, so that any change of what they learn from retrains."""
    directory = cache_dir or default_cache_dir()
    stems = tuple(directory / f"{key}-{name}" for name in names)
    try:
        return tuple(_load(stem) for stem in stems)
    except (OSError, ValueError, KeyError):
        pass
    models = tuple(fit())
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=directory) as scratch:
            for model, stem in zip(models, stems, strict=True):
                _save(model, Path(scratch) / stem.name)
            for path in Path(scratch).iterdir():
                os.replace(path, directory / path.name)  # whole files only, for other workers
    except OSError:
        pass  # a read-only home: train again next start, still correct
    return models


def trained(
    examples: Sequence[Example],
    featurizer: Featurizer,
    cache_dir: Path | None = None,
    skip: frozenset[str] = frozenset(),
    weights: Sequence[float] | None = None,
) -> Models:
    """The models for these examples (the topic model without the topics in ``skip``;
    the intent model weighing each example by ``weights``): from the cache if they were
    trained before."""

    def fit() -> tuple[LinearModel, LinearModel]:
        models = train(examples, featurizer, skip, weights)
        return models.intent, models.topic

    key = content_key(examples, skip, weights)
    return Models(*cached_linear(key, ("intent", "topic"), fit, cache_dir))


@dataclass(frozen=True, slots=True)
class Reading:
    """What the models make of a message (for decisions and `faq match --explain`)."""

    intents: dict[str, float]
    topics: list[tuple[str, float]]  # best first, NO_TOPIC included
    evidence: dict[str, list[str]]
    to_officer: bool = False  # @王警官: the resident speaks to the police
    # The first topic is a new one its file's resemblance picks: the odds it is answered
    # at, calibrated on the new topics' held-out examples (``Resemblance.floor``).
    answer_at: float | None = None
    asks: bool = True  # a question cue fired (吗, 咋, 哪, 管不管, "?") outside any quote
    asks_itself: bool = True  # not a question only a quote asks
    # The first topic is a new one whose file fits well enough to be drafted for the
    # officer (``Resemblance.draft``): the odds it is drafted at.
    draft_at: float | None = None
    now: bool = False  # it is happening now or has just happened (``now.toml``)
    # It names another office's business (``elsewhere.toml``) and no police business.
    elsewhere: bool = False
    # It asks the police to act, tells an incident or a case of one's own (intents.toml
    # "request", "incident", "case").
    for_officer: bool = False


@dataclass(frozen=True, slots=True)
class Resemblance:
    """The topics the corpus has no lines of, read by how much a message resembles their
    files (``faq.resemblance``) instead of by a class with five examples."""

    profiles: Profiles
    model: ResemblanceModel
    uncovered: np.ndarray  # indices into profiles.topic_ids
    floor: np.ndarray  # by uncovered topic: the odds it is answered at (nan: the usual)
    draft: float | None = None  # the odds a new topic is drafted for the officer at

    def odds(self, names: Sequence[str]) -> np.ndarray:
        """By topic of ``profiles``: the odds the message is on it, by its file."""
        grams = [n for n in names if family(n) >= 0]
        features = self.profiles.features(grams)
        return self.model.probabilities(features, self.profiles.sentence)

    def best(
        self, names: Sequence[str], odds: np.ndarray | None = None
    ) -> tuple[str, float, float | None]:
        """The new topic the message resembles most, its odds, and its floor."""
        new = (self.odds(names) if odds is None else odds)[self.uncovered]
        at = int(np.argmax(new))
        floor = float(self.floor[at])
        topic_id = self.profiles.topic_ids[self.uncovered[at]]
        return topic_id, float(new[at]), None if math.isnan(floor) else floor

    def rival(self, odds: np.ndarray, topic_id: str) -> float:
        """The odds of a topic the classifier knows, by its file (0 for no topic)."""
        ids = self.profiles.topic_ids
        return float(odds[ids.index(topic_id)]) if topic_id in ids else 0.0


class LearnedMatcher:
    def __init__(
        self,
        models: Models,
        topic_ids: Iterable[str],
        thresholds: Thresholds,
        featurizer: Featurizer,
        resemblance: Resemblance | None = None,
        sentences: Iterable[str] = (),
        questions: Mapping[str, str] | None = None,
    ) -> None:
        self.models = models
        self._sentences = frozenset(sentences)  # topics of one example: taught questions
        self._features = featurizer
        self.thresholds = thresholds
        self._topics = frozenset(topic_ids)
        self._resemblance = resemblance
        # By taught question (``questions``: its topic's id and its words): the topics of
        # several examples it is on, and what it asks of them (``aspects.toml``).
        self._details = {
            tid: Detail(self._subjects(question), aspects()(question))
            for tid, question in (questions or {}).items()
        }
        # The taught questions by topic they are on, and by the station's facility asked.
        self._on: dict[str, list[str]] = {}
        for tid, detail in self._details.items():
            for key in detail.subjects | (detail.asks & aspects().subject):
                self._on.setdefault(key, []).append(tid)
        classes = models.topic.classes
        self._class_at = {c: i for i, c in enumerate(classes)}
        known = self._topics - self._sentences
        self._known_at = np.array([i for i, c in enumerate(classes) if c in known], dtype=np.int64)
        ids = resemblance.profiles.topic_ids if resemblance is not None else ()
        self._file_at = {tid: i for i, tid in enumerate(ids)}

    def _subjects(self, question: str) -> frozenset[str]:
        """The topics of several examples (ours, a station's) a taught question is on: the
        one whose file it resembles most and those the concept patterns name. (Not the
        classifier's: it learned the question as a class of its own, and the question's
        words no longer say the topic it is on.)"""
        names = self._features(question)
        found = {n.removeprefix("rule:") for n in names if n.startswith("rule:")}
        if self._resemblance is not None:
            ids = self._resemblance.profiles.topic_ids
            odds = self._resemblance.odds(names)
            ranked = (ids[i] for i in np.argsort(-odds, kind="stable"))
            found |= {next((c for c in ranked if c in self._topics - self._sentences), "")}
        return frozenset(found & (self._topics - self._sentences))

    def _detail(
        self, asked: frozenset[str], topic_p: np.ndarray, odds: np.ndarray | None
    ) -> tuple[str, float] | None:
        """The taught question that asks what a message of aspects ``asked`` asks, of the
        topic the classifier reads it as on (of no topic, for the station's own facilities:
        parking, Wi-Fi), the one whose file it resembles most if several do; and how
        surely the message is on that topic: the classifier's odds of it and of the taught
        questions on it, between which it splits the topic's words."""
        if not asked or not len(self._known_at):
            return None
        reader = aspects()
        subject = self.models.topic.classes[int(self._known_at[np.argmax(topic_p[self._known_at])])]
        candidates = {*self._on.get(subject, ()), *(t for a in asked for t in self._on.get(a, ()))}
        found = [
            tid
            for tid in sorted(candidates)
            if reader.same(asked, (d := self._details[tid]).asks)
            and (subject in d.subjects or reader.own(asked, d.asks))
        ]
        if not found:
            return None
        if odds is not None:
            found.sort(key=lambda tid: -float(odds[self._file_at[tid]]))
        if subject in self._details[found[0]].subjects:
            on = [subject, *self._on[subject]]
            return found[0], sum(
                float(topic_p[self._class_at[c]]) for c in on if c in self._class_at
            )
        # A facility of the station is no topic's we ship: the message is on it as surely
        # as it is on none of those.
        return found[0], 1.0 - float(topic_p[self._known_at].max())

    def read(self, text: str, explain: bool = False) -> Reading:
        names = self._features(text)
        intent_p = self.models.intent.probabilities(names)
        topic_p = self.models.topic.probabilities(names)
        intents = {c: float(p) for c, p in zip(self.models.intent.classes, intent_p, strict=True)}
        order = np.argsort(-topic_p)[:3]
        topics = [(self.models.topic.classes[i], float(topic_p[i])) for i in order]
        evidence: dict[str, list[str]] = {}
        answer_at = draft_at = None
        resemblance = self._resemblance
        all_odds = None
        if resemblance is not None:
            # A station's or an officer's topic wins when its file explains the message
            # better than the classifier's best guess (which knows it from five lines),
            # or, when that guess is unsure, better than the guess's own file does.
            all_odds = resemblance.odds(names)
            new, odds, floor = resemblance.best(names, all_odds)
            best, best_p = topics[0]
            unsure = best_p < self.thresholds.answer
            draft = resemblance.draft
            if (
                best == NO_TOPIC
                or odds > best_p
                or (
                    unsure
                    and draft is not None
                    and odds >= draft
                    and odds > resemblance.rival(all_odds, best)
                )
            ):
                topics = [(new, odds), *(t for t in topics if t[0] != new)][:3]
                if explain:
                    fits = "-" if draft is None else f"{draft:.2f}"
                    evidence["resemblance"] = [f"{new} {odds:.2f} (floor {floor}, draft {fits})"]
            if topics[0][0] == new and floor is not None and odds >= floor:
                # Read by its file, the topic is as sure as its held-out examples are.
                topics[0] = (new, max(odds, topics[0][1]))
                answer_at = floor
            if topics[0][0] == new and draft is not None and odds >= draft:
                draft_at = draft
        asked = aspects()(text) if self._details else frozenset()
        first = self._details.get(topics[0][0])
        other = first is not None and aspects().other(asked, first.asks)
        detail = self._detail(asked, topic_p, all_odds)
        if detail is not None and first is not None and not other and detail[0] != topics[0][0]:
            # A taught question whose file explains the message better than the
            # classifier's topic keeps it, unless the message asks another aspect.
            detail = None
        if detail is not None and resemblance is not None and all_odds is not None:
            at = self._file_at
            rival, rival_odds, _ = resemblance.best(names, all_odds)
            rival_details = self._details.get(rival)
            if (
                rival != detail[0]
                and rival_odds >= (resemblance.draft or 1.0)
                and rival_odds > float(all_odds[at[detail[0]]])
                and not (rival_details and aspects().other(asked, rival_details.asks))
            ):
                # Another taught question's file fits the message (as a draft must) and
                # explains it better, and it asks no other aspect: the aspect alone does
                # not say which of the two it is.
                detail = None
        if detail is not None:
            # The classifier reads the message as on a topic of several examples, and it
            # asks of it what an officer's taught question on that topic asked (which
            # window, an appointment, Saturdays…): the officer answered that, as surely
            # as the message is on the topic; the topic's general answer does not.
            chosen, sure = detail
            if topics[0][0] != chosen:
                answer_at = draft_at = None
            # Its file may have told it already, surer than the classifier's topic.
            sure = max(sure, dict(topics).get(chosen, 0.0))
            topics = [(chosen, sure), *(t for t in topics if t[0] != chosen)][:3]
            # Read as asking what the taught question asked: answered at the usual odds,
            # an aside that asks (chatter to the intent model) with a question.
            answer_at = self.thresholds.answer if answer_at is None else answer_at
            if explain:
                evidence["aspect"] = [f"{detail[0]} asks {sorted(self._details[detail[0]].asks)}"]
        elif other:
            # A taught question on one aspect (which window) does not answer a message
            # that asks another (whether to book): answered, that is a wrong answer; the
            # officer, who may know better, gets it as a draft.
            if explain:
                evidence["aspect"] = [f"{topics[0][0]} asks another aspect: a draft at most"]
            topics[0] = (topics[0][0], min(topics[0][1], self.thresholds.suggest))
            answer_at = None
            draft_at = self.thresholds.suggest
        if explain:
            best_intent = max(intents, key=intents.__getitem__)
            evidence["intent"] = self.models.intent.evidence(names, best_intent)
            evidence["topic"] = self.models.topic.evidence(names, topics[0][0])
        asks = not {"cue:none-asks", "cue:quote-asks"} & set(names)
        asks_itself = "cue:quote-asks" not in names
        now = resemblance is not None and now_words()(text)
        if explain and now:
            evidence["now"] = ["happening now or just happened (now.toml)"]
        if explain and "cue:elsewhere" in names:
            evidence["elsewhere"] = ["another office's business (elsewhere.toml)"]
        return Reading(
            intents,
            topics,
            evidence,
            "at:officer" in names,
            answer_at,
            asks,
            asks_itself,
            draft_at,
            now,
            "cue:elsewhere" in names and "cue:police" not in names,
            bool({"cue:request", "cue:incident", "cue:case"} & set(names)),
        )

    def decide(self, text: str, addressed: bool = False) -> Decision:
        if not tokenize(strip_mentions(normalise(text))[0]):
            return Decision("ignore", None, 0.0, "no words")
        return self.act(self.read(text), addressed)

    def act(self, reading: Reading, addressed: bool) -> Decision:
        t = self.thresholds
        intents = reading.intents
        intent = max(intents, key=intents.__getitem__)
        officer = {i: intents[i] for i in TO_OFFICER}
        not_for_us = sum(intents.get(i, 0.0) for i in NOT_FOR_US)
        if intent in NOT_FOR_US and sum(officer.values()) > not_for_us:
            # Chatter by a nose, but more likely one of the things an officer must see
            # (a case, an incident, a complaint) than small talk: they see it.
            intent = max(officer, key=officer.__getitem__)
        if intent == "elsewhere" and reading.for_officer:
            # Another office's words, but something for the officer too (能帮问问吗, 被偷了):
            # what else it is.
            intent = max((i for i in intents if i != "elsewhere"), key=intents.__getitem__)
        topic, topic_p = reading.topics[0]
        faq_id = topic if topic in self._topics else None
        score = round(topic_p if faq_id else 0.0, 3)
        answer_at = t.addressed_answer if addressed else t.answer
        suggest_at = t.suggest
        if reading.answer_at is not None:  # a new topic, by its file's calibrated floor
            answer_at = min(answer_at, reading.answer_at)
            suggest_at = min(suggest_at, reading.answer_at)
        if reading.draft_at is not None:  # its file fits: the officer gets its answer
            suggest_at = min(suggest_at, reading.draft_at)
        # A station's or an officer's file tells a story (我的车被划了，能查监控吗) or asks
        # the police to act (楼道里飞线充电，你们管不管): a message that reads like it,
        # more than any topic we ship, is what its answer was written for (``OWN_WORDS``),
        # only when the resident asks something: a story alone (今年又没放成烟花) is news.
        # Read as an incident, a story that asks about what the resident saw and says
        # nothing of now (``now.toml``) is a question on a station's topic (not a taught
        # one-liner's: that was one resident's).
        if topic in self._sentences:
            answerable: tuple[str, ...] = SENTENCE_OWN_WORDS
        else:
            answerable = OWN_WORDS if reading.now else (*OWN_WORDS, "incident")
        by_file = reading.answer_at is not None and reading.asks
        own_words = by_file and intent in answerable
        if intent in ("incident", "complaint") and not own_words:
            draft = faq_id if topic_p >= suggest_at else None
            return Decision("escalate", draft, score, intent)
        # Answer only a general question (more likely asked than not) on one topic, and
        # not one only a quote asks: the writer answered it or reacted to it. On a new
        # topic read by its file, what the file may answer counts with the question: a
        # story told through what the resident saw is split between ask, case and small
        # talk by a model that knows no line on the topic.
        asking = intents["ask"]
        if by_file and (intent == "ask" or own_words):
            asking += sum(intents[i] for i in answerable)
        if faq_id and asking >= ASKING and topic_p >= answer_at and reading.asks_itself:
            return Decision("answer", faq_id, score, "confident question on one topic")
        if intents["ask"] >= CLARIFY_ASKING and len(reading.topics) > 1:
            (first, first_p), (second, second_p) = reading.topics[:2]
            if (
                {first, second} <= self._topics
                and second_p >= CLARIFY_SECOND
                and first_p + second_p >= CLARIFY_TOGETHER
            ):
                choices = (first, second)
                return Decision("clarify", first, score, "two topics fit", choices)
        if intent == "ask" and not reading.asks_itself:
            # Only a quote asks (「临时身份证咋办」- - - 去窗口就能办): the writer answers it.
            return Decision("ignore", None, score, "a quoted question, answered")
        if intent in ("ask", "case") and reading.elsewhere and not reading.to_officer:
            # 社保卡怎么激活, 公积金提取要啥材料: another office's business, which no police
            # topic answered; the officer could only send the resident on. Silence.
            return Decision("ignore", None, score, "another office's business")
        if intent in ("ask", "case"):
            if faq_id and topic_p >= suggest_at:
                return Decision("suggest", faq_id, score, f"{intent}: plausible topic")
            return Decision("escalate", None, score, f"{intent}: no topic fits")
        spoken_to = addressed or reading.to_officer
        # Spoken to, another office's business reaches the officer too (as with
        # elsewhere.toml's names): the resident asked them.
        if spoken_to and intents["chatter"] + intents["ad"] < SURELY_CHATTER:
            return Decision("escalate", None, score, "addressed to the police")
        if intent == "elsewhere":
            return Decision("ignore", None, score, "another office's business")
        return Decision("ignore", None, score, intent)


def build_learned_matcher(
    topics: Sequence[FaqTopic],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    corpus: Sequence[Example] | None = None,
    cache_dir: Path | None = None,
    extra: Sequence[Example] = (),
) -> LearnedMatcher:
    """The matcher for these topics, trained on the corpus, the topics' own examples and
    ``extra`` (questions officers taught), or loaded from the cache if nothing changed."""
    known = {t.id for t in topics}
    written = [
        e for e in (read_corpus() if corpus is None else corpus) if e.topic in known | {None}
    ]
    examples = [*claim_uncovered(written, topics), *topic_examples(topics), *extra]
    featurizer = Featurizer(topics)
    covered = {e.topic for e in written if e.topic}
    uncovered = [t.id for t in topics if t.id not in covered]
    # Beyond a few hundred, topics nobody wrote lines for are read by resemblance alone:
    # a classifier of thousands of classes trains for hours and decides slowly.
    skip = frozenset(uncovered) if len(uncovered) > CLASSIFIER_LIMIT else frozenset()
    weights = _ask_weights(examples, topics, covered)
    models = trained(examples, featurizer, cache_dir, skip, weights)
    resemblance = _resemblance(topics, written, covered, cache_dir)
    sentences = {t.id: t.examples[0] for t in topics if len(t.examples) == 1}
    sentences |= {t.id: "" for t in topics if not t.examples}
    questions = {tid: q for tid, q in sentences.items() if q}
    return LearnedMatcher(models, known, thresholds, featurizer, resemblance, sentences, questions)


def _ask_weights(
    examples: Sequence[Example], topics: Sequence[FaqTopic], covered: Collection[str | None]
) -> list[float] | None:
    """The intent model's weight of each example: a topic nobody wrote corpus lines for
    has its file's examples (general questions on it) weigh, together, as much as a
    covered topic's corpus questions do, as the topic classifier balances its classes.
    Read at weight one, five examples among thousands of lines teach the intent model
    nothing, and a question on a station's topic (放炮吵得睡不着，打哪个电话) is taken
    for a complaint or an incident by the words it shares with them. None: all weigh one
    (the shipped topics, all covered)."""
    own = {t.id: t for t in topics if t.id not in covered and t.examples}
    if not own:
        return None
    lines = sum(1 for e in examples if e.topic in covered and e.intent in ("ask", "case"))
    mean = lines / max(1, len(covered))

    def its_example(e: Example) -> bool:
        return e.intent == "ask" and e.text in own[e.topic].examples if e.topic in own else False

    count = Counter(e.topic for e in examples if its_example(e))  # a taught title repeats
    return [max(1.0, mean / count[e.topic]) if its_example(e) else 1.0 for e in examples]


def _resemblance(
    topics: Sequence[FaqTopic],
    written: Sequence[Example],
    covered_ids: Collection[str | None],
    cache_dir: Path | None,
) -> Resemblance | None:
    """For the topics no corpus line is on (``covered_ids``: those it is), if any: the
    weights are learned from those that are (and cached), the profiles from every topic's
    file."""
    uncovered = [i for i, t in enumerate(topics) if t.id not in covered_ids]
    if not uncovered:
        return None
    covered = [t for t in topics if t.id in covered_ids]
    lines = [(e.text, e.topic) for e in written if e.intent in ("ask", "case")]
    digest = hashlib.sha256(f"{feature_key()}/{RESEMBLANCE_VERSION}/{BACKGROUND_KEY}".encode())
    for text, topic in lines:
        digest.update(f"\x1e{topic or ''}\x1f{text}".encode())
    for t in covered:
        digest.update(f"\x1d{_file_key(t)}".encode())
    path = (cache_dir or default_cache_dir()) / f"{digest.hexdigest()[:24]}-resemblance.json"
    background_path = path.with_name(f"{digest.hexdigest()[:24]}-background.json")
    try:
        stored_background = json.loads(background_path.read_text(encoding="utf-8"))
        background = {str(g): float(w) for g, w in stored_background.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        background = distinctiveness(lines, _grams)
        _cache_json(background_path, background)
    try:
        model = ResemblanceModel.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        model = ResemblanceModel.fit(covered, lines, _grams, background)
        _cache_json(path, model.to_json())
    profiles = Profiles.build(topics, _grams, background)
    digest.update(FLOOR_KEY.encode())
    for t in topics:  # the floors depend on every file, the new ones too
        digest.update(f"\x1c{_file_key(t)}".encode())
    floors_path = path.with_name(f"{digest.hexdigest()[:24]}-floors.json")
    try:
        stored = json.loads(floors_path.read_text(encoding="utf-8"))
        floors = tuple(None if f is None else float(f) for f in stored["floors"])
        draft = None if stored["draft"] is None else float(stored["draft"])
    except (OSError, ValueError, KeyError, TypeError):
        floors, draft = _floors(topics, written, uncovered, profiles, model, background)
        _cache_json(floors_path, {"floors": floors, "draft": draft})
    floor = np.array(
        [floors[len(topics[i].examples) < 2] for i in uncovered], dtype=np.float64
    )  # None (no floor: the usual threshold) becomes nan
    return Resemblance(profiles, model, np.array(uncovered, dtype=np.int64), floor, draft)


def _file_key(topic: FaqTopic) -> str:
    """What of a topic's file its resemblance profile reads (``faq.resemblance``)."""
    return f"{topic.id}\x1f{topic.title}\x1f{topic.aliases}\x1f{topic.examples}\x1f{topic.answer}"


def _cache_json(path: Path, data: object) -> None:
    """``data`` as ``path``, written whole (other workers read it); a read-only home is
    no error: the next start learns again, still correct."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as out:
            json.dump(data, out)
        os.replace(out.name, path)
    except OSError:
        pass


def _floors(
    topics: Sequence[FaqTopic],
    written: Sequence[Example],
    uncovered: Sequence[int],
    profiles: Profiles,
    model: ResemblanceModel,
    background: Mapping[str, float],
) -> tuple[tuple[float | None, float | None], float | None]:
    """The answer floors of new topics of several examples and of one sentence (a taught
    question), from their held-out examples (``faq.resemblance.calibrated_floor``), and
    the odds new topics are drafted at (``faq.resemblance.stray_floor``)."""
    reader = Resemblance(
        profiles, model, np.array(uncovered, dtype=np.int64), np.full(len(uncovered), np.nan)
    )
    # Police questions no topic answers, unless they name a new topic (``claim_uncovered``).
    strays = [
        reader.best(_grams(e.text))[1]
        for e in claim_uncovered(written, topics)
        if e.topic is None and e.intent in ("ask", "case")
    ]
    found: list[float | None] = []
    for sentence in (False, True):
        if any((len(topics[i].examples) < 2) == sentence for i in uncovered):
            held = held_out(model, topics, uncovered, _grams, sentence, background)
            found.append(calibrated_floor(held, strays, 1.0 if sentence else HELD_MOST))
        else:
            found.append(None)
    return (found[0], found[1]), stray_floor(strays)


def _grams(text: str) -> list[str]:
    return [g for g in features(text) if family(g) >= 0]
