"""The station console over real HTTP (Starlette's TestClient) on SQLite and PostgreSQL.

Officers sign in through the link the bot sends to /login; the console decides tickets
with the chat's own functions. Two stations: 兴庆 (xq, first) with 李警官 (group A),
王警官 (group B) and the station admin 张所长; 金凤 (jf) with its admin 赵警官 (group C).
"""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import col, select
from starlette.testclient import TestClient

from bot.adapters.fake import FakeAdapter
from bot.bootstrap import build_dispatcher, build_outbox, build_services
from console.app import create_app
from core.config import ConfigError, parse_settings
from core.db import (
    AnswerVote,
    AuditEntry,
    Escalation,
    Group,
    LearnedQuestion,
    Officer,
    OutboxMessage,
    QuestionEvent,
    session,
)
from core.events import ChatRef, IncomingMessage
from handlers.services import Services
from tests.conftest import database_url
from tests.integration import test_authorization as authorization

GROUP_A = ChatRef("console", "group:a")  # 李警官's
GROUP_B = ChatRef("console", "group:b")  # 王警官's
GROUP_C = ChatRef("console", "group:c")  # 金凤's
START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
SECRET = b"test-secret-test-secret-test-sec"
_ids = itertools.count(1)


class MovableClock:
    def __init__(self) -> None:
        self.moment = START

    def now(self) -> datetime:
        return self.moment


def two_stations(url: str):  # type: ignore[no-untyped-def]
    station = {"address": "解放东街1号", "phone": "0951-6000000", "hours": "9-17"}
    return parse_settings(
        {
            "database": {"url": url},
            "web": {"public_url": "https://console.example.org/jm"},
            "stations": [
                station | {"id": "xq", "name": "兴庆派出所"},
                station | {"id": "jf", "name": "金凤派出所", "phone": "0951-7000000"},
            ],
            "officers": [
                {"name": "李警官", "station": "xq"},
                {"name": "王警官", "station": "xq"},
                {"name": "张所长", "station": "xq", "admin": True},
                {"name": "赵警官", "station": "jf", "admin": True},
                {"name": "钱局长", "station": "jf", "city_admin": True},
            ],
        },
        "test",
    )


@dataclass
class World:
    services: Services
    bot: FakeAdapter
    clock: MovableClock


