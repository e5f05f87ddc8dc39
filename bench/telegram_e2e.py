"""Messages per second and reply latency of the Telegram bot, next to a bare PTB bot.

    .venv/bin/python bench/telegram_e2e.py [--burst 2000] [--rate 100] [--seconds 10]
                      [--groups 50] [--rounds 2] [--bare-reply ok|answer]
                      [--bare-transport httpx|aiohttp] [--stub-domain] [--profile FILE]

What runs where (no bot shares an event loop with the server or with the other bot):

- this process: the fake Bot API server (``tests.fakes.telegram_server.FakeTelegram``,
  aiohttp on 127.0.0.1, port 0) and the load driver, which injects residents' messages by
  calling the fake's ``user_says`` directly, in the server's own process and loop. There are
  two instances of the fake, one per bot (one fake models one bot token; two bots polling
  one token would get 409 Conflict), so both bots can stay up and take turns;
- the bare bot: a minimal PTB ``Application`` (written to a temp file) with one
  ``MessageHandler`` that replies "ok" to every text message, as a reply to it, with the
  same base URL, long-poll time, timeouts, number of updates handled at once
  (``concurrent_updates``; ours also keeps each chat's in order) and allowed updates as
  our adapter (``bot.adapters.telegram.PollingOptions`` defaults, as `jingmin run` uses);
- our bot: ``python -m bot run --config <temp config>`` with JINGMIN_TELEGRAM_TOKEN in the
  environment, unchanged: PTB -> adapter -> dedup row in SQLite -> dispatcher -> guard,
  matcher -> station-rendered FAQ answer -> sendMessage. The config has a temp SQLite
  database, one station, one officer and ``repeat_window_seconds = 0`` (otherwise the same
  FAQ in the same group within 10 minutes gets no second answer) and Telegram's send
  limits raised out of the way (they would cap replies at 30/s). The officer first sends
  /bind in each of the 50 groups.

Each bot is warmed up (2 s at ``--rate``, every message must get its reply), then the
bots take turns, ``--rounds`` times each, so that a change in the machine's background
load hits both alike:

1. throughput: ``--burst`` messages in all, injected as fast as the driver can (slices of
   50, yielding to the server between slices); messages/s = replies / (last reply accepted
   - first message injected), summed over the rounds;
2. latency: an open-loop schedule of ``--rate`` messages/s, ``--seconds`` s in all; latency
   of a message = time the fake accepted the sendMessage replying to it (``SentMessage.at``)
   - time the driver injected it. Both stamps are ``time.monotonic()`` taken in this one
   process, so no clocks are mixed (on Linux it is CLOCK_MONOTONIC, system-wide anyway).

Messages are answerable FAQ questions, spread round-robin over the groups and 20 residents.
Bot CPU time comes from /proc/<pid>/stat (utime + stime, all threads), peak RSS from
/proc/<pid>/status (VmHWM); the fake server's own CPU is this process's
``time.process_time()``; "other processes" is /proc/stat's busy time minus both. Targets
(issue 3): our throughput >= 0.7 x the bare bot's, and p99 < 50 ms at 100 messages/s.
Exit status 1 when a bot does not start or replies go missing; missed targets only show
as ✗. Total time about a minute and a half on an idle 2-core machine.

``--bare-reply answer`` makes the bare bot send a text as long as a typical FAQ answer
instead of "ok", which shows how much of the gap is only the size of the reply.
``--bare-transport aiohttp`` gives the bare bot the HTTP transport jingmin's adapter uses
(``bot.adapters.telegram_http``) instead of PTB's default httpx, which separates what the
transport buys from the cost of everything else.
``--stub-domain`` adds a third bot, ours with the FAQ decision and the guard replaced by
constant stubs (``bench/stub_domain_bot.py``: the same process otherwise), taking turns with
the other two: the difference to ours is what the mandated domain work costs, the
difference to the bare bot what everything else (ledger, dispatcher, answer rows...) costs.
``--profile FILE`` runs our bot under cProfile (slower, so its figures are not the
benchmark's), writes the stats to FILE and prints the top functions. cProfile sees only
the main thread: the dedup insert runs in ``asyncio.to_thread`` and shows as waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Each of these is answered by the matcher without being addressed (checked in warm-up).
QUESTIONS = (
    "身份证丢了咋补办",
    "良民证咋开",
    "居住证怎么办",
    "护照怎么办理",
    "驾照到期了怎么换",
    "无犯罪记录证明怎么开",
    "新生儿上户口要带啥",
    "身份证到期换证去哪里",
    "临时身份证怎么办",
    "港澳通行证怎么续签",
    "暂住证怎么办理",
    "身份证补办要多少钱",
    "开无犯罪证明需要什么",
    "居住证到期了咋续签",
    "狗证去哪办",
    "出租房要登记吗",
    "户口本找不着了 咋补",
    "新买的电动车去哪上牌",
    "派出所电话多少",
)
RESIDENTS = 20
WARMUP_SECONDS = 2.0
SLICE = 50  # burst messages injected between two yields to the server's loop
P99_TARGET_MS = 50.0
THROUGHPUT_RATIO_TARGET = 0.7
# --bare-reply answer: the bare bot sends a text as long as a typical FAQ answer (~270
# characters) instead of "ok", to show how much of the gap is only the size of the reply.
LONG_REPLY = (
    "身份证丢了，按这几步办：\n\n"
    "1. 挂失：到派出所或户政窗口申报挂失，不少地方也能在公安的App、小程序上挂失，防止被别人冒用。\n"
    "2. 补领：本人到场，带户口簿，现场拍照、采指纹，工本费40元。"
    "户口在外地的，也可以在现居住地异地补领。\n"
    "3. 急用：可同时申请临时身份证（工本费10元）。坐火车可在车站公安制证窗口办临时乘车身份证明，"
    "或在铁路12306 App申请电子临时身份证明。\n"
    "4. 被偷被抢的请报警。担心被冒用办贷款，可留意个人征信记录。\n\n"
    "可到兴庆派出所（银川市兴庆区解放东街1号）办理，咨询电话0951-6000000。"
)

BARE_BOT = '''\
"""Bench reference: a bare PTB Application replying "ok" to every text message."""

import os
import sys
from datetime import timedelta

from telegram import ReplyParameters, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.message
    await context.bot.send_message(
        message.chat_id,
        REPLY,
        reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
    )


REPLY = sys.argv[8]


def main() -> None:
    base_url, base_file_url = sys.argv[1], sys.argv[2]
    timeout, long_poll, interval = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
    concurrent, allowed = int(sys.argv[6]), sys.argv[7].split(",")
    builder = (
        Application.builder()
        .token(os.environ["JINGMIN_TELEGRAM_TOKEN"])
        .base_url(base_url)
        .base_file_url(base_file_url)
        .job_queue(None)
        .concurrent_updates(concurrent)
    )
    if sys.argv[9] == "aiohttp":  # the transport jingmin's adapter uses
        from bot.adapters.telegram_http import on_aiohttp

        builder = on_aiohttp(builder, timeout)
    else:  # PTB's default, httpx
        builder = builder.connect_timeout(timeout).read_timeout(timeout).write_timeout(timeout)
        builder = builder.get_updates_connect_timeout(timeout).get_updates_read_timeout(timeout)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, reply))
    app.run_polling(
        poll_interval=interval,
        timeout=timedelta(seconds=long_poll),
        allowed_updates=allowed,
        drop_pending_updates=False,
    )


main()
'''

CONFIG = """\
[database]
url = "{db_url}"

