"""Clarify instead of guessing: two topics fit, the resident chooses, one answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.events import ButtonPress
from faq.matcher import Decision
from handlers.clarify import typed_choice
from tests.integration.test_flow import GROUP, Clock, said, start

AMBIGUOUS = "身份证丢了明天的航班还能坐吗"
CHOICES = ("temporary-id", "id-card-lost")


@pytest.fixture
def two_topics_fit(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The model's reading is not what is tested here: this question fits two topics."""

    def arrange(services) -> None:  # type: ignore[no-untyped-def]
        decide = services.knowledge.decide

        def fake(text: str, addressed: bool = False) -> Decision:
            if text == AMBIGUOUS:
                return Decision("clarify", CHOICES[0], 0.5, "two topics fit", CHOICES)
            return decide(text, addressed)

        monkeypatch.setattr(services.knowledge, "decide", fake)

    return arrange


async def test_a_typed_number_gets_that_topic_once(db_url: str, two_topics_fit) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    services, bot = await start(db_url, clock)
    two_topics_fit(services)
    question = said(AMBIGUOUS)
    (asked,) = await bot.inject(question)
    assert asked.reply_to == question.message_id and asked.mention_id == "r1"
    titles = [services.topics[c].title for c in CHOICES]
    assert all(title in asked.text for title in titles) and "1 或 2" in asked.text

    assert await bot.inject(said("2", sender="r2")) == []  # not theirs to choose
    clock.at += timedelta(minutes=3)
    (answer,) = await bot.inject(said("２", at=clock.at))  # full-width, as IMEs type it
    assert answer.chat == GROUP and answer.reply_to == question.message_id
    assert "挂失" in answer.text or "补" in answer.text
    assert await bot.inject(said("1", at=clock.at)) == []  # chosen already: "1" is chatter


async def test_a_button_answers_only_its_asker_and_only_once(db_url: str, two_topics_fit) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    services, bot = await start(db_url, clock)
    two_topics_fit(services)
    (asked,) = await bot.inject(said(AMBIGUOUS))
    first = asked.buttons[0][0]
    assert first.data.startswith("c:") and first.data.endswith(":1")

    def press(sender: str, data: str = first.data) -> ButtonPress:
        return ButtonPress(GROUP, sender, sender, data, "99", clock.at)

    assert await bot.inject(press("r2")) == []
    (answer,) = await bot.inject(press("r1"))
    assert "临时" in answer.text
    assert await bot.inject(press("r1")) == []
    assert await bot.inject(press("r1", "c:99999999999:1")) == []  # made-up data: nothing


async def test_no_choice_in_time_means_nothing_more(db_url: str, two_topics_fit) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    services, bot = await start(db_url, clock)
    two_topics_fit(services)
    await bot.inject(said(AMBIGUOUS))
    clock.at += timedelta(minutes=11)
    assert await bot.inject(said("1", at=clock.at)) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [("2", 2), ("２", 2), (" 1 ", 1), ("选2", 2), ("第二个", 2), ("1吧", 1), ("22", None),
     ("2号楼", None), ("12点", None), ("", None), ("0", None)],
)  # fmt: skip
def test_what_counts_as_a_typed_choice(text: str, number: int | None) -> None:
    assert typed_choice(text) == number
