"""The aiohttp transport under PTB: timeouts and broken connections become PTB's errors,
and no error message carries the request URL (it holds the bot token)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.adapters.telegram_http import AiohttpRequest

pytestmark = pytest.mark.e2e

TOKEN_URL_PATH = "/bot6543210987:AAFakeTokenForTestsOnly-0123456789abcd/sendMessage"


@pytest.fixture
async def server() -> AsyncIterator[str]:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    async def hang_up(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": await request.json()})

    app = web.Application()
    app.router.add_post("/slow" + TOKEN_URL_PATH, slow)
    app.router.add_post("/hang" + TOKEN_URL_PATH, hang_up)
    app.router.add_post("/echo" + TOKEN_URL_PATH, echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


@pytest.fixture
async def transport() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(pool_size=4, timeout=5.0)
    await request.initialize()
    yield request
    await request.shutdown()


async def test_parameters_go_as_json(server: str, transport: AiohttpRequest) -> None:
    data = RequestData(
        [
            RequestParameter.from_input("chat_id", -100),
            RequestParameter.from_input("text", "你好"),
            RequestParameter.from_input("reply_parameters", {"message_id": 7}),
        ]
    )
    status, body = await transport.do_request(server + "/echo" + TOKEN_URL_PATH, "POST", data)
    assert status == 200
    assert json.loads(body)["result"] == {
        "chat_id": -100,
        "text": "你好",
        "reply_parameters": {"message_id": 7},
    }


async def test_a_slow_answer_is_timed_out(server: str, transport: AiohttpRequest) -> None:
    with pytest.raises(TimedOut):
        await transport.do_request(server + "/slow" + TOKEN_URL_PATH, "POST", read_timeout=0.2)


async def test_a_dropped_connection_is_a_network_error_without_the_url(
    server: str, transport: AiohttpRequest
) -> None:
    url = server + "/hang" + TOKEN_URL_PATH
    with pytest.raises(NetworkError) as caught:
        await transport.do_request(url, "POST")
    assert "AAFakeToken" not in str(caught.value)
    assert caught.value.__cause__ is None


async def test_not_initialised_is_refused() -> None:
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest(pool_size=1, timeout=1.0).do_request("http://127.0.0.1:9/", "POST")
