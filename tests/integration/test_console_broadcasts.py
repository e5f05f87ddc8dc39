"""Broadcasts in the console (issue 17, point 5), on SQLite and PostgreSQL.

The world of ``test_console``: 兴庆 (xq) with 李警官 (group A), 王警官 (group B) and the
station admin 张所长; 金凤 (jf) with its admin 赵警官 (group C) and the city admin 钱局长.
Campaigns are saved by the ledger's ``save_campaign`` and sent by the bot's
``Broadcaster`` to the fake adapter's groups.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bot.scheduler import rate_limited
from broadcasts.media import Media
from broadcasts.models import Campaign, RunStation
from broadcasts.runs import Broadcaster
from core.db import session
from tests.integration.test_broadcast_runs import settle
from tests.integration.test_console import (
    GROUP_A,
    GROUP_B,
    GROUP_C,
    World,
    audit_actions,
    client,
    sign_in,
    world,
)
from tests.integration.test_officer_alerts import PNG

__all__ = ["client", "world"]  # the fixtures, shared


@pytest.fixture(autouse=True)
def media_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """On PostgreSQL the media store is ./media: keep it in the test's directory."""
    monkeypatch.chdir(tmp_path)
    yield


def as_(world: World, client: TestClient, name: str) -> tuple[TestClient, str]:
    http = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    return http, sign_in(world, http, name)


def form(csrf: str, **values: str) -> dict[str, str]:
    return {"csrf": csrf, "schedule": "manual", "kind": "stations", "action": "save"} | values


def created(http: TestClient, data: dict[str, str]) -> int:
    return int(http.post("/broadcasts/new", data=data).status_code)


def campaign_named(world: World, name: str) -> Campaign:
    with session(world.services.engine) as db:
        return db.exec(select(Campaign).where(Campaign.name == name)).one()


def deliver(world: World) -> dict[str, list[str]]:
    """The running bot's broadcaster sends what is ready; the texts each group got."""
    world.bot.sent.clear()
    broadcaster = Broadcaster(
        world.services.engine,
        world.services.settings,
        rate_limited({"console": world.bot}, world.services.settings),
        clock=world.services.clock,
    )
    asyncio.run(settle(broadcaster))
    got: dict[str, list[str]] = {}
    for out in world.bot.sent:
        if out.chat.chat_id.startswith("group:"):
            got.setdefault(out.chat.chat_id, []).append(out.text)
    return got


def test_a_station_admin_creates_previews_and_sends_to_their_station(
    world: World, client: TestClient
) -> None:
    http, csrf = as_(world, client, "张所长")
    text = "{{ station.name }}提醒：陌生来电自称公检法要转账，一律是诈骗！电话 {{ station.phone }}"
    preview = http.post(
        "/broadcasts/new",
        data=form(csrf, name="兴庆周提醒", template=text, action="preview", station="xq"),
    )
    assert preview.status_code == 200
    assert "兴庆派出所提醒：陌生来电" in preview.text and "0951-6000000" in preview.text
    assert not _exists(world, "兴庆周提醒")  # a preview saves nothing
    other = http.post(
        "/broadcasts/new",
        data=form(csrf, name="兴庆周提醒", template=text, action="preview", station="jf"),
    )
    assert "金凤派出所提醒：陌生来电" in other.text and "0951-7000000" in other.text
    assert '<option value="jf" selected>' in other.text

    saved = http.post("/broadcasts/new", data=form(csrf, name="兴庆周提醒", template=text))
    assert saved.status_code == 303
    campaign = campaign_named(world, "兴庆周提醒")
    assert campaign.targets_json == '{"kind": "stations", "ids": ["xq"]}'
    assert saved.headers["location"] == f"/broadcasts/{campaign.id}?done=saved"

    sent = http.post(f"/broadcasts/{campaign.id}/send", data={"csrf": csrf})
    assert sent.headers["location"] == f"/broadcasts/{campaign.id}?done=sent"
    got = deliver(world)
    assert set(got) == {GROUP_A.chat_id, GROUP_B.chat_id}  # not 金凤's group C
    assert got[GROUP_A.chat_id] == [
        "兴庆派出所提醒：陌生来电自称公检法要转账，一律是诈骗！电话 0951-6000000"
    ]

    report = http.get(f"/broadcasts/{campaign.id}")
    assert re.search(r'class="delivered">2<', report.text), report.text
    actions = audit_actions(world, "console:张所长")
    assert any(a.startswith("campaign added") for a in actions)
    assert any(a.startswith("campaign sent") for a in actions)


