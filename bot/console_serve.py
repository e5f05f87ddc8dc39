"""`jingmin web`: the console in its own process, on the deployment's database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from core.config import WEB_SECRET_ENV, Settings, WebSettings, secret

if TYPE_CHECKING:
    from handlers.services import Services

log = logging.getLogger(__name__)


def session_secret() -> bytes:
    """The key of the console's CSRF tokens, from the environment; a random one when unset
    (fine for a demo: every form opened before a restart must be reloaded)."""
    value = secret(WEB_SECRET_ENV)
    if value is None:
        log.warning("%s is not set: using a random key for this process", WEB_SECRET_ENV)
        return secrets.token_bytes(32)
    return value.encode()


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    import uvicorn

    from bot.bootstrap import build_services
    from bot.runtime import IntervalJobs
    from bot.scheduler import new_scheduler
    from console.app import create_app

    services = build_services(settings)

    async def reload_knowledge() -> None:
        await asyncio.to_thread(services.knowledge.refresh)  # training must not block pages

    async def keep_knowledge_fresh() -> None:
        """The process's scheduler, with one job, while the console serves."""
        timers = IntervalJobs(new_scheduler(settings.tz))
        timers.scheduler.start()
        timers.add(settings.faq.reload_seconds, reload_knowledge, "knowledge reload")
        try:
            await asyncio.get_running_loop().create_future()  # until cancelled at shutdown
        finally:
            await timers.stop()

    app = create_app(services, settings.web, session_secret(), background=[keep_knowledge_fresh])
    web = settings.web
    # No access log: the sign-in link's token is in its URL; every action is audited.
    uvicorn.run(app, host=host or web.host, port=port or web.port, access_log=False)


async def serve_beside_bot(
    services: Services, web: WebSettings
) -> Callable[[], Awaitable[None]] | None:
    """`[web] enabled`: the console in the bot's event loop, on the bot's services (the
    bot already keeps the knowledge base fresh). Returns its stop, or None when it could
    not listen (said in the log: the bot goes on without it)."""
    import uvicorn

    from console.app import create_app

    ready = asyncio.Event()

    class BesideBot(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # the bot's own handlers stop everything, the console included

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                await super().startup(sockets)
            except SystemExit:  # uvicorn's way to say it cannot listen: not the bot's exit
                raise RuntimeError("the console cannot start") from None
            ready.set()

    app = create_app(services, web, session_secret())
    # log_config None: the bot's logging (its privacy filter) stays as configured.
    config = uvicorn.Config(
        app, host=web.host, port=web.port, access_log=False, log_config=None, lifespan="on"
    )
    server = BesideBot(config)
    task = asyncio.ensure_future(server.serve())
    waiting = asyncio.ensure_future(ready.wait())
    await asyncio.wait([task, waiting], return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if not server.started:
        with contextlib.suppress(RuntimeError):
            await task
        log.error("console: cannot listen on %s:%s; the bot runs without it", web.host, web.port)
        return None
    log.info("console on %s:%s (%s)", web.host, web.port, web.base_url)

    async def stop() -> None:
        server.should_exit = True
        try:
            await asyncio.wait_for(task, 10)
        except TimeoutError:
            log.warning("console: did not stop within 10 s")

    return stop
