"""WeChat end-to-end fixtures: the Node Wechaty gateway (mock puppet) and the real adapter.

The gateway is ``tests/wechat_gateway/gateway.mjs``; its Node packages install from the
committed lock file (``npm ci``) the first time a test needs them. The test drives the
WeChat side through the gateway's HTTP control channel, on 127.0.0.1 like everything else.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.config import Settings
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
GATEWAY_DIR = ROOT / "tests" / "wechat_gateway"
GATEWAY_TOKEN = "insecure_jingmin_e2e"
BOT_ID = "wxid_jingmin_bot"
BOT_NAME = "警民助手"
_STAMP = GATEWAY_DIR / "node_modules" / ".jingmin-installed"


def install_gateway() -> None:
    """``npm ci`` from the committed lock file, once per lock file version."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed for the WeChat gateway (tests/wechat_gateway)")
    lock = hashlib.sha256((GATEWAY_DIR / "package-lock.json").read_bytes()).hexdigest()
    if _STAMP.exists() and _STAMP.read_text() == lock:
        return
    result = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=GATEWAY_DIR,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"npm ci in {GATEWAY_DIR} failed:\n{result.stdout}\n{result.stderr}")
    _STAMP.write_text(lock)


@dataclass
class WechatGateway:
    """One gateway process: gRPC for the bot, an HTTP control channel for the test."""

    workdir: Path
    port: int = field(default_factory=free_port)
    token: str = GATEWAY_TOKEN
    state_file: Path | None = None
    sent_log: Path | None = None  # what the bot sent, kept across a kill (``sent()``)
    process: subprocess.Popen[bytes] | None = None
    control_url: str = ""
    starts: int = 0
    bot_id: str = BOT_ID  # the gateway's WeChat account
    bot_name: str = BOT_NAME

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    # -- process ------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        self.launch()
        self.wait_until_listening(timeout)

    def _output(self) -> tuple[Path, Path]:
        name = f"gateway-{self.port}-{self.starts}"
        return self.workdir / f"{name}.out", self.workdir / f"{name}.err"

    def launch(self) -> None:
        """Start the process without waiting for it (several start side by side)."""
        assert self.process is None, "already running"
        self.starts += 1
        out, err = self._output()
        command = [
            "node",
            "--no-deprecation",
            str(GATEWAY_DIR / "gateway.mjs"),
            "--port",
            str(self.port),
            "--control-port",
            "0",
            "--token",
            self.token,
            "--bot-id",
            self.bot_id,
            "--bot-name",
            self.bot_name,
        ]
        if self.state_file is not None:
            command += ["--state", str(self.state_file)]
        if self.sent_log is not None:
            command += ["--sent-log", str(self.sent_log)]
        with out.open("wb") as stdout, err.open("wb") as stderr:
            self.process = subprocess.Popen(
                command, cwd=GATEWAY_DIR, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
            )

    def wait_until_listening(self, timeout: float = 60.0) -> None:
        assert self.process is not None, "not launched"
        out, err = self._output()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in out.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("{"):
                    info = json.loads(line)
                    if info.get("event") == "listening":
                        self.control_url = f"http://127.0.0.1:{info['controlPort']}"
                        return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.kill()
        problem = err.read_text(encoding="utf-8", errors="replace")
        raise RuntimeError(f"the WeChat gateway did not start:\n{problem}")

    def kill(self) -> None:
        """Like a crash: SIGKILL, no goodbye to the bot."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None

    # -- control channel ----------------------------------------------------------------

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        async with (
            aiohttp.ClientSession() as http,
            http.request(method, self.control_url + path, json=body) as response,
        ):
            data = await response.json()
            if response.status != 200:
                raise AssertionError(f"gateway {method} {path}: {data}")
            return data

    async def add_contact(
        self, name: str, contact_id: str | None = None, *, friend: bool = False
    ) -> str:
        """A contact; ``friend``: in the account's contact list (it can write to them)."""
        contact_id = contact_id or f"wxid_{uuid.uuid4().hex[:10]}"
        body = {"id": contact_id, "name": name, "friend": friend}
        await self._request("POST", "/contacts", body)
        return contact_id

    async def add_room(
        self,
        topic: str,
        member_ids: list[str],
        *,
        with_bot: bool = True,
        room_id: str | None = None,
    ) -> str:
        room_id = room_id or f"{uuid.uuid4().int % 10**11}@chatroom"
        body = {"id": room_id, "topic": topic, "memberIds": member_ids, "withBot": with_bot}
        await self._request("POST", "/rooms", body)
        return room_id

    async def add_to_room(self, room_id: str, invitee_ids: list[str], inviter_id: str) -> None:
        body = {"roomId": room_id, "inviteeIds": invitee_ids, "inviterId": inviter_id}
        await self._request("POST", "/rooms/add", body)

    async def say(
        self,
        sender_id: str,
        text: str,
        *,
        room_id: str | None = None,
        mention_bot: bool = False,
        mention_ids: tuple[str, ...] = (),
    ) -> str:
        """``sender_id`` says ``text`` in the room, or privately to the bot; the message id."""
        body: dict[str, Any] = {"from": sender_id, "text": text, "mentionBot": mention_bot}
        if room_id is not None:
            body["roomId"] = room_id
        if mention_ids:
            body["mentionIds"] = list(mention_ids)
        return str((await self._request("POST", "/say", body))["messageId"])

    async def post_picture(
        self, sender_id: str, data: bytes, *, room_id: str | None = None, name: str = "picture.png"
    ) -> str:
        """``sender_id`` posts the picture ``data`` (png or jpeg, as ``name`` says) in the
        room, or privately to the bot; the message id (the bot fetches it by that id)."""
        body: dict[str, Any] = {
            "from": sender_id,
            "base64": base64.b64encode(data).decode("ascii"),
            "name": name,
        }
        if room_id is not None:
            body["roomId"] = room_id
        return str((await self._request("POST", "/picture", body))["messageId"])

    async def sent(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Everything the bot sent since this gateway process started (with ``sent_log``:
        since the first start, kills included)."""
        messages: list[dict[str, Any]] = await self._request("GET", "/sent")
        if conversation_id is None:
            return messages
        return [m for m in messages if m["conversationId"] == conversation_id]

    async def wait_sent(
        self,
        conversation_id: str,
        where: Callable[[dict[str, Any]], bool] = lambda _: True,
        within: float = 5.0,
    ) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                for message in await self.sent(conversation_id):
                    if where(message):
                        return message
                await asyncio.sleep(0.05)

    async def state(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._request("GET", "/state")
        return result

    async def logout(self) -> None:
        await self._request("POST", "/logout", {})

    async def login(self) -> None:
        await self._request("POST", "/login", {})

    async def delay_payloads(self, seconds: float) -> None:
        """Messages said from now on are announced at once but their payload is "not found"
        for ``seconds`` (as from a gateway still syncing after a restart); 0 clears it."""
        await self._request("POST", "/payload-delay", {"seconds": seconds})

    async def refuse_sends(self, message: str | None, *, to: str | None = None) -> None:
        """Every send fails with ``message`` (None: sends work again); ``to``: only sends
        to that room or contact."""
        body: dict[str, Any] = {"message": message}
        if to is not None:
            body["conversationId"] = to
        await self._request("POST", "/refuse", body)

    async def hold_send(self, to: str, seconds: float, *, taken_first: bool) -> None:
        """The next text sent to ``to`` is held open ``seconds`` before the bot hears back:
        recorded in ``sent()`` first (``taken_first``: the room has it) or only after."""
        body = {"conversationId": to, "seconds": seconds, "takenFirst": taken_first}
        await self._request("POST", "/hold-send", body)

    async def wait_holding(self, within: float = 10.0) -> None:
        """Until a send is being held open (``hold_send``)."""
        async with asyncio.timeout(within):
            while True:
                if (await self.state())["holding"]:
                    return
                await asyncio.sleep(0.02)


@pytest.fixture(scope="session")
def wechat_gateway_installed() -> None:
    pytest.importorskip(
        "wechaty_puppet_service",
        reason="the `wechat` extra is not installed (pip install -e '.[wechat]')",
    )
    install_gateway()


@pytest.fixture(scope="module")
def wechat_gateway(
    wechat_gateway_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WechatGateway]:
    """One gateway for a test module; tests keep apart by using fresh contacts and rooms."""
    gateway = WechatGateway(tmp_path_factory.mktemp("wechat-gateway"))
    gateway.start()
    yield gateway
    gateway.stop()


@pytest.fixture
def wechat_gateway_of_my_own(
    wechat_gateway_installed: None, tmp_path: Path
) -> Iterator[WechatGateway]:
    """A gateway for one test (to kill and restart), keeping its rooms in a state file."""
    gateway = WechatGateway(tmp_path, state_file=tmp_path / "gateway-state.json")
    gateway.start()
    yield gateway
    gateway.stop()


ACCOUNTS = ("a", "b", "c")  # the mock WeChat accounts of the several-account tests


@contextlib.contextmanager
def account_gateways(workdir_of: Callable[[str], Path]) -> Iterator[dict[str, WechatGateway]]:
    """One gateway process per account, each logged in as its own WeChat account, started
    side by side; ``workdir_of(account)`` is where each keeps its output and rooms."""
    started: dict[str, WechatGateway] = {}
    try:
        for account in ACCOUNTS:
            workdir = workdir_of(account)
            gateway = WechatGateway(
                workdir,
                state_file=workdir / "state.json",  # rooms kept when a test kills it
                bot_id=f"wxid_bot_{account}",
                bot_name=f"警民助手{account}",
            )
            gateway.launch()
            started[account] = gateway
        for gateway in started.values():
            gateway.wait_until_listening()
        yield started
    finally:
        for gateway in started.values():
            gateway.stop()


@pytest.fixture(scope="module")
def gateways(
    wechat_gateway_installed: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, WechatGateway]]:
    """The accounts' gateways, shared by a test module (tests keep to rooms of their own)."""
    with account_gateways(lambda account: tmp_path_factory.mktemp(f"gateway-{account}")) as g:
        yield g


async def rooms_on(gateways: dict[str, WechatGateway], plan: dict[str, range]) -> list[str]:
    """Rooms numbered 0..n; ``plan`` says which each account is in. Returns their ids."""
    count = max(max(r) for r in plan.values()) + 1
    rooms = [f"{uuid.uuid4().int % 10**11}@chatroom" for _ in range(count)]
    for account, numbers in plan.items():
        gateway = gateways[account]
        resident = await gateway.add_contact("居民", f"wxid_resident_{account}")
        for i in numbers:
            await gateway.add_room(f"幸福里{i}号楼", [resident], room_id=rooms[i])
    return rooms


async def sent_by(gateways: dict[str, WechatGateway], rooms: list[str]) -> dict[str, list[str]]:
    wanted = set(rooms)
    return {
        a: [m["conversationId"] for m in await g.sent() if m["conversationId"] in wanted]
        for a, g in gateways.items()
    }


def fast_wechat_options() -> Any:
    from bot.adapters.wechat import WechatOptions

    return WechatOptions(
        connect_timeout=5.0,
        call_timeout=5.0,
        login_timeout=30.0,
        ready_grace=1.0,
        backoff_initial=0.2,
        backoff_max=1.0,
        ping_interval=30.0,
        ping_timeout=5.0,
        drain_seconds=0.5,
    )


class ConnectionLog:
    """An ``on_connection_change`` listener that records and lets a test wait."""

    def __init__(self) -> None:
        self.changes: list[tuple[bool, str]] = []
        self._changed = asyncio.Event()

    async def __call__(self, connected: bool, reason: str) -> None:
        self.changes.append((connected, reason))
        self._changed.set()

    async def wait_for(self, connected: bool, within: float = 10.0) -> str:
        """The reason of the next recorded change to ``connected``; consumed once returned."""
        async with asyncio.timeout(within):
            while True:
                for index, (state, reason) in enumerate(self.changes):
                    if state is connected:
                        del self.changes[: index + 1]
                        return reason
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
def connection_log() -> ConnectionLog:
    return ConnectionLog()


@pytest.fixture
async def wechat_adapter(
    wechat_gateway: WechatGateway, inbox: Any, connection_log: ConnectionLog
) -> AsyncIterator[Any]:
    """A started ``WechatAdapter`` on the module's gateway; events land in ``inbox``."""
    from bot.adapters.wechat import WechatAdapter

    adapter = WechatAdapter(
        wechat_gateway.endpoint,
        wechat_gateway.token,
        options=fast_wechat_options(),
        on_connection_change=connection_log,
    )
    await adapter.start(inbox)
    yield adapter
    await adapter.stop()


__all__ = [
    "ACCOUNTS",
    "BOT_ID",
    "BOT_NAME",
    "GATEWAY_TOKEN",
    "ConnectionLog",
    "WechatGateway",
    "account_gateways",
    "connection_log",
    "fast_wechat_options",
    "gateways",
    "rooms_on",
    "sent_by",
    "wechat_adapter",
    "wechat_gateway",
    "wechat_gateway_installed",
    "wechat_gateway_of_my_own",
]


@contextlib.asynccontextmanager
async def running_bot(
    gateway: WechatGateway, settings: Settings, connection_log: ConnectionLog
) -> AsyncIterator[None]:
    """The real bot (`run_bot`) on the gateway, connected, until the block ends."""
    from bot.adapters.wechat import WechatAdapter
    from bot.runtime import run_bot

    adapter = WechatAdapter(
        gateway.endpoint,
        gateway.token,
        options=fast_wechat_options(),
        on_connection_change=connection_log,
    )
    stop = asyncio.Event()
    bot = asyncio.create_task(run_bot(settings, {"wechat": adapter}, stop=stop))
    try:
        await connection_log.wait_for(True, within=30)
        yield
    finally:
        stop.set()
        await asyncio.wait_for(bot, 30)