[telegram]
enabled = true
api_base_url = "{api_base_url}"
# The bench measures how fast the bot can work, not Telegram's limits (30/s, 20/min per
# group), which the rate limiter would otherwise hold replies to.
max_messages_per_second = 1000000.0
max_messages_per_minute_per_group = 1000000
{telegram_extra}
[behaviour]
repeat_window_seconds = 0

[[stations]]
id = "xq"
name = "兴庆派出所"
address = "银川市兴庆区解放东街1号"
phone = "0951-6000000"
hours = "周一至周五 8:30-12:00、14:30-18:00"

[[officers]]
name = "王警官"
station = "xq"
telegram_id = "{officer}"
duty = true
"""


class BenchError(Exception):
    """A run could not be measured (bot did not start, replies missing); the text says why."""


def write_config(
    path: Path, *, db_url: str, api_base_url: str, officer: int, telegram_extra: str = ""
) -> Path:
    """Our bot's config: one station, one officer, ``repeat_window_seconds = 0``;
    ``telegram_extra`` is more ``[telegram]`` keys, one per line."""
    path.write_text(
        CONFIG.format(
            db_url=db_url,
            api_base_url=api_base_url,
            officer=officer,
            telegram_extra=telegram_extra,
        ),
        encoding="utf-8",
    )
    return path


# -- the bot processes ----------------------------------------------------------------------


def busy_cpu_seconds() -> float:
    """CPU time all processes on the machine have used since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads) from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class BotProcess:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    cwd: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0

    def start(self) -> None:
        self.started_at = time.monotonic()
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def stop(self) -> int | None:
        """SIGTERM, waited for off the loop: the fake server must keep answering meanwhile."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return await asyncio.to_thread(self.process.wait, 30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                await asyncio.to_thread(self.process.wait, 5)
                return None
        return self.process.returncode

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


# -- load ----------------------------------------------------------------------------------


@dataclass
class Phase:
    """One batch of injected messages and the replies matched to them."""

    injected: dict[tuple[int, int], float] = field(default_factory=dict)  # (chat, msg) -> t
    texts: dict[tuple[int, int], str] = field(default_factory=dict)
    unanswered: set[tuple[int, int]] = field(default_factory=set)
    latencies_ms: list[float] = field(default_factory=list)
    scanned: int = 0  # index into the fake's sent list: replies before it are matched
    first_injected_at: float = 0.0
    last_injected_at: float = 0.0
    last_reply_at: float = 0.0
    wrong_text: int = 0

    @property
    def count(self) -> int:
        return len(self.injected)

    @property
    def replies(self) -> int:
        return len(self.latencies_ms)


class Driver:
    """Injects residents' questions into the fake server and matches the bot's replies."""

    def __init__(self, server: Any, groups: list[int], residents: list[int]) -> None:
        self.server, self.groups, self.residents = server, groups, residents
        self._next = 0

    def inject(self, phase: Phase) -> None:
        i = self._next
        self._next += 1
        chat = self.groups[i % len(self.groups)]
        user = self.residents[(i // len(self.groups)) % len(self.residents)]
        text = QUESTIONS[i % len(QUESTIONS)]
        at = time.monotonic()
        key = (chat, self.deliver(chat, user, text))
        phase.injected[key] = at
        phase.texts[key] = text
        phase.unanswered.add(key)
        phase.first_injected_at = phase.first_injected_at or at
        phase.last_injected_at = at

    def deliver(self, chat: int, user: int, text: str) -> int:
        """Hand the message to the bot (here: queue it for getUpdates); its message id."""
        message_id: int = self.server.user_says(chat, user, text)["message_id"]
        return message_id

    async def burst(self, n: int) -> Phase:
        phase = Phase(scanned=len(self.server.sent))
        for start in range(0, n, SLICE):
            for _ in range(min(SLICE, n - start)):
                self.inject(phase)
            await asyncio.sleep(0)
        return phase

    async def steady(self, rate: float, seconds: float) -> Phase:
        """Open loop: message i is due at t0 + i/rate whatever the bot is doing."""
        phase = Phase(scanned=len(self.server.sent))
        t0 = time.monotonic() + 0.01
        for i in range(round(rate * seconds)):
            delay = t0 + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.inject(phase)
        return phase

    async def collect(
        self, phase: Phase, within: float, check: Callable[[str], bool] = lambda _: True
    ) -> Phase:
        """Wait for one reply per injected message (or the deadline), matching as they come."""
        deadline = time.monotonic() + within
        while True:
            sent = self.server.sent
            for message in sent[phase.scanned :]:
                key = (message.chat_id, message.reply_to_message_id)
                if key not in phase.unanswered:
                    continue
                phase.unanswered.discard(key)
                phase.latencies_ms.append((message.at - phase.injected[key]) * 1000)
                phase.last_reply_at = max(phase.last_reply_at, message.at)
                phase.wrong_text += not check(message.text)
            phase.scanned = len(sent)
            if not phase.unanswered or time.monotonic() > deadline:
                return phase
            await asyncio.sleep(0.01)


# -- results -------------------------------------------------------------------------------


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (nan when there are none)."""
    if not ordered:
        return float("nan")
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Result:
    """One bot's figures, summed over the rounds."""

    name: str
    bursts: list[Phase] = field(default_factory=list)
    steadies: list[Phase] = field(default_factory=list)
    startup_s: float = 0.0
    burst_cpu_s: float = 0.0
    steady_cpu_s: float = 0.0
    server_burst_cpu_s: float = 0.0
    others_cpu_s: float = 0.0  # everything else on the machine while this bot was measured
    measured_s: float = 0.0
    total_cpu_s: float = 0.0
    peak_rss_mb: float = 0.0
    exit_code: int | None = None

    @property
    def burst_replies(self) -> int:
        return sum(phase.replies for phase in self.bursts)

    @property
    def steady_replies(self) -> int:
        return sum(phase.replies for phase in self.steadies)

    @property
    def burst_rate(self) -> float:
        span = sum(phase.last_reply_at - phase.first_injected_at for phase in self.bursts)
        return self.burst_replies / span if span > 0 else 0.0

    @property
    def offered_rate(self) -> float:
        n = sum(phase.count - 1 for phase in self.steadies)
        span = sum(phase.last_injected_at - phase.first_injected_at for phase in self.steadies)
        return n / span if span > 0 else 0.0

    @property
    def latencies_ms(self) -> list[float]:
        return sorted(ms for phase in self.steadies for ms in phase.latencies_ms)

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)


