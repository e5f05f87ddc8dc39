"""The states rows move through, one name per meaning, stored as their string values.

Each belongs to one table: a ticket (``Escalation``), an outbox row (``OutboxMessage``), a
clarifying question (``Clarification``). The rules that move them live with their domain
(``tickets.machine``, ``infra.outbox``, ``handlers.clarify``); the names live here, below
the tables, so the tables' defaults can be the states themselves. A broadcast delivery's
and a run's approval are ``broadcasts.models``'s, with their tables.
"""

from __future__ import annotations

from enum import StrEnum


class TicketState(StrEnum):
    PENDING = "pending"
    SENDING_ANSWER = "sending answer"  # decided; the answer is in the outbox
    ANSWERED = "answered"  # the platform accepted the answer
    REJECTED = "rejected"
    EXPIRED = "expired"  # pending too long: closed by the bot, no answer


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNKNOWN = "unknown"


class ClarificationState(StrEnum):
    OPEN = "open"  # the resident has not chosen yet
    CHOSEN = "chosen"  # their choice was answered, once
