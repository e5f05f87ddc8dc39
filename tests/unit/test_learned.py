"""The learned matcher: its corpus, its model cache, a station's own topics, bad input."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from faq import learned
from faq.evaluation import evaluate, read_cases
from faq.knowledge import load_topics
from faq.learned import Example, read_corpus
from faq.live import KnowledgeBase
from faq.text import normalise
from tests.conftest import REPO, SHARED, shared_file

# The tiny corpus below does not converge in saga's 200 passes; it need not, to test the
# machinery around the model.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# A corpus small enough to train in a blink, for the tests of the machinery around it.
TINY = [
    Example("身份证丢了怎么补办", "ask", "id-card-lost"),
    Example("身份证掉了去哪补", "ask", "id-card-lost"),
    Example("sfz丢了咋办", "ask", "id-card-lost"),
    Example("娃上户口要带啥", "ask", "newborn-hukou"),
    Example("孩子出生了怎么上户口", "ask", "newborn-hukou"),
    Example("谢谢王警官", "chatter"),
    Example("好的收到", "chatter"),
    Example("楼下有人打架 快来", "incident"),
    Example("我的申请到哪一步了", "case"),
    Example("晚上飙车太吵了 希望管一管", "complaint"),
    Example("兼职刷单日结加微信", "ad"),
]

STATION_TOPIC = """
id = "fireworks"
title = "烟花爆竹燃放规定"
aliases = ["放鞭炮", "烟花爆竹"]
examples = [
  "过年能放鞭炮吗", "小区里能放烟花不", "结婚放炮要报备吗", "哪里可以放烟花", "禁放区域是哪些"
]
source = "银川市烟花爆竹燃放管理规定"
answer = "市区禁放区内全年禁止燃放烟花爆竹。"
"""


def _same_text(text: str) -> str:
    """Equal for two lines that differ only in spaces and punctuation (emoji count)."""
    return "".join(c for c in normalise(text) if c.isalnum() or unicodedata.category(c) == "So")


def test_no_eval_line_is_training_data() -> None:
    """Eval sets measure text the model never saw: a line in both (even "收到", which two
    authors may write independently) would flatter it."""
    corpus = {_same_text(e.text) for e in read_corpus()}
    eval_files = [*REPO.glob("tests/data/faq_*.jsonl"), *SHARED.glob("eval/faq_*.jsonl")]
    eval_files += [*REPO.glob("tests/data/faq_taught*/*.jsonl")]
    leaked = [
        json.loads(line).get("text") or json.loads(line)["question"]
        for path in eval_files
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
        and _same_text(json.loads(line).get("text") or json.loads(line)["question"]) in corpus
    ]
    assert leaked == []


def test_corpus_covers_every_topic_and_every_kind_of_message() -> None:
    corpus = read_corpus()
    per_topic = {t.id: 0 for t in load_topics()}
    for e in corpus:
        if e.intent == "ask" and e.topic:
            per_topic[e.topic] += 1
    assert min(per_topic.values()) >= 60, per_topic
    assert sum(e.intent in ("chatter", "ad") for e in corpus) >= 1500
    assert sum(e.intent in ("case", "incident", "complaint") for e in corpus) >= 600


def test_a_cached_model_is_loaded_not_trained(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first = KnowledgeBase(cache_dir=tmp_path, corpus=TINY)
    monkeypatch.setattr(learned, "train", lambda examples: pytest.fail("trained again"))
    second = KnowledgeBase(cache_dir=tmp_path, corpus=TINY)
    text = "身份证丢了去哪补办"
    assert first.read(text).topics == second.read(text).topics
    assert not list(tmp_path.glob("*.pickle")) and list(tmp_path.glob("*.npz"))


def test_a_station_topic_is_learned_from_its_examples(tmp_path: Path) -> None:
    topics_dir = tmp_path / "topics"
    topics_dir.mkdir()
    (topics_dir / "fireworks.toml").write_text(STATION_TOPIC, encoding="utf-8")
    knowledge = KnowledgeBase(topics_dir, cache_dir=tmp_path / "cache", corpus=TINY)
    assert "fireworks" in knowledge and "id-card-lost" in knowledge
    assert knowledge.read("春节期间小区能放烟花吗").topics[0][0] == "fireworks"


def test_a_station_file_replaces_the_shipped_topic_of_its_id(tmp_path: Path) -> None:
    shipped = (REPO / "faq/topics/station-contact.toml").read_text(encoding="utf-8")
    (tmp_path / "station-contact.toml").write_text(
        shipped.replace('title = "', 'title = "本所', 1), encoding="utf-8"
    )
    knowledge = KnowledgeBase(tmp_path, cache_dir=tmp_path / "cache", corpus=TINY)
    assert knowledge["station-contact"].title.startswith("本所")
    assert len(knowledge) == len(load_topics())


def test_a_broken_file_keeps_the_last_good_knowledge_base(tmp_path: Path) -> None:
    (tmp_path / "fireworks.toml").write_text(STATION_TOPIC, encoding="utf-8")
    knowledge = KnowledgeBase(tmp_path, cache_dir=tmp_path / "cache", corpus=TINY)
    (tmp_path / "fireworks.toml").write_text(
        STATION_TOPIC.replace("examples =", "exampels ="), encoding="utf-8"
    )
    problem = knowledge.refresh()
    assert problem and "fireworks.toml" in problem and "exampels" in problem
    assert "fireworks" in knowledge
    assert knowledge.decide("过年能放鞭炮吗").action in ("answer", "suggest", "escalate")


def test_a_changed_file_is_picked_up_without_a_restart(tmp_path: Path) -> None:
    knowledge = KnowledgeBase(tmp_path, cache_dir=tmp_path / "cache", corpus=TINY)
    assert "fireworks" not in knowledge
    (tmp_path / "fireworks.toml").write_text(STATION_TOPIC, encoding="utf-8")
    assert knowledge.refresh() is None
    assert "fireworks" in knowledge


# Where the learned matcher stands on every eval set (figures in the README). These guard
# against regressions; the issue-13 targets are asserted where they are met.
FLOORS = {
    "shared-dev": (0.97, 0.01, 0.98, 0.90),
    "holdout": (0.95, 0.02, 0.97, 0.85),
    "blind-2": (0.93, 0.02, 0.97, 0.90),
    # 96.3 -> 91.4 % right with corpus v5 (more drafted for the officer), wrong and silent better.
    "blind-3": (0.91, 0.02, 0.95, 0.90),
    "blind-4": (0.87, 0.01, 0.95, 0.95),
    "blind-5": (0.94, 0.03, 0.90, 0.90),
    # First contact after corpus v5: 84.7 % right, 0.6 % wrong, 93.8 % silent, 95.0 % caught
    # (88.8 / 2.7 / 86.2 / 88.8 without it, measured once for comparison).
    "blind-6": (0.84, 0.01, 0.93, 0.94),
    # First contact at 55acf18 (thesaurus v2, answers read), with seven corpus lines another
    # author had also written taken out: 91.4 % right, 3.2 % wrong, 87.8 % silent, 96.0 %
    # caught. Its misses (residents answering each other, terse escalations) were then
    # written as corpus classes; prompts to those authors quoted six of its lines, which
    # were kept out of the corpus, so the figures since are not blind.
    "blind-7": (0.89, 0.02, 0.93, 0.97),
    # First contact at c85ad12, six coincident corpus lines out first: 90.2 % right,
    # 3.8 % wrong, 93.1 % silent, 86.2 % caught.
    "blind-8": (0.90, 0.04, 0.91, 0.86),
    # First contact at 5139c9c, two coincident corpus lines out first: 92.7 % right, 0.3 %
    # wrong, 95.3 % silent, 96.2 % caught -- the first fresh set to meet all four targets.
    # Pinyin read as clauses (LATIN_SPACE) moved one acknowledgement to a suggestion:
    # 95.3 -> 94.1 % silent.
    "blind-9": (0.92, 0.01, 0.94, 0.96),
    # First contact at 61fdfb3, six coincident corpus lines out first: 92.0 % right, 2.8 %
    # wrong, 97.6 % silent, 93.8 % caught.
    "blind-10": (0.92, 0.03, 0.97, 0.93),
    # First contact at ce4e5cf, two coincident corpus lines out first: 95.3 % right, 1.4 %
    # wrong, 92.2 % silent, 94.7 % caught. Then a quote's own question left to its writer
    # and corpus v11 (questions residents ask each other, replies to the officer, forwarded
    # news, nuisance complaints, welfare checks): 96.4 / 0.3 / 98.7 / 96.1 %.
    # Pinyin read as clauses: one "@王警官 收到…" reaches the officer, 98.7 -> 97.4 % silent.
    # Another office's business as an intent of its own (v17): 97.4 -> 96.1 % silent.
    "blind-11": (0.96, 0.01, 0.96, 0.96),
    # First contact at a6c9fda, six coincident corpus lines out first: 89.3 % right, 0.6 %
    # wrong, 96.1 % silent, 98.6 % caught. Then corpus v12 (dialect, indirect, elderly and
    # pinyin questions, complaints about the police's own service, residents asking each
    # other): 93.4 / 0.9 / 100 / 98.6 % (and 1-4 points more right on sets 3-11).
    "blind-12": (0.93, 0.01, 0.99, 0.98),
    # First contact at 10be8e5, four coincident corpus lines out first: 97.4 % right, 1.2 %
    # wrong, 90.8 % silent, 93.3 % caught. Set 15's classes (other offices' business is
    # silence, @所有人, rhetorical quotes, unusual own cases, corpus v15): 89.8 % silent (one
    # acknowledgement of 98).
    # Another office's business as an intent of its own: 1.2 -> 1.4 % wrong (one line).
    "blind-13": (0.97, 0.015, 0.89, 0.93),
    # First contact at 2754516, six coincident corpus lines out first: 95.7 % right, 1.7 %
    # wrong, 96.9 % silent, 92.2 % caught -- all four targets met.
    "blind-14": (0.95, 0.017, 0.96, 0.92),
    # First contact at 1fc3fa2, four coincident corpus lines out first: 94.8 % right, 1.8 %
    # wrong, 91.1 % silent, 95.5 % caught (silence below the 95 % target: questions for
    # other offices -- 社保, 公积金, 民政, 水费 -- reached the officer). Then its classes,
    # briefed with some of its lines quoted (so no longer blind): 95.5 / 1.1 / 96.7 / 98.9 %.
    # Another office's business as an intent of its own: 1.1 -> 1.3 % wrong, 98.9 -> 97.8 %
    # caught (one line each). The four corpus lines FAQ set 19's author also wrote taken out
    # (b025a68): 96.6 % caught (one line).
    "blind-15": (0.95, 0.014, 0.96, 0.96),
    # First contact at 3d8a737, three coincident corpus lines out first: 97.3 % right, 2.2 %
    # wrong (8 of 360), 93.0 % silent, 88.6 % caught (BM25 81.7 / 24.2 / 45.1 / 7.1, rules
    # 78.5 / 7.5 / 95.8 / 65.7 in the same run).
    # Its classes and FAQ set 17's described to two helpers (corpus v17: other offices'
    # business as an intent of its own, statements that ask nothing, requests to come and
    # see): 95.9 / 1.7 / 100 / 90.0 % -- all four targets, not blind.
    "blind-16": (0.95, 0.018, 0.99, 0.88),
    # First contact at 869be4b, no coincident corpus line: 95.9 % right, 3.1 % wrong (11 of
    # 360: other offices' business -- a birth certificate's correction, a newborn's medical
    # insurance and vaccines, school districts, funeral grants, property certificates --
    # answered with the nearest police topic), 82.9 % silent, 91.4 % caught (BM25 78.2 /
    # 19.7 / 50.0 / 4.3, rules 89.1 / 6.1 / 92.9 / 70.0 in the same run).
    # Then its classes described (corpus v17, as set 16): 95.9 / 1.1 / 95.7 / 94.3 %.
    "blind-17": (0.95, 0.012, 0.95, 0.94),
    # First contact at 18fae42, two coincident corpus lines out first: 96.4 % right, 1.9 %
    # wrong, 97.1 % silent, 94.3 % caught -- all four targets met.
    "blind-18": (0.96, 0.02, 0.97, 0.94),
    # First contact at b025a68, four coincident corpus lines out first: 95.5 % right, 2.2 %
    # wrong, 91.0 % silent, 93.3 % caught (BM25 69.0 / 17.2 / 58.0 / 11.7, rules 87.0 /
    # 8.1 / 81.0 / 51.7 in the same run).
    "blind-19": (0.954, 0.023, 0.91, 0.93),
}
SETS = {
    "shared-dev": lambda: shared_file("eval/faq_dev.jsonl"),
    "holdout": lambda: REPO / "tests/data/faq_holdout.jsonl",
    "blind-2": lambda: REPO / "tests/data/faq_unseen2.jsonl",
    "blind-3": lambda: REPO / "tests/data/faq_unseen3.jsonl",
    "blind-4": lambda: REPO / "tests/data/faq_unseen4.jsonl",
    "blind-5": lambda: REPO / "tests/data/faq_unseen5.jsonl",
    "blind-6": lambda: REPO / "tests/data/faq_unseen6.jsonl",
    "blind-7": lambda: REPO / "tests/data/faq_unseen7.jsonl",
    "blind-8": lambda: REPO / "tests/data/faq_unseen8.jsonl",
    "blind-9": lambda: REPO / "tests/data/faq_unseen9.jsonl",
    "blind-10": lambda: REPO / "tests/data/faq_unseen10.jsonl",
    "blind-11": lambda: REPO / "tests/data/faq_unseen11.jsonl",
    "blind-12": lambda: REPO / "tests/data/faq_unseen12.jsonl",
    "blind-13": lambda: REPO / "tests/data/faq_unseen13.jsonl",
    "blind-14": lambda: REPO / "tests/data/faq_unseen14.jsonl",
    "blind-15": lambda: REPO / "tests/data/faq_unseen15.jsonl",
    "blind-16": lambda: REPO / "tests/data/faq_unseen16.jsonl",
    "blind-17": lambda: REPO / "tests/data/faq_unseen17.jsonl",
    "blind-18": lambda: REPO / "tests/data/faq_unseen18.jsonl",
    "blind-19": lambda: REPO / "tests/data/faq_unseen19.jsonl",
}


@pytest.mark.parametrize("name", list(SETS))
def test_eval_sets_hold_their_figures(name: str) -> None:
    report = evaluate(read_cases(SETS[name]()), _shipped().decide)
    right, wrong, silent, caught = FLOORS[name]
    figures = report.headline()
    assert report.topic_answered >= right, figures
    assert report.wrong_answers <= wrong, figures
    assert report.ignore_kept >= silent, figures
    assert report.escalate_caught >= caught, figures


# Station topics and the questions on them, by other authors: (right at least, wrong at most).
# Issue 13 asks 80 % right; this holds what is reached (resemblance-read topics answered
# at their held-out floor, their examples weighing in the intent model). Set 1's wrong
# answers went 1.7 -> 5.0 % (3 of 60) with FAQ corpus v5; set 2's 3.3 -> 5.0 % with corpus
# v6; set 1's 5.0 -> 6.7 % (4 of 60) when two acknowledgements left the corpus: figures
# this thin move a line with any retraining. Set 3, first contact at 55acf18: 44.4 % right,
# 3.3 % wrong, 80.0 % silent. A story that asks nothing is no longer answered by a station's
# topic it reads like (今年过年还是没放成烟花，娃有点失落): wrong 6.7 -> 5.0 % on set 1,
# 5.0 -> 3.3 % on set 2.
STATION_SETS = {
    "faq_station_topics": (0.44, 0.05),
    # Corpus v12: 66.7 -> 68.9 % right, 3.3 -> 5.0 % wrong; thesaurus v4: 71.1 % right.
    # Six corpus lines blind set 14's author also wrote, taken out: 71.1 -> 68.9 % (one line).
    "faq_station_topics2": (0.68, 0.05),
    # Pinyin read by its syllables: 57.8 -> 60.0 %; thesaurus v4 (taught sets +6): 55.6 %.
    # Corpus v17 (other offices, statements, requests to come): 82.2 % right.
    "faq_station_topics3": (0.82, 0.04),
    # First contact at a6c9fda: 66.7 % right, 1.7 % wrong, 100 % silent.
    # Pinyin read by its syllables: 66.7 -> 73.3 %. The two corpus lines blind set 18's
    # author also wrote, taken out (18fae42): 1.7 -> 3.3 % wrong (one line).
    "faq_station_topics4": (0.73, 0.034),
    # First contact at 10be8e5: 53.3 % right, 8.3 % wrong (5 of 60), 80.0 % silent.
    # Pinyin read by its syllables: 60.0 % right; thesaurus v4: 62.2 %; 64.4 % by 1fc3fa2.
    # FAQ set 15's classes (corpus v15, other offices, unusual own cases): 60.0 % (two lines).
    # Corpus v17: 62.2 % right, 8.3 -> 1.7 % wrong; with the two corpus lines blind set
    # 18's author also wrote taken out, 60.0 % and 8.3 % again: these few lines move with
    # any retraining.
    "faq_station_topics5": (0.59, 0.09),
    # First contact at 2754516: 60.0 % right, 1.7 % wrong (1 of 60), 80.0 % silent.
    "faq_station_topics6": (0.60, 0.02),
    # First contact at 82c6b7c: 88.9 % right, 6.7 % wrong (4 of 60), 80.0 % silent. Four
    # corpus lines blind set 15's author also wrote, taken out: 86.7 % right, 8.3 % wrong.
    "faq_station_topics7": (0.86, 0.09),
    # First contact at 3d8a737: 88.9 % right, 6.7 % wrong (4 of 60), 73.3 % silent.
    "faq_station_topics8": (0.88, 0.07),
    # First contact at 2f1092d: 84.4 % right, 5.0 % wrong (3 of 60), 73.3 % silent.
    # Corpus v17: 86.7 % right, 1.7 % wrong, 93.3 % silent.
    "faq_station_topics9": (0.86, 0.02),
    # First contact at 18fae42: 68.9 % right, 5.0 % wrong (3 of 60), 80.0 % silent.
    "faq_station_topics10": (0.68, 0.05),
    # First contact at b025a68: 97.8 % right, 1.7 % wrong (1 of 60), 80.0 % silent.
    "faq_station_topics11": (0.97, 0.02),
}


@pytest.mark.parametrize("name", list(STATION_SETS))
def test_station_topics_written_by_an_admin(tmp_path: Path, name: str) -> None:
    """Topics written as a station admin would (no [match]), questions by another author:
    recall is issue 13's open gap; answering with the wrong topic must stay rare."""
    knowledge = KnowledgeBase(REPO / "tests/data" / name, cache_dir=tmp_path)
    report = evaluate(read_cases(REPO / f"tests/data/{name}_questions.jsonl"), knowledge.decide)
    right, wrong = STATION_SETS[name]
    assert report.topic_answered >= right and report.wrong_answers <= wrong, report.headline()


