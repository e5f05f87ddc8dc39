"""bench/wire.py, the load bench's lean HTTP: a real PTB bot gets the same answers from the
fake Bot API through it as through aiohttp, and the webhook pool reports every POST's fate."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlencode

import pytest
from aiohttp import web
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest

from bench.wire import WebhookPool, form_pairs, serve_bot_api
from bot.adapters.telegram_http import AiohttpRequest
from tests.fakes.telegram_server import FakeTelegram

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    "fields",
    [
        {"chat_id": -1001234, "text": "请问无犯罪记录证明怎么开？😀 a+b=c&d %41"},
        {"text": "", "reply_parameters": '{"message_id": 7}'},
        {"名字": "空 格", "x": "100%"},
    ],
)
def test_form_pairs_read_what_urlencode_wrote(fields: dict[str, object]) -> None:
    body = urlencode(fields)
    assert form_pairs(body.encode()) == parse_qsl(body, keep_blank_values=True)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    server = await serve_bot_api(fake)
    yield fake
    server.close()
    await fake.stop()


async def test_ptb_bot_talks_to_the_fake_through_the_lean_server(fake: FakeTelegram) -> None:
    resident = fake.add_user("王阿姨")
    group = fake.add_group("幸福里小区", members=[resident], with_bot=True)
    question = fake.user_says(group, resident, "身份证丢了怎么补办")
    bot = Bot(
        fake.token, base_url=fake.api_base_url, request=AiohttpRequest(pool_size=2, timeout=5.0)
    )
    async with bot:
        assert (await bot.get_me()).username == fake.bot_user["username"]
        answer = "您好！补办身份证请带户口簿到派出所。"
        sent = await bot.send_message(
            group, answer, reply_parameters=ReplyParameters(question["message_id"])
        )
        with pytest.raises(BadRequest, match="text is empty"):
            await bot.send_message(group, " ")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(999, answer)

    assert sent.text == answer and sent.reply_to_message is not None
    assert [(m.text, m.reply_to_message_id) for m in fake.sent_to(group)] == [
        (answer, question["message_id"])
    ]
    assert {(call.method, call.status) for call in fake.calls if call.method == "getMe"} == {
        ("getMe", 200)
    }
    assert [call.status for call in fake.calls if call.method == "sendMessage"] == [200, 400, 400]


async def test_webhook_pool_reports_each_post() -> None:
    received: list[bytes] = []

    async def hook(request: web.Request) -> web.Response:
        if request.headers.get("X-Secret") != "s":
            return web.Response(status=403)
        received.append(await request.read())
        if len(received) == 3:
            assert request.transport is not None
            request.transport.close()  # the worker goes away mid-request
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    outcomes: list[str] = []
    all_done = asyncio.Event()

    def done(outcome: str) -> None:
        outcomes.append(outcome)
        if len(outcomes) == 5:
            all_done.set()

    good = WebhookPool(f"http://127.0.0.1:{port}/hook", {"X-Secret": "s"}, size=1)
    wrong = WebhookPool(f"http://127.0.0.1:{port}/hook", {"X-Secret": "x"}, size=1)
    try:
        await good.connect()
        await wrong.connect()
        for body in (b'{"n": 1}', '{"t": "你好"}'.encode(), b'{"n": 3}', b'{"n": 4}'):
            good.post(body, done)  # one connection: the rest wait in the queue
        wrong.post(b"{}", done)
        await asyncio.wait_for(all_done.wait(), 5)
    finally:
        good.close()
        wrong.close()
        await runner.cleanup()

    assert received == [b'{"n": 1}', '{"t": "你好"}'.encode(), b'{"n": 3}']
    assert sorted(outcomes) == [
        "",
        "",
        "HTTP 403",
        "connection lost (closed by the worker)",
        "no connection to the worker left",
    ]