def _exists(world: World, name: str) -> bool:
    with session(world.services.engine) as db:
        return db.exec(select(Campaign).where(Campaign.name == name)).first() is not None


def test_bad_input_is_refused_in_chinese_as_the_ledger_refuses_it(
    world: World, client: TestClient
) -> None:
    http, csrf = as_(world, client, "钱局长")
    cases = [
        (form(csrf, name="", template="文字"), "请填写推送名称"),
        (form(csrf, name="坏定时", template="文字", schedule="cron", cron="0 10 *"), "定时规则"),
        (form(csrf, name="过去", template="文字", schedule="once", run_at="2020-01-01T10:00"),
         "已经过去"),
        (form(csrf, name="坏模板", template="{{ station.name "), "模板有误"),
        (form(csrf, name="无对象", template="文字", kind="groups", ids="999999"), "没有这个群"),
        (form(csrf, name="未知所", template="文字", ids="nowhere"), "没有这个派出所"),
    ]  # fmt: skip
    for data, words in cases:
        reply = http.post("/broadcasts/new", data=data)
        assert reply.status_code == 409, data
        assert words in reply.text, (words, reply.text)
        assert not re.search(r"[a-z]{6,} [a-z]{3,}", _problems(reply.text)), reply.text
    assert not _exists(world, "坏定时")

    # A program renamed .mp4 is refused when saved, in Chinese, and nothing is kept.
    program = {"media": ("警情.mp4", b"MZ\x90\x00" + b"\x00" * 64, "video/mp4")}
    reply = http.post(
        "/broadcasts/new", data=form(csrf, name="冒充视频", template="看"), files=program
    )
    assert reply.status_code == 409 and "冒充视频" not in _problems(reply.text)
    assert _problems(reply.text) and not _exists(world, "冒充视频")


def _problems(html: str) -> str:
    return " ".join(re.findall(r'<p class="problem">(.*?)</p>', html))


def test_a_picture_is_kept_and_shown_with_its_size(world: World, client: TestClient) -> None:
    http, csrf = as_(world, client, "钱局长")
    picture = {"media": ("提醒.png", PNG, "image/png")}
    reply = http.post(
        "/broadcasts/new",
        data=form(csrf, name="带图提醒", template="看图", kind="all"),
        files=picture,
    )
    assert reply.status_code == 303, reply.text
    campaign = campaign_named(world, "带图提醒")
    page = http.get(f"/broadcasts/{campaign.id}")
    assert "[图片" in page.text and "提醒.png" in page.text
    with session(world.services.engine) as db:
        assert db.get(Media, campaign.media_id) is not None


def test_typed_words_are_shown_as_text(world: World, client: TestClient) -> None:
    http, csrf = as_(world, client, "钱局长")
    name, text = "<script>alert(1)</script>提醒", "{{ '<b>' }}小心"
    assert created(http, form(csrf, name=name, template=text, kind="all")) == 303
    listing = http.get("/broadcasts").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;提醒" in listing and "<script>alert" not in listing
    preview = http.post(
        "/broadcasts/new", data=form(csrf, name="x", template=text, action="preview")
    )
    assert "&lt;b&gt;小心" in preview.text


