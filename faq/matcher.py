"""Decide what to do with a group message: answer from the FAQ, suggest, escalate, ignore.

Pure: no I/O after construction. A topic is recognised by patterns of concepts that must
all occur ("@id-card @lost"); an element used by only one topic is specific and weighs 2,
a shared one weighs 1, and a topic's strength is its best pattern's weight. Intent cues
(question, request, statement, case, incident, advert) then decide whether the resident
is asking at all: a bot that talks on chatter gets kicked, so anything short of a clear,
unambiguous question on one topic goes to the officer or stays silent.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from faq.knowledge import FaqTopic
from faq.text import EVERYONE_MENTION, TermIndex, normalise, strip_mentions, tokenize

Action = Literal["answer", "clarify", "suggest", "escalate", "ignore"]
DICT_DIR = Path(__file__).parent / "dict"
INTENTS = ("question", "request", "police", "incident", "case", "statement", "advert")
OFFICER_MENTION = re.compile(r"警|所长|民警|社区")
# Confidence by pattern strength: one shared word is weak, a specific term or two
# concepts together is a match.
STRENGTH_CONFIDENCE = {1: 0.45, 2: 0.7, 3: 0.8}
MAX_CONFIDENCE = 0.85


@dataclass(frozen=True, slots=True)
class Thresholds:
    answer: float = 0.62
    suggest: float = 0.35
    addressed_answer: float = 0.55


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    faq_id: str | None
    score: float
    reason: str = ""
    choices: tuple[str, ...] = ()  # clarify: the topics offered, in order


@dataclass(frozen=True, slots=True)
class Lexicon:
    concepts: Mapping[str, tuple[str, ...]]
    intents: Mapping[str, tuple[str, ...]]
    patterns: Mapping[str, tuple[re.Pattern[str], ...]]  # cue -> regexes (intents.toml [regex])


def load_lexicon(directory: Path = DICT_DIR) -> Lexicon:
    with open(directory / "concepts.toml", "rb") as handle:
        concepts = tomllib.load(handle)["concepts"]
    with open(directory / "intents.toml", "rb") as handle:
        intents = tomllib.load(handle)
    missing = [name for name in INTENTS if name not in intents]
    if missing:
        raise ValueError(f"{directory / 'intents.toml'}: missing cue list(s) {missing}")
    return Lexicon(
        concepts={k: tuple(v) for k, v in concepts.items()},
        intents={k: tuple(intents[k]) for k in INTENTS},
        patterns={
            cue: tuple(re.compile(p) for p in expressions)
            for cue, expressions in intents.get("regex", {}).items()
        },
    )


@dataclass(frozen=True, slots=True)
class _Element:
    key: str
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Exclusion:
    """``A -B`` in [match] exclude: A rules the topic out, unless B is there too."""

    when: _Element
    unless: _Element | None

    def holds(self, found: set[str]) -> bool:
        return not self.when.terms.isdisjoint(found) and (
            self.unless is None or self.unless.terms.isdisjoint(found)
        )


@dataclass(frozen=True, slots=True)
class _Pattern:
    elements: tuple[_Element, ...]
    weight: int


@dataclass(frozen=True, slots=True)
class _TopicRules:
    id: str
    patterns: tuple[_Pattern, ...]
    exclude: tuple[_Exclusion, ...]


class Matcher:
    def __init__(
        self,
        topics: Sequence[FaqTopic],
        lexicon: Lexicon,
        thresholds: Thresholds = Thresholds(),
    ) -> None:
        self.thresholds = thresholds
        self._lexicon = lexicon
        self._elements: dict[str, _Element] = {}
        raw = [(t, [p.split() for p in t.patterns] + [[a] for a in t.aliases]) for t in topics]
        users: dict[str, set[str]] = {}
        for topic, patterns in raw:
            for pattern in patterns:
                for key in pattern:
                    users.setdefault(key, set()).add(topic.id)
        self._rules = tuple(
            _TopicRules(
                id=topic.id,
                patterns=tuple(
                    _Pattern(
                        elements=tuple(self._element(k, topic.id) for k in pattern),
                        weight=sum(2 if len(users[k]) == 1 else 1 for k in pattern),
                    )
                    for pattern in patterns
                ),
                exclude=tuple(self._exclusion(k, topic.id) for k in topic.exclude),
            )
            for topic, patterns in raw
        )
        self._anchored = self._anchor_index()
        self._exclude = {rules.id: rules.exclude for rules in self._rules}
        self._vocabulary = {
            rules.id: tuple({e.key: e for p in rules.patterns for e in p.elements}.values())
            for rules in self._rules
        }
        self._last_tie = False
        self._intents = {name: frozenset(terms) for name, terms in lexicon.intents.items()}
        every_term: set[str] = set().union(*self._intents.values())
        for rules in self._rules:
            for compiled in rules.patterns:
                for element in compiled.elements:
                    every_term |= element.terms
            for exclusion in rules.exclude:
                every_term |= exclusion.when.terms
                every_term |= exclusion.unless.terms if exclusion.unless else frozenset()
        self._index = TermIndex(every_term)

    def _anchor_index(self) -> dict[str, list[tuple[str, _Pattern]]]:
        """term -> the patterns anchored on it; a pattern's anchor is its rarest element."""
        users: dict[str, int] = {}
        for rules in self._rules:
            for pattern in rules.patterns:
                for element in pattern.elements:
                    users[element.key] = users.get(element.key, 0) + 1
        index: dict[str, list[tuple[str, _Pattern]]] = {}
        for rules in self._rules:
            for pattern in rules.patterns:
                anchor = min(pattern.elements, key=lambda e: (users[e.key], len(e.terms)))
                for term in anchor.terms:
                    index.setdefault(term, []).append((rules.id, pattern))
        return index

    def _exclusion(self, key: str, topic_id: str) -> _Exclusion:
        when, _, unless = key.partition(" -")
        return _Exclusion(
            self._element(when.strip(), topic_id),
            self._element(unless.strip(), topic_id) if unless else None,
        )

    def _element(self, key: str, topic_id: str) -> _Element:
        # One element per key: thousands of topics share "@id-card" and its terms.
        if (known := self._elements.get(key)) is not None:
            return known
        terms: set[str] = set()
        for alternative in key.split("|"):
            if alternative.startswith("@"):
                concept = self._lexicon.concepts.get(alternative[1:])
                if concept is None:
                    raise ValueError(f"topic {topic_id}: unknown concept {alternative}")
                terms.update(concept)
            else:
                terms.add(alternative)
        element = self._elements[key] = _Element(key, frozenset(terms))
        return element

    def explain(self, text: str) -> tuple[set[str], set[str], list[tuple[str, float]]]:
        """The terms found, the intent cues and the ranked topics (for `faq match --explain`)."""
        body, mentions = strip_mentions(normalise(text))
        found = self._index.find(tokenize(body))
        return found, self._cues(body, mentions, found), self._rank(found)

    def _cues(self, body: str, mentions: list[str], found: set[str]) -> set[str]:
        cues = {name for name, terms in self._intents.items() if not terms.isdisjoint(found)}
        text = body.strip()
        cues |= {
            cue
            for cue, expressions in self._lexicon.patterns.items()
            if any(expression.search(text) for expression in expressions)
        }
        if "not_question" in cues:
            cues.discard("not_question")
            # Its question words ask nothing: does the rest of the message ask?
            rest = body
            for expression in self._lexicon.patterns["not_question"]:
                rest = expression.sub(" ", rest)
            if self._intents["question"].isdisjoint(self._index.find(tokenize(rest))) and not any(
                expression.search(rest.strip()) for expression in self._lexicon.patterns["question"]
            ):
                cues.discard("question")
        if "waiting" in cues and "status" in cues:
            cues.add("case")  # "材料早交了 ... 都半个月了 咋回事"
        if any(OFFICER_MENTION.search(name) for name in mentions):
            cues.add("police")
            cues.discard("other_person")  # "@王警官 你那边能查吗" is for the police
        elif any(not EVERYONE_MENTION.match(name) for name in mentions):
            cues.add("other_person")  # "@李姐 你家孩子户口上好了没"
        return cues

    def decide(self, text: str, addressed: bool = False) -> Decision:
        body, mentions = strip_mentions(normalise(text))
        tokens = tokenize(body)
        if not tokens:
            return Decision("ignore", None, 0.0, "no words")
        found = self._index.find(tokens)
        cues = self._cues(body, mentions, found)
        # "谢谢大家帮忙" thanks, it does not ask: a request counts only without a statement.
        asking = "question" in cues or ("request" in cues and "statement" not in cues)
        if "notice" in cues or "other_person" in cues:
            asking = False  # a forwarded notice, or residents talking among themselves
            cues.add("statement")
            cues.discard("case")

        ranked = self._rank(found)
        faq_id, confidence = ranked[0] if ranked else (None, 0.0)
        if ranked:
            strength = ranked[0][1]
            confidence = STRENGTH_CONFIDENCE.get(int(strength), MAX_CONFIDENCE)
            if asking:
                confidence += 0.15
            elif "statement" in cues:
                confidence -= 0.45  # "我身份证已经换好了 谢谢": news, not a question
            else:
                confidence -= 0.05
            t = self.thresholds
            cap = min(t.answer, t.addressed_answer) - 0.05  # highest score that is not an answer
            if self._last_tie:
                confidence = min(confidence, cap)  # two topics fit equally: the officer chooses
            if "advert" in cues:
                confidence -= 0.3
            if "case" in cues:  # a personal case is never answered from the FAQ alone
                confidence = min(confidence, cap)
            confidence = round(max(0.0, min(1.0, confidence)), 3)
        return self._act(faq_id, confidence, cues, asking, addressed)

    def _rank(self, found: set[str]) -> list[tuple[str, float]]:
        """Topics whose patterns all hold, strongest first; equal strength goes to the topic
        more of whose vocabulary the message uses.

        Only patterns whose anchor (their rarest element) holds are checked, so the work per
        message follows what it says, not how big the knowledge base is.
        """
        best: dict[str, int] = {}
        for term in found:
            for topic_id, pattern in self._anchored.get(term, ()):
                if pattern.weight > best.get(topic_id, 0) and all(
                    not e.terms.isdisjoint(found) for e in pattern.elements
                ):
                    best[topic_id] = pattern.weight
        scored = [
            (topic_id, weight, self._coverage(topic_id, found))
            for topic_id, weight in best.items()
            if not any(exclusion.holds(found) for exclusion in self._exclude[topic_id])
        ]
        scored.sort(key=lambda item: (-item[1], -item[2], item[0]))
        self._last_tie = len(scored) > 1 and scored[0][1:] == scored[1][1:]
        return [(topic_id, float(weight)) for topic_id, weight, _ in scored]

    def _coverage(self, topic_id: str, found: set[str]) -> int:
        return sum(1 for e in self._vocabulary[topic_id] if not e.terms.isdisjoint(found))

    def _act(
        self, faq_id: str | None, confidence: float, cues: set[str], asking: bool, addressed: bool
    ) -> Decision:
        t = self.thresholds
        # Something is happening: the officer must know, unless the resident calmly asks a
        # FAQ question about it ("有人打电话说孙子打架了让寄钱 是不是骗人的").
        calm_question = faq_id and asking and "request" not in cues and confidence >= t.answer
        if "incident" in cues and not calm_question:
            return Decision("escalate", faq_id, confidence, "incident")
        answer_at = t.addressed_answer if addressed else t.answer
        # Only a question is answered: news, complaints and ads full of topic words are not.
        if faq_id and confidence >= answer_at and (asking or addressed):
            return Decision("answer", faq_id, confidence, "confident match")
        if faq_id and confidence >= t.suggest and (asking or addressed or "case" in cues):
            return Decision("suggest", faq_id, confidence, "plausible match")
        police_business = "police" in cues or "case" in cues or (faq_id is not None)
        if (asking or "case" in cues) and police_business and not ("advert" in cues and not asking):
            return Decision("escalate", None, confidence, "question for the police")
        if addressed and (asking or "statement" not in cues):
            return Decision("escalate", None, confidence, "addressed to the bot")
        return Decision("ignore", None, confidence, "not a question for the police")


def build_matcher(topics: Iterable[FaqTopic], thresholds: Thresholds = Thresholds()) -> Matcher:
    return Matcher(tuple(topics), load_lexicon(), thresholds)
