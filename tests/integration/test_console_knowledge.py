"""The knowledge base edited in the console (issue 17, point 4), on SQLite and PostgreSQL.

The world of ``test_console`` with a station folder of topic files (``[faq] topics_dir``):
a save writes a file there, the console's knowledge base reloads at once, and a bot's
(another ``KnowledgeBase`` on the same folder) on its next look.
"""

from __future__ import annotations

import asyncio
import html
import re
import tomllib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_services
from console.app import create_app
from core.config import Settings
from core.db import Escalation, FaqEntry, TopicVersion, session
from core.events import ChatRef
from faq.knowledge import TOPICS_DIR
from faq.live import KnowledgeBase
from tests.conftest import database_url
from tests.integration.test_console import (
    GROUP_A,
    GROUP_C,
    SECRET,
    MovableClock,
    World,
    audit_actions,
    said,
    sign_in,
    two_stations,
)

TOPIC = "newborn-hukou"
NEW_WORDING = "小棉袄落地了 家里那个本子咋添人"  # no example of any topic says it this way


def build_world(settings: Settings) -> World:
    """The bot and its console on ``settings``, groups A and C bound."""
    clock = MovableClock()
    services = build_services(settings, clock)
    bot = FakeAdapter()
    built = World(services, bot, clock)
    asyncio.run(bot.start(build_dispatcher(services, {"console": bot})))
    for chat, officer in ((GROUP_A, "李警官"), (GROUP_C, "赵警官")):
        asyncio.run(bot.inject(said(built, chat, officer, "/bind", group=True)))
    return built


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("topics")
    with database_url(request.param, tmp_path_factory.mktemp("console")) as url:
        settings = two_stations(url)
        faq = settings.faq.model_copy(update={"topics_dir": folder})
        built = build_world(settings.model_copy(update={"faq": faq}))
        yield built
        built.services.engine.dispose()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(world.services, world.services.settings.web, SECRET)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as http:
        yield http


def folder(world: World) -> Path:
    directory = world.services.knowledge.station_dir
    assert directory is not None
    return directory


def form_of(page: str) -> dict[str, str]:
    """The topic form's fields as the page filled them in."""
    values = dict(
        re.findall(r'<input id="(\w+)" name="\w+" type="(?:text|date)"[^>]*value="([^"]*)"', page)
    )
    values |= {k: v for k, v in re.findall(r'<textarea id="(\w+)"[^>]*>([^<]*)</textarea>', page)}
    return {key: html.unescape(value) for key, value in values.items()}