def test_the_station_development_set(tmp_path: Path) -> None:
    """``tests/unit/data/station_dev`` (``bench/station_dev.py``): six topics a station might
    write, questions told through what the resident saw, chatter with their words, the
    resident's own incidents. Written for the round that taught the matcher such stories
    and open to read, so not blind: 47.8 % right and 32 of 60 incidents drafted with the
    station's answer at 2d10365; 75.6 % right, 2.2 % wrong, 91.7 % silent, 48 drafted after.
    Corpus v17 (another office's business an intent of its own): 73.3 % right (one line);
    72.2 % with two corpus lines another author wrote taken out (one line).
    (Its author, for class B of v17, saw two of these lines: figures since not independent.)"""
    data = REPO / "tests/unit/data/station_dev"
    knowledge = KnowledgeBase(data / "topics", cache_dir=tmp_path)
    rows = [json.loads(line) for line in (data / "questions.jsonl").open(encoding="utf-8")]
    report = evaluate(read_cases(data / "questions.jsonl"), knowledge.decide)
    drafted = sum(
        o.decision.faq_id == row["topic"]
        for o, row in zip(report.outcomes, rows, strict=True)
        if row["expect"] == "escalate" and o.decision.action in ("escalate", "suggest")
    )
    figures = report.headline()
    assert report.topic_answered >= 0.72 and report.wrong_answers <= 0.03, figures
    # The four corpus lines FAQ set 19's author also wrote taken out (b025a68): one incident
    # of 60 left unescalated, 98.3 -> 96.7 % caught.
    assert report.ignore_kept >= 0.9 and report.escalate_caught >= 0.96, figures
    assert drafted >= 45, drafted


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text(alphabet=st.characters(codec=None), max_size=300),
        st.binary().map(lambda b: b.decode("utf-8", "surrogateescape")),
        st.just("\ud800孤立代理项"),
        st.just("😀" * 5000),
        st.just("身份证" * 40000),
    )
)
def test_any_text_gets_a_decision(text: str) -> None:
    decision = _shipped().decide(text)
    assert decision.action in ("answer", "suggest", "escalate", "ignore")


