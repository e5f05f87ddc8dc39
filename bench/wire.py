"""Lean HTTP/1.1 for bench/load.py: the fake Bot API and the webhook POSTs on asyncio protocols.

Why not aiohttp, as everywhere else: in bench/load.py this process plays Telegram and the
proxy in front of the workers, which in production run on other machines; here they share
the workers' two cores. Through aiohttp's server and client they cost about 1 ms of CPU per
message on this machine, close to a third of what a worker needs, and that CPU is taken from
the workers being measured. These protocols do only what the bench needs, on keep-alive
connections: requests and responses with a Content-Length body (no chunked encoding), one
request at a time per connection. The Bot API itself is still ``FakeTelegram``'s
(``call`` and ``record``), so a worker sees the same answers as in the e2e tests.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections import Counter, deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.telegram_server import ApiError, FakeTelegram, decode_params

HEAD_END = b"\r\n\r\n"
_ESCAPES = re.compile(rb"(?:%[0-9A-Fa-f]{2})+")


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """``urllib.parse.parse_qsl`` for a form body, without its per-byte unquoting, which is
    most of the cost for Chinese text (every byte of it is a %XX escape)."""
    pairs = []
    for field in body.replace(b"+", b" ").split(b"&"):
        name, _, value = field.partition(b"=")
        pairs.append((_unquote(name), _unquote(value)))
    return pairs


def _unquote(value: bytes) -> str:
    return _ESCAPES.sub(
        lambda run: bytes.fromhex(run[0].replace(b"%", b"").decode()), value
    ).decode()


def parse_head(head: bytes) -> tuple[str, dict[str, str]]:
    """The start line and the headers (names lower-cased) of a request or a response."""
    start, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return start, headers


class _HttpStream:
    """Splits a byte stream into HTTP messages with Content-Length bodies."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def next(self) -> tuple[str, dict[str, str], bytes] | None:
        """The next complete message (start line, headers, body), or None until more arrives.

        ValueError: a body without Content-Length (chunked), which these peers never send."""
        end = self.buffer.find(HEAD_END)
        if end < 0:
            return None
        start, headers = parse_head(bytes(self.buffer[:end]))
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise ValueError("chunked bodies are not supported")
        body_end = end + len(HEAD_END) + int(headers.get("content-length") or 0)
        if len(self.buffer) < body_end:
            return None
        body = bytes(self.buffer[end + len(HEAD_END) : body_end])
        del self.buffer[:body_end]
        return start, headers, body


# -- the fake Bot API --------------------------------------------------------------------------


class BotApiProtocol(asyncio.Protocol):
    """One bot connection to the fake Bot API: ``/bot<token>/<method>``, answered in order."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self.incoming = _HttpStream()
        self.transport: asyncio.Transport | None = None
        self.waiting: asyncio.Task[None] | None = None  # an awaitable method (getUpdates)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiting is not None:
            self.waiting.cancel()

    def data_received(self, data: bytes) -> None:
        self.incoming.buffer += data
        self.answer_ready()

    def answer_ready(self) -> None:
        while self.waiting is None and self.transport is not None:
            try:
                request = self.incoming.next()
            except ValueError as error:
                self.respond(411, ApiError(411, str(error)).body())
                self.transport.close()
                return
            if request is None:
                return
            self.handle(*request)

    def handle(self, start: str, headers: dict[str, str], body: bytes) -> None:
        target = start.split(" ", 2)[1]
        path, _, query = target.partition("?")
        prefix, _, method = path.rpartition("/")
        params = decode_params(parse_qsl(query))
        outcome: Any
        try:
            if not prefix.startswith("/bot"):
                raise ApiError(404, "Not Found")
            kind = headers.get("content-type", "").split(";")[0].strip()
            if kind == "application/json":
                params.update(json.loads(body or b"{}"))
            elif kind == "application/x-www-form-urlencoded":
                params.update(decode_params(form_pairs(body)))
            elif body:
                raise ApiError(415, f"Bad Request: {kind} bodies are not served by bench/wire")
            outcome = self.fake.call(prefix.removeprefix("/bot"), method, params)
        except ApiError as error:
            outcome = error
        if inspect.isawaitable(outcome):
            self.waiting = asyncio.ensure_future(self.finish_later(method, params, outcome))
        else:
            self.respond(*self.fake.record(method, params, outcome))

    async def finish_later(self, method: str, params: dict[str, Any], pending: Any) -> None:
        outcome: Any
        try:
            outcome = await pending
        except ApiError as error:
            outcome = error
        self.respond(*self.fake.record(method, params, outcome))
        self.waiting = None
        self.answer_ready()

    def respond(self, status: int, body: Any) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        payload = json.dumps(body, ensure_ascii=False).encode()
        phrase = HTTPStatus(status).phrase
        self.transport.write(
            f"HTTP/1.1 {status} {phrase}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )


async def serve_bot_api(fake: FakeTelegram) -> asyncio.Server:
    """Serve ``fake`` on 127.0.0.1 (a free port, put into ``fake.port``) until closed."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: BotApiProtocol(fake), "127.0.0.1", 0)
    fake.port = server.sockets[0].getsockname()[1]
    return server


# -- the webhook POSTs -------------------------------------------------------------------------

Done = Callable[[str], None]  # called with "" on a 200, else why the POST failed


class _Connection(asyncio.Protocol):
    def __init__(self, pool: WebhookPool) -> None:
        self.pool = pool
        self.incoming = _HttpStream()
        self.transport: asyncio.Transport | None = None
        self.done: Done | None = None  # the POST waiting for its response

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def send(self, request: bytes, done: Done) -> None:
        assert self.transport is not None
        self.done = done
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.incoming.buffer += data
        try:
            response = self.incoming.next()
        except ValueError as error:
            self.fail(f"bad response: {error}")
            return
        if response is None or self.done is None:
            return
        status = response[0].split(" ", 2)[1]
        done, self.done = self.done, None
        done("" if status == "200" else f"HTTP {status}")
        self.pool.idle(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(f"connection lost ({type(exc).__name__ if exc else 'closed by the worker'})")

    def fail(self, why: str) -> None:
        done, self.done = self.done, None
        if done is not None:
            done(why)
        self.pool.lost(self)
        if self.transport is not None:
            self.transport.close()


class WebhookPool:
    """POSTs JSON bodies to one webhook URL over ``size`` keep-alive connections, queueing the
    rest; like aiohttp's connection pool, without its per-request objects."""

    def __init__(self, url: str, headers: dict[str, str], size: int) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        self.size = size
        self.open: list[_Connection] = []
        self.free: list[_Connection] = []
        self.queue: deque[tuple[bytes, Done]] = deque()
        self.failures: Counter[str] = Counter()

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(self.size - len(self.open)):
            _, connection = await loop.create_connection(
                lambda: _Connection(self), self.host, self.port
            )
            self.open.append(connection)
            self.idle(connection)

    def post(self, body: bytes, done: Done) -> None:
        request = self.head + str(len(body)).encode() + HEAD_END + body
        if self.free:
            self.free.pop().send(request, done)
        elif self.open:
            self.queue.append((request, done))
        else:
            done("no connection to the worker left")

    def idle(self, connection: _Connection) -> None:
        if self.queue:
            connection.send(*self.queue.popleft())
        else:
            self.free.append(connection)

    def lost(self, connection: _Connection) -> None:
        for pool in (self.open, self.free):
            if connection in pool:
                pool.remove(connection)
        if not self.open:
            while self.queue:
                self.queue.popleft()[1]("no connection to the worker left")

    def close(self) -> None:
        for connection in list(self.open):
            if connection.transport is not None:
                connection.transport.close()
