"""The ticket's state machine on its own: no database, no platform, no templates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.states import TicketState
from tickets.machine import (
    Decision,
    Editing,
    Refusal,
    Refused,
    Step,
    Ticket,
    cancel,
    decide,
    expire,
    on_message,
    send_draft,
    settle,
    start_edit,
)

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
TIMEOUT = timedelta(minutes=10)
OPEN = Ticket(7, TicketState.PENDING, draft="请带身份证到户籍窗口办理。")
NO_DRAFT = Ticket(8, TicketState.PENDING, draft=None)


def test_approve_posts_the_draft_and_waits_for_the_platform() -> None:
    assert decide(OPEN, "approve") == Decision(
        "approve", TicketState.SENDING_ANSWER, answer=OPEN.draft
    )
    with pytest.raises(Refused) as no_draft:
        decide(NO_DRAFT, "approve")
    assert no_draft.value.why == Refusal.NO_DRAFT


def test_edit_posts_the_officers_words_cleaned_and_refuses_blanks() -> None:
    decision = decide(NO_DRAFT, "edit", " 已联系物业\u200b处理。 ")
    assert decision.state == TicketState.SENDING_ANSWER and decision.answer == "已联系物业处理。"
    for blank in ("", "   ", "\u200b\u200b", None):
        with pytest.raises(Refused) as empty:
            decide(NO_DRAFT, "edit", blank)
        assert empty.value.why == Refusal.EMPTY


def test_reject_closes_and_carries_a_reason_only_when_given() -> None:
    assert decide(OPEN, "reject") == Decision("reject", TicketState.REJECTED)
    told = decide(OPEN, "reject", "这个问题请拨打12345市民热线。")
    assert told.resident_note == "这个问题请拨打12345市民热线。" and told.answer is None


@pytest.mark.parametrize(
    "state", [TicketState.SENDING_ANSWER, TicketState.ANSWERED, TicketState.REJECTED]
)
def test_a_decided_ticket_takes_no_second_decision(state: TicketState) -> None:
    closed = Ticket(7, state, draft="x")
    for verb in ("approve", "edit", "reject"):
        with pytest.raises(Refused) as refused:
            decide(closed, verb, "text")
        assert refused.value.why == Refusal.CLOSED
    with pytest.raises(Refused):
        start_edit(closed, NOW)


def test_answered_only_once_the_platform_took_it() -> None:
    assert settle(TicketState.SENDING_ANSWER, delivered=True) == TicketState.ANSWERED
    assert settle(TicketState.SENDING_ANSWER, delivered=False) == TicketState.PENDING
    assert settle(TicketState.PENDING, delivered=True) is None  # nothing in flight
    assert settle(TicketState.ANSWERED, delivered=False) is None


def test_edit_draft_then_send() -> None:
    started = start_edit(OPEN, NOW)
    assert started.step == Step.STARTED and started.editing == Editing(7, NOW)
    assert started.editing is not None
    drafted = on_message(started.editing, "您好，已联系物业。", NOW, TIMEOUT, is_command=False)
    assert drafted.step == Step.DRAFTED and drafted.decision is None  # nothing posted yet
    assert drafted.editing == Editing(7, NOW, "您好，已联系物业。")
    # A second message replaces the draft (and restarts the clock).
    later = NOW + timedelta(minutes=8)
    redrafted = on_message(
        drafted.editing, "您好，物业今天来修。", later, TIMEOUT, is_command=False
    )
    sent = send_draft(redrafted.editing, OPEN, later + timedelta(minutes=9), TIMEOUT)
    assert sent.step == Step.SENT and sent.editing is None
    assert sent.decision == Decision(
        "edit", TicketState.SENDING_ANSWER, answer="您好，物业今天来修。"
    )


def test_cancel_timeout_and_commands_leave_the_ticket_pending() -> None:
    editing = Editing(7, NOW, "草稿")
    assert on_message(editing, "取消", NOW, TIMEOUT, is_command=False).step == Step.CANCELLED
    assert cancel(editing, 7).step == Step.CANCELLED
    late = NOW + TIMEOUT + timedelta(seconds=1)
    expired = on_message(editing, "这句不是回复", late, TIMEOUT, is_command=False)
    assert expired.step == Step.EXPIRED and expired.editing is None and expired.decision is None
    interrupted = on_message(editing, "待办", NOW, TIMEOUT, is_command=True)
    assert interrupted.step == Step.INTERRUPTED and interrupted.editing is None
    with pytest.raises(Refused) as too_late:
        send_draft(editing, OPEN, late, TIMEOUT)
    assert too_late.value.why == Refusal.EXPIRED


def test_send_needs_a_draft_of_this_ticket() -> None:
    for editing in (None, Editing(7, NOW), Editing(99, NOW, "草稿")):
        with pytest.raises(Refused) as nothing:
            send_draft(editing, OPEN, NOW, TIMEOUT)
        assert nothing.value.why == Refusal.NO_EDIT
    with pytest.raises(Refused):
        cancel(None, 7)
    with pytest.raises(Refused) as closed:  # decided meanwhile by someone else
        send_draft(Editing(7, NOW, "草稿"), Ticket(7, TicketState.ANSWERED, None), NOW, TIMEOUT)
    assert closed.value.why == Refusal.CLOSED


def test_a_blank_draft_is_refused_and_the_edit_stays_open() -> None:
    with pytest.raises(Refused) as blank:
        on_message(Editing(7, NOW), "\u200b", NOW, TIMEOUT, is_command=False)
    assert blank.value.why == Refusal.EMPTY


WEEK = timedelta(days=7)


def test_a_ticket_pending_past_its_time_expires() -> None:
    opened = NOW - WEEK
    assert expire(OPEN, opened + timedelta(seconds=1), NOW, WEEK) is None  # not yet
    assert expire(OPEN, opened, NOW, WEEK) == Decision("expire", TicketState.EXPIRED)
    assert expire(NO_DRAFT, opened - WEEK, NOW, WEEK) == Decision("expire", TicketState.EXPIRED)


@pytest.mark.parametrize(
    "state",
    [
        TicketState.SENDING_ANSWER,  # an answer on its way is not cut off
        TicketState.ANSWERED,
        TicketState.REJECTED,
        TicketState.EXPIRED,
    ],
)
def test_only_a_pending_ticket_expires(state: TicketState) -> None:
    assert expire(Ticket(7, state, draft=None), NOW - 4 * WEEK, NOW, WEEK) is None


def test_an_expired_ticket_takes_no_decision_and_no_edit() -> None:
    expired = Ticket(7, TicketState.EXPIRED, draft="请带身份证到户籍窗口办理。")
    for verb, text in (("approve", None), ("edit", "已处理"), ("reject", None)):
        with pytest.raises(Refused) as refused:
            decide(expired, verb, text)
        assert refused.value.why == Refusal.CLOSED
    with pytest.raises(Refused):
        start_edit(expired, NOW)
    editing = Editing(7, NOW, draft="已处理")
    with pytest.raises(Refused):
        send_draft(editing, expired, NOW, TIMEOUT)
    assert settle(TicketState.EXPIRED, delivered=True) is None
