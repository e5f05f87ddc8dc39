"""Updates of different chats overlap; one chat's updates stay in arrival order."""

from __future__ import annotations

import asyncio
import random

from telegram import Chat, Message, Update

from bot.adapters.telegram import ChatOrderedProcessor


def update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, Chat.SUPERGROUP)
    return Update(update_id, message=Message(update_id, None, chat))  # type: ignore[arg-type]


async def test_each_chat_in_order_chats_at_once() -> None:
    processor = ChatOrderedProcessor(16)
    rng = random.Random(7)
    handled: list[tuple[int, int]] = []
    running = 0
    most_at_once = 0

    async def handle(chat_id: int, update_id: int) -> None:
        nonlocal running, most_at_once
        running += 1
        most_at_once = max(most_at_once, running)
        await asyncio.sleep(rng.uniform(0, 0.003))  # a send in flight: another may go now
        handled.append((chat_id, update_id))
        running -= 1

    updates = [update(n, -1000 - n % 4) for n in range(80)]
    await asyncio.gather(
        *(
            processor.process_update(u, handle(u.effective_chat.id, u.update_id))  # type: ignore[union-attr]
            for u in updates
        )
    )
    assert len(handled) == 80
    for chat_id in {c for c, _ in handled}:
        ids = [n for c, n in handled if c == chat_id]
        assert ids == sorted(ids), f"chat {chat_id} out of order: {ids}"
    assert most_at_once > 1  # different chats did overlap
    assert most_at_once <= 4  # but never two of one chat
    assert not processor._chats  # no lock left behind for idle chats


async def test_a_flooded_group_does_not_hold_up_the_others() -> None:
    processor = ChatOrderedProcessor(4)
    finished: list[int] = []

    async def handle(chat_id: int) -> None:
        await asyncio.sleep(0.002)
        finished.append(chat_id)

    flood = [update(n, -1) for n in range(40)]
    quiet = update(40, -2)  # arrives after the whole flood
    await asyncio.gather(
        *(processor.process_update(u, handle(-1)) for u in flood),
        processor.process_update(quiet, handle(-2)),
    )
    assert finished.index(-2) < 5  # not behind the 40 messages of the flooded group
