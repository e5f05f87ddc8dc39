"""The outbox row's state transitions and the retry policy (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.db import OutboxMessage
from core.events import ChatRef, Outgoing
from core.ports import ChatGone, RetryLater, SendError
from core.states import OutboxState
from infra import outbox

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def claimed() -> OutboxMessage:
    return OutboxMessage(
        platform="telegram",
        chat_id="-100",
        text="您好",
        kind="ticket answer",
        state=OutboxState.SENDING,
        attempts=1,
        claimed_by="w1",
    )


def test_backoff_doubles_and_is_capped_but_honours_retry_after() -> None:
    assert [outbox.backoff(n) for n in (1, 2, 3, 4)] == [2.0, 4.0, 8.0, 16.0]
    assert outbox.backoff(30) == outbox.MAX_RETRY_SECONDS
    assert outbox.backoff(1, retry_after=37.0) == 37.0


def test_retry_later_puts_the_row_back_to_pending_not_before_its_time() -> None:
    row = claimed()
    outbox.retry_later(row, "RetryLater: rate limited", 8.0, NOW)
    assert row.state == OutboxState.PENDING and row.claimed_by is None
    assert row.next_try_at == NOW + timedelta(seconds=8)
    assert row.last_error == "RetryLater: rate limited"


def test_a_moved_chat_is_followed_at_once() -> None:
    row = claimed()
    outbox.moved(row, "-1009", NOW)
    assert (row.state, row.chat_id, row.next_try_at) == (OutboxState.PENDING, "-1009", NOW)
    assert "chat moved from -100 to -1009" in row.last_error


def test_end_states() -> None:
    sent, gone, lost = claimed(), claimed(), claimed()
    outbox.delivered(sent, "77", NOW)
    outbox.failed(gone, "chat gone: " + "x" * 1000, NOW)
    outbox.unknown(lost, "timed out, delivery unknown", NOW)
    assert (sent.state, sent.sent_message_id, sent.last_error) == (OutboxState.SENT, "77", "")
    assert gone.state == OutboxState.FAILED and len(gone.last_error) == outbox.ERROR_LIMIT
    assert lost.state == OutboxState.UNKNOWN


@pytest.mark.parametrize(
    ("error", "transient", "unknown"),
    [
        (RetryLater(3.0), True, False),
        (ConnectionError("reset"), True, False),
        (TimeoutError(), True, False),
        (ChatGone("Forbidden: bot was kicked"), False, False),
        (SendError("Bad Request: message is too long"), False, False),
        (SendError("timed out, delivery unknown: x"), False, True),
    ],
)
def test_what_is_tried_again(error: Exception, transient: bool, unknown: bool) -> None:
    assert outbox._transient(error) is transient
    assert outbox._unknown(error) is unknown


def test_enqueue_keeps_what_the_send_needs() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.added: list[object] = []

        def add(self, row: object) -> None:
            self.added.append(row)

    out = Outgoing(ChatRef("wechat", "room@x"), "答复", reply_to="m1", mention_id="r1")
    row = outbox.enqueue(Recorder(), out, "ticket answer", NOW, ticket_id=3)  # type: ignore[arg-type]
    assert row.state == OutboxState.PENDING and row.next_try_at == NOW and row.ticket_id == 3
    assert outbox.outgoing(row) == Outgoing(
        ChatRef("wechat", "room@x"), "答复", reply_to="m1", mention_id="r1"
    )