def said(world: World, chat: ChatRef, sender: str, text: str, *, group: bool) -> IncomingMessage:
    return IncomingMessage(
        chat,
        sender,
        sender,
        text,
        str(next(_ids)),
        is_group=group,
        addressed=not group,
        received_at=world.clock.now(),
        chat_title=f"社区群{chat.chat_id[-1].upper()}",
    )


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One bot per database for the module; each test opens its own tickets."""

    def build(url: str) -> World:
        clock = MovableClock()
        services = build_services(two_stations(url), clock)
        bot = FakeAdapter()
        world = World(services, bot, clock)
        asyncio.run(bot.start(build_dispatcher(services, {"console": bot})))
        for chat, officer in ((GROUP_A, "李警官"), (GROUP_B, "王警官"), (GROUP_C, "赵警官")):
            asyncio.run(bot.inject(said(world, chat, officer, "/bind", group=True)))
        return world

    with database_url(request.param, tmp_path_factory.mktemp("console")) as url:
        built = build(url)
        yield built
        built.services.engine.dispose()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    world.clock.moment = START
    app = create_app(world.services, world.services.settings.web, SECRET)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as http:
        yield http


def open_ticket(world: World, chat: ChatRef = GROUP_A, **details: str) -> int:
    return authorization.open_ticket(world, chat, **details)


def ticket_of(world: World, ticket_id: int) -> Escalation:
    return authorization.ticket_of(world, ticket_id)


def audit_actions(world: World, actor: str) -> list[str]:
    with session(world.services.engine) as db:
        rows = db.exec(
            select(AuditEntry).where(AuditEntry.actor == actor).order_by(col(AuditEntry.id))
        ).all()
        return [f"{row.action}: {row.detail}" for row in rows]


def request_link(world: World, officer: str) -> str:
    """What the bot answers to /login in the officer's private chat: the link's path."""
    chat = ChatRef("console", f"officer:{officer}")
    out = asyncio.run(world.bot.inject(said(world, chat, officer, "/login", group=False)))
    # (Answers another test's console decided may go out after it: the outbox is drained.)
    texts = [o.text for o in out if o.chat == chat and "只能使用一次" in o.text]
    assert len(texts) == 1, out
    link = re.search(r"https://console\.example\.org/jm(/login\?t=\S+)", texts[0])
    assert link is not None, texts[0]
    return link.group(1)


def token_of(path: str) -> str:
    return parse_qs(urlsplit(path).query)["t"][0]


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, html
    return found.group(1)


def redeem(client: TestClient, path: str) -> int:
    form = client.get(path)
    assert form.status_code == 200
    reply = client.post("/login", data={"t": token_of(path), "check": hidden(form.text, "check")})
    return reply.status_code


def sign_in(world: World, client: TestClient, officer: str) -> str:
    """Signs ``client`` in as ``officer`` through the bot's link; the page's CSRF token."""
    assert redeem(client, request_link(world, officer)) == 303
    page = client.get("/tickets")
    assert page.status_code == 200
    return hidden(page.text, "csrf")


def test_an_officer_signs_in_by_link_and_approves_as_in_the_chat(
    world: World, client: TestClient
) -> None:
    ticket_id = open_ticket(world)
    path = request_link(world, "李警官")
    form = client.get(path)
    assert form.status_code == 200 and "确认登录" in form.text
    reply = client.post("/login", data={"t": token_of(path), "check": hidden(form.text, "check")})
    assert reply.status_code == 303 and reply.headers["location"] == "/tickets"
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("__Host-"))
    assert all(flag in cookie.lower() for flag in ("httponly", "secure", "samesite=lax", "path=/"))
    queue = client.get("/tickets")
    assert f'href="/tickets/{ticket_id}"' in queue.text and "楼道里的电动车充电" in queue.text
    page = client.get(f"/tickets/{ticket_id}")
    assert "您好，这是拟回复。" in page.text
    csrf = hidden(page.text, "csrf")

    done = client.post(f"/tickets/{ticket_id}/approve", data={"csrf": csrf})
    assert done.status_code == 303 and done.headers["location"].endswith("?done=approve")
    assert ticket_of(world, ticket_id).state == "sending answer"
    assert "已批准" in client.get(done.headers["location"]).text
    # The bot's outbox sender delivers it, as it does an answer approved in the chat.
    sender = build_outbox(world.services, {"console": world.bot})
    before = len(world.bot.sent)
    asyncio.run(sender.deliver_due())
    to_group = [o for o in world.bot.sent[before:] if o.chat == GROUP_A]
    assert [o.text for o in to_group] == ["您好，这是拟回复。"]
    ticket = ticket_of(world, ticket_id)
    assert ticket.state == "answered" and ticket.decided_by == "李警官"
    console_audit = audit_actions(world, "console:李警官")
    assert "signed in: from testclient" in console_audit
    assert f"ticket approve: from testclient #{ticket_id}" in console_audit
    with session(world.services.engine) as db:  # the domain's own audit row, as in the chat
        domain = db.exec(
            select(AuditEntry).where(
                AuditEntry.escalation_id == ticket_id, AuditEntry.actor == "officer:李警官"
            )
        ).all()
        assert [row.action for row in domain] == ["approve"]


def test_faq_and_overdue_as_in_the_chat(world: World, client: TestClient) -> None:
    """加入FAQ is the chat's: toggled while pending, learned with the answer once sent, and
    refused for a rejected ticket. "Overdue" lists what waits past the reminder time."""
    csrf = sign_in(world, client, "李警官")
    old = open_ticket(world, question="楼下的电动车能在楼道里充电吗")
    fresh, rejected = open_ticket(world), open_ticket(world)
    waited = timedelta(minutes=world.services.settings.behaviour.reminder_minutes + 1)
    with session(world.services.engine) as db:
        for ticket_id, opened in ((old, world.clock.now() - waited), (fresh, world.clock.now())):
            ticket = db.get(Escalation, ticket_id)
            assert ticket is not None
            ticket.created_at = opened
            db.add(ticket)
        db.commit()
    overdue = client.get("/tickets?view=overdue").text
    assert f'href="/tickets/{old}"' in overdue and f'href="/tickets/{fresh}"' not in overdue

    assert client.post(f"/tickets/{old}/faq", data={"csrf": csrf}).status_code == 303
    assert ticket_of(world, old).add_to_faq and "加入FAQ ✓" in client.get(f"/tickets/{old}").text
    assert client.post(f"/tickets/{old}/approve", data={"csrf": csrf}).status_code == 303
    with session(world.services.engine) as db:
        assert db.exec(select(LearnedQuestion)).one().added_by == "李警官"

    assert client.post(f"/tickets/{rejected}/reject", data={"csrf": csrf}).status_code == 303
    refused = client.post(f"/tickets/{rejected}/faq", data={"csrf": csrf})
    assert refused.status_code == 409 and not ticket_of(world, rejected).add_to_faq
    assert "ticket faq: from testclient" in " ".join(audit_actions(world, "console:李警官"))


def test_edit_and_reject_use_the_domain_and_show_its_refusals(
    world: World, client: TestClient
) -> None:
    csrf = sign_in(world, client, "李警官")
    edited, rejected = open_ticket(world), open_ticket(world)
    empty = client.post(f"/tickets/{edited}/edit", data={"csrf": csrf, "text": "  "})
    assert empty.status_code == 409 and ticket_of(world, edited).state == "pending"
    done = client.post(f"/tickets/{edited}/edit", data={"csrf": csrf, "text": "请到一楼充电棚。"})
    assert done.status_code == 303
    ticket = ticket_of(world, edited)
    assert ticket.state == "sending answer" and ticket.answer == "请到一楼充电棚。"
    with session(world.services.engine) as db:
        row = db.exec(select(OutboxMessage).where(OutboxMessage.ticket_id == edited)).one()
        assert row.text == "请到一楼充电棚。" and row.chat_id == GROUP_A.chat_id
    assert client.post(f"/tickets/{rejected}/reject", data={"csrf": csrf}).status_code == 303
    assert ticket_of(world, rejected).state == "rejected"
    again = client.post(f"/tickets/{rejected}/approve", data={"csrf": csrf})
    assert again.status_code == 409 and "已" in again.text  # the domain's "already closed"
    with session(world.services.engine) as db:
        assert db.exec(select(OutboxMessage).where(OutboxMessage.ticket_id == rejected)).all() == []


def test_a_link_works_once_and_only_for_minutes(world: World, client: TestClient) -> None:
    path = request_link(world, "王警官")
    client.get(path)
    client.get(path)  # a chat app's link preview opens it too: that spends nothing
    assert redeem(client, path) == 303
    fresh = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    assert redeem(fresh, path) == 403  # used
    late = request_link(world, "王警官")
    world.clock.moment += timedelta(minutes=5, seconds=1)
    assert redeem(fresh, late) == 403  # expired
    assert redeem(fresh, "/login?t=" + "x" * 43) == 403  # made up
    assert fresh.get("/tickets").status_code == 303  # none of them signed in
    refusals = [a for a in audit_actions(world, "console:anonymous") if "sign-in refused" in a]
    assert refusals[-3:] == [
        "sign-in refused: from testclient link already used",
        "sign-in refused: from testclient link expired",
        "sign-in refused: from testclient unknown link",
    ]
    with session(world.services.engine) as db:  # only hashes are kept
        stored = [
            row[0]
            for row in db.connection().exec_driver_sql("SELECT token_hash FROM console_login_link")
        ]
        assert token_of(path) not in stored and len(stored[0]) == 64


def test_sign_in_attempts_are_rate_limited(world: World, client: TestClient) -> None:
    form = client.get("/login?t=abc")
    check = hidden(form.text, "check")
    codes = [
        client.post("/login", data={"t": f"guess{n}", "check": check}).status_code
        for n in range(11)
    ]
    assert codes == [403] * 10 + [429]
    assert redeem(client, request_link(world, "李警官")) == 429  # even a good link, for now


def test_every_form_needs_the_sessions_csrf_token(world: World, client: TestClient) -> None:
    ticket_id = open_ticket(world)
    csrf = sign_in(world, client, "李警官")
    other = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    other_csrf = sign_in(world, other, "王警官")
    for data in ({}, {"csrf": ""}, {"csrf": "0" * 64}, {"csrf": "令牌"}, {"csrf": other_csrf}):
        reply = client.post(f"/tickets/{ticket_id}/approve", data=data)
        assert reply.status_code == 403, data
    assert client.post("/logout", data={}).status_code == 403
    assert ticket_of(world, ticket_id).state == "pending"
    assert "refused: from testclient POST /logout: bad csrf" in audit_actions(
        world, "console:李警官"
    )
    # The sign-in form's own check: without the cookie it set, a posted link is refused.
    path = request_link(world, "李警官")
    bare = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    assert bare.post("/login", data={"t": token_of(path), "check": "x"}).status_code == 403
    bare.cookies.set("jingmin_sign_in", "abc", path="/login")
    assert bare.post("/login", data={"t": token_of(path), "check": "检查"}).status_code == 403
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    assert client.get("/tickets").status_code == 303  # signed out: the session is over


def test_residents_words_are_shown_as_text(world: World, client: TestClient) -> None:
    question = (
        '<script>alert("x")</script> {{ 7*7 }} {% if 1 %}yes{% endif %} <img src=x onerror=1>'
    )
    ticket_id = open_ticket(world, question=question, resident="<b>阿姨</b>")
    sign_in(world, client, "李警官")
    for url in ("/tickets", f"/tickets/{ticket_id}"):
        html = client.get(url).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>阿姨" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        assert "{{ 7*7 }}" in html and "{% if 1 %}yes{% endif %}" in html and " 49 " not in html
    assert "&lt;b&gt;阿姨&lt;/b&gt;" in client.get(f"/tickets/{ticket_id}").text


def test_officers_see_their_groups_admins_their_station(world: World, client: TestClient) -> None:
    a, b, c = open_ticket(world, GROUP_A), open_ticket(world, GROUP_B), open_ticket(world, GROUP_C)

    def listed(http: TestClient, query: str = "") -> set[int]:
        html = http.get("/tickets" + query).text
        return {int(n) for n in re.findall(r'href="/tickets/([0-9]+)"', html)} & {a, b, c}

    sign_in(world, client, "李警官")
    assert listed(client) == {a}
    assert client.get(f"/tickets/{b}").status_code == 404  # a colleague's group
    assert client.get(f"/tickets/{c}").status_code == 404  # another station
    admin = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    sign_in(world, admin, "张所长")
    assert listed(admin) == {a, b}
    with session(world.services.engine) as db:
        group_b = db.exec(select(Group).where(Group.chat_id == GROUP_B.chat_id)).one()
    assert listed(admin, f"?group={group_b.id}") == {b}
    assert listed(admin, "?view=mine") == set()  # none is handed to the admin
    assert admin.get(f"/tickets/{c}").status_code == 404
    other = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    sign_in(world, other, "赵警官")
    assert listed(other) == {c}
    assert other.get(f"/tickets/{a}").status_code == 404
    assert listed(other, "?station=xq") == {c}  # only a city admin picks a station
    city = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    city_csrf = sign_in(world, city, "钱局长")  # of station jf, and every station's tickets
    assert listed(city) == {a, b, c}
    assert listed(city, "?station=xq") == {a, b} and listed(city, "?station=jf") == {c}
    assert listed(city, "?station=nowhere") == {a, b, c}
    assert listed(city, f"?group={group_b.id}") == {b}
    live = city.get("/tickets/live?view=open&station=jf").text
    assert f'href="/tickets/{c}"' in live and f'href="/tickets/{a}"' not in live
    queue = city.get("/tickets?station=jf").text
    assert '<option value="jf" selected>' in queue and "社区群C" in queue
    assert '<option value="jf" selected>' not in client.get("/tickets?station=jf").text
    assert city.get(f"/tickets/{a}").status_code == 200
    done = city.post(f"/tickets/{a}/reject", data={"csrf": city_csrf})
    assert done.status_code == 303 and ticket_of(world, a).decided_by == "钱局长"


ROLES = ("nobody", "officer", "admin", "other admin", "city admin")
SIGNED_IN_AS = {
    "officer": "李警官",
    "admin": "张所长",
    "other admin": "赵警官",
    "city admin": "钱局长",
}
# (method, route path) -> the status each role gets, in ROLES order. {own}: a ticket of
# group A (李警官's, station xq); the group is A, the officer 王警官 (xq).
EXPECTED: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/"): (200, 303, 303, 303, 303),
    ("GET", "/login"): (200, 200, 200, 200, 200),
    ("POST", "/login"): (403, 403, 403, 403, 403),  # no sign-in check value
    ("POST", "/logout"): (403, 303, 303, 303, 303),
    ("GET", "/tickets"): (303, 200, 200, 200, 200),
    ("GET", "/tickets/{ticket_id:int}"): (303, 200, 200, 404, 200),
    ("POST", "/tickets/{ticket_id:int}/{verb:str}"): (403, 303, 303, 404, 303),
    ("GET", "/topics"): (303, 403, 200, 200, 200),
    ("GET", "/topics/{topic_id:str}"): (303, 403, 200, 200, 200),
    # No topics_dir in this world: the forms show, a save is refused (and a bad form is).
    ("GET", "/topics/new"): (303, 403, 200, 200, 200),
    ("POST", "/topics/new"): (403, 403, 409, 409, 409),
    ("POST", "/topics/import"): (403, 403, 409, 409, 409),  # no file
    ("GET", "/topics/{topic_id:str}/edit"): (303, 403, 200, 200, 200),
    ("POST", "/topics/{topic_id:str}/edit"): (403, 403, 409, 409, 409),
    ("GET", "/topics/{topic_id:str}/export"): (303, 403, 200, 200, 200),
    ("POST", "/topics/{topic_id:str}/revert/{version_id:int}"): (403, 403, 404, 404, 404),
    ("GET", "/gaps"): (303, 403, 200, 200, 200),
    ("GET", "/try"): (303, 403, 200, 200, 200),
    ("POST", "/try"): (403, 403, 200, 200, 200),
    ("GET", "/groups"): (303, 200, 200, 200, 200),
    ("POST", "/groups/{group_id:int}/officer"): (403, 403, 303, 404, 303),
    ("GET", "/officers"): (303, 403, 200, 200, 200),
    ("POST", "/officers"): (403, 403, 409, 409, 409),  # no name: refused, but let in
    ("POST", "/officers/{officer_id:int}/{what:str}"): (403, 403, 303, 404, 303),
    ("GET", "/reports"): (303, 200, 200, 200, 200),
    ("GET", "/reports/chart.png"): (303, 200, 200, 200, 200),
    ("GET", "/reports/export.csv"): (303, 200, 200, 200, 200),
    ("GET", "/privacy"): (303, 403, 200, 200, 200),
    ("POST", "/privacy/export"): (403, 403, 404, 404, 404),  # no resident named
    ("POST", "/privacy/erase"): (403, 403, 404, 404, 404),
    ("GET", "/static"): (200, 200, 200, 200, 200),
    ("GET", "/tickets/live"): (303, 200, 200, 200, 200),
    # {campaign}: a campaign of station xq
    ("GET", "/broadcasts"): (303, 200, 200, 200, 200),
    ("GET", "/broadcasts/new"): (303, 403, 200, 200, 200),
    ("POST", "/broadcasts/new"): (403, 403, 409, 409, 409),  # no text: refused, but let in
    ("GET", "/broadcasts/{campaign_id:int}"): (303, 200, 200, 404, 200),
    ("POST", "/broadcasts/{campaign_id:int}"): (403, 403, 409, 404, 409),
    ("POST", "/broadcasts/{campaign_id:int}/send"): (403, 403, 303, 404, 303),
    ("POST", "/broadcasts/{campaign_id:int}/decide"): (403, 403, 404, 404, 404),  # no run
}


def test_every_route_checks_the_role_on_the_server(world: World, client: TestClient) -> None:
    from starlette.routing import Mount, Route

    declared = set()
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Mount):
            declared.add(("GET", route.path))
        elif isinstance(route, Route):
            declared |= {(m, route.path) for m in route.methods or () if m != "HEAD"}
    assert declared == set(EXPECTED), "a new route needs its row in EXPECTED"
    with session(world.services.engine) as db:
        group_a = db.exec(select(Group).where(Group.chat_id == GROUP_A.chat_id)).one()
        wang = db.exec(select(Officer).where(Officer.name == "王警官")).one()
    # The changes are no changes: group A to its own officer, 王警官 kept active.
    changes = {"officer": str(group_a.officer_id), "value": "1"}
    campaign_id = station_campaign(world, "xq")

    for index, role in enumerate(ROLES):
        http = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
        csrf = sign_in(world, http, SIGNED_IN_AS[role]) if role != "nobody" else ""
        for (method, path), statuses in EXPECTED.items():
            if path == "/logout":
                continue  # last: it ends the session
            url = (
                path.replace("{ticket_id:int}", str(open_ticket(world)))
                .replace("{verb:str}", "reject")
                .replace("{topic_id:str}", "newborn-hukou")
                .replace("{version_id:int}", "999999")
                .replace("{group_id:int}", str(group_a.id))
                .replace("{officer_id:int}", str(wang.id))
                .replace("{what:str}", "active")
                .replace("/static", "/static/console.css")
                .replace("{campaign_id:int}", str(campaign_id))
            )
            data = {"csrf": csrf, "text": "孩子出生了怎么上户口"} | changes
            reply = http.request(method, url, data=data if method == "POST" else None)
            assert reply.status_code == statuses[index], (role, method, url)
        logout = http.post("/logout", data={"csrf": csrf})
        assert logout.status_code == EXPECTED[("POST", "/logout")][index], role


def station_campaign(world: World, station: str) -> int:
    """A campaign of one station's groups, sent by hand (made once per database)."""
    from broadcasts import ledger
    from broadcasts.models import Campaign
    from broadcasts.planner import Targets

    name = f"{station} 的提醒"
    with session(world.services.engine) as db:
        found = db.exec(select(Campaign).where(Campaign.name == name)).first()
        campaign = found or Campaign(
            name=name,
            template_source="{{ station.name }}提醒您：谨防诈骗。",
            targets_json=Targets("stations", (station,)).to_json(),
        )
        saved = ledger.save_campaign(
            db, campaign, tz=world.services.settings.tz, now=world.clock.now()
        )
        db.commit()
        assert saved.id is not None
        return saved.id


