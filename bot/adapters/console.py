"""The console demo: a terminal chat in a simulated community group, no token, no network.

You type as a resident in the group; ``/as officer`` switches to the officer's private
chat with the bot, ``/as resident`` back. Cards' buttons are shown as the text commands
that do the same thing.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from rich.console import Console

from bot.inbound import clean_event
from core.events import ChatRef, IncomingMessage, Outgoing, SentRef
from core.ports import EventSink
from core.safetext import with_prefixed_quotes
from core.templates import render

GROUP = ChatRef("console", "group:demo")
RESIDENT_ID, RESIDENT_NAME = "resident:1", "张阿姨"
BOT_NAMES = ("@警务助手", "@bot")


class ConsoleAdapter:
    platform = "console"

    def __init__(
        self,
        officer_name: str,
        group_title: str = "幸福里社区警民群",
        read_line: Callable[[str], str] | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.officer_name = officer_name
        self.group_title = group_title
        self._read_line = read_line or input
        self._console = Console(file=out or sys.stdout, highlight=False, soft_wrap=True)
        self._ids = itertools.count(1)
        self._as_officer = False

    @property
    def _prompt(self) -> str:
        return (
            f"[私聊] {self.officer_name}> "
            if self._as_officer
            else f"[{self.group_title}] {RESIDENT_NAME}> "
        )

    async def start(self, on_event: EventSink) -> None:
        """Runs the chat until end of input or /quit."""
        self._console.print(
            f"[bold]警民 jingmin 控制台演示[/bold] —— 你是居民「{RESIDENT_NAME}」。"
            f" 输入问题试试；@警务助手 表示直接问机器人；/as officer 切换到民警私聊；/quit 退出。"
        )
        while True:
            try:
                line = await asyncio.to_thread(self._read_line, self._prompt)
            except (EOFError, KeyboardInterrupt):
                break
            line = line.strip()
            if not line:
                continue
            if line in ("/quit", "/exit"):
                break
            if line.startswith("/as "):
                self._as_officer = line.split()[1].startswith("officer")
                where = "民警私聊" if self._as_officer else "社区群"
                self._console.print(f"[dim]（已切换到{where}）[/dim]")
                continue
            await on_event(self._message(line))

    def _message(self, line: str) -> IncomingMessage:
        return clean_event(self._raw_message(line))

    def _raw_message(self, line: str) -> IncomingMessage:
        now = datetime.now(UTC)
        if self._as_officer:
            chat = ChatRef("console", f"officer:{self.officer_name}")
            return IncomingMessage(
                chat,
                self.officer_name,
                self.officer_name,
                line,
                str(next(self._ids)),
                is_group=False,
                addressed=True,
                received_at=now,
            )
        addressed = any(name in line for name in BOT_NAMES)
        for name in BOT_NAMES:
            line = line.replace(name, " ")
        return IncomingMessage(
            GROUP,
            RESIDENT_ID,
            RESIDENT_NAME,
            line.strip(),
            str(next(self._ids)),
            is_group=True,
            addressed=addressed,
            received_at=now,
            chat_title=self.group_title,
        )

    async def stop(self) -> None:
        return None

    async def send(self, out: Outgoing) -> SentRef:
        if out.delete_message_id:
            self._console.print(f"[dim]  （警务助手删除了消息 {out.delete_message_id}）[/dim]")
            return SentRef(out.chat, out.delete_message_id)
        message_id = out.edit_message_id or f"bot:{next(self._ids)}"
        where = self.group_title if out.chat == GROUP else f"私聊 {self.officer_name}"
        verb = "更新了消息" if out.edit_message_id else ("回复" if out.reply_to else "说")
        self._console.print(f"[bold cyan]  🤖 警务助手 {verb}（{where}）:[/bold cyan]")
        lines = with_prefixed_quotes(out.text, out.quotes).splitlines() or [""]
        if out.media is not None:  # "[视频 2.3 MB] caption"
            shown = render("media_label.j2", kind=out.media.kind, size=out.media.size)
            lines[0] = f"{shown} {lines[0]}".rstrip()
        for line in lines:
            self._console.print(f"     {line}", markup=False)
        if out.image_png:
            self._console.print(f"     [图片 {len(out.image_png) // 1024} KB]", markup=False)
        for row in out.buttons:
            labels = "  ".join(f"[{b.label}]" for b in row)
            self._console.print(f"     {labels}", markup=False)
        return SentRef(out.chat, message_id)
