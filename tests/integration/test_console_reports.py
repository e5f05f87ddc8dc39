"""The console's reports (issue 17, point 7) on SQLite and PostgreSQL: the database groups
and counts, the page shows each role its scope, with a chart and a CSV export.

Seeded in the world of ``test_console`` (clock: 2026-12-06 17:00 Beijing time): questions
in 兴庆's groups A (李警官) and B (王警官) and 金凤's group C, tickets answered after known
waits, unanswered questions, and broadcast deliveries.
"""

from __future__ import annotations

import csv
import io
import itertools
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from broadcasts.models import Campaign, Delivery
from core.db import Escalation, QuestionEvent, session
from tests.integration.test_console import (
    GROUP_A,
    GROUP_B,
    GROUP_C,
    START,
    World,
    audit_actions,
    client,
    sign_in,
    world,
)

__all__ = ["client", "world"]  # the fixtures, shared
_messages = itertools.count(1)
EVENING = START - timedelta(hours=15, minutes=30)  # 2026-12-05 17:30 UTC: 12-06 01:30 local


@pytest.fixture(scope="module", autouse=True)
def seeded(world: World) -> None:
    with session(world.services.engine) as db:
        if db.exec(select(Campaign).where(Campaign.name == "reports")).first():
            return
        events = [
            (GROUP_A, "xq", "answer", "newborn-hukou", EVENING),
            (GROUP_A, "xq", "answer", "newborn-hukou", START - timedelta(days=1, hours=1)),
            (GROUP_A, "xq", "escalate", None, START - timedelta(hours=1)),
            (GROUP_B, "xq", "suggest", "id-card-renewal", START - timedelta(hours=2)),
            (GROUP_C, "jf", "answer", "newborn-hukou", START - timedelta(hours=3)),
            (GROUP_A, "xq", "answer", "newborn-hukou", START - timedelta(days=40)),  # too old
        ]
        for chat, station, action, faq_id, at in events:
            db.add(QuestionEvent(at=at, platform="console", chat_id=chat.chat_id,
                                 station_id=station, action=action, faq_id=faq_id))  # fmt: skip
        tickets = [
            (GROUP_A, "李警官", "answered", 10, None, "楼道灯坏了"),
            (GROUP_A, "李警官", "answered", 30, None, "楼道灯又坏了"),
            (GROUP_A, "李警官", "answered", 50, "newborn-hukou", "上户口"),
            (GROUP_B, "王警官", "answered", 5, "id-card-renewal", "身份证"),
            (GROUP_B, None, "pending", 0, None, '=HYPERLINK("x") <script>alert(1)</script>'),
            (GROUP_C, "赵警官", "answered", 100, None, "金凤的问题"),
        ]
        for chat, decider, state, minutes, faq_id, question in tickets:
            created = START - timedelta(hours=5)
            db.add(Escalation(platform="console", chat_id=chat.chat_id,
                              message_id=f"rep{next(_messages)}", resident_id="r",
                              resident_name="居民", question=question, action="escalate",
                              faq_id=faq_id, state=state, decided_by=decider,
                              created_at=created,
                              updated_at=created + timedelta(minutes=minutes)))  # fmt: skip
        campaign = Campaign(name="reports", template_source="通知")
        db.add(campaign)
        db.flush()
        assert campaign.id is not None
        for n, (station, state) in enumerate((("xq", "sent"), ("xq", "sent"), ("xq", "failed"),
                                               ("jf", "sent"))):  # fmt: skip
            db.add(Delivery(campaign_id=campaign.id, slot=START - timedelta(days=2),
                            station_id=station, platform="console", chat_id=f"d{n}",
                            state=state, sent_at=START - timedelta(days=2)))  # fmt: skip
        db.commit()


def figures(html: str) -> dict[str, str]:
    import re

    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)", html))


def test_a_station_admin_sees_the_station(world: World, client: TestClient) -> None:
    sign_in(world, client, "张所长")
    page = client.get("/reports?days=7")
    assert page.status_code == 200
    shown = figures(page.text)
    assert shown["居民提问"] == "4" and shown["工单"] == "5" and shown["推送送达"] == "2 群次"
    # 2 answered by the bot + 4 tickets answered by officers, of 4 questions: capped at 100%.
    assert shown["回答率"].startswith("100%")
    assert "<td>李警官</td><td>30 分钟</td>" in page.text  # median of 10, 30, 50
    assert "<td>王警官</td><td>5 分钟</td>" in page.text and "赵警官" not in page.text
    # 12-06 01:30 local is 12-06, not the UTC day before: 2 questions on 12-06 (answer,
    # escalate) plus the suggestion; one answered on 12-05.
    assert "<tr><td>12-06</td><td>1</td><td>0</td><td>1</td><td>1</td></tr>" in page.text
    assert "<tr><td>12-05</td><td>1</td><td>0</td><td>0</td><td>0</td></tr>" in page.text
    assert "楼道灯坏了" in page.text and "金凤的问题" not in page.text  # the gaps
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    assert 'src="/reports/chart.png?days=7"' in page.text
    month = figures(client.get("/reports").text)  # 30 days by default; 40 days ago is out
    assert month["居民提问"] == "4"


def test_an_officer_sees_their_groups_and_a_city_admin_every_station(
    world: World, client: TestClient
) -> None:
    sign_in(world, client, "李警官")
    mine = client.get("/reports").text
    assert figures(mine)["居民提问"] == "3" and figures(mine)["工单"] == "3"
    assert "王警官" not in mine and "<td>李警官</td>" in mine
    city = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    sign_in(world, city, "钱局长")
    assert figures(city.get("/reports").text)["居民提问"] == "5"
    jf = city.get("/reports?station=jf").text
    assert figures(jf)["居民提问"] == "1" and "<td>赵警官</td><td>100 分钟</td>" in jf
    assert figures(city.get("/reports?station=nowhere").text)["居民提问"] == "5"  # all
    admin = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    sign_in(world, admin, "张所长")
    assert figures(admin.get("/reports?station=jf").text)["居民提问"] == "4"  # own only


def test_the_chart_and_the_csv(world: World, client: TestClient) -> None:
    sign_in(world, client, "张所长")
    chart = client.get("/reports/chart.png?days=7")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")
    exported = client.get("/reports/export.csv?days=7")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeff日期,")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["日期", "自动回答", "请居民选择", "拟稿待批", "转民警", "合计"]
    assert ["2026-12-06", "1", "0", "1", "1", "3"] in rows
    assert ["处理用时中位数（分钟）", "李警官", "30.0"] in rows
    assert ["热门主题", "newborn-hukou", "2"] in rows
    gaps = [r for r in rows if r and r[0] == "未回答问题"]
    assert any(r[1].startswith("'=HYPERLINK") for r in gaps)  # never a formula
    assert "report exported: from testclient 7 days" in audit_actions(world, "console:张所长")
