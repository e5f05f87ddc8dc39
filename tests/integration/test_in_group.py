"""In the group (issue 20): the bot says what it did, residents vote on its answers, ask
follow-ups, learn what it keeps (/隐私), and new members are welcomed, through the fake
adapter on both databases, against a clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlmodel import col, func, select

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_outbox, build_services
from core.config import parse_settings
from core.db import AnswerVote, BotAnswer, Escalation, session
from core.events import ButtonPress, IncomingMessage, MembersJoined, Outgoing
from handlers.services import Services
from privacy.retention import ERASED, erase_resident, export_resident, purge_older_than
from reports.stats import compute_stats
from tests.integration.test_flow import GROUP, OFFICER_CHAT, Clock, clock, said

__all__ = ["clock"]  # the fixture, used by name

LOST_ID = "身份证丢了咋补办"


def settings(url: str, **behaviour: object):  # type: ignore[no-untyped-def]
    return parse_settings(
        {
            "database": {"url": url},
            "behaviour": behaviour,
            "stations": [
                {
                    "id": "xq",
                    "name": "兴庆派出所",
                    "address": "解放东街1号",
                    "phone": "0951-6000000",
                    "hours": "9-17",
                }
            ],
            "officers": [{"name": "王警官", "station": "xq", "duty": True}],
        },
        "test",
    )


async def start(url: str, clock: Clock, **behaviour: object) -> tuple[Services, FakeAdapter]:
    services = build_services(settings(url, **behaviour), clock)
    adapter = FakeAdapter()
    await adapter.start(build_dispatcher(services, {"console": adapter}))
    await adapter.inject(said("/bind", sender="王警官"))
    return services, adapter


def in_group(out: list[Outgoing]) -> list[Outgoing]:
    return [o for o in out if o.chat == GROUP]


def to_officer(out: list[Outgoing]) -> list[Outgoing]:
    return [o for o in out if o.chat == OFFICER_CHAT]


async def test_a_repeat_is_pointed_to_the_answer_and_an_incident_acknowledged(
    db_url: str, clock: Clock
) -> None:
    _, bot = await start(db_url, clock)
    [answer] = await bot.inject(said(LOST_ID, at=clock.now()))
    answer_ref = str(len(bot.sent))  # the fake's message id of the answer

    pointer = await bot.inject(said("身份证丢了怎么补办啊", sender="r2", at=clock.now()))
    assert [o.text for o in pointer] == ["上面刚回答过，请看这条。"]
    assert pointer[0].reply_to == answer_ref and pointer[0].mention_id == "r2"
    # A flood of the same question: no second pointer within repeat_pointer_seconds...
    assert await bot.inject(said("身份证丢了怎么补办", sender="r3", at=clock.now())) == []
    clock.at += timedelta(seconds=121)
    # ...then one again; and once the repeat window is over, a fresh answer.
    assert len(await bot.inject(said(LOST_ID, sender="r3", at=clock.now()))) == 1
    clock.at += timedelta(seconds=600)
    again = await bot.inject(said(LOST_ID, sender="r4", at=clock.now()))
    assert again[0].text == answer.text

    incident = await bot.inject(said("楼下有人在撬电动车 现在还在", at=clock.now()))
    [ack] = in_group(incident)
    assert "已转告社区民警" in ack.text and "110" in ack.text and ack.reply_to
    assert len(to_officer(incident)) == 1
    # The same resident again soon: the officer hears, the group is not told twice.
    second = await bot.inject(said("又来了一个人在撬锁 就在3号楼下面", at=clock.now()))
    assert in_group(second) == [] and len(to_officer(second)) == 1


async def test_votes_one_per_resident_and_a_downvote_reaches_the_officer(
    db_url: str, clock: Clock
) -> None:
    services, bot = await start(db_url, clock, downvotes_to_review=2)
    question = said(LOST_ID, at=clock.now())
    [answer] = await bot.inject(question)
    assert [b.label for b in answer.buttons[0]] == ["👍有用", "👎没解决"]
    up, down = (b.data for b in answer.buttons[0])

    def press(data: str, who: str) -> ButtonPress:
        return ButtonPress(GROUP, who, who, data, str(len(bot.sent)), clock.now(), f"cb-{who}")

    assert await bot.inject(press(up, "r2")) == []
    assert await bot.inject(press(down, "r2")) == []  # one vote per resident per answer
    out = await bot.inject(press(down, "r3"))
    assert "已转告社区民警" in in_group(out)[0].text
    [card] = to_officer(out)
    assert LOST_ID in card.text and "40元" in card.text  # the question and the answer given

    # WeChat's way (and a reply's): "没解决" after the answer, from the resident answered.
    words = await bot.inject(said("没解决", at=clock.now()))
    assert "已转告社区民警" in in_group(words)[0].text and len(to_officer(words)) == 1
    assert await bot.inject(said("没解决。", at=clock.now())) == []  # voted already
    with session(services.engine) as db:
        assert db.exec(select(func.count()).select_from(AnswerVote)).one() == 3
        faq_id = db.exec(select(BotAnswer.faq_id)).one()
        tickets = db.exec(select(Escalation)).all()
    assert len(tickets) == 2 and all("没解决" in t.question for t in tickets)

    stats = compute_stats(
        services.engine,
        clock.now() - timedelta(days=1),
        clock.now() + timedelta(days=1),
        services.settings.tz,
    )
    assert stats.votes == {faq_id: [1, 2]}

    # Two 👎 this week (downvotes_to_review = 2): the topic goes to the officer first.
    clock.at += timedelta(seconds=601)
    demoted = await bot.inject(said(LOST_ID, sender="r5", at=clock.now()))
    assert in_group(demoted) == [] and "40元" in to_officer(demoted)[0].text
    listed = await bot.inject(said("复核", sender="王警官", group=False))
    assert faq_id is not None and faq_id in listed[0].text
    reviewed = await bot.inject(said(f"复核 {faq_id}", sender="王警官", group=False))
    assert "恢复自动回答" in reviewed[0].text
    clock.at += timedelta(seconds=601)
    assert "40元" in in_group(await bot.inject(said(LOST_ID, sender="r6", at=clock.now())))[0].text


async def test_downvotes_older_than_a_week_no_longer_count(db_url: str, clock: Clock) -> None:
    services, bot = await start(db_url, clock, downvotes_to_review=1)
    [answer] = await bot.inject(said(LOST_ID, at=clock.now()))
    down = answer.buttons[0][1].data
    await bot.inject(ButtonPress(GROUP, "r2", "r2", down, "1", clock.now(), "cb-1"))
    clock.at += timedelta(days=6, hours=23)
    services.demoted.loaded_at = None
    assert in_group(await bot.inject(said(LOST_ID, sender="r3", at=clock.now()))) == []
    clock.at += timedelta(hours=2)  # the 👎 is now more than 7 days old
    services.demoted.loaded_at = None
    assert "40元" in in_group(await bot.inject(said(LOST_ID, sender="r4", at=clock.now())))[0].text


async def test_privacy_notice_with_the_configured_retention(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    [notice] = await bot.inject(said("隐私"))
    assert "180 天" in notice.text and "删除" in notice.text and "0951-6000000" in notice.text
    assert await bot.inject(said("隐私", sender="r2")) == []  # once per window in a group
    assert len(await bot.inject(said("/隐私", sender="r2", addressed=True))) == 1


async def test_welcome_is_off_by_default_batched_and_at_most_once_per_batch_time(
    db_url: str, clock: Clock
) -> None:
    services = build_services(settings(db_url, welcome_batch_seconds=300), clock)
    adapter = FakeAdapter()
    sender = build_outbox(services, {"console": adapter})
    await adapter.start(build_dispatcher(services, {"console": adapter}, sender))
    await adapter.inject(said("/bind", sender="王警官"))

    def joined(*names: str) -> MembersJoined:
        return MembersJoined(GROUP, names, clock.now())

    async def due_welcomes() -> list[str]:
        before = len(adapter.sent)
        await sender.deliver_due()
        return [o.text for o in adapter.sent[before:]]

    await adapter.inject(joined("李四"))
    clock.at += timedelta(minutes=6)
    assert await due_welcomes() == []  # off by default

    # Residents cannot switch it; the officer can, and sets the rules.
    assert "本群还没有设置群规" in (await adapter.inject(said("群规", sender="r2")))[0].text
    assert in_group(await adapter.inject(said("欢迎 开", sender="r2"))) == []
    assert "已打开" in (await adapter.inject(said("/welcome on", sender="王警官")))[0].text
    rules = "不发广告，不传谣。"
    assert rules in (await adapter.inject(said(f"群规 {rules}", sender="王警官")))[0].text

    await adapter.inject(joined("王五"))
    clock.at += timedelta(minutes=2)
    await adapter.inject(joined("赵六", "孙七"))
    assert await due_welcomes() == []  # the batch is still open
    clock.at += timedelta(minutes=3)
    [welcome] = await due_welcomes()
    assert "王五、赵六、孙七" in welcome and rules in welcome and "隐私" in welcome

    # Someone joins just after: welcomed, but not before the batch time has passed again.
    await adapter.inject(joined("周八"))
    clock.at += timedelta(minutes=4, seconds=59)
    assert await due_welcomes() == []
    clock.at += timedelta(seconds=1)
    [second] = await due_welcomes()
    assert "周八" in second and "王五" not in second

    await adapter.inject(said("欢迎 关", sender="王警官"))
    await adapter.inject(joined("吴九"))
    clock.at += timedelta(minutes=6)
    assert await due_welcomes() == []


async def test_answers_and_votes_follow_retention_and_erasure(db_url: str, clock: Clock) -> None:
    services, bot = await start(db_url, clock)
    [answer] = await bot.inject(said(LOST_ID, at=clock.now()))
    for voter in ("r1", "r2"):
        press = ButtonPress(GROUP, voter, voter, answer.buttons[0][0].data, "1", clock.now())
        await bot.inject(press)
    assert [a["question"] for a in export_resident(services.engine, "r1")["answers"]] == [LOST_ID]
    erase_resident(services.engine, "r1")
    with session(services.engine) as db:
        assert db.exec(select(BotAnswer)).all() == []
        voters = [v.voter_id for v in db.exec(select(AnswerVote).order_by(col(AnswerVote.id)))]
    assert voters[0].startswith(ERASED) and voters[1] == "r2"
    purge_older_than(services.engine, clock.now() + timedelta(days=181), days=180)
    with session(services.engine) as db:
        assert all(v.voter_id.startswith(ERASED) for v in db.exec(select(AnswerVote)))
        assert db.exec(select(func.count()).select_from(AnswerVote)).one() == 2  # still counted


async def test_a_follow_up_is_read_with_the_answer_it_replies_to(db_url: str, clock: Clock) -> None:
    _, bot = await start(db_url, clock)
    question = said(LOST_ID, at=clock.now())
    await bot.inject(question)
    answer_ref = str(len(bot.sent))

    def reply(text: str, sender: str = "r1") -> IncomingMessage:
        message = said(text, sender=sender, addressed=True, at=clock.now())
        return replace(message, reply_to_message_id=answer_ref)

    assert await bot.inject(reply("谢谢")) == []
    # On its own it reads as "户口本丢了"; after the ID-card answer it is about that answer.
    out = await bot.inject(reply("那要带户口本吗"))
    assert "工单号" in in_group(out)[0].text
    [card] = to_officer(out)
    assert "那要带户口本吗" in card.text and LOST_ID in card.text and "40元" in card.text
    # A clear question on another topic is simply answered.
    other = await bot.inject(reply("办无犯罪记录证明要什么材料", sender="r2"))
    assert len(other) == 1 and other[0].buttons and to_officer(other) == []