def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(
    world: World, client: TestClient
) -> None:
    """As the city admin, whom the most routes let in: every form needs the session's token."""
    csrf = sign_in(world, client, "钱局长")
    other = TestClient(client.app, base_url="https://testserver", follow_redirects=False)
    wrong = sign_in(world, other, "张所长")  # a real token, of another session
    posts = [path for method, path in EXPECTED if method == "POST" and path != "/login"]
    for path in posts:
        url = (
            path.replace("{ticket_id:int}", str(open_ticket(world, GROUP_C)))
            .replace("{verb:str}", "reject")
            .replace("{topic_id:str}", "newborn-hukou")
            .replace("{version_id:int}", "1")
            .replace("{group_id:int}", "1")
            .replace("{officer_id:int}", "1")
            .replace("{what:str}", "duty")
            .replace("{campaign_id:int}", "1")
        )
        altered = csrf[:-1] + ("1" if csrf.endswith("0") else "0")
        for data in ({}, {"csrf": wrong}, {"csrf": altered}):
            reply = client.post(url, data=data | {"name": "新人", "ticket": "1", "value": "0"})
            assert reply.status_code == 403, (url, data)
    refusals = [a for a in audit_actions(world, "console:钱局长") if ": bad csrf" in a]
    assert len(refusals) == 3 * len(posts)
    assert client.get("/tickets").status_code == 200  # still signed in: nothing was done


