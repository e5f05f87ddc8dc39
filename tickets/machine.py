"""The ticket's state machine, pure: no database, no platform, no rendered text.

    pending --批准 / 修改 N 回复 / 发送 (a draft)--> sending answer --accepted--> answered
       |  ^                                              '--failed / unknown--> pending
       |  '-- 取消, the edit timeout, another command --.
       |--修改 (alone) --> pending, the officer writing --(a message)--> a draft shown back
       |--驳回--> rejected (a reason, when given, is told to the resident)
       '--pending longer than [tickets] expire_days--> expired (the resident is told to
          ask again or call the station)

Each function takes the facts it needs and returns what changed and what must be sent
(``Decision``, ``EditStep``); ``tickets.service`` writes that in one transaction with
the outbox rows and the audit entry. A refusal is raised as ``Refused`` with a key the
templates explain.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from core import safetext
from core.states import TicketState


class Refusal(StrEnum):
    CLOSED = "closed"  # decided already (by whom: the ticket says)
    NO_DRAFT = "no draft"  # 批准 with nothing drafted
    EMPTY = "empty"  # an answer of blanks
    NO_EDIT = "no edit"  # 发送 / 取消 with no draft waiting for this ticket
    EXPIRED = "expired"  # 发送 after the edit time ran out


class Refused(Exception):
    def __init__(self, why: Refusal) -> None:
        super().__init__(str(why))
        self.why = why


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the rules read of a ticket."""

    id: int
    state: str
    draft: str | None  # the FAQ's drafted answer, approved by 批准


@dataclass(frozen=True, slots=True)
class Decision:
    """A decided ticket: its new state, the answer to post to the group (None for a
    rejection), and what to tell the resident instead (a rejection's reason, if any)."""

    verb: str  # approve | edit | reject: what the audit row and the closed card say
    state: TicketState
    answer: str | None = None
    resident_note: str | None = None


def decide(ticket: Ticket, verb: str, text: str | None = None) -> Decision:
    """批准 (the draft), 修改 with the answer (``text``), 驳回 (``text``: a reason for the
    resident, or None to close without telling them)."""
    if ticket.state != TicketState.PENDING:
        raise Refused(Refusal.CLOSED)
    if verb == "approve":
        if not ticket.draft:
            raise Refused(Refusal.NO_DRAFT)
        return Decision(verb, TicketState.SENDING_ANSWER, answer=ticket.draft)
    if verb == "edit":
        if safetext.is_blank(text):  # invisible characters only are no answer either
            raise Refused(Refusal.EMPTY)
        answer = safetext.clean(text or "", newlines=True)
        return Decision(verb, TicketState.SENDING_ANSWER, answer=answer)
    if verb == "reject":
        reason = None if safetext.is_blank(text) else safetext.clean(text or "", newlines=True)
        return Decision(verb, TicketState.REJECTED, resident_note=reason)
    raise ValueError(f"unknown verb {verb}")


def expire(ticket: Ticket, opened_at: datetime, now: datetime, after: timedelta) -> Decision | None:
    """A ticket still pending ``after`` its opening is closed as expired (None: not yet, or
    not pending: an answer on its way is not cut off). Nothing goes to the group but a
    short word to the resident, who was promised an answer (``tickets.service``)."""
    if ticket.state != TicketState.PENDING or now - opened_at < after:
        return None
    return Decision("expire", TicketState.EXPIRED)


def settle(state: str, delivered: bool) -> TicketState | None:
    """The answer's send ended: answered if the platform took it, else back to pending
    (failed, or maybe lost in a crash: the officer decides again). None: no change."""
    if state != TicketState.SENDING_ANSWER:
        return None
    return TicketState.ANSWERED if delivered else TicketState.PENDING


# The officer writing an answer after 修改.


@dataclass(frozen=True, slots=True)
class Editing:
    """An officer's edit in progress: since when (the last step), and the draft shown back."""

    ticket_id: int
    since: datetime
    draft: str | None = None

    def expired(self, now: datetime, timeout: timedelta) -> bool:
        return now - self.since > timeout


class Step(StrEnum):
    STARTED = "started"  # 修改 pressed: the next message is the draft
    DRAFTED = "drafted"  # the draft is shown back with 发送 / 取消
    SENT = "sent"  # 发送: the draft is the answer (``decision``)
    CANCELLED = "cancelled"  # 取消: nothing sent, the ticket stays pending
    EXPIRED = "expired"  # the edit time ran out: nothing sent, the message is not a draft
    INTERRUPTED = "interrupted"  # another command: nothing sent, the command goes ahead


@dataclass(frozen=True, slots=True)
class EditStep:
    step: Step
    editing: Editing | None  # the officer's edit state from now on (None: not editing)
    decision: Decision | None = None  # for SENT


CANCEL_WORDS = frozenset({"取消", "/cancel"})


def start_edit(ticket: Ticket, now: datetime) -> EditStep:
    if ticket.state != TicketState.PENDING:
        raise Refused(Refusal.CLOSED)
    return EditStep(Step.STARTED, Editing(ticket.id, now))


def on_message(
    editing: Editing, text: str, now: datetime, timeout: timedelta, *, is_command: bool
) -> EditStep:
    """The officer's next private message while editing: a command ends the edit (and
    goes ahead), 取消 cancels, anything else within the time is the draft."""
    if is_command:
        return EditStep(Step.INTERRUPTED, None)
    if editing.expired(now, timeout):
        return EditStep(Step.EXPIRED, None)
    if text.strip().lower() in CANCEL_WORDS:
        return EditStep(Step.CANCELLED, None)
    if safetext.is_blank(text):
        raise Refused(Refusal.EMPTY)
    draft = safetext.clean(text, newlines=True)
    return EditStep(Step.DRAFTED, replace(editing, since=now, draft=draft))


def send_draft(
    editing: Editing | None, ticket: Ticket, now: datetime, timeout: timedelta
) -> EditStep:
    """发送: the draft shown back becomes the answer."""
    if editing is None or editing.ticket_id != ticket.id or editing.draft is None:
        raise Refused(Refusal.NO_EDIT)
    if editing.expired(now, timeout):
        raise Refused(Refusal.EXPIRED)
    return EditStep(Step.SENT, None, decide(ticket, "edit", editing.draft))


def cancel(editing: Editing | None, ticket_id: int) -> EditStep:
    """取消 (the button, or 取消 N)."""
    if editing is None or editing.ticket_id != ticket_id:
        raise Refused(Refusal.NO_EDIT)
    return EditStep(Step.CANCELLED, None)