@dataclass
class Contender:
    """A bot process, the fake server it talks to, and its load driver."""

    bot: BotProcess
    server: Any
    driver: Driver
    check: Callable[[str], bool]
    result: Result

    async def start(self, before: Callable[[], Awaitable[None]] | None = None) -> None:
        calls_before = len(self.server.calls)
        self.bot.start()
        await wait_polling(self.server, self.bot, calls_before, within=60)
        self.result.startup_s = time.monotonic() - self.bot.started_at
        if before is not None:
            await before()

    async def warm_up(self, rate: float) -> None:
        phase = await self.driver.steady(rate, WARMUP_SECONDS)
        _require(self.bot, "warm-up", await self.driver.collect(phase, 15, self.check))

    async def burst(self, n: int) -> None:
        machine, wall = busy_cpu_seconds(), time.monotonic()
        cpu, server_cpu = cpu_seconds(self.bot.pid), time.process_time()
        phase = await self.driver.collect(await self.driver.burst(n), max(30.0, n / 20), self.check)
        self._account(machine, wall, cpu, server_cpu, burst=True)
        _require(self.bot, "burst", phase)
        self.result.bursts.append(phase)

    async def steady(self, rate: float, seconds: float) -> None:
        await asyncio.sleep(0.3)  # back to idle long polling after the last phase
        machine, wall = busy_cpu_seconds(), time.monotonic()
        cpu, server_cpu = cpu_seconds(self.bot.pid), time.process_time()
        phase = await self.driver.collect(
            await self.driver.steady(rate, seconds), 15 + rate * seconds / 20, self.check
        )
        self._account(machine, wall, cpu, server_cpu, burst=False)
        _require(self.bot, "steady load", phase)
        self.result.steadies.append(phase)

    def _account(
        self, machine: float, wall: float, cpu: float, server_cpu: float, *, burst: bool
    ) -> None:
        bot_cpu = cpu_seconds(self.bot.pid) - cpu
        server = time.process_time() - server_cpu
        r = self.result
        if burst:
            r.burst_cpu_s += bot_cpu
            r.server_burst_cpu_s += server
        else:
            r.steady_cpu_s += bot_cpu
        r.others_cpu_s += busy_cpu_seconds() - machine - bot_cpu - server
        r.measured_s += time.monotonic() - wall

    async def finish(self) -> None:
        if self.bot.alive():
            self.result.total_cpu_s = cpu_seconds(self.bot.pid)
            self.result.peak_rss_mb = peak_rss_mb(self.bot.pid)
        self.result.exit_code = await self.bot.stop()