def test_the_knowledge_base_pages(world: World, client: TestClient) -> None:
    sign_in(world, client, "张所长")
    now = world.clock.now() - timedelta(minutes=1)
    with session(world.services.engine) as db:
        for action in ("answer", "answer", "escalate"):
            db.add(QuestionEvent(at=now, platform="console", chat_id="g", station_id="xq",
                                 action=action, faq_id="newborn-hukou"))  # fmt: skip
        db.add(QuestionEvent(at=now, platform="console", chat_id="g", station_id="jf",
                             action="answer", faq_id="newborn-hukou"))  # fmt: skip
        db.add(AnswerVote(answer_id=1, voter_id="r", useful=False, faq_id="newborn-hukou",
                          station_id="xq", at=now))  # fmt: skip
        db.commit()
    topics = client.get("/topics")
    assert 'href="/topics/newborn-hukou"' in topics.text
    # The station's own last month, by topic: 2 answered, 1 escalated, one 👎.
    assert "2 / 0 / 0 / 1 / 👎1" in topics.text
    xq = client.get("/topics/newborn-hukou").text
    assert "兴庆派出所" in xq or "0951-6000000" in xq
    jf = client.get("/topics/newborn-hukou?station=jf")
    assert jf.status_code == 200 and 'value="jf" selected' in jf.text
    assert client.get("/topics/no-such-topic").status_code == 404
    csrf = hidden(topics.text, "csrf")
    tried = client.post("/try", data={"csrf": csrf, "text": "孩子出生了怎么上户口"})
    decision = world.services.knowledge.decide("孩子出生了怎么上户口")
    assert tried.status_code == 200 and decision.faq_id is not None
    assert f'href="/topics/{decision.faq_id}"' in tried.text and "意图" in tried.text
    assert "tried a question: from testclient " + decision.action in audit_actions(
        world, "console:张所长"
    )


