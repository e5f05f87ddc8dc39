"""A specific person's private matters told in the group, learned from examples.

The number and name rules (``guard.pii``) are exact where personal data has a form: an ID,
a mobile, a plate, a door. Neighbours' talk has none: 老李家那口子查出来是肺癌晚期, 王姐跟她
老公分居半年了, 5号楼的马强贩毒进去过 name a person in a dozen ways (a full name, a surname
and a title or a kin word, a nickname, a job, a home, the writer's kin by full name) and
tell an illness, a record, a debt, a divorce, where their money is kept (王哥存了一百万在
工行), when their home is empty or open (老李两口子去海南过冬了, 钥匙在地垫底下) or a
stigmatised private life (402那个女的在酒吧坐台, 老李家的孩子是抱养的) in a hundred. So
the decision is a logistic regression on the FAQ matcher's engine (``faq.learned``:
character n-grams and pinyin bigrams, as the lure model in ``guard.learned``) plus what a
lexicon saw (``personal.toml``): who the message is about, what matter it tells, whether
the writer tells their own, whether it is news, a notice, an advert or a question. The
model is read only when the lexicon sees both a person and a matter: a matter said of no
one, or a neighbour in everyday talk, is never one, and most messages cost nothing.

Trained once per content of ``guard/corpus_personal`` (neighbours' private matters and the
hard negatives beside them), with the guard's own corpus and the FAQ corpus's everyday
text as "ok"; cached as ``.npz`` + JSON by ``faq.learned.cached_linear``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guard import learned, pii

if TYPE_CHECKING:
    from faq.learned import LinearModel

CORPUS_DIR = Path(__file__).parent / "corpus_personal"
LABELS = ("pii", "ok")
FEATURE_VERSION = "2"  # bump when features() or training change: caches then retrain
SEED = 23
# Inverse regularisation and the decision's threshold, chosen by five-fold cross-validation
# on the corpus (``bench/personal_cv.py``): the most personal lines caught with its hard
# negatives at 1 % false alarms or fewer and everyday text at 0.25 % or fewer. With corpus
# v24 (wealth and where it is kept, a home alone or open, routines, a stigmatised private
# life), at C 16, 0.55: 88.7 % of the corpus's 941 personal lines caught, hard negatives
# 0.95 % of 1,261, other text 0.042 % of 18,876 (at the former C 8, 0.6: 87.8 %, 0.79 %).
# With corpus v25 (money come in, valuables, a home empty on given days, an operation) and
# saga converging (``faq.learned.fit_linear``), at C 16, 0.5: 88.9 % of 1,197, hard
# negatives 0.94 % of 1,492, other text 0.085 % of 20,089.
# (The corpus is composed from lists, so its folds share phrases: the development sets'
# held-out thirds are the fairer figures.)
C = 16.0
THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class PersonalExample:
    text: str
    label: str  # "pii" or "ok"


def _example(row: dict[str, Any]) -> PersonalExample:
    label = str(row["label"])
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    return PersonalExample(str(row["text"]), label)


def read_corpus(directory: Path = CORPUS_DIR) -> list[PersonalExample]:
    """Every ``*.jsonl`` line below ``directory``: {"text", "label", "kind", "style"}."""
    from faq.learned import read_jsonl

    return read_jsonl(directory, _example)


def training_examples() -> list[PersonalExample]:
    """The personal corpus, plus the lure corpus and the FAQ's everyday text as "ok": lures
    and talk about them, questions, chatter, none a neighbour's private matter."""
    others = [PersonalExample(e.text, "ok") for e in learned.training_examples()]
    return read_corpus() + others


# ------------------------------------------------------------------------------- lexicon


@dataclass(frozen=True, slots=True)
class Lexicon:
    people: tuple[tuple[str, re.Pattern[str]], ...]
    own: re.Pattern[str]
    matters: tuple[tuple[str, re.Pattern[str]], ...]
    frames: tuple[tuple[str, re.Pattern[str]], ...]


def _compiled(
    section: dict[str, list[str]], local: str = ""
) -> tuple[tuple[str, re.Pattern[str]], ...]:
    surnames = f"{pii.COMPOUND_SURNAMES}|[{pii.SURNAMES}]" + (f"|{local}" if local else "")

    def filled(pattern: str) -> str:
        return pattern.replace("{surname}", surnames).replace("{not_group}", NOT_GROUP)

    return tuple(
        (key, re.compile("|".join(filled(p) for p in patterns), re.I))
        for key, patterns in section.items()
    )


def lexicon_text() -> str:
    return resources.files("guard").joinpath("personal.toml").read_text("utf-8")


