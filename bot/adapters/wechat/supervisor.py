"""The WeChat connection's lifecycle: ``WechatAdapter`` connects, waits until the account
is logged in and ready, reads the gateway's event stream into one ordered queue, and when
the gateway goes away or the account logs out it reconnects with capped exponential
backoff and tells ``on_connection_change`` (so the admin can be alerted on Telegram).
Events outlive a lost connection (they are read again on the next one), and a message the
gateway announced but cannot describe yet is read again in the background: both wait on
the connection's state, so they live here, not in the client.

The calls themselves (and python-wechaty's workarounds, but for number 3, which is how a
connection starts: see ``_run_connection``) are in ``client.py``; the pure mapping of what
they read is in ``mapping.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable

from grpclib.const import Status
from grpclib.exceptions import GRPCError, StreamTerminatedError
from wechaty_grpc.wechaty.puppet import EventType

from bot.adapters.wechat.client import (
    GatewayClient,
    WechatOptions,
    _Connection,
    _ConnectionLost,
    _describe,
    _RawEvent,
)
from bot.adapters.wechat.mapping import (
    PLATFORM,
    ButtonCommand,
    WechatSetupError,
    default_button_command,
)
from core.config import WECHAT_TOKEN_ENV
from core.events import Event
from core.ports import Clock, EventSink

log = logging.getLogger(__name__)

ConnectionListener = Callable[[bool, str], Awaitable[object]]
# Told the account's rooms (id, topic) each time it logs in (several accounts: infra.accounts).
RoomsListener = Callable[[list[tuple[str, str]]], Awaitable[object]]


class WechatAdapter(GatewayClient):
    """``ChatAdapter`` for WeChat through a Wechaty puppet-service gateway."""

    platform = PLATFORM

    def __init__(
        self,
        endpoint: str,
        token: str | None,
        *,
        options: WechatOptions | None = None,
        clock: Clock | None = None,
        on_connection_change: ConnectionListener | None = None,
        button_command: ButtonCommand = default_button_command,
        token_env: str = WECHAT_TOKEN_ENV,
        on_rooms: RoomsListener | None = None,
        rest_seconds: float | None = None,
    ) -> None:
        """``on_rooms`` and ``rest_seconds`` are for one of several accounts: its room
        list is read on every login, and a restriction of the account ("操作过于频繁", a
        ban, a logout) is raised as ``AccountRestricted`` (rest that long) instead of a
        plain send error, so its rooms can move to their spare account."""
        super().__init__(
            endpoint,
            token,
            options=options,
            clock=clock,
            button_command=button_command,
            token_env=token_env,
            rest_seconds=rest_seconds,
        )
        self.on_connection_change: ConnectionListener | None = on_connection_change
        self.on_rooms = on_rooms

        self._sink: EventSink | None = None
        self._queue: asyncio.Queue[_RawEvent] = asyncio.Queue()
        self._retrying: dict[str, asyncio.Task[None]] = {}  # message id -> payload retry
        self.lost_messages = 0  # announced, but the gateway never gave their payload

        self._changed = asyncio.Event()  # pulsed on every connection change, for start()
        self._supervisor: asyncio.Task[None] | None = None
        self._consumer: asyncio.Task[None] | None = None
        self._stopping = False
        self._fatal: WechatSetupError | None = None
        self._reached_ready = False
        self._last_problem = "not connected yet"

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self, on_event: EventSink) -> None:
        """Connect and return once the gateway's WeChat account is logged in and ready.

        Until then it keeps retrying (the gateway may still be starting); after
        ``login_timeout`` it gives up with a ``WechatSetupError`` saying what was wrong.
        A token the gateway refuses fails at once.
        """
        if self._supervisor is not None:
            raise RuntimeError("WechatAdapter is already started")
        self._guard_logs()
        self._sink = on_event
        self._stopping = False
        self._fatal = None
        self._consumer = asyncio.create_task(self._consume(), name="wechat-events")
        self._supervisor = asyncio.create_task(self._supervise(), name="wechat-connection")
        try:
            await self._wait_until_connected()
        except BaseException:  # including the caller cancelling start()
            await self.stop()
            raise
        log.info("wechat: connected to %s as %s (%s)", self.endpoint, self.self_name, self.self_id)

    async def _wait_until_connected(self) -> None:
        deadline = time.monotonic() + self._options.login_timeout
        while not self.connected:
            if self._fatal is not None:
                raise self._fatal
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WechatSetupError(
                    f"the WeChat gateway at {self.endpoint} was not ready within "
                    f"{self._options.login_timeout:.0f}s: {self._last_problem}"
                )
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 1.0))

    async def stop(self) -> None:
        """Disconnect (the gateway and its WeChat session keep running)."""
        self._stopping = True
        consumer, supervisor = self._consumer, self._supervisor
        self._consumer = self._supervisor = None
        if consumer is not None and self.connected and not self._queue.empty():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), timeout=self._options.drain_seconds)
        tasks = [task for task in (supervisor, consumer) if task is not None]
        tasks += self._retrying.values()
        for task in tasks:
            task.cancel()
        if tasks:
            # Bounded: after a logout grpclib can sit on a dead stream and ignore the
            # cancellation for a long time; stopping the bot must not wait for it.
            _, stuck = await asyncio.wait(tasks, timeout=self._options.call_timeout)
            if stuck:
                log.warning("wechat: %d task(s) did not stop in time; left behind", len(stuck))
        self._close(self._conn)
        self._conn = None
        self._connected.clear()
        self._sink = None

    # -- connection supervision ---------------------------------------------------------

    async def _supervise(self) -> None:
        attempt = 0
        while not self._stopping:
            self._reached_ready = False
            try:
                await self._run_connection()
                reason = "the gateway closed the event stream"
            except _ConnectionLost as exc:
                reason = str(exc)
            except WechatSetupError as exc:
                reason = str(exc)
                if not self.self_id:  # never connected: start() reports it
                    self._fatal = exc
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = _describe(exc)
                log.debug("wechat: connection failed", exc_info=True)
            finally:
                conn, self._conn = self._conn, None
                self._close(conn)
            self._last_problem = reason
            await self._set_connected(False, reason)
            if self._stopping or self._fatal is not None:
                self._changed.set()
                return
            attempt = 0 if self._reached_ready else attempt + 1
            delay = _backoff(attempt, self._options.backoff_initial, self._options.backoff_max)
            self._next_attempt_at = time.monotonic() + delay
            log.warning(
                "wechat: no connection to the gateway at %s (%s); retrying in %.1fs",
                self.endpoint,
                reason,
                delay,
            )
            self._changed.set()
            await asyncio.sleep(delay)

    async def _run_connection(self) -> None:
        """One connection, from the TCP check to its end."""
        await self._probe()
        conn = self._connect()
        self._conn = conn
        reader = asyncio.create_task(self._read_events(conn), name="wechat-stream")
        tasks = [reader]
        try:
            await self._await_first_event(conn, reader)
            # Workaround 3: ``PuppetService.start()`` never returns (it *is* the event
            # stream) and first calls the gateway's ``stop``, which restarts the gateway's
            # WeChat session on every connect (the mock puppet logs out). The adapter opens
            # the event stream itself, as a task (above), then calls the gateway's ``start``
            # (a no-op on a running puppet), like the Node client does.
            await self._call(conn.stub.start())
            self._last_problem = (
                "the gateway's WeChat account is not logged in (scan the QR code it shows)"
            )
            tasks.append(asyncio.create_task(self._track_login(conn), name="wechat-login"))
            tasks.append(asyncio.create_task(self._watchdog(conn), name="wechat-watchdog"))
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # raises what ended the connection
        except GRPCError as exc:
            raise self._grpc_setup_error(exc) from None
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _await_first_event(self, conn: _Connection, reader: asyncio.Task[None]) -> None:
        # Gateways since puppet-service 0.30 say hello (a heartbeat) as soon as the stream
        # is open, so `start` cannot overtake it; an error such as a refused token ends the
        # reader instead. Older gateways say nothing: like the Node client, go on after
        # connect_timeout.
        waiter = asyncio.create_task(conn.first_event.wait())
        done, _ = await asyncio.wait(
            {waiter, reader},
            timeout=self._options.connect_timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        waiter.cancel()
        if reader in done:
            reader.result()
            raise _ConnectionLost("the gateway closed the event stream at once")

    async def _read_events(self, conn: _Connection) -> None:
        try:
            async with contextlib.aclosing(conn.stub.event()) as stream:
                async for response in stream:
                    conn.last_event = time.monotonic()
                    conn.first_event.set()
                    self._on_stream_event(conn, int(response.type), response.payload)
        except (StreamTerminatedError, OSError) as exc:
            raise _ConnectionLost(f"lost the gateway: {_describe(exc)}") from None

    def _on_stream_event(self, conn: _Connection, kind: int, raw: str) -> None:
        try:
            payload = json.loads(raw) if raw else {}
        except ValueError:
            log.warning("wechat: unreadable event %s from the gateway", kind)
            return
        if not isinstance(payload, dict):
            payload = {}
        if kind == EventType.EVENT_TYPE_LOGIN:
            conn.self_id = str(payload.get("contactId") or "")
            conn.logged_out.clear()
            conn.logged_in.set()
        elif kind == EventType.EVENT_TYPE_LOGOUT:
            conn.logged_in.clear()
            conn.ready.clear()
            conn.logged_out.set()
        elif kind == EventType.EVENT_TYPE_READY:
            conn.ready.set()
        elif kind == EventType.EVENT_TYPE_SCAN:
            log.warning(
                "wechat: the gateway's WeChat account is not logged in; scan its QR code "
                "(status %s): %s",
                payload.get("status"),
                payload.get("qrcode") or "",
            )
        elif kind == EventType.EVENT_TYPE_ERROR:
            detail = str(payload.get("gerror") or payload.get("data") or raw)
            log.warning("wechat: the gateway reports an error: %s", detail[:300])
        elif kind == EventType.EVENT_TYPE_DIRTY:
            self._forget(str(payload.get("payloadId") or ""))
        elif kind == EventType.EVENT_TYPE_ROOM_INVITE:
            log.info("wechat: invited to a room; accept the invitation in WeChat")
        elif kind in (
            EventType.EVENT_TYPE_MESSAGE,
            EventType.EVENT_TYPE_ROOM_JOIN,
            EventType.EVENT_TYPE_ROOM_LEAVE,
            EventType.EVENT_TYPE_ROOM_TOPIC,
        ):
            self._queue.put_nowait(_RawEvent(kind, payload))
        # heartbeat, dong, friendship, reset: only keep the watchdog fed (above)

    async def _track_login(self, conn: _Connection) -> None:
        while True:
            await conn.logged_in.wait()
            with contextlib.suppress(TimeoutError):
                # The mock puppet and some real ones never say `ready`: logged in is enough
                # after a grace period.
                await asyncio.wait_for(conn.ready.wait(), timeout=self._options.ready_grace)
            if not conn.logged_in.is_set():
                continue
            await self._load_identity(conn)
            await self._read_rooms(conn)
            self._logged_out = False
            self._reached_ready = True
            await self._set_connected(True, f"logged in as {self.self_name or self.self_id}")
            await conn.logged_out.wait()
            self._logged_out = True
            self._last_problem = "the WeChat account logged out"
            await self._set_connected(False, "the WeChat account logged out of the gateway")

    async def _load_identity(self, conn: _Connection) -> None:
        self.self_id = conn.self_id
        try:
            contact = await self._call(conn.puppet.contact_payload(conn.self_id))
            self.self_name = str(contact.name or "")
        except (GRPCError, TimeoutError) as exc:
            log.warning("wechat: could not read the bot's own name: %s", _describe(exc))

    async def _read_rooms(self, conn: _Connection) -> None:
        """The account's rooms, told to ``on_rooms`` before the account counts as ready,
        so every room is known before anyone speaks in it."""
        listener = self.on_rooms
        if listener is None:
            return
        try:
            listed = await self._call(conn.stub.room_list())
            ids = [str(room_id) for room_id in listed.ids or ()]
            self._rooms.update(ids)
            rooms = [(room_id, await self._room_topic(conn, room_id)) for room_id in ids]
            await listener(rooms)
        except (GRPCError, TimeoutError, OSError, StreamTerminatedError) as exc:
            log.warning("wechat: could not read the account's rooms: %s", _describe(exc))
        except Exception:
            log.exception("wechat: the account's rooms could not be recorded")

    async def _watchdog(self, conn: _Connection) -> None:
        # A connection can die without a word (a NAT dropping it); ding/dong finds out.
        options = self._options
        while True:
            silent_for = time.monotonic() - conn.last_event
            if silent_for < options.ping_interval:
                await asyncio.sleep(options.ping_interval - silent_for)
                continue
            pinged_at = time.monotonic()
            try:
                await self._call(conn.stub.ding(data="jingmin"))
            except (GRPCError, TimeoutError, OSError, StreamTerminatedError) as exc:
                raise _ConnectionLost(
                    f"the gateway did not answer a ding: {_describe(exc)}"
                ) from None
            await asyncio.sleep(options.ping_timeout)
            if conn.last_event < pinged_at:
                raise _ConnectionLost(
                    f"the gateway sent nothing for {time.monotonic() - pinged_at:.0f}s after a ding"
                )

    async def _set_connected(self, connected: bool, reason: str) -> None:
        if connected == self.connected:
            return
        if connected:
            self._connected.set()
            log.info("wechat: connection to the gateway at %s is up: %s", self.endpoint, reason)
        else:
            self._connected.clear()
            log.warning(
                "wechat: connection to the gateway at %s is down: %s", self.endpoint, reason
            )
        self._changed.set()
        listener = self.on_connection_change
        if listener is None:
            return
        try:
            await asyncio.wait_for(listener(connected, reason), timeout=self._options.call_timeout)
        except Exception:
            log.exception("wechat: on_connection_change failed")

    def _grpc_setup_error(self, exc: GRPCError) -> Exception:
        if exc.status == Status.UNAUTHENTICATED:
            return WechatSetupError(
                f"the WeChat gateway at {self.endpoint} refused the token in "
                f"{self.token_env}; check it matches the gateway's token"
            )
        if exc.status == Status.ALREADY_EXISTS:
            # A gateway serves one event stream at a time: our previous one not yet gone,
            # or another bot connected to the same gateway.
            return _ConnectionLost(
                "the gateway already has a client on its event stream (another bot on the "
                "same gateway, or our last connection not yet closed)"
            )
        return _ConnectionLost(f"the gateway failed: {_describe(exc)}")

    # -- events -------------------------------------------------------------------------

    async def _consume(self) -> None:
        """One event at a time, in the gateway's order, across reconnections."""
        while True:
            raw = await self._queue.get()
            try:
                await self._deliver(await self._resolve_with_retry(raw))
            finally:
                self._queue.task_done()

    async def _deliver(self, event: Event | None) -> None:
        sink = self._sink
        if event is not None and sink is not None:
            try:
                await sink(event)
            except Exception:
                log.exception("wechat: handling %s failed", type(event).__name__)

    async def _resolve_with_retry(self, raw: _RawEvent) -> Event | None:
        # An event outlives a lost connection: it waits for the next one and is read again.
        attempt = 0
        while attempt < self._options.resolve_attempts:
            await self._connected.wait()
            conn = self._conn
            if conn is None:
                await asyncio.sleep(0.1)
                continue
            attempt += 1
            try:
                return await self._resolve(conn, raw)
            except GRPCError as exc:
                if raw.kind == EventType.EVENT_TYPE_MESSAGE:
                    self._read_later(raw, exc)  # off the queue: later messages go on
                    return None
                log.warning("wechat: the gateway could not describe an event: %s", _describe(exc))
                return None
            except (OSError, StreamTerminatedError, TimeoutError) as exc:
                log.info(
                    "wechat: reading an event failed (%s), attempt %d", _describe(exc), attempt
                )
                await self._settle(conn)
            except Exception:
                log.exception("wechat: could not read an event: %s", raw.payload)
                return None
        log.error("wechat: dropped an event after %d attempts: %s", attempt, raw.payload)
        return None

    def _read_later(self, raw: _RawEvent, exc: GRPCError) -> None:
        """A message the gateway announced but cannot describe yet: read again in the
        background with a capped backoff. What it becomes goes to the sink like any event,
        so the update ledger handles it once however often the gateway announces it."""
        message_id = str(raw.payload.get("messageId") or "")
        if not message_id or message_id in self._retrying:
            return
        log.info("wechat: no payload yet for message %s (%s)", message_id, _describe(exc))
        task = asyncio.create_task(self._read_again(raw, message_id), name="wechat-payload")
        self._retrying[message_id] = task
        task.add_done_callback(lambda _: self._retrying.pop(message_id, None))

    async def _read_again(self, raw: _RawEvent, message_id: str) -> None:
        options = self._options
        problem = ""
        for attempt in range(1, options.payload_attempts + 1):
            await asyncio.sleep(
                _backoff(attempt, options.payload_retry_initial, options.payload_retry_max)
            )
            await self._connected.wait()
            conn = self._conn
            if conn is None:
                continue
            try:
                event = await self._resolve(conn, raw)
            except (GRPCError, OSError, StreamTerminatedError, TimeoutError) as exc:
                problem = _describe(exc)
                continue
            await self._deliver(event)
            return
        self.lost_messages += 1
        log.error(
            "wechat: message %s lost: the gateway announced it but gave no payload in %d "
            "tries (%s); %d lost since start",
            message_id,
            options.payload_attempts + 1,
            problem,
            self.lost_messages,
        )

    async def _settle(self, conn: _Connection) -> None:
        """After a failed call: wait until the connection is replaced, or proves alive."""
        failed_at = time.monotonic()
        options = self._options
        limit = failed_at + options.ping_interval + options.ping_timeout + options.call_timeout
        while self._conn is conn and self.connected and time.monotonic() < limit:
            if conn.last_event > failed_at:
                return  # the gateway still talks on it (a heartbeat, a dong): retry now
            await asyncio.sleep(0.05)


def _backoff(attempt: int, initial: float, cap: float) -> float:
    """Exponential backoff with a little jitter, so many bots don't reconnect in step."""
    if attempt <= 0:
        return min(initial, cap)
    delay = initial * 2.0 ** min(attempt - 1, 30)  # no float overflow after days down
    return min(cap, delay * random.uniform(0.9, 1.1))
