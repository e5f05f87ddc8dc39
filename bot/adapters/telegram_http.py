"""PTB's HTTP transport on aiohttp instead of httpx.

PTB lets an application bring its own ``BaseRequest``. httpx (PTB's default) costs about
1 ms of CPU per Bot API call here (pure-Python HTTP/1.1 and three socket writes per
request); aiohttp's C parser and single write cost a fraction of that, and every reply
and broadcast is one call (measured by bench/telegram_e2e.py and bench/fanout.py).
The same idea as ptbcontrib's ``aiohttp_request``, which is not on PyPI.

Timeouts map onto aiohttp's: connect -> ``sock_connect``, read -> ``sock_read`` (PTB
adds the long-poll time to getUpdates' read timeout itself), pool -> ``connect`` (which
in aiohttp includes waiting for a free connection). aiohttp has no write timeout: a
stalled upload is bounded by the read timeout that follows it.

Parameters go as a JSON body (the Bot API takes JSON for everything but uploads) rather
than PTB's default form encoding: a reply in Chinese is a third of the bytes (UTF-8 instead
of a %XX escape per byte), and ``json.dumps`` is C while ``urlencode`` quotes byte by byte.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest, RequestData

_JSON = {"Content-Type": "application/json"}
CONNECTIONS = 256  # to the Bot API for sends, as PTB's own default pool

Builder = ApplicationBuilder[Any, Any, Any, Any, Any, Any]


def aiohttp_requests(timeout: float) -> tuple[BaseRequest, BaseRequest]:
    """Both of PTB's HTTP clients on aiohttp: the one for sends and other calls, and
    getUpdates' own (one connection; PTB adds the long-poll time to its read timeout)."""
    return (
        AiohttpRequest(pool_size=CONNECTIONS, timeout=timeout),
        AiohttpRequest(pool_size=1, timeout=timeout),
    )


def on_aiohttp(builder: Builder, timeout: float) -> Builder:
    """``builder`` with both of PTB's HTTP clients on aiohttp (``aiohttp_requests``)."""
    request, get_updates_request = aiohttp_requests(timeout)
    return builder.request(request).get_updates_request(get_updates_request)


class AiohttpRequest(BaseRequest):
    __slots__ = ("_pool_size", "_session", "_timeout")

    def __init__(self, *, pool_size: int, timeout: float) -> None:
        self._pool_size = pool_size
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=timeout, sock_connect=timeout, sock_read=timeout
        )
        self._session: aiohttp.ClientSession | None = None  # made in the running loop

    @property
    def read_timeout(self) -> float | None:
        return self._timeout.sock_read

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                timeout=self._timeout,
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        default = self._timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=_given(pool_timeout, default.connect),
            sock_connect=_given(connect_timeout, default.sock_connect),
            sock_read=_given(read_timeout, default.sock_read),
        )
        body: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data is not None and request_data.contains_files:
            body = aiohttp.FormData(request_data.json_parameters)
            for name, (filename, content, *_mimetype) in request_data.multipart_data.items():
                body.add_field(name, content, filename=filename)
        elif request_data is not None:
            body, headers = json.dumps(request_data.parameters, ensure_ascii=False).encode(), _JSON
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:  # aiohttp's timeouts are TimeoutError subclasses
            raise TimedOut from err
        except (aiohttp.ClientError, asyncio.IncompleteReadError) as err:
            # The URL holds the bot token: never let it into the message.
            detail = str(err).replace(url, "<Bot API URL>")
            raise NetworkError(f"aiohttp.{type(err).__name__}: {detail}") from None


def _given(value: object, default: float | None) -> float | None:
    """A per-call timeout, or the default when PTB passes its ``DEFAULT_NONE`` marker."""
    if value is BaseRequest.DEFAULT_NONE or not (value is None or isinstance(value, int | float)):
        return default
    return None if value is None else float(value)
