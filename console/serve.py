"""`jingmin web`: the console in its own process, on the deployment's database."""

from __future__ import annotations

import asyncio
import logging
import secrets
from functools import partial

from bot.config import WEB_SECRET_ENV, Settings, secret

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
    from bot.runtime import every
    from console.app import create_app

    services = build_services(settings)

    async def reload_knowledge() -> None:
        await asyncio.to_thread(services.knowledge.refresh)  # training must not block pages

    reload = partial(every, settings.faq.reload_seconds, reload_knowledge, "knowledge reload")
    app = create_app(services, settings.web, session_secret(), background=[reload])
    web = settings.web
    # No access log: the sign-in link's token is in its URL; every action is audited.
    uvicorn.run(app, host=host or web.host, port=port or web.port, access_log=False)
