"""A resident's export and erasure from the console (issue 17, point 8), on SQLite and
PostgreSQL: admins only, for residents of their scope, erasure after a confirmation,
audited without the resident's id."""

from __future__ import annotations

import itertools
import json

from sqlmodel import select
from starlette.testclient import TestClient

from core.db import AuditEntry, Escalation, session
from core.events import ChatRef
from privacy.retention import ERASED
from tests.integration.test_console import (
    GROUP_A,
    GROUP_C,
    World,
    audit_actions,
    client,
    hidden,
    sign_in,
    world,
)

__all__ = ["client", "world"]  # the fixtures, shared
_ids = itertools.count(1)


def resident_ticket(world: World, chat: ChatRef, resident: str, question: str) -> int:
    with session(world.services.engine) as db:
        ticket = Escalation(
            platform=chat.platform,
            chat_id=chat.chat_id,
            message_id=f"p{next(_ids)}",
            resident_id=resident,
            resident_name="刘大爷",
            question=question,
            action="escalate",
        )
        db.add(ticket)
        db.commit()
        assert ticket.id is not None
        return ticket.id


def test_an_admin_exports_a_residents_data(world: World, client: TestClient) -> None:
    first = resident_ticket(world, GROUP_A, "wxid_export_1", "我家门锁坏了")
    resident_ticket(world, GROUP_A, "wxid_export_1", "还是门锁的事")
    csrf = sign_in(world, client, "张所长")
    form = client.get(f"/privacy?ticket={first}")
    assert form.status_code == 200 and f'value="{first}"' in form.text
    exported = client.post("/privacy/export", data={"csrf": csrf, "ticket": str(first)})
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    data = json.loads(exported.text)
    assert data["resident_id"] == "wxid_export_1"
    assert [t["question"] for t in data["tickets"]] == ["我家门锁坏了", "还是门锁的事"]
    by_id = client.post(
        "/privacy/export",
        data={"csrf": csrf, "resident": "wxid_export_1", "platform": "console"},
    )
    assert by_id.status_code == 200 and len(json.loads(by_id.text)["tickets"]) == 2
    actions = audit_actions(world, "console:张所长")
    assert any(a.startswith("resident exported: from testclient sha256:") for a in actions)
    assert not any("wxid_export_1" in a for a in actions)
    ticket_page = client.get(f"/tickets/{first}").text
    assert f'href="/privacy?ticket={first}"' in ticket_page


def test_erasure_needs_a_confirmation_and_is_audited(world: World, client: TestClient) -> None:
    ticket_id = resident_ticket(world, GROUP_A, "wxid_erase_2", "我的手机号 13912345678")
    csrf = sign_in(world, client, "张所长")
    asked = client.post("/privacy/erase", data={"csrf": csrf, "ticket": str(ticket_id)})
    assert asked.status_code == 200 and "确认删除" in asked.text and "1 个工单" in asked.text
    with session(world.services.engine) as db:
        assert db.get(Escalation, ticket_id).question != ERASED  # type: ignore[union-attr]
    assert hidden(asked.text, "resident") == "wxid_erase_2"
    confirmed = client.post(
        "/privacy/erase",
        data={"csrf": csrf, "resident": "wxid_erase_2", "platform": "console", "confirm": "1"},
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == "/privacy?done=erased"
    assert "已删除该居民" in client.get(confirmed.headers["location"]).text
    with session(world.services.engine) as db:
        ticket = db.get(Escalation, ticket_id)
        assert ticket is not None and ticket.question == ERASED and ticket.resident_id == ERASED
        details = [row.detail for row in db.exec(select(AuditEntry)).all()]
    assert not any("wxid_erase_2" in d for d in details)
    assert any(
        a.startswith("resident erased: from testclient sha256:") and a.endswith(" 1 tickets")
        for a in audit_actions(world, "console:张所长")
    )
    again = client.post("/privacy/erase", data={"csrf": csrf, "ticket": str(ticket_id)})
    assert again.status_code == 404  # nothing of theirs is left to find


def test_only_admins_of_the_residents_station(world: World, client: TestClient) -> None:
    xq = resident_ticket(world, GROUP_A, "wxid_scope_3", "兴庆的问题")
    jf = resident_ticket(world, GROUP_C, "wxid_scope_4", "金凤的问题")
    csrf = sign_in(world, client, "赵警官")  # 金凤's admin
    refused = client.post("/privacy/export", data={"csrf": csrf, "ticket": str(xq)})
    assert refused.status_code == 404 and "没有这位居民的记录" in refused.text
    assert "兴庆的问题" not in refused.text
    assert client.post("/privacy/export", data={"csrf": csrf, "ticket": str(jf)}).status_code == 200
    assert client.post("/privacy/export", data={"ticket": str(jf)}).status_code == 403  # no CSRF
    assert "resident export refused: from testclient" in audit_actions(world, "console:赵警官")
    city = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    city_csrf = sign_in(world, city, "钱局长")
    assert (
        city.post("/privacy/export", data={"csrf": city_csrf, "ticket": str(xq)}).status_code == 200
    )
    officer = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    officer_csrf = sign_in(world, officer, "李警官")
    reply = officer.post("/privacy/export", data={"csrf": officer_csrf, "ticket": str(xq)})
    assert reply.status_code == 403 and "wxid_scope_3" not in reply.text
    assert officer.get("/privacy").status_code == 403
