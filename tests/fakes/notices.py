"""The broadcaster's notices (approval requests, summaries, account hand-overs) are outbox
rows; the bot's one sender delivers them. Tests that run a broadcaster alone do it here."""

from __future__ import annotations

from broadcasts.runs import Broadcaster
from infra.outbox import OutboxSender


async def deliver_notices(broadcaster: Broadcaster) -> int:
    sender = OutboxSender(broadcaster.engine, broadcaster.senders, broadcaster.clock, "test", {})
    return await sender.deliver_due()