def test_a_station_admin_cannot_reach_another_station(world: World, client: TestClient) -> None:
    zhao, zhao_csrf = as_(world, client, "赵警官")  # 金凤's admin
    refused = zhao.post(
        "/broadcasts/new", data=form(zhao_csrf, name="越权", template="x", ids="xq")
    )
    assert refused.status_code == 409 and "只能向本派出所的群推送" in refused.text
    everyone = zhao.post(
        "/broadcasts/new", data=form(zhao_csrf, name="越权2", template="x", kind="all")
    )
    assert everyone.status_code == 409 and not _exists(world, "越权2")

    zhang, zhang_csrf = as_(world, client, "张所长")
    assert created(zhang, form(zhang_csrf, name="兴庆专用", template="x")) == 303
    ours = campaign_named(world, "兴庆专用")
    assert zhao.get(f"/broadcasts/{ours.id}").status_code == 404
    assert zhao.post(f"/broadcasts/{ours.id}/send", data={"csrf": zhao_csrf}).status_code == 404
    assert "兴庆专用" not in zhao.get("/broadcasts").text
    officer, _ = as_(world, client, "李警官")
    assert "兴庆专用" in officer.get("/broadcasts").text  # officers read
    assert officer.get(f"/broadcasts/{ours.id}").status_code == 200
    assert 'id="save"' not in officer.get(f"/broadcasts/{ours.id}").text


def test_the_calendar_and_approving_a_waiting_run(world: World, client: TestClient) -> None:
    http, csrf = as_(world, client, "钱局长")
    weekly = form(csrf, name="每周一提醒", template="周一提醒", kind="all", schedule="cron")
    assert created(http, weekly | {"cron": "0 10 * * 1", "approval": "1"}) == 303
    soon = (world.clock.now() + timedelta(hours=2)).astimezone(world.services.settings.tz)
    once = form(csrf, name="两小时后", template="稍后", kind="all", schedule="once")
    assert created(http, once | {"run_at": soon.strftime("%Y-%m-%dT%H:%M")}) == 303
    calendar = http.get("/broadcasts").text
    assert calendar.index("两小时后") < calendar.index("每周一提醒")  # soonest first
    assert calendar.count("每周一提醒") >= 3  # two Mondays in two weeks, and the list

    campaign = campaign_named(world, "每周一提醒")
    slot = world.clock.now()
    asyncio.run(
        Broadcaster(
            world.services.engine, world.services.settings, {}, clock=world.services.clock
        ).fire(campaign.id, slot)  # type: ignore[arg-type]
    )
    zhang, zhang_csrf = as_(world, client, "张所长")
    waiting = zhang.get("/broadcasts").text
    key = re.search(
        rf'/broadcasts/{campaign.id}/decide".*?name="slot" value="([^"]+)"', waiting, re.S
    )
    assert key is not None, waiting
    decided = zhang.post(
        f"/broadcasts/{campaign.id}/decide",
        data={"csrf": zhang_csrf, "slot": key.group(1), "verdict": "approve"},
    )
    assert decided.headers["location"] == "/broadcasts?done=approved"
    again = zhang.post(
        f"/broadcasts/{campaign.id}/decide",
        data={"csrf": zhang_csrf, "slot": key.group(1), "verdict": "reject"},
    )
    assert again.headers["location"] == "/broadcasts?done=decided"
    with session(world.services.engine) as db:
        rows = db.exec(select(RunStation).where(RunStation.campaign_id == campaign.id)).all()
        assert {(r.station_id, r.approval) for r in rows} == {("jf", "pending"), ("xq", "approved")}
    assert set(deliver(world)) == {GROUP_A.chat_id, GROUP_B.chat_id}
    assert GROUP_C.chat_id  # 金凤 still waits for its own approval


def test_the_ticket_queue_serves_its_rows_for_the_live_script(
    world: World, client: TestClient
) -> None:
    from tests.integration.test_console import open_ticket

    http, _ = as_(world, client, "李警官")
    page = http.get("/tickets")
    assert '<script src="/static/live.js"></script>' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    before = http.get("/tickets/live?view=open").text
    ticket_id = open_ticket(world)
    after = http.get("/tickets/live?view=open").text
    assert f'href="/tickets/{ticket_id}"' in after and f'href="/tickets/{ticket_id}"' not in before
    assert "<html" not in after  # the rows alone
    assert TestClient(client.app, follow_redirects=False).get("/tickets/live").status_code == 303