# A full name right before a matter's word (刘海军酒驾被判了, 杨慧借了亲戚十几万): any name, where
# the lexicon's ``named`` asks for a word that opens what is said of it.
NAME_BEFORE_MATTER = (
    r"(?:^|[，。！？,!?：:；;、\s的])(?:{surname})(?!某)[\u4e00-\u9fff]{{1,2}}"
    r"(?!小区|区|路|街|村|镇|市|县|省|花园|家园|社区|有人|有个)"  # 向阳小区有人…: a place
    r"(?:(?!有人|有个|某)[^，。！？,!?]){{0,4}}?(?:{matter})"
)
# After a building: its residents, not one of them (3号楼的住户, 家住3号楼的病友).
NOT_GROUP = "(?!病友|朋友|邻居|住户|居民|业主|大家|各位|家长|人|们)"


@cache
def lexicon() -> Lexicon:
    raw = tomllib.loads(lexicon_text())
    matter = "|".join(p for patterns in raw["matters"].values() for p in patterns)
    raw["people"]["named"].append(NAME_BEFORE_MATTER.format(surname="{surname}", matter=matter))
    local = str(raw.get("surnames", {}).get("local", ""))
    return Lexicon(
        _compiled(raw["people"], local),
        _compiled(raw["own"])[0][1],
        _compiled(raw["matters"], local),
        _compiled(raw["frames"]),
    )


@dataclass(frozen=True, slots=True)
class Seen:
    """What the lexicon saw in a message."""

    people: tuple[str, ...]  # title, nickname, kin, home, job, named, kin_named, name
    matters: tuple[str, ...]  # health, record, debt, family, wealth, kept, alone, access,
    # routine, intimate, seen_with, adopted
    own: bool  # the writer's own, or the writer's unnamed family's
    frames: tuple[str, ...]  # public, notice, advert, ask

    @property
    def gated(self) -> bool:
        """A person and a matter both: only then is the model read."""
        return bool(self.people and self.matters)


def seen(text: str) -> Seen:
    lex = lexicon()
    head = text[: learned.MAX_CHARS]
    people = tuple(k for k, p in lex.people if p.search(head))
    if not people and pii.names_anywhere(head):
        people = ("name",)
    # 我表妹何静是二婚: the writer's kin by full name is someone else, not the writer's own
    mine = head
    for k, p in lex.people:
        if k == "kin_named":
            mine = p.sub("", mine)
    return Seen(
        people,
        tuple(k for k, p in lex.matters if p.search(head)),
        lex.own.search(mine) is not None,
        tuple(k for k, p in lex.frames if p.search(head)),
    )


def signal_features(s: Seen) -> list[str]:
    out = [f"k:who:{p}" for p in s.people] + [f"k:what:{m}" for m in s.matters]
    out += [f"k:frame:{f}" for f in s.frames]
    out += [f"k:{p}+{m}" for p in s.people for m in s.matters]
    if s.own:
        out.append("k:own" if s.people else "k:own-only")
    if not s.people:
        out.append("k:nobody")
    return out


def features(text: str, s: Seen) -> list[str]:
    return [*learned.base_features(text), *signal_features(s)]


def content_key(examples: Sequence[PersonalExample]) -> str:
    from faq.learned import feature_key

    settings = f"{FEATURE_VERSION}/{feature_key()}/{C}"
    digest = hashlib.sha256(f"guard-personal/{settings}".encode())
    digest.update(lexicon_text().encode())
    for e in examples:
        digest.update(f"\x1e{e.label}\x1f{e.text}".encode())
    return "personal-" + digest.hexdigest()[:24]


def train(examples: Sequence[PersonalExample], strength: float = C) -> LinearModel:
    """Fitted on the lines where the lexicon sees a person and a matter only: the model is
    read on no others, and what it must tell apart is there (老李查出来肺癌了 from 老李是肿瘤科的
    大夫, 老李说网贷千万别碰)."""
    from faq.learned import fit_linear

    rows, labels = [], []
    for e in examples:
        s = seen(e.text)
        if s.gated:
            rows.append(features(e.text, s))
            labels.append(e.label)
    return fit_linear(rows, labels, strength, balanced=True, seed=SEED)


@dataclass(frozen=True, slots=True)
class PersonalModel:
    model: LinearModel

    def probability(self, text: str, s: Seen | None = None) -> float:
        """How likely ``text`` tells a specific person's private matter (0.0 unless the
        lexicon sees a person and a matter)."""
        s = seen(text) if s is None else s
        if not s.gated:
            return 0.0
        p = self.model.probabilities(features(text, s))
        return float(p[self.model.classes.index("pii")])

    def told(self, text: str, threshold: float = THRESHOLD) -> bool:
        return self.probability(text) >= threshold


def build(
    examples: Sequence[PersonalExample] | None = None, cache_dir: Path | None = None
) -> PersonalModel:
    from faq.learned import cached_linear

    chosen = training_examples() if examples is None else examples
    (model,) = cached_linear(
        content_key(chosen), ("personal",), lambda: (train(chosen),), cache_dir
    )
    return PersonalModel(model)


@cache
def default_model() -> PersonalModel:
    return build()