async def wait_polling(server: Any, bot: BotProcess, calls_before: int, within: float) -> None:
    """Until the bot has bootstrapped polling (deleteWebhook) and holds a getUpdates open."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not bot.alive():
            raise BenchError(f"{bot.name} exited at start:\n{bot.tail()}")
        bootstrapped = any(
            call.method.lower() == "deletewebhook" for call in server.calls[calls_before:]
        )
        if bootstrapped and server.waiting_polls > 0:
            return
        await asyncio.sleep(0.02)
    raise BenchError(f"{bot.name} did not start polling within {within:.0f}s:\n{bot.tail()}")


def _require(bot: BotProcess, what: str, phase: Phase) -> None:
    if phase.unanswered:
        texts = sorted({phase.texts[key] for key in phase.unanswered})
        raise BenchError(
            f"{bot.name}: {len(phase.unanswered)} of {phase.count} {what} messages got no "
            f"reply (texts: {'、'.join(texts)}; does the matcher still answer them?)\n"
            f"{bot.tail()}"
        )
    if phase.wrong_text:
        raise BenchError(f"{bot.name}: {phase.wrong_text} {what} replies were not FAQ answers")


# -- setup ---------------------------------------------------------------------------------


def bare_bot(tmp: Path, server: Any, env: dict[str, str], reply: str, transport: str) -> BotProcess:
    from bot.adapters.telegram import ALLOWED_UPDATES, PollingOptions, api_urls

    script = tmp / "bare_ptb_bot.py"
    script.write_text(BARE_BOT, encoding="utf-8")
    polling = PollingOptions()  # what `jingmin run` uses
    base_url, base_file_url = api_urls(server.api_base_url)
    argv = [
        sys.executable,
        str(script),
        base_url,
        base_file_url,
        str(polling.request_timeout),
        str(polling.long_poll_seconds),
        str(polling.poll_interval),
        str(polling.concurrent_updates),
        ",".join(ALLOWED_UPDATES),
        reply,
        transport,
    ]
    return BotProcess("bare PTB", argv, env, tmp / "bare.log", tmp)


def our_bot(
    tmp: Path,
    server: Any,
    env: dict[str, str],
    officer: int,
    profile: str | None,
    stub_domain: bool = False,
) -> BotProcess:
    """`jingmin run` (``stub_domain``: with stub FAQ and guard) on its own database."""
    name = "jingmin-stub" if stub_domain else "jingmin"
    config = write_config(
        tmp / f"{name}.toml",
        db_url=f"sqlite:///{tmp / f'{name}.db'}",
        api_base_url=server.api_base_url,
        officer=officer,
    )
    prefix = [sys.executable]
    if profile:
        prefix += ["-m", "cProfile", "-o", str(Path(profile).resolve())]
    program = [str(ROOT / "bench" / "stub_domain_bot.py")] if stub_domain else ["-m", "bot", "run"]
    argv = [*prefix, *program, "--config", str(config)]
    return BotProcess(name, argv, env, tmp / f"{name}.log", tmp)


async def jingmin(
    servers: AsyncExitStack,
    tmp: Path,
    env: dict[str, str],
    args: argparse.Namespace,
    stub_domain: bool,
) -> tuple[Contender, Callable[[], Awaitable[None]]]:
    """Our bot (``stub_domain``: with stub FAQ and guard) on a fake server of its own, and
    what binds its groups once it polls."""
    from tests.fakes.telegram_server import FakeTelegram

    server = await servers.enter_async_context(FakeTelegram())
    officer, residents, groups = populate(server, args.groups)
    bot = our_bot(
        tmp,
        server,
        env | {"JINGMIN_TELEGRAM_TOKEN": server.token},
        officer,
        None if stub_domain else args.profile,
        stub_domain,
    )
    name = "jingmin, stub FAQ+guard" if stub_domain else "jingmin"
    contender = Contender(bot, server, Driver(server, groups, residents), is_answer, Result(name))
    return contender, lambda: bind_all(server, officer, groups)


def is_answer(text: str) -> bool:
    """A FAQ answer: not the bare bot's "ok", not a ticket's acknowledgement."""
    return text != "ok" and "工单" not in text


async def bind_all(server: Any, officer: int, groups: list[int]) -> None:
    """The officer sends /bind in every group; wait for the confirmations."""
    first = len(server.sent)
    for group in groups:
        server.user_says(group, officer, "/bind")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        confirmed = {s.chat_id for s in server.sent[first:] if "兴庆派出所" in s.text}
        if confirmed >= set(groups):
            return
        await asyncio.sleep(0.02)
    raise BenchError("the officer's /bind was not confirmed in every group")


# -- report --------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return "[green]✓[/]" if ok else "[red]✗[/]"


def console(width: int = 120) -> Console:
    """A rich console for the report (``width`` columns when not on a terminal)."""
    from rich.console import Console

    return Console(highlight=False, width=None if sys.stdout.isatty() else width)


def report(
    bare: Result, ours: Result, args: argparse.Namespace, elapsed: float, *more: Result
) -> None:
    """The table; ``more``: further bots' columns (``--stub-domain``), after ours."""
    from rich.table import Table

    ratio = ours.burst_rate / bare.burst_rate if bare.burst_rate else 0.0
    p99 = ours.percentile(0.99)
    table = Table(
        title=f"Telegram end to end on the fake Bot API ({os.cpu_count()} CPUs, "
        f"Python {platform.python_version()})"
    )
    table.add_column("")
    bare_title = "bare PTB, long reply" if args.bare_reply == "answer" else "bare PTB bot"
    bare_title += f" ({args.bare_transport})"
    table.add_column(bare_title, justify="right")
    table.add_column("jingmin", justify="right")
    for other in more:
        table.add_column(other.name, justify="right")
    table.add_column("target", justify="left")

    def row(label: str, value: Callable[[Result], str], target: str = "") -> None:
        table.add_row(label, *(value(r) for r in (bare, ours, *more)), target)

    row(
        f"throughput, burst of {args.burst} (msg/s)",
        lambda r: f"{r.burst_rate:,.0f}",
        f"≥ {THROUGHPUT_RATIO_TARGET} × bare: {ratio:.2f} × {mark(ratio >= 0.7)}",
    )
    row(
        "  ratio to bare",
        lambda r: f"{r.burst_rate / bare.burst_rate:.2f} ×" if bare.burst_rate else "-",
    )
    row(
        "  bot CPU per message (ms)",
        lambda r: f"{r.burst_cpu_s / max(1, r.burst_replies) * 1000:.2f}",
    )
    row(
        "  fake server CPU per message (ms)",
        lambda r: f"{r.server_burst_cpu_s / max(1, r.burst_replies) * 1000:.2f}",
    )
    row(
        f"latency at {args.rate:g} msg/s for {args.seconds:g} s: p50 (ms)",
        lambda r: f"{r.percentile(0.50):.1f}",
    )
    row(
        "  p99 (ms)",
        lambda r: f"{r.percentile(0.99):.1f}",
        f"< {P99_TARGET_MS:g} ms {mark(p99 < P99_TARGET_MS)}",
    )
    row("  max (ms)", lambda r: f"{r.percentile(1.0):.1f}")
    row("  offered load achieved (msg/s)", lambda r: f"{r.offered_rate:.1f}")
    row(
        "  bot CPU per message at that load (ms)",
        lambda r: f"{r.steady_cpu_s / max(1, r.steady_replies) * 1000:.2f}",
    )
    row(
        f"  = CPU needed for {args.rate:g} msg/s (1 core = 100 %)",
        lambda r: f"{r.steady_cpu_s / max(1, r.steady_replies) * args.rate * 100:.0f} %",
        "well under 100 % for a low p99",
    )
    row(
        "replies received (burst, steady)",
        lambda r: f"{r.burst_replies}, {r.steady_replies}",
    )
    row(
        "other processes' CPU meanwhile (cores)",
        lambda r: f"{max(0.0, r.others_cpu_s) / r.measured_s:.2f}",
        "≈ 0 for clean figures",
    )
    row("start-up to polling (s)", lambda r: f"{r.startup_s:.1f}")
    row("bot CPU time, whole run (s)", lambda r: f"{r.total_cpu_s:.1f}")
    row("bot peak RSS (MB)", lambda r: f"{r.peak_rss_mb:.0f}")
    row("exit code on SIGTERM", lambda r: str(r.exit_code))
    out = console(120 + 25 * len(more))
    out.print(table)
    out.print(
        "Latency = fake server accepted the reply's sendMessage − message injected, both "
        "time.monotonic() in the server process. "
        f"{args.rounds} rounds, bots alternating; warm-up {WARMUP_SECONDS:g} s at "
        f"{args.rate:g} msg/s first; messages over "
        f"{args.groups} groups, {RESIDENTS} residents, {len(QUESTIONS)} FAQ questions. "
        f"Total {elapsed:.0f} s."
    )
    busy = max(
        (r.others_cpu_s / r.measured_s for r in (bare, ours, *more) if r.measured_s), default=0
    )
    if busy > 0.3:
        out.print(
            f"[yellow]Other processes used up to {busy:.1f} of the {os.cpu_count()} CPUs "
            "while measuring: the figures (latency above all) are pessimistic; rerun on an "
            "idle machine.[/]"
        )


