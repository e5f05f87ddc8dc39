"""Scam lures learned from examples, on the FAQ matcher's engine (``faq.learned``).

The rule scripts (``scripts.toml``) are exact where a lure uses a known script's words,
but lures keep changing their wording, and residents talk *about* lures all day. So the
decision is a logistic regression over the message's character n-grams and pinyin
bigrams (``faq.learned.features``) plus what the rules saw: the hooked script, the
hook's weight, an ask, a contact, warning cues. The model learns how far to trust each
rule signal; the rules keep deciding what is exact (ID checksums, card numbers).

Two models, trained once per content of ``guard/corpus`` (cached as ``.npz`` + JSON by
``faq.learned.cached_linear``): *lure* (scam or ok) and *script* (which corpus script a
lure follows, for the warning's wording when no rule script is hooked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guard import normalize
from guard.scam import ScamAssessment, assess, scripts_text

if TYPE_CHECKING:
    from faq.learned import LinearModel

# faq.learned is imported where it is used, not here: it loads pypinyin's tables (a third
# of a second), which importing the guard (the CLI, the number scanner's tests) should
# not pay; the first message does, with the model.

CORPUS_DIR = Path(__file__).parent / "corpus"
LABELS = ("scam", "ok")
FEATURE_VERSION = "2"  # bump when lure_features() or training change: caches then retrain
SEED = 19  # the same corpus trains the same model on every machine (CI, each worker)
LURE_C = 8.0  # inverse regularisation, chosen by cross-validation on the corpus
SCRIPT_C = 8.0
# The script model's weights under this are dropped: 85 % of its 10.5 million (84 MB held
# in every bot process) were, and the likeliest script stayed the same on all 4,849 lures.
SCRIPT_PRUNE = 0.01
MAX_CHARS = 600  # a lure says what it wants early; the rest only costs time


@dataclass(frozen=True, slots=True)
class LureExample:
    text: str
    label: str  # "scam" or "ok"
    script: str  # the corpus script the lure follows, or the one a warning talks about


def _example(row: dict[str, Any]) -> LureExample:
    label = str(row["label"])
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    return LureExample(str(row["text"]), label, str(row.get("script") or ""))


def read_corpus(directory: Path = CORPUS_DIR) -> list[LureExample]:
    """Every ``*.jsonl`` line below ``directory``: {"text", "label", "script", "style"}."""
    from faq.learned import read_jsonl

    return read_jsonl(directory, _example)


# What residents write to the FAQ matcher (questions, their own cases, chatter, incidents,
# complaints, other offices' business) is the everyday text a lure must stand out from.
# Not its adverts: written for the FAQ's "ad" intent, many are lures or grey sales
# (磁疗床垫 睡觉就能治病, 网贷逾期专业处理催收, 诈骗挽损 律师团队) that taught the lure model
# "ok" against the guard's own lines; the guard corpus labels neighbours' adverts itself.
EVERYDAY_INTENTS = frozenset({"ask", "case", "chatter", "incident", "complaint", "elsewhere"})


def training_examples() -> list[LureExample]:
    """The guard's corpus of lures and hard negatives, plus the FAQ corpus as everyday text."""
    from faq import learned as faq_learned

    everyday = [
        LureExample(e.text, "ok", "")
        for e in faq_learned.read_corpus()
        if e.intent in EVERYDAY_INTENTS
    ]
    return read_corpus() + everyday


def rule_features(a: ScamAssessment) -> list[str]:
    """What the rule scripts saw, as features: the model weighs them against the words."""
    out = [f"r:warn:{min(4, int(a.warning * 2))}"]
    if a.script is not None:
        out += [f"r:script:{a.script.id}", f"r:hook:{min(6, int(a.hook / 0.3))}"]
    if a.call_to_action:
        out.append("r:ask")
    if a.contact:
        out.append("r:contact")
    if a.outside_contact:
        out.append("r:outside")
    if a.is_lure:
        out.append("r:lure")
    return out


@lru_cache(maxsize=16)
def base_features(text: str) -> tuple[str, ...]:
    """The message's words as the FAQ's engine reads them: normalised (look-alikes,
    full-width, invisible characters undone) but not flattened, so the n-grams keep the
    message's own segments. Remembered for the last few messages: the personal-matter
    model (``guard.personal``) reads the same ones."""
    from faq.learned import features

    return tuple(features(normalize.normalize(text[:MAX_CHARS])))


def lure_features(text: str, a: ScamAssessment) -> list[str]:
    return [*base_features(text), *rule_features(a)]


def content_key(examples: Sequence[LureExample]) -> str:
    from faq.learned import feature_key  # the FAQ's features, thesaurus included

    settings = f"{FEATURE_VERSION}/{feature_key()}/{LURE_C}/{SCRIPT_C}/{SCRIPT_PRUNE}"
    digest = hashlib.sha256(f"guard/{settings}".encode())
    # The rule scripts are features too (``rule_features``): a model trained before a
    # script was added or changed has never seen it hook anything.
    digest.update(scripts_text().encode())
    for e in examples:
        digest.update(f"\x1e{e.label}\x1f{e.script}\x1f{e.text}".encode())
    return "guard-" + digest.hexdigest()[:24]


def train(examples: Sequence[LureExample]) -> tuple[LinearModel, LinearModel]:
    from faq.learned import fit_linear

    rows = [lure_features(e.text, assess(e.text)) for e in examples]
    lure = fit_linear(rows, [e.label for e in examples], LURE_C, balanced=True, seed=SEED)
    lures = [i for i, e in enumerate(examples) if e.label == "scam" and e.script]
    script = fit_linear(
        [rows[i] for i in lures],
        [examples[i].script for i in lures],
        SCRIPT_C,
        prune=SCRIPT_PRUNE,
        seed=SEED,
    )
    return lure, script


@dataclass(frozen=True, slots=True)
class LureModel:
    lure: LinearModel
    script: LinearModel

    def read(self, text: str, a: ScamAssessment, script_from: float = 0.0) -> tuple[float, str]:
        """The probability that ``text`` is a lure, and the likeliest corpus script: read
        only at ``script_from`` or above (the script model costs as much as the lure
        model, and most messages are no lure); "" below."""
        names = lure_features(text, a)
        p = float(self.lure.probabilities(names)[self.lure.classes.index("scam")])
        if p < script_from:
            return p, ""
        scripts = self.script.probabilities(names)
        return p, self.script.classes[int(scripts.argmax())]


def build(
    examples: Sequence[LureExample] | None = None, cache_dir: Path | None = None
) -> LureModel:
    from faq.learned import cached_linear

    chosen = training_examples() if examples is None else examples
    models = cached_linear(
        content_key(chosen), ("lure", "script"), lambda: train(chosen), cache_dir
    )
    return LureModel(*models)


@cache
def default_model() -> LureModel:
    return build()