def test_without_a_topics_folder_the_topic_forms_say_so_and_save_nothing(
    world: World, client: TestClient
) -> None:
    csrf = sign_in(world, client, "张所长")
    assert world.services.knowledge.station_dir is None
    form = client.get("/topics/newborn-hukou/edit")
    assert form.status_code == 200 and "没有配置主题文件夹" in form.text
    assert 'value="save"' not in form.text  # only the preview button
    topic = world.services.knowledge["newborn-hukou"]
    data = {
        "csrf": csrf,
        "title": topic.title,
        "aliases": "\n".join(topic.aliases),
        "examples": "\n".join(topic.examples),
        "source": topic.source,
        "answer": topic.answer,
    }
    preview = client.post("/topics/newborn-hukou/edit", data=data | {"action": "preview"})
    assert preview.status_code == 200 and "回答预览（兴庆派出所）" in preview.text
    assert "0951-6000000" in preview.text
    saved = client.post("/topics/newborn-hukou/edit", data=data | {"action": "save"})
    assert saved.status_code == 409 and "没有配置主题文件夹" in saved.text


def test_pages_carry_security_headers_and_plain_http_demo_cookies(world: World) -> None:
    web = world.services.settings.web.model_copy(update={"secure_cookies": False})
    app = create_app(world.services, web, SECRET)
    with TestClient(app, base_url="http://testserver", follow_redirects=False) as http:
        home = http.get("/")
        assert "default-src 'none'" in home.headers["content-security-policy"]
        assert home.headers["referrer-policy"] == "no-referrer"
        assert home.headers["x-frame-options"] == "DENY"
        assert redeem(http, request_link(world, "李警官")) == 303
        assert http.get("/tickets").status_code == 200  # a non-secure cookie over http
        assert http.get("/nowhere").status_code == 404