_knowledge: list[KnowledgeBase] = []


def _shipped() -> KnowledgeBase:
    if not _knowledge:
        _knowledge.append(KnowledgeBase())
    return _knowledge[0]


def _reading(
    intent: str, p: float, answer_at: float | None, asks: bool, now: bool = False
) -> learned.Reading:
    intents = dict.fromkeys(("ad", "ask", "case", "chatter", "complaint", "incident"), 0.0)
    intents[intent] = p
    intents["ask"] += 1.0 - p
    topics = [("station-topic", 0.9), ("_none", 0.1)]
    return learned.Reading(intents, topics, {}, False, answer_at, asks, now=now)


@pytest.mark.parametrize(
    ("intent", "answer_at", "asks", "now", "action"),
    [
        ("complaint", 0.2, True, False, "answer"),  # reads like the station's file: its answer
        ("case", 0.2, True, False, "answer"),
        ("case", 0.2, False, False, "suggest"),  # a story that asks nothing is not answered
        # Told after it was seen, asking whether it is allowed or normal: the file answers.
        ("incident", 0.2, True, False, "answer"),
        ("incident", 0.2, True, True, "escalate"),  # happening now: an officer, whatever the file
        ("incident", 0.2, False, False, "escalate"),  # nothing asked: an officer
        (
            "complaint",
            None,
            True,
            False,
            "escalate",
        ),  # a topic we ship: complaints reach the officer
        ("case", None, True, False, "suggest"),
    ],
)
def test_a_new_topic_answers_what_reads_like_its_file(
    intent: str, answer_at: float | None, asks: bool, now: bool, action: str
) -> None:
    matcher = _shipped().current.matcher
    matcher._topics = matcher._topics | {"station-topic"}
    try:
        reading = _reading(intent, 0.6, answer_at, asks, now)
        decision = matcher.act(reading, addressed=False)
    finally:
        matcher._topics = matcher._topics - {"station-topic"}
    assert decision.action == action, decision
    if action == "escalate" and answer_at is not None:
        assert decision.faq_id == "station-topic"  # the officer gets the station's answer


