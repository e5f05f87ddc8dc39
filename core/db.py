"""Tables and the engine/session factory (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, Index, UniqueConstraint, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlmodel import Field, Session, SQLModel, create_engine

from core.states import ClarificationState, OutboxState, TicketState

T = TypeVar("T")


class DatabaseBusy(Exception):
    """The database could not be used for now (SQLite's write lock held by another
    process past the busy timeout, PostgreSQL unreachable): try again later. Raised from
    the ``OperationalError`` that said so (see ``is_busy``)."""


def is_busy(error: BaseException) -> bool:
    """An error that trying again later can cure: SQLAlchemy's ``OperationalError`` is
    what the drivers raise for a locked or busy SQLite file and for a lost or refused
    PostgreSQL connection (never for a wrong statement or a broken constraint), and the
    ``DatabaseBusy`` raised from one."""
    return isinstance(error, (OperationalError, DatabaseBusy))


def utcnow() -> datetime:
    return datetime.now(UTC)


def in_chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``: one statement per slice keeps under SQLite's limit
    on bound parameters and PostgreSQL's on a statement's size."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


MAX_ROW_ID = 2**31 - 1  # an INTEGER key on PostgreSQL
_ROW_ID = re.compile(r"[0-9]{1,10}")


def row_id(text: str) -> int | None:
    """A row id typed or carried in button data: ASCII digits within the key's range, or
    None (``isdigit()`` would take "²", ``int()`` "٣" and numbers no column can hold)."""
    if _ROW_ID.fullmatch(text) is None:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ROW_ID else None


def as_utc(moment: datetime) -> datetime:
    """A stored moment as an aware UTC datetime (SQLite hands back naive ones)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Station(SQLModel, table=True):
    id: str = Field(primary_key=True)
    name: str
    address: str
    phone: str
    hours: str


class Officer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    station_id: str = Field(foreign_key="station.id", index=True)
    telegram_id: str | None = Field(default=None, index=True)
    wechat_id: str | None = Field(default=None, index=True)
    duty: bool = False
    admin: bool = False  # station admin in the web console (config: admin = true)
    city_admin: bool = False  # every station: console and alerts (config: city_admin = true)
    # Removed in the console: no tickets, no sign-in, no duty; the row stays for the record.
    active: bool = True
    # Changed in the console: the config file no longer overwrites duty, flags and ids
    # (the TOML is only the first seed of such an officer).
    console_managed: bool = False
    # The last reach check (handlers.reach) found a platform that cannot write to them.
    unreachable_since: datetime | None = None
    password_hash: str | None = None  # argon2, for admins' password sign-in (optional)
    # Set after 修改: this officer's next private message within the edit time is a draft
    # for that ticket (shown back with 发送 / 取消, posted only on 发送).
    editing_ticket_id: int | None = None
    editing_since: datetime | None = None
    edit_draft: str | None = None


class Group(SQLModel, table=True):
    __tablename__ = "chat_group"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    chat_id: str
    title: str = ""
    station_id: str | None = Field(default=None, foreign_key="station.id", index=True)
    officer_id: int | None = Field(default=None, foreign_key="officer.id")
    active: bool = True
    joined_at: datetime = Field(default_factory=utcnow)
    # The account that serves the room when several are configured (infra.accounts); None
    # with one account (or a platform of one bot, such as Telegram).
    account: str | None = None


class FaqEntry(SQLModel, table=True):
    id: str = Field(primary_key=True)
    title: str
    answer: str  # a jinja2 template over the station's details
    source: str
    examples_json: str = "[]"
    aliases_json: str = "[]"
    file: str = ""


