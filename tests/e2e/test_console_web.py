"""`jingmin web` beside `jingmin run`, as deployed: two processes on one database.

The officer writes /login to the real bot (PTB against the fake Bot API), opens the link
the fake server received in the console process, and answers a ticket there; the bot's
outbox sender posts the answer in the group as a reply to the resident.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.test_telegram_bot import BotProcess, server, wait_polling, write_config
from tests.fakes.telegram_server import FakeTelegram

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
__all__ = ["server"]  # the fixture, shared


@pytest.fixture
async def console_process(tmp_path: Path) -> AsyncIterator[tuple[subprocess.Popen[bytes], Path]]:
    log = tmp_path / "web.log"
    process: list[subprocess.Popen[bytes]] = []

    def start(config: Path) -> subprocess.Popen[bytes]:
        with open(log, "ab") as out:
            process.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bot", "web", "--config", str(config)],
                    env=os.environ | {"JINGMIN_WEB_SECRET": "e2e-secret-e2e-secret-e2e-secret"},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=config.parent,
                )
            )
        return process[0]

    yield start, log  # type: ignore[misc]
    if process and process[0].poll() is None:
        process[0].send_signal(signal.SIGTERM)
        await asyncio.to_thread(process[0].wait, 10)
    if log.exists():
        print(log.read_text(encoding="utf-8", errors="replace"))  # shown when a test fails


async def until_up(client: httpx.AsyncClient) -> None:
    for _ in range(300):
        try:
            if (await client.get("/")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the console did not start within 30 s")


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, html
    return found.group(1)


async def test_an_officer_answers_a_ticket_in_the_console(
    server: FakeTelegram, tmp_path: Path, db_url: str, console_process
) -> None:  # type: ignore[no-untyped-def]
    start_console, web_log = console_process
    officer = server.add_user("王", "警官")
    resident = server.add_user("张", "阿姨")
    group = server.add_group("幸福里社区群", members=(resident, officer))
    server.open_private_chat(officer)
    config = write_config(tmp_path, db_url, server.api_base_url, officer)
    port = free_port()
    config.write_text(
        config.read_text(encoding="utf-8")
        + f'[web]\nport = {port}\nsecure_cookies = false\npublic_url = "http://127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    bot = BotProcess(config, server.token, tmp_path / "bot.log")
    bot.start()
    web = None
    try:
        await wait_polling(server)
        web = start_console(config)  # after the bot migrated the new SQLite file
        server.add_bot_to_group(group, by_user_id=officer)
        server.user_says(group, officer, "/bind")
        await server.wait_for_sent(group, 2, within=10)
        asked = server.user_says(
            group, resident, "小区门口的井盖松了 踩上去晃 能找人修一下吗", mention_bot=True
        )
        await server.wait_for_sent(officer, 1, within=10)  # the card

        server.private_says(officer, "/login")
        await server.wait_for(
            lambda: any("/login?t=" in m.text for m in server.sent_to(officer)), 10, "the link"
        )
        text = next(m.text for m in server.sent_to(officer) if "/login?t=" in m.text)
        link = re.search(rf"http://127\.0\.0\.1:{port}(/login\?t=\S+)", text)
        assert link is not None, text

        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            await until_up(client)
            form = await client.get(link.group(1))
            token = link.group(1).split("t=", 1)[1]
            signed = await client.post(
                "/login", data={"t": token, "check": hidden(form.text, "check")}
            )
            assert signed.status_code == 303, signed.text
            page = await client.get("/tickets/1")
            assert "井盖" in page.text
            done = await client.post(
                "/tickets/1/edit",
                data={"csrf": hidden(page.text, "csrf"), "text": "您好，已报市政热线。"},
            )
            assert done.status_code == 303
        answer = (await server.wait_for_sent(group, 4, within=15))[-1]
        assert answer.reply_to_message_id == asked["message_id"] and "市政热线" in answer.text
    finally:
        assert await bot.stop() == 0
        if web is not None:
            web.send_signal(signal.SIGTERM)
            # uvicorn shuts down, then re-raises the signal it caught: -15 after a clean stop.
            assert await asyncio.to_thread(web.wait, 10) in (0, -signal.SIGTERM)
            assert "Application shutdown complete" in web_log.read_text(encoding="utf-8")