def print_profile(path: str) -> None:
    print(f"\ncProfile of jingmin (main thread only, start-up included) saved to {path}")
    stats = pstats.Stats(path)
    stats.sort_stats("tottime").print_stats(25)
    # Coroutines make cumulative times overlap; the project's own functions are the useful part.
    stats.sort_stats("cumulative").print_stats(r"/(bot|handlers|faq|guard|broadcasts)/", 30)


# -- main ----------------------------------------------------------------------------------


def populate(server: Any, groups: int) -> tuple[int, list[int], list[int]]:
    """The officer, the residents and the groups (bot already in them) of one fake world."""
    officer = server.add_user("王", "警官")
    residents = [server.add_user("居民", f"{i:02d}") for i in range(RESIDENTS)]
    chats = [
        server.add_group(f"幸福里{i + 1}号楼", members=(officer, *residents), with_bot=True)
        for i in range(groups)
    ]
    return officer, residents, chats


async def run(args: argparse.Namespace) -> int:
    from tests.fakes.telegram_server import FakeTelegram

    started = time.monotonic()
    reply = LONG_REPLY if args.bare_reply == "answer" else "ok"
    async with FakeTelegram() as bare_server, AsyncExitStack() as servers:
        _, residents, groups = populate(bare_server, args.groups)
        bare_driver = Driver(bare_server, groups, residents)
        with tempfile.TemporaryDirectory(prefix="jingmin-bench-") as temp:
            tmp = Path(temp)
            # The tree first; a PYTHONPATH given stays after it (e.g. a profiling hook's).
            path = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
            env = os.environ | {"PYTHONPATH": path}
            bare = Contender(
                bare_bot(
                    tmp,
                    bare_server,
                    env | {"JINGMIN_TELEGRAM_TOKEN": bare_server.token},
                    reply,
                    args.bare_transport,
                ),
                bare_server,
                bare_driver,
                reply.__eq__,
                Result("bare PTB"),
            )
            # Ours, and with --stub-domain the same process with stub FAQ and guard.
            jingmins = [
                await jingmin(servers, tmp, env, args, stub_domain=stub)
                for stub in (False, True)[: 1 + args.stub_domain]
            ]
            contenders = [bare, *(contender for contender, _ in jingmins)]
            try:
                await bare.start()
                for contender, bind in jingmins:
                    await contender.start(bind)
                for contender in contenders:
                    await contender.warm_up(args.rate)
                # Alternating rounds: a change in background load hits both bots alike.
                for index in range(args.rounds):
                    n = args.burst // args.rounds + (index < args.burst % args.rounds)
                    for contender in contenders:
                        await contender.burst(n)
                for _ in range(args.rounds):
                    for contender in contenders:
                        await contender.steady(args.rate, args.seconds / args.rounds)
            except BenchError as problem:
                print(f"bench failed: {problem}", file=sys.stderr)
                return 1
            finally:
                for contender in contenders:
                    await contender.finish()
    elapsed = time.monotonic() - started
    report(bare.result, contenders[1].result, args, elapsed, *(c.result for c in contenders[2:]))
    if args.profile:
        print_profile(args.profile)
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--burst", type=int, default=2000, help="messages in the burst")
    parser.add_argument("--rate", type=float, default=100.0, help="steady load, messages/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="steady load duration")
    parser.add_argument("--groups", type=int, default=50, help="groups the load is spread over")
    parser.add_argument(
        "--rounds", type=int, default=2, help="burst and steady load are split into rounds"
    )
    parser.add_argument(
        "--bare-reply",
        choices=("ok", "answer"),
        default="ok",
        help='what the bare bot replies: "ok" (the reference) or a FAQ-answer-sized text',
    )
    parser.add_argument(
        "--bare-transport",
        choices=("httpx", "aiohttp"),
        default="httpx",
        help="the bare bot's HTTP transport: PTB's default (the reference) or jingmin's",
    )
    parser.add_argument(
        "--stub-domain",
        action="store_true",
        help="add our bot with stub FAQ decision and guard (what the domain work costs)",
    )
    parser.add_argument("--profile", metavar="FILE", help="run our bot under cProfile")
    sys.exit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
