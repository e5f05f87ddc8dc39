"""Groups and officers in the console (issue 17, point 6), on SQLite and PostgreSQL.

The world of ``test_console``: 兴庆 (xq) with 李警官 (group A), 王警官 (group B) and the
station admin 张所长; 金凤 (jf) with its admin 赵警官 (group C) and the city admin 钱局长.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from bot.bootstrap import sync_config
from core.db import ConsoleSession, Escalation, Group, Officer, SeenUpdate, session
from core.events import ChatRef
from handlers.reach import report_unreachable
from tests.integration.test_console import (
    GROUP_A,
    GROUP_B,
    GROUP_C,
    START,
    World,
    audit_actions,
    client,
    hidden,
    open_ticket,
    request_link,
    said,
    sign_in,
    world,
)

__all__ = ["client", "world"]  # the fixtures, shared


def group_id(world: World, chat: ChatRef) -> int:
    with session(world.services.engine) as db:
        group = db.exec(select(Group).where(Group.chat_id == chat.chat_id)).one()
        assert group.id is not None
        return group.id


def officer(world: World, name: str) -> Officer:
    with session(world.services.engine) as db:
        return db.exec(select(Officer).where(Officer.name == name)).one()


def as_(world: World, client: TestClient, name: str) -> tuple[TestClient, str]:
    http = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    return http, sign_in(world, http, name)


def listed_groups(http: TestClient) -> set[int]:
    import re

    return {
        int(n) for n in re.findall(r'action="/groups/([0-9]+)/officer"', http.get("/groups").text)
    }


@pytest.fixture
def restore(world: World) -> Iterator[None]:
    """The officers and groups as configured, after a test changed them."""
    with session(world.services.engine) as db:
        before = {o.id: o.model_copy() for o in db.exec(select(Officer)).all()}
        groups = {g.id: g.officer_id for g in db.exec(select(Group)).all()}
    yield
    with session(world.services.engine) as db:
        for row in db.exec(select(Officer)).all():
            if row.id in before:
                for name, value in before[row.id].model_dump().items():
                    setattr(row, name, value)
                db.add(row)
            else:
                db.delete(row)
        for group in db.exec(select(Group)).all():
            group.officer_id = groups.get(group.id)
            db.add(group)
        db.commit()


def test_each_role_sees_the_groups_of_its_scope(world: World, client: TestClient) -> None:
    a, b, c = (group_id(world, chat) for chat in (GROUP_A, GROUP_B, GROUP_C))
    with session(world.services.engine) as db:
        db.add(
            SeenUpdate(platform="console", chat_id=GROUP_B.chat_id, message_id="m1", seen_at=START)
        )
        db.commit()
    sign_in(world, client, "李警官")
    page = client.get("/groups")
    assert page.status_code == 200 and "社区群A" in page.text and "社区群B" not in page.text
    assert listed_groups(client) == set()  # an officer sees, but changes nothing
    admin, _ = as_(world, client, "张所长")
    html = admin.get("/groups").text
    assert listed_groups(admin) >= {a, b} and c not in listed_groups(admin)
    assert "2026-12-06 17:00" in html  # group B's last message, in Beijing time
    assert "兴庆派出所" in html and "李警官" in html
    other, _ = as_(world, client, "赵警官")
    assert c in listed_groups(other) and not {a, b} & listed_groups(other)
    city, _ = as_(world, client, "钱局长")
    assert listed_groups(city) >= {a, b, c}


def test_an_admin_reassigns_a_group_within_the_station(
    world: World, client: TestClient, restore: None
) -> None:
    b = group_id(world, GROUP_B)
    li, zhao = officer(world, "李警官"), officer(world, "赵警官")
    csrf = sign_in(world, client, "张所长")
    moved = client.post(f"/groups/{b}/officer", data={"csrf": csrf, "officer": str(li.id)})
    assert (
        moved.status_code == 303 and "已更换负责民警" in client.get(moved.headers["location"]).text
    )
    with session(world.services.engine) as db:
        assert db.get(Group, b).officer_id == li.id  # type: ignore[union-attr]
    assert f"group officer: from testclient group #{b} to 李警官" in audit_actions(
        world, "console:张所长"
    )
    refused = client.post(f"/groups/{b}/officer", data={"csrf": csrf, "officer": str(zhao.id)})
    assert refused.status_code == 409 and "只能交给本派出所的民警" in refused.text
    assert (
        client.post(f"/groups/{b}/officer", data={"csrf": csrf, "officer": "x"}).status_code == 409
    )
    assert client.post(f"/groups/{b}/officer", data={"officer": str(li.id)}).status_code == 403
    nobody = client.post(f"/groups/{b}/officer", data={"csrf": csrf, "officer": ""})
    assert nobody.status_code == 303
    with session(world.services.engine) as db:
        assert db.get(Group, b).officer_id is None  # type: ignore[union-attr]
    c = group_id(world, GROUP_C)
    assert (
        client.post(f"/groups/{c}/officer", data={"csrf": csrf, "officer": ""}).status_code == 404
    )


def test_admins_add_remove_and_mark_duty_officers(
    world: World, client: TestClient, restore: None
) -> None:
    csrf = sign_in(world, client, "张所长")
    added = client.post(
        "/officers",
        data={"csrf": csrf, "name": "孙警官", "station": "jf", "telegram_id": "777", "duty": "1"},
    )
    assert added.status_code == 303
    sun = officer(world, "孙警官")
    assert sun.station_id == "xq" and sun.duty and sun.console_managed  # own station only
    assert sun.telegram_id == "777" and sun.active
    again = client.post("/officers", data={"csrf": csrf, "name": "孙警官", "station": "xq"})
    assert again.status_code == 409 and "同名" in again.text
    taken = client.post("/officers", data={"csrf": csrf, "name": "周警官", "telegram_id": "777"})
    assert taken.status_code == 409 and "另一位民警" in taken.text
    city = as_(world, client, "钱局长")
    assert (
        city[0]
        .post("/officers", data={"csrf": city[1], "name": "吴警官", "station": "jf"})
        .status_code
        == 303
    )
    assert officer(world, "吴警官").station_id == "jf"

    off = client.post(f"/officers/{sun.id}/duty", data={"csrf": csrf, "value": "0"})
    assert off.status_code == 303 and not officer(world, "孙警官").duty
    wang = officer(world, "王警官")
    wang_client, _ = as_(world, client, "王警官")
    handed = open_ticket(world, GROUP_B)  # 王警官's group: his ticket
    removed = client.post(f"/officers/{wang.id}/active", data={"csrf": csrf, "value": "0"})
    assert removed.status_code == 303
    wang = officer(world, "王警官")
    assert not wang.active and not wang.duty and wang.console_managed
    with session(world.services.engine) as db:
        assert db.get(Group, group_id(world, GROUP_B)).officer_id is None  # type: ignore[union-attr]
        sessions = db.exec(select(ConsoleSession).where(ConsoleSession.officer_id == wang.id)).all()
        assert all(s.ended_at is not None for s in sessions)
        assert db.get(Escalation, handed).officer_id is None  # type: ignore[union-attr]
    assert wang_client.get("/tickets").status_code == 303  # signed out
    login = said(world, ChatRef("console", "officer:王警官"), "王警官", "/login", group=False)
    out = asyncio.run(world.bot.inject(login))
    assert not any("/login?t=" in o.text for o in out)  # no officer to the bot any more
    assert (
        "officer active: from testclient "
        + f"#{wang.id} 王警官 removed, 2 groups and tickets freed"
        in (audit_actions(world, "console:张所长"))
    )
    duty = client.post(f"/officers/{wang.id}/duty", data={"csrf": csrf, "value": "1"})
    assert duty.status_code == 409 and "已移除" in duty.text
    me = officer(world, "张所长")
    self_removal = client.post(f"/officers/{me.id}/active", data={"csrf": csrf, "value": "0"})
    assert self_removal.status_code == 409 and officer(world, "张所长").active
    zhao = officer(world, "赵警官")
    assert (
        client.post(f"/officers/{zhao.id}/active", data={"csrf": csrf, "value": "0"}).status_code
        == 404
    )
    back = client.post(f"/officers/{wang.id}/active", data={"csrf": csrf, "value": "1"})
    assert back.status_code == 303 and officer(world, "王警官").active
    assert request_link(world, "王警官").startswith("/login?t=")

    # The config file seeds officers; it no longer undoes what the console changed.
    client.post(f"/officers/{wang.id}/duty", data={"csrf": csrf, "value": "1"})
    li = officer(world, "李警官")
    with session(world.services.engine) as db:
        sync_config(db, world.services.settings)
    assert officer(world, "王警官").duty  # the file says not on duty: the console's stays
    assert officer(world, "李警官").model_dump() == li.model_dump()


def test_the_officers_the_bot_cannot_reach_are_listed(
    world: World, client: TestClient, restore: None
) -> None:
    csrf = sign_in(world, client, "张所长")
    client.post("/officers", data={"csrf": csrf, "name": "孙警官", "telegram_id": "901"})
    client.post("/officers", data={"csrf": csrf, "name": "周警官", "telegram_id": "902"})

    class Telegram:
        async def can_reach(self, user_id: str) -> bool:
            return user_id != "901"

    missed = asyncio.run(report_unreachable(world.services, {"telegram": Telegram()}))  # type: ignore[dict-item]
    assert missed == 1
    assert officer(world, "孙警官").unreachable_since is not None
    page = client.get("/officers").text
    warning = page.split("机器人联系不上这些民警", 1)[1].split("</div>", 1)[0]
    assert "孙警官" in warning and "私聊发不出去" in warning and "周警官" not in warning
    assert "李警官" in warning and "没有登记" in warning  # no account at all
    assert "赵警官" not in warning  # another station's
    asyncio.run(report_unreachable(world.services, {"telegram": Telegram()}))  # type: ignore[dict-item]
    assert officer(world, "周警官").unreachable_since is None


def test_names_and_titles_are_shown_as_text(
    world: World, client: TestClient, restore: None
) -> None:
    with session(world.services.engine) as db:
        group = db.get(Group, group_id(world, GROUP_A))
        assert group is not None
        title, group.title = group.title, "<script>alert(1)</script>{{ 7*7 }}"
        db.add(group)
        db.commit()
    try:
        csrf = sign_in(world, client, "张所长")
        client.post("/officers", data={"csrf": csrf, "name": "<b>坏</b>"})
        for url in ("/groups", "/officers"):
            html = client.get(url).text
            assert "<script>alert" not in html and "<b>坏" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;{{ 7*7 }}" in client.get("/groups").text
        assert "&lt;b&gt;坏&lt;/b&gt;" in client.get("/officers").text
        assert hidden(client.get("/officers").text, "csrf") == csrf
    finally:
        with session(world.services.engine) as db:
            group = db.get(Group, group_id(world, GROUP_A))
            assert group is not None
            group.title = title
            db.add(group)
            db.commit()
