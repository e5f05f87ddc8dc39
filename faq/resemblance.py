"""How much a message resembles a topic's own file: for topics the corpus has no lines of.

A station's topic comes with a title, a few aliases and five examples; an officer's taught
question with one sentence. A per-topic classifier cannot learn a class from so little
against thousands of corpus lines, however the classes are weighted. What generalises is
the *relation* between a message and a topic's file: how much of the message its examples
or names explain, how much of an example the message contains, whether the topic explains
the message better than any other does. Those features mean the same for every topic, so
their weights are learned once from the topics the corpus covers, each seen only through a
file as thin as a new topic's (all of it, five examples, one sentence), and then apply to
topics nobody wrote lines for.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import compress

import numpy as np

from faq.knowledge import FaqTopic

# Gram families of ``faq.learned.features``: characters (bigrams, trigrams) and pinyin
# bigrams (a homophone typo keeps its syllables). Single characters say too little.
FAMILIES = (("b", "t"), ("p",), ("s",))
PIECE_KINDS = ("example", "name", "answer")  # an example; the title or an alias; the answer
PER_FAMILY = 2 * len(PIECE_KINDS) + 1
# By family: the share of the message's distinctive weight (``distinctiveness``) the best
# piece and the whole file hold.
DISTINCT = 2 * len(FAMILIES)
FEATURES = PER_FAMILY * len(FAMILIES) + DISTINCT + 5
THIN_FILES = (None, 5, 1, 1)  # how the covered topics are seen in training (None: whole)
SEED = 13
VERSION = "7"  # bump when features() or training change: cached weights are then relearned

GramReader = Callable[[str], Sequence[str]]


_HAN = re.compile(r"[\u3400-\u9fff]")
_FAMILY_OF = {prefix: f for f, prefixes in enumerate(FAMILIES) for prefix in prefixes}


def family(gram: str) -> int:
    return _FAMILY_OF.get(gram[:1], -1)


def distinctiveness(lines: Sequence[tuple[str, str | None]], grams: GramReader) -> dict[str, float]:
    """How much a gram says which police question a message is, from residents' own
    questions (``lines``: text and its topic, None for one no topic answers): 1 minus the
    entropy of the topics whose lines use it (each topic's lines weighed as one), over
    the most it can be, raised to at least ``COMMON_WEIGHT``. 我爸, 说是, 天天 are in
    every topic's questions (``COMMON_WEIGHT``); 驾照, 婚礼 in one topic's (1). A gram in
    fewer than ``RARE`` lines is left out: as rare as a word nobody wrote, it weighs 1.

    A resident telling what they saw (我爸从集市上买回来两只画眉，说是山上抓的，养着犯法
    不) says many words no topic's file has; weighed by this, the one or two words the
    file shares are more of what the message says."""
    size: dict[str | None, int] = {}
    seen: dict[str, dict[str | None, int]] = {}
    for text, topic in lines:
        size[topic] = size.get(topic, 0) + 1
        for gram in set(grams(text)):
            by_topic = seen.setdefault(gram, {})
            by_topic[topic] = by_topic.get(topic, 0) + 1
    most = math.log(max(2, len(size)))
    out: dict[str, float] = {}
    for gram in sorted(seen):
        by_topic = seen[gram]
        if sum(by_topic.values()) < RARE:
            continue
        rates = np.array([n / size[t] for t, n in sorted(by_topic.items(), key=str)])
        share = rates / rates.sum()
        entropy = float(-(share * np.log(share)).sum())
        spread = max(0.0, 1.0 - entropy / most)
        out[gram] = round(COMMON_WEIGHT + (1.0 - COMMON_WEIGHT) * spread, 4)
    return out


RARE = 2  # lines a gram must be in for its spread over topics to say something
# What a gram in every topic's questions still weighs: 报警, 登记 and 举报 say the message
# is a police question, and name a station's topics on receipts, tips and registration.
COMMON_WEIGHT = 0.3
BACKGROUND_KEY = f"{RARE}/{COMMON_WEIGHT}"  # what cached distinctiveness depends on


# Template syntax in an answer ({{ station.phone }}) is no word a resident types.
_TEMPLATE_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
THIN_ANSWER = 60  # characters of the answer a one-sentence file is seen with in training


def _pieces(topic: FaqTopic) -> list[tuple[str, int]]:
    names = [(n, 1) for n in (topic.title, *topic.aliases) if n.strip()]
    # The answer names what the topic covers (婚庆礼炮, 网购快递, 罚款) in words its
    # five examples may not use: a question on any of them is on the topic.
    answer = [(words, 2)] if (words := answer_words(topic.answer)) else []
    return [*((e, 0) for e in topic.examples if e.strip()), *names, *answer]


def answer_words(template: str) -> str:
    return _TEMPLATE_RE.sub(" ", template).strip()


def thinned(topics: Sequence[FaqTopic], examples: int | None, seed: int) -> list[FaqTopic]:
    """The topics as a station or an officer would have written them: ``examples`` of
    their examples (1: a taught question, one sentence and nothing else)."""
    if examples is None:
        return list(topics)
    chosen = random.Random(seed)
    out = []
    for topic in topics:
        kept = chosen.sample(list(topic.examples), min(examples, len(topic.examples)))
        if examples == 1 and kept:
            # A taught question: one sentence and the officer's answer of a line or two.
            out.append(
                dataclasses.replace(
                    topic,
                    title=kept[0],
                    aliases=(),
                    examples=(kept[0],),
                    answer=answer_words(topic.answer)[:THIN_ANSWER],
                )
            )
        else:
            out.append(dataclasses.replace(topic, examples=tuple(kept)))
    return out


@dataclass(frozen=True, slots=True)
class Profiles:
    """The topics' files as idf-weighted gram sets, one per piece, indexed by gram so that
    a message's overlap with every piece is one ``bincount``."""

    topic_ids: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray  # by gram
    unknown_idf: float  # a gram no file has is as rare as can be
    gram_pieces: Postings  # by gram: the pieces that hold it
    gram_topics: Postings  # by gram: the topics that hold it
    # By piece: its topic x len(PIECE_KINDS) + its kind. A topic's pieces run examples,
    # names, answer, so a run of one value is one topic's pieces of one kind.
    piece_run: np.ndarray
    piece_mass: np.ndarray  # families x pieces, at least 1e-9 (a divisor)
    thin: np.ndarray  # by topic: 1 / its number of pieces
    background: Mapping[str, float]  # by gram: its ``distinctiveness`` (missing: 1)
    weight: np.ndarray  # by gram: idf x distinctiveness
    sentence: np.ndarray  # by topic: a file of one sentence (fewer than two examples)

    @classmethod
    def build(
        cls,
        topics: Sequence[FaqTopic],
        grams: GramReader,
        background: Mapping[str, float] | None = None,
    ) -> Profiles:
        vocabulary: dict[str, int] = {}
        pieces_of: list[set[int]] = []
        topics_of: list[set[int]] = []
        piece_topic: list[int] = []
        piece_kind: list[int] = []
        piece_grams: list[set[int]] = []
        for t, topic in enumerate(topics):
            for text, kind in _pieces(topic):
                found = {vocabulary.setdefault(g, len(vocabulary)) for g in sorted(grams(text))}
                pieces_of += [set() for _ in range(len(vocabulary) - len(pieces_of))]
                topics_of += [set() for _ in range(len(vocabulary) - len(topics_of))]
                for g in found:
                    pieces_of[g].add(len(piece_topic))
                    topics_of[g].add(t)
                piece_topic.append(t)
                piece_kind.append(kind)
                piece_grams.append(found)
        count = len(topics)
        idf = np.array([math.log((count + 1) / (len(o) + 1)) + 1 for o in topics_of])
        by_gram = sorted(vocabulary, key=vocabulary.__getitem__)
        gram_family = np.array([family(g) for g in by_gram], dtype=np.int64)
        mass = np.zeros((len(piece_topic), len(FAMILIES)))
        for p, found in enumerate(piece_grams):
            for g in found:
                mass[p, gram_family[g]] += idf[g]
        sizes = np.bincount(np.array(piece_topic, dtype=np.int64), minlength=count)
        background = background or {}
        weight = idf * np.array([background.get(g, 1.0) for g in by_gram])
        return cls(
            tuple(t.id for t in topics),
            vocabulary,
            idf,
            math.log(count + 1) + 1,
            Postings.of(pieces_of, len(piece_topic)),
            Postings.of(topics_of, count),
            np.array(piece_topic, dtype=np.int64) * len(PIECE_KINDS)
            + np.array(piece_kind, dtype=np.int64),
            np.ascontiguousarray(np.maximum(mass, 1e-9).T),
            1.0 / np.maximum(sizes, 1),
            background,
            weight,
            np.array([len(t.examples) < 2 for t in topics], dtype=bool),
        )

    def features(self, message_grams: Sequence[str]) -> np.ndarray:
        """Topics x FEATURES: the message against every topic's file.

        Only the pieces that share a gram with the message are read (a few in a hundred
        of a big knowledge base's): a piece that shares none has no overlap, and its
        topic's maximum is then the 0.0 every column starts at."""
        topics = len(self.topic_ids)
        out = np.zeros((topics, FEATURES))
        if topics == 0:
            return out
        grams = sorted(set(message_grams))  # sums in one order: the same figures everywhere
        size = len(grams)
        rows = np.fromiter((self.vocabulary.get(g, -1) for g in grams), np.int64, size)
        families = np.fromiter((_FAMILY_OF.get(g[:1], -1) for g in grams), np.int64, size)
        is_known = rows >= 0
        known, known_family = rows[is_known], families[is_known]
        idf = np.full(size, self.unknown_idf)
        idf[is_known] = self.idf[known]
        weight = idf.copy()
        weight[is_known] = self.weight[known]
        if not is_known.all():
            new = compress(grams, ~is_known)
            weight[~is_known] = [self.unknown_idf * self.background.get(g, 1.0) for g in new]
        counted = families >= 0
        message_mass = np.bincount(families[counted], idf[counted], len(FAMILIES))
        distinct_mass = np.bincount(families[counted], weight[counted], len(FAMILIES))
        kinds, distinct = len(PIECE_KINDS), PER_FAMILY * len(FAMILIES)
        for f in range(len(FAMILIES)):
            mine = known[known_family == f]
            if not len(mine):
                continue
            overlap, weighed = _spread(mine, self.gram_pieces, self.idf, self.weight)
            # Ascending: grouped by topic and kind, as pieces are. (A boolean's flatnonzero
            # is several times faster than a float's.)
            touched = np.flatnonzero(overlap > 0)
            shared = overlap[touched]
            key = self.piece_run[touched]
            starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
            owner, kind = np.divmod(key[starts], kinds)
            column = f * PER_FAMILY + 2 * kind
            out[owner, column] = np.maximum.reduceat(shared / self.piece_mass[f][touched], starts)
            # Over one positive divisor the largest share is the largest overlap's: the
            # shares of the message are divided after the maximum (the same figures).
            most = np.maximum.reduceat(shared, starts)
            out[owner, column + 1] = most / max(message_mass[f], 1e-9)
            firsts = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
            held = np.maximum.reduceat(np.maximum.reduceat(weighed[touched], starts), firsts)
            out[owner[firsts], distinct + 2 * f] = held / max(distinct_mass[f], 1e-9)
            union, whole = _spread(mine, self.gram_topics, self.idf, self.weight)
            out[:, f * PER_FAMILY + 2 * kinds] = union / max(message_mass[f], 1e-9)
            # The same shares of the message's distinctive weight: by the best piece (above),
            # and by the whole file.
            out[:, distinct + 2 * f + 1] = whole / max(distinct_mass[f], 1e-9)
        # The characters' share the whole file explains; for pinyin typed in Latin letters
        # (no character a file could hold), its syllables' share.
        written = _HAN.search("".join(compress(grams, families == 0))) is not None
        explained = out[:, PER_FAMILY - 1 if written else 2 * PER_FAMILY - 1]
        first = int(np.argmax(explained))
        top, second = explained[first], 0.0
        if topics > 1:
            rest = explained.copy()
            rest[first] = -np.inf
            second = rest.max()
        best = ((explained >= top) & (top > 0)).astype(np.float64)
        # A file of one sentence explains less than one of twenty: the weights may differ.
        out[:, -5] = best
        out[:, -4] = explained - np.where(best > 0, second, top)
        out[:, -3] = self.thin
        out[:, -2] = self.thin * explained
        out[:, -1] = self.thin * best
        return out


@dataclass(frozen=True, slots=True)
class Postings:
    """By gram, the sorted holders (pieces or topics) of it, as one array and offsets: a
    knowledge base of thousands of topics has tens of thousands of grams, and an array
    each would cost its object overhead many times over."""

    holders: np.ndarray  # every gram's holders one after another, in the least int type
    offsets: np.ndarray  # int64, by gram: where its holders start (and one past the last)
    size: int  # how many holders there are

    @classmethod
    def of(cls, holders: Sequence[set[int]], size: int) -> Postings:
        sizes = np.fromiter((len(h) for h in holders), dtype=np.int64, count=len(holders))
        most = max((max(h) for h in holders if h), default=0)
        flat = np.fromiter(
            (i for h in holders for i in sorted(h)),
            dtype=np.min_scalar_type(most),  # 2,000 topics' 40,000 pieces: 2 bytes each
            count=int(sizes.sum()),
        )
        return cls(flat, np.concatenate(([0], np.cumsum(sizes))), size)

    def gather(self, grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The holders of ``grams``, one after another, and how many each gram has."""
        starts = self.offsets[grams]
        counts = self.offsets[grams + 1] - starts
        shift = np.repeat(starts - np.cumsum(counts) + counts, counts)
        return self.holders[shift + np.arange(int(counts.sum()))], counts


def _spread(
    grams: np.ndarray, holders: Postings, idf: np.ndarray, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """By holder (piece or topic): the idf, and the weight, of the message's ``grams`` it
    holds."""
    at, counts = holders.gather(grams)
    return (
        np.bincount(at, np.repeat(idf[grams], counts), holders.size),
        np.bincount(at, np.repeat(weight[grams], counts), holders.size),
    )


@dataclass(frozen=True, slots=True)
class ResemblanceModel:
    """A logistic regression over ``Profiles.features``: P(the message is on this topic).

    A file of one sentence (a taught question) is read by weights learned without the
    distinctive shares (``DISTINCT``): on so short a file they say nothing the shares do
    not, and learned together with them the other weights serve five-example files better
    and one-sentence files worse (a taught question's paraphrases went from 0.8 to 0.55)."""

    weights: np.ndarray
    bias: float
    sentence_weights: np.ndarray
    sentence_bias: float

    def probabilities(self, features: np.ndarray, sentence: np.ndarray | None = None) -> np.ndarray:
        """By row of ``features`` (a topic): the odds; ``sentence`` marks the rows of
        one-sentence files."""
        scores = features @ self.weights + self.bias
        if sentence is not None and sentence.any():
            short = features[sentence] @ self.sentence_weights + self.sentence_bias
            scores[sentence] = short
        result: np.ndarray = 1.0 / (1.0 + np.exp(-scores))
        return result

    def to_json(self) -> dict[str, object]:
        return {
            "weights": [float(w) for w in self.weights],
            "bias": self.bias,
            "sentence_weights": [float(w) for w in self.sentence_weights],
            "sentence_bias": self.sentence_bias,
        }

    @classmethod
    def from_json(cls, stored: dict[str, object]) -> ResemblanceModel:
        weights = np.array(stored["weights"], dtype=np.float64)
        sentence = np.array(stored["sentence_weights"], dtype=np.float64)
        if weights.shape != (FEATURES,) or sentence.shape != (FEATURES,):
            raise ValueError(f"resemblance weights of shape {weights.shape}")
        return cls(
            weights,
            float(stored["bias"]),  # type: ignore[arg-type]
            sentence,
            float(stored["sentence_bias"]),  # type: ignore[arg-type]
        )

    @classmethod
    def fit(
        cls,
        topics: Sequence[FaqTopic],
        lines: Sequence[tuple[str, str | None]],
        grams: GramReader,
        background: Mapping[str, float] | None = None,
    ) -> ResemblanceModel:
        """Learn from corpus ``lines`` (text, its topic or None) on ``topics`` it covers."""
        from sklearn.linear_model import LogisticRegression

        read = [grams(text) for text, _ in lines]
        rows, labels = [], []
        for n, examples in enumerate(THIN_FILES):
            profiles = Profiles.build(thinned(topics, examples, SEED + n), grams, background)
            for message, (_, topic) in zip(read, lines, strict=True):
                rows.append(profiles.features(message))
                labels.append([tid == topic for tid in profiles.topic_ids])
        matrix, truth = np.vstack(rows), np.concatenate(labels).astype(np.int64)
        model = LogisticRegression(C=1.0, max_iter=1000).fit(matrix, truth)
        distinct = PER_FAMILY * len(FAMILIES)
        matrix[:, distinct : distinct + DISTINCT] = 0.0
        short = LogisticRegression(C=1.0, max_iter=1000).fit(matrix, truth)
        return cls(
            model.coef_[0].astype(np.float64),
            float(model.intercept_[0]),
            short.coef_[0].astype(np.float64),
            float(short.intercept_[0]),
        )


# How a floor is chosen (see ``calibrated_floor``): issue 13 asks that 80 % of a new
# topic's questions be answered, at most 3 % of messages wrongly, none with another
# taught answer.
ANSWER_SHARE = 0.8  # of the held-out examples their own topic wins, let through
PRECISION = 0.95  # of the held-out examples let through, won by their own topic
STRAY_SHARE = 0.1  # of the police questions no topic answers, let through
FOLDS = 5  # held-out rounds: a station's file has about five examples
MIN_HELD = 5  # fewer won examples than this say nothing: no floor (the usual threshold)
MAX_HELD_TOPICS = 40  # a city's thousands of topics: the examples of a spread of 40 say it
# What the held-out examples of a station's file may ask of its questions' odds at most:
# no more than a topic we ship needs to be drafted for the officer (faq.learned's suggest
# threshold). On a file whose five examples all name its topic the fifth-lowest held-out
# odds were 0.7-0.8, so that its residents' questions, told through what they saw, went to
# the officer at 0.2-0.5 (station development set: 63 -> 76 % answered, none more wrongly).
# One-sentence files (taught questions) keep their floor: one sentence says too little.
HELD_MOST = 0.3
# What cached floors depend on besides the files and the weights: change it, recalibrate.
FLOOR_KEY = (
    f"{ANSWER_SHARE}/{PRECISION}/{STRAY_SHARE}/{FOLDS}/{MIN_HELD}/{MAX_HELD_TOPICS}"
    f"/{HELD_MOST}/drafts"
)


def held_out(
    model: ResemblanceModel,
    topics: Sequence[FaqTopic],
    new: Sequence[int],
    grams: GramReader,
    sentence: bool,
    background: Mapping[str, float] | None = None,
) -> list[tuple[float, bool]]:
    """The winner's odds on each held-out example, and whether its own topic won.

    ``sentence`` False: each example of the ``new`` topics of several examples is held out
    in turn and read against the rest of the knowledge base (leave one example out). True,
    for one-sentence files (a taught question: nothing is left when it is held out): the
    covered topics, a fifth at a time, are cut to one example each, as ``thinned`` does,
    and their other examples are read against them and the new topics."""
    out: list[tuple[float, bool]] = []
    old = [i for i in range(len(topics)) if i not in set(new)]
    for fold in range(FOLDS):
        files = list(topics)
        held: list[tuple[int, str]] = []
        if sentence:
            cut = [i for i in old if i % FOLDS == fold]
            shorts = thinned([topics[i] for i in cut], 1, SEED + fold)
            for i, short in zip(cut, shorts, strict=True):
                files[i] = short
                held += [(i, e) for e in topics[i].examples if e not in short.examples]
            candidates = np.array(sorted({*new, *cut}), dtype=np.int64)
        else:
            for i in new[:: -(-len(new) // MAX_HELD_TOPICS)]:
                examples = topics[i].examples
                if len(examples) >= 2 and fold < len(examples):
                    rest = examples[:fold] + examples[fold + 1 :]
                    files[i] = dataclasses.replace(topics[i], examples=rest)
                    held.append((i, examples[fold]))
            candidates = np.array(sorted(new), dtype=np.int64)
        if not held:
            continue
        profiles = Profiles.build(files, grams, background)
        for i, text in held:
            odds = model.probabilities(profiles.features(grams(text)), profiles.sentence)
            odds = odds[candidates]
            at = int(np.argmax(odds))
            out.append((float(odds[at]), bool(candidates[at] == i)))
    return out


def calibrated_floor(
    held: Sequence[tuple[float, bool]], strays: Sequence[float], most: float = 1.0
) -> float | None:
    """The odds above which a new topic that wins a message is answered: resemblance odds
    are learned on the covered topics and run low on a station's file among full ones (a
    fifth of its held-out examples score under 0.1 while their topic still wins by a
    factor of ten), so the classifier's answer threshold leaves most of them to the
    officer. The floor is the highest of: what lets ``ANSWER_SHARE`` of the held-out
    examples their own topic wins through; the lowest odds above which ``PRECISION`` of
    the held-out examples let through are won by their own topic; what lets no more than
    ``STRAY_SHARE`` of the police questions no topic answers (``strays``: their best new
    topic's odds) through. None (the usual threshold) when too few examples were won.

    The first of these is held to ``most``: a file whose examples all say its title word is
    won at high odds on every one of them, which says the file is clear, not that a
    resident's question, told in other words, must be as sure (``HELD_MOST``)."""
    won = [odds for odds, own in held if own]
    if len(won) < MIN_HELD:
        return None
    floor = min(float(np.quantile(won, 1 - ANSWER_SHARE)), most)
    ranked = sorted(held, key=lambda pair: -pair[0])
    right = np.cumsum([own for _, own in ranked])
    precise = [odds for n, (odds, _) in enumerate(ranked) if right[n] >= PRECISION * (n + 1)]
    floor = max(floor, min(precise) if precise else 1.0)
    if strays:
        floor = max(floor, float(np.quantile(strays, 1 - STRAY_SHARE)))
    return floor


def stray_floor(strays: Sequence[float]) -> float | None:
    """The odds above which a new topic that wins a message is drafted for the officer:
    what lets no more than ``STRAY_SHARE`` of the police questions no topic answers
    (``strays``) through, the part of ``calibrated_floor`` that keeps other questions off
    the topic. A message that goes to the officer anyway (an incident, the resident's own
    case) then comes with the station's answer whenever its file fits, not with nothing."""
    return float(np.quantile(strays, 1 - STRAY_SHARE)) if strays else None