def test_an_admin_edits_a_topic_and_the_bots_answer_the_new_wording(
    world: World, client: TestClient
) -> None:
    bot_knowledge = KnowledgeBase(folder(world))  # a worker's, built before the save
    assert world.services.knowledge.decide(NEW_WORDING).faq_id != TOPIC
    csrf = sign_in(world, client, "张所长")
    page = client.get(f"/topics/{TOPIC}/edit")
    assert page.status_code == 200 and "没有配置主题文件夹" not in page.text
    fields = form_of(page.text)
    assert fields["title"] and "\n" in fields["examples"]
    url = f"/topics/{TOPIC}/edit"

    # Refused, with the field named, and nothing written.
    for change, words in (
        ({"title": " "}, "标题：不能为空"),
        ({"examples": "\n \n"}, "例句：至少填一个"),
        ({"answer": "{{ station.secret.key }}"}, "回答模板："),
        ({"answer": "{% for x in station %}"}, "回答模板："),
        ({"review": "明年"}, "复查日期："),
    ):
        reply = client.post(url, data=fields | change | {"csrf": csrf, "action": "save"})
        assert reply.status_code == 409 and words in reply.text, change
    assert list(folder(world).glob("*.toml")) == []
    # The answer rendered for a chosen station, before saving.
    preview = client.post(url, data=fields | {"csrf": csrf, "action": "preview", "station": "jf"})
    assert preview.status_code == 200 and "回答预览（金凤派出所）" in preview.text
    assert list(folder(world).glob("*.toml")) == []

    examples = fields["examples"] + "\n" + NEW_WORDING
    saved = client.post(
        url,
        data=fields
        | {"examples": examples, "aliases": fields["aliases"] + "\n小本本", "review": "2027-06-30"}
        | {"csrf": csrf, "action": "save"},
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/topics/{TOPIC}?done=saved"
    written = tomllib.loads((folder(world) / f"{TOPIC}.toml").read_text(encoding="utf-8"))
    assert NEW_WORDING in written["examples"] and "小本本" in written["aliases"]
    assert str(written["review"]) == "2027-06-30"
    # The console's knowledge base reloaded at once; a bot's on its next look.
    assert world.services.knowledge[TOPIC].examples[-1] == NEW_WORDING
    assert world.services.knowledge.decide(NEW_WORDING).faq_id == TOPIC
    assert bot_knowledge.refresh() is None and bot_knowledge.decide(NEW_WORDING).faq_id == TOPIC
    with session(world.services.engine) as db:
        entry = db.get(FaqEntry, TOPIC)
        assert entry is not None and NEW_WORDING in entry.examples_json
    shown = client.get(saved.headers["location"]).text
    assert "已保存" in shown and "2027-06-30" in shown and "张所长编辑" in shown

    # The version it replaced is the shipped file, and reverting writes it back.
    with session(world.services.engine) as db:
        version = db.exec(select(TopicVersion).where(TopicVersion.faq_id == TOPIC)).one()
    shipped = (TOPICS_DIR / f"{TOPIC}.toml").read_text(encoding="utf-8")
    assert version.toml == shipped and version.saved_by == "张所长"
    reverted = client.post(f"/topics/{TOPIC}/revert/{version.id}", data={"csrf": csrf})
    assert reverted.status_code == 303
    assert (folder(world) / f"{TOPIC}.toml").read_text(encoding="utf-8") == shipped
    assert NEW_WORDING not in world.services.knowledge[TOPIC].examples
    with session(world.services.engine) as db:
        versions = db.exec(
            select(TopicVersion).where(TopicVersion.faq_id == TOPIC).order_by(col(TopicVersion.id))
        ).all()
        assert [v.action for v in versions] == ["edit", "revert"]
        assert NEW_WORDING in versions[1].toml  # the edit, kept: it can be restored in turn
    assert client.post(f"/topics/{TOPIC}/revert/999999", data={"csrf": csrf}).status_code == 404
    audit = audit_actions(world, "console:张所长")
    assert f"topic saved: from testclient {TOPIC}" in audit
    assert f"topic reverted: from testclient {TOPIC} to #{version.id}" in audit
    assert audit.count(f"topic save refused: from testclient {TOPIC}") == 5


def test_a_topic_from_the_gaps_then_exported_and_imported(world: World, client: TestClient) -> None:
    questions = ["小区门口的井盖松了 谁来修", "井盖松动了 找谁修", "<script>x()</script> 井盖没了"]
    with session(world.services.engine) as db:
        for n, question in enumerate(questions):
            db.add(Escalation(platform="console", chat_id=GROUP_A.chat_id, message_id=f"g{n}",
                              resident_id="r", resident_name="r", question=question,
                              action="escalate", created_at=world.clock.now()))  # fmt: skip
        db.commit()
    csrf = sign_in(world, client, "张所长")
    gaps = client.get("/gaps?days=7")
    assert gaps.status_code == 200 and "<script>x()" not in gaps.text
    assert "&lt;script&gt;x()&lt;/script&gt; 井盖没了" in gaps.text
    link = re.search(r'href="(/topics/new\?example=[^"]+)"', gaps.text)
    assert link is not None
    fields = form_of(client.get(link.group(1).replace("&amp;", "&")).text)
    prefilled = fields["examples"].splitlines()
    assert len(prefilled) >= 2 and set(prefilled) <= set(questions)

    new = fields | {
        "id": "manhole-cover",
        "title": "井盖松动或丢失",
        "aliases": "井盖",
        "source": "城市道路管理条例",
        "answer": "请拨打 12345 报修，也可以联系{{ station.name }}（{{ station.phone }}）。",
        "csrf": csrf,
        "action": "save",
    }
    for bad_id in ("../evil", "Manhole", "taught-1", "new", TOPIC):
        reply = client.post("/topics/new", data=new | {"id": bad_id})
        assert reply.status_code == 409 and "编号：" in reply.text, bad_id
    assert client.post("/topics/new", data=new).status_code == 303
    assert world.services.knowledge["manhole-cover"].title == "井盖松动或丢失"

    exported = client.get("/topics/manhole-cover/export")
    assert exported.status_code == 200
    assert 'filename="manhole-cover.toml"' in exported.headers["content-disposition"]
    text = exported.text.replace("井盖松动或丢失", "井盖松了、丢了")

    def upload(content: str, name: str = "manhole-cover.toml") -> int:
        files = {"file": (name, content.encode(), "application/toml")}
        status: int = client.post("/topics/import", data={"csrf": csrf}, files=files).status_code
        return status

    assert upload(text) == 303
    assert world.services.knowledge["manhole-cover"].title == "井盖松了、丢了"
    assert upload("id = ") == 409  # not TOML
    assert upload(text.replace("{{ station.name }}", "{{ station.nope() }}")) == 409
    assert upload(text.replace('id = "manhole-cover"', 'id = "../x"')) == 409
    assert world.services.knowledge["manhole-cover"].title == "井盖松了、丢了"
    assert all(p.suffix == ".toml" for p in folder(world).iterdir())  # no half-written file
    audit = audit_actions(world, "console:张所长")
    assert "topic created: from testclient manhole-cover" in audit
    assert "topic imported: from testclient manhole-cover" in audit
    assert "topic exported: from testclient manhole-cover" in audit
    assert audit.count("topic import refused: from testclient manhole-cover.toml") == 3


OWN_TOPIC = "no-criminal-record"
OWN_QUESTION = "良民证咋开"  # the bot answers it with OWN_TOPIC by itself
XQ_ANSWER = "兴庆的居民请带身份证到{{ station.name }}一楼窗口开具，当场办好。"


def asked_in(world: World, chat: ChatRef, resident: str) -> list[str]:
    out = asyncio.run(world.bot.inject(said(world, chat, resident, OWN_QUESTION, group=True)))
    return [o.text for o in out if o.chat == chat]


def test_a_station_answers_its_own_groups_with_its_own_answer(
    world: World, client: TestClient
) -> None:
    assert world.services.knowledge.decide(OWN_QUESTION).faq_id == OWN_TOPIC
    url = f"/topics/{OWN_TOPIC}/edit"
    csrf = sign_in(world, client, "张所长")  # station admin of 兴庆 (xq)
    page = client.get(url + "?station=jf")  # a station admin edits their own station's only
    assert "兴庆派出所专用回答" in page.text and "金凤派出所专用回答" not in page.text
    fields = form_of(page.text)
    assert fields["station_answer"] == ""
    bad = fields | {"station_answer": "{{ station.nothing.deeper }}", "csrf": csrf}
    refused = client.post(url, data=bad | {"action": "save"})
    assert refused.status_code == 409 and "派出所专用回答：" in refused.text
    preview = client.post(
        url, data=fields | {"station_answer": XQ_ANSWER, "csrf": csrf, "action": "preview"}
    )
    assert "兴庆的居民请带身份证到兴庆派出所一楼窗口开具" in preview.text
    saved = client.post(
        url,
        data=fields
        | {"station_answer": XQ_ANSWER, "station": "jf", "csrf": csrf, "action": "save"},
    )
    assert saved.status_code == 303, saved.text
    written = tomllib.loads((folder(world) / f"{OWN_TOPIC}.toml").read_text(encoding="utf-8"))
    assert written["station_answers"] == {"xq": XQ_ANSWER + "\n"}  # xq's, though jf was shown
    topic = world.services.knowledge[OWN_TOPIC]
    shown = client.get(f"/topics/{OWN_TOPIC}").text
    assert "兴庆派出所（专用回答）" in shown and "金凤派出所</dt>" in shown.replace(
        " <a", "</dt><a"
    )

    # In the groups: 兴庆's group A gets 兴庆's answer, 金凤's group C the topic's.
    in_a, in_c = asked_in(world, GROUP_A, "居民甲"), asked_in(world, GROUP_C, "居民乙")
    assert in_a == ["兴庆的居民请带身份证到兴庆派出所一楼窗口开具，当场办好。"], in_a
    assert len(in_c) == 1 and "兴庆的居民" not in in_c[0] and "金凤派出所" in in_c[0], in_c
    assert in_c[0].startswith(topic.answer.strip()[:6])
    tried = client.post("/try", data={"csrf": csrf, "text": OWN_QUESTION, "station": "xq"}).text
    assert "兴庆派出所，专用回答" in tried and "一楼窗口开具" in tried
    tried = client.post("/try", data={"csrf": csrf, "text": OWN_QUESTION, "station": "jf"}).text
    assert "专用回答" not in tried and "一楼窗口开具" not in tried

    # A city admin sets any station's, and clears 兴庆's; each save keeps what it replaced.
    city = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    city_csrf = sign_in(world, city, "钱局长")
    jf_form = form_of(city.get(url + "?station=jf").text)
    assert jf_form["station_answer"] == ""
    jf = jf_form | {"station_answer": "金凤：请到政务大厅。", "station": "jf"}
    assert city.post(url, data=jf | {"csrf": city_csrf, "action": "save"}).status_code == 303
    xq_form = form_of(city.get(url + "?station=xq").text)
    assert xq_form["station_answer"] == XQ_ANSWER
    cleared = xq_form | {"station_answer": "", "station": "xq", "csrf": city_csrf}
    assert city.post(url, data=cleared | {"action": "save"}).status_code == 303
    assert world.services.knowledge[OWN_TOPIC].station_answers == (
        ("jf", "金凤：请到政务大厅。\n"),
    )
    # (Past the window in which the same question is pointed at the answer above.)
    world.clock.moment += timedelta(seconds=world.services.settings.behaviour.repeat_window_seconds)
    assert asked_in(world, GROUP_C, "居民丙") == ["金凤：请到政务大厅。"]
    with session(world.services.engine) as db:
        versions = db.exec(select(TopicVersion).where(TopicVersion.faq_id == OWN_TOPIC)).all()
        assert [v.saved_by for v in versions] == ["张所长", "钱局长", "钱局长"]
        assert "[station_answers]" in versions[-1].toml  # 兴庆's, restorable
    (folder(world) / f"{OWN_TOPIC}.toml").unlink()
    assert world.services.knowledge.refresh(force=True) is None