@pytest.mark.parametrize(
    ("text", "now"),
    [
        ("楼道门上画了个圈，是不是有人踩点", False),
        ("我爸收拾老房子翻出来几发子弹 该咋处理", False),
        ("冰面上走会不会掉下去", False),  # a fear, not what happened
        ("有人在撬我家门 快来", True),
        ("刚有人敲门说查燃气 现在还在门口", True),
        ("楼上扔下来的花盆砸伤了人 流血了", True),
        ("一个男的往北门跑了", True),
    ],
)
def test_now_tells_what_is_happening_from_what_was_seen(text: str, now: bool) -> None:
    assert learned.now_words()(text) is now


def test_an_incident_on_a_new_topic_is_drafted_with_its_answer() -> None:
    """Under the answer floor but over the draft floor: the officer gets the file's answer."""
    matcher = _shipped().current.matcher
    matcher._topics = matcher._topics | {"station-topic"}
    intents = dict.fromkeys(("ad", "ask", "case", "chatter", "complaint", "incident"), 0.0)
    reading = learned.Reading(
        {**intents, "incident": 0.9, "ask": 0.1},
        [("station-topic", 0.08), ("_none", 0.05)],
        {},
        False,
        draft_at=0.05,
        now=True,
    )
    try:
        decision = matcher.act(reading, addressed=False)
    finally:
        matcher._topics = matcher._topics - {"station-topic"}
    assert (decision.action, decision.faq_id) == ("escalate", "station-topic")


def test_a_question_only_a_quote_asks_is_answered_by_its_writer_not_the_bot() -> None:
    reading = learned.Reading(
        {"ad": 0.0, "ask": 0.9, "case": 0.05, "chatter": 0.05, "complaint": 0.0, "incident": 0.0},
        [("hukou-book-lost", 0.97)],
        {},
        False,
        asks_itself=False,
    )
    decision = _shipped().current.matcher.act(reading, addressed=False)
    assert (decision.action, decision.faq_id) == ("ignore", None)


def test_more_likely_for_the_officer_than_small_talk_reaches_the_officer() -> None:
    intents = {"ad": 0.0, "ask": 0.05, "case": 0.15, "chatter": 0.41, "complaint": 0.01}
    reading = learned.Reading({**intents, "incident": 0.38}, [("_none", 0.6)], {}, False)
    decision = _shipped().current.matcher.act(reading, addressed=False)
    assert (decision.action, decision.reason) == ("escalate", "incident")
    quiet = learned.Reading(
        {**intents, "chatter": 0.6, "incident": 0.19}, [("_none", 0.6)], {}, False
    )
    assert _shipped().current.matcher.act(quiet, addressed=False).action == "ignore"