def test_web_config_defaults_and_the_admin_flag() -> None:
    settings = parse_settings({}, "test")
    assert settings.web.host == "127.0.0.1" and settings.web.secure_cookies
    assert settings.web.base_url == "http://127.0.0.1:8080"
    with pytest.raises(ConfigError, match=r"web\.public_url"):
        parse_settings({"web": {"public_url": "console.example.org"}}, "test")
    with pytest.raises(ConfigError, match=r"web\.session_secret"):
        parse_settings({"web": {"session_secret": "in a file"}}, "test")  # env only


def test_only_officers_get_a_sign_in_link(world: World) -> None:
    from core.db import ConsoleLoginLink

    def links() -> int:
        with session(world.services.engine) as db:
            return len(db.exec(select(ConsoleLoginLink)).all())

    before = links()
    chat = ChatRef("console", "resident:r9")
    for text in ("/login", "登录"):
        out = asyncio.run(world.bot.inject(said(world, chat, "r9", text, group=False)))
        assert not any("/login?t=" in o.text for o in out)
    group = asyncio.run(world.bot.inject(said(world, GROUP_A, "李警官", "/login", group=True)))
    assert not any("/login?t=" in o.text for o in group)  # never in a group
    assert links() == before


def test_a_ticket_decided_in_the_chat_is_closed_in_the_console(
    world: World, client: TestClient
) -> None:
    ticket_id = open_ticket(world)
    csrf = sign_in(world, client, "李警官")
    chat = ChatRef("console", "officer:李警官")
    asyncio.run(
        world.bot.inject(said(world, chat, "李警官", f"驳回 {ticket_id} 已电话联系", group=False))
    )
    assert ticket_of(world, ticket_id).state == "rejected"
    late = client.post(f"/tickets/{ticket_id}/approve", data={"csrf": csrf})
    assert late.status_code == 409 and "李警官" in late.text  # the domain says who decided
    assert "已驳回" in late.text and "确认登录" not in late.text


def test_a_session_ends_after_its_hours(world: World, client: TestClient) -> None:
    sign_in(world, client, "李警官")
    world.clock.moment += timedelta(hours=12, seconds=1)
    assert client.get("/tickets").status_code == 303


def test_background_jobs_run_while_the_console_serves(world: World) -> None:
    import threading

    ran, stopped = threading.Event(), threading.Event()

    async def job() -> None:
        ran.set()
        try:
            await asyncio.sleep(3600)
        finally:
            stopped.set()

    app = create_app(world.services, world.services.settings.web, SECRET, background=[job])
    with TestClient(app, base_url="https://testserver") as http:
        assert http.get("/").status_code == 200
        assert ran.wait(5)
    assert stopped.is_set()  # cancelled when the server stops