class Escalation(SQLModel, table=True):
    """A ticket: a resident's question an officer must answer or approve."""

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    chat_id: str
    message_id: str
    resident_id: str
    resident_name: str
    question: str  # masked of personal numbers before it is stored
    action: str  # "suggest" or "escalate"
    faq_id: str | None = None
    draft: str | None = None
    state: str = Field(default=TicketState.PENDING, index=True)
    officer_id: int | None = Field(default=None, foreign_key="officer.id")
    answer: str | None = None
    decided_by: str | None = None
    card_chat_id: str | None = None  # where the officer's card is, to edit it later
    card_message_id: str | None = None
    reminded: int = 0  # 1 after the reminder, 2 after the duty-officer hand-over
    add_to_faq: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class QuestionEvent(SQLModel, table=True):
    """One resident question and what the bot did with it (no text: that is in tickets)."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    platform: str
    chat_id: str
    station_id: str | None = Field(default=None, index=True)
    action: str  # answer | suggest | escalate
    faq_id: str | None = None


class ReportSent(SQLModel, table=True):
    """The weekly report went to a station for a week: sent once, even across restarts."""

    __table_args__ = (UniqueConstraint("station_id", "week"),)
    id: int | None = Field(default=None, primary_key=True)
    station_id: str
    week: str  # ISO year-week, e.g. "2026-W48"
    sent_at: datetime = Field(default_factory=utcnow)


class SeenUpdate(SQLModel, table=True):
    """The update ledger: every message and button press taken from a platform.

    A row is written before the platform is told the update arrived; ``done_at`` is set
    once it is handled. Until then ``event_json`` holds the event, so that if ``owner``
    (the worker handling it) dies, another worker handles it again; it is cleared when
    done (the resident's words stay in tickets only). ``sending_at`` is set just before
    its replies are sent: a row found sending after a crash is not handled again
    (delivery unknown, never sent twice). A redelivered update whose row is done is not
    answered twice.
    """

    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "message_id"),
        # A group's last message, for the console's group list: one lookup per group.
        Index("ix_seenupdate_chat_seen", "platform", "chat_id", "seen_at"),
        # Only rows still in hand are indexed: the recovery reads these, nothing else.
        Index(
            "ix_seenupdate_in_hand",
            "owner",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    chat_id: str
    message_id: str
    seen_at: datetime = Field(default_factory=utcnow, index=True)
    owner: str | None = None
    event_json: str | None = None
    sending_at: datetime | None = None
    done_at: datetime | None = None


class LearnedQuestion(SQLModel, table=True):
    """A question an officer answered with 加入FAQ on: asked again, it is answered at once."""

    id: int | None = Field(default=None, primary_key=True)
    text_key: str = Field(unique=True)
    faq_id: str | None = None
    answer: str | None = None  # the officer's own words when no FAQ entry fits
    added_by: str
    created_at: datetime = Field(default_factory=utcnow)


class SendTally(SQLModel, table=True):
    """Messages one platform account sent on one local day (replies and broadcasts), so its
    daily cap holds across restarts and between processes (``infra.pacing``)."""

    __tablename__ = "send_tally"
    __table_args__ = (UniqueConstraint("platform", "account", "day"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    account: str
    day: date  # in the configured time zone
    sent: int = 0
    updated_at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """A message that matters, written in the same transaction as the state change that
    causes it, and delivered by ``infra.outbox.OutboxSender`` (see that module for the
    states): the officer's answer to the group, officers' cards and notes, the resident's
    acknowledgement, admin alerts."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_try_at"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    chat_id: str
    text: str
    reply_to: str | None = None
    mention_id: str | None = None
    mention_name: str | None = None
    buttons_json: str = ""  # a card's buttons, as JSON rows of [label, data]
    quotes_json: str = ""  # spans of ``text`` quoting a resident, as JSON pairs
    media_json: str = ""  # a picture, video or file sent with ``text`` (core.events.MediaRef)
    edit_message_id: str | None = None  # an edit of that message (a card, closed)
    officer_id: int | None = None  # the officer a private message is for
    kind: str  # what it is, e.g. "ticket answer": who is told how it went
    ticket_id: int | None = Field(default=None, foreign_key="escalation.id", index=True)
    state: str = OutboxState.PENDING
    attempts: int = 0
    next_try_at: datetime = Field(default_factory=utcnow)
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    sent_message_id: str | None = None
    last_error: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ChatAccount(SQLModel, table=True):
    """An account is in a room, or can write to a contact (``infra.accounts``): read from
    the account's room list on connect, and from what it receives."""

    __tablename__ = "chat_account"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "account"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    chat_id: str = Field(index=True)
    account: str
    seen_at: datetime = Field(default_factory=utcnow)


class AccountRest(SQLModel, table=True):
    """An account the platform restricted (too frequent, banned, logged out): it sends no
    broadcast until ``until``, and its rooms are served by their spare meanwhile."""

    __tablename__ = "account_rest"
    __table_args__ = (UniqueConstraint("platform", "account"),)
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    account: str
    until: datetime
    reason: str = ""
    since: datetime = Field(default_factory=utcnow)


class BotAnswer(SQLModel, table=True):
    """An answer the bot gave in a group: what residents vote on, reply to, and are
    pointed back to when they ask again. Holds the resident's id and masked question, so
    it goes with ``[privacy] retention_days`` and with a resident's erasure."""

    __tablename__ = "bot_answer"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "question_message_id"),
        Index("ix_bot_answer_chat", "platform", "chat_id", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    platform: str
    chat_id: str
    station_id: str | None = None
    topic: str  # the repeat window's key: a FAQ id, or "learned:<id>"
    faq_id: str | None = None
    question_message_id: str
    resident_id: str
    question: str  # masked of personal numbers
    answer: str
    sent_message_id: str | None = None  # where it landed (Telegram: what replies name)
    created_at: datetime = Field(default_factory=utcnow)


class AnswerVote(SQLModel, table=True):
    """👍/👎 on an answer: one per resident per answer. Keeps the topic and station, so
    the counts outlive the answer row (which retention deletes)."""

    __tablename__ = "answer_vote"
    __table_args__ = (UniqueConstraint("answer_id", "voter_id"),)
    id: int | None = Field(default=None, primary_key=True)
    answer_id: int
    voter_id: str
    useful: bool
    faq_id: str | None = Field(default=None, index=True)
    station_id: str | None = None
    at: datetime = Field(default_factory=utcnow, index=True)


class TopicReview(SQLModel, table=True):
    """An officer reviewed a topic residents found unhelpful: 👎 before this no longer
    keep it from being answered."""

    __tablename__ = "topic_review"
    id: int | None = Field(default=None, primary_key=True)
    faq_id: str = Field(index=True)
    reviewed_by: str
    at: datetime = Field(default_factory=utcnow)


class GroupWelcome(SQLModel, table=True):
    """A group's welcome for new members: off until an officer turns it on; the rules the
    officer set; and the welcome waiting to go out (an outbox row, due at the end of its
    batch), with the names it greets."""

    __tablename__ = "group_welcome"
    group_id: int = Field(foreign_key="chat_group.id", primary_key=True)
    enabled: bool = False
    rules: str = ""
    pending_outbox_id: int | None = None
    pending_names_json: str = "[]"
    updated_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    escalation_id: int | None = Field(default=None, foreign_key="escalation.id", index=True)
    actor: str
    action: str
    detail: str = ""
    at: datetime = Field(default_factory=utcnow)


class ConsoleLoginLink(SQLModel, table=True):
    """A one-time sign-in link for the web console, sent to an officer in private chat.
    Only the token's SHA-256 is kept; ``used_at`` is set by the one redemption."""

    __tablename__ = "console_login_link"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the row only its SHA-256."""

    __tablename__ = "console_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None
    origin: str = ""  # the address it signed in from


class TopicVersion(SQLModel, table=True):
    """A topic as it was before a console save replaced it: its whole topic file, who
    replaced it and when, so that the version can be written back."""

    __tablename__ = "topic_version"
    id: int | None = Field(default=None, primary_key=True)
    faq_id: str = Field(index=True)
    toml: str  # the topic file's text before the save
    action: str  # what replaced it: edit, import, revert
    saved_by: str
    saved_at: datetime = Field(default_factory=utcnow)


def commit_without_flush_wait(connection: Connection) -> None:
    """PostgreSQL: this transaction's commit returns before its WAL reaches the disk.

    For the bookkeeping written on every message (update ledger, statistics): a crash of
    the bot loses nothing, since the rows are committed in the server; only a crash of
    PostgreSQL itself within ~0.6 s could forget them. Waiting held every message in
    flight for a disk flush, which checkpoints make slow. SQLite: nothing to do (WAL with
    synchronous=NORMAL already does not sync on commit).
    """
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets the CLI read while the bot writes; foreign keys are off by default in SQLite.
    # synchronous=NORMAL under WAL survives the process being killed at any point (what
    # the restart tests do); only a power cut can lose the last commits. FULL would fsync
    # on every message.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_tables(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def insert_once(db: Session, table: type[SQLModel]) -> postgresql.Insert | sqlite.Insert:
    """INSERT … ON CONFLICT DO NOTHING in the session's database: a row two workers add
    at the same moment is added once."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    return insert(table).on_conflict_do_nothing()


class Clarification(SQLModel, table=True):
    """A general question two topics fitted: the bot asked which one was meant. The
    resident's choice (a button or "1"/"2") gets that topic's answer, once."""

    id: int | None = Field(default=None, primary_key=True)
    platform: str
    chat_id: str
    message_id: str  # the resident's question: the answer replies to it
    resident_id: str
    resident_name: str
    station_id: str | None = None
    choices: str  # topic ids, comma-separated, in the order offered
    state: str = ClarificationState.OPEN
    created_at: datetime = Field(default_factory=utcnow, index=True)


class LureWave(SQLModel, table=True):
    """The same scam lure in several of a station's groups within the window
    (``guard.wave``): one drafted warning for the station's other groups, sent once when
    an officer taps 发送预警 (``broadcasts.lure_warning``)."""

    __tablename__ = "lure_wave"
    id: int | None = Field(default=None, primary_key=True)
    station_id: str = Field(index=True)
    label: str  # the guard's name for the scam
    quote: str = ""  # the lure's words, masked of personal numbers; "" when only pictures
    draft: str  # the warning for the other groups, as it will be sent
    created_at: datetime = Field(default_factory=utcnow)
    sent_by: str | None = None
    sent_at: datetime | None = None
    campaign_id: int | None = None  # the one-off broadcast that carried it


class LureSighting(SQLModel, table=True):
    """A scam lure the guard saw in a group: its fingerprint (a MinHash signature of the
    text and digests of its handles), never the picture; the text only masked, and only
    from a message (what OCR read in a picture is not kept)."""

    __tablename__ = "lure_sighting"
    __table_args__ = (
        UniqueConstraint("platform", "chat_id", "message_id"),
        Index("ix_lure_sighting_station_at", "station_id", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    station_id: str
    group_id: int = Field(foreign_key="chat_group.id")
    platform: str
    chat_id: str
    message_id: str
    signature: str  # MinHash, fixed-width hex
    handles: str = ""  # digests, space-separated
    text: str = ""  # masked
    picture: bool = False
    label: str = ""
    wave_id: int | None = Field(default=None, foreign_key="lure_wave.id", index=True)
    at: datetime = Field(default_factory=utcnow)
