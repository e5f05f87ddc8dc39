"""Broadcast tables: campaigns, their runs, per-station approvals, and the delivery ledger.

Times are aware datetimes in UTC (SQLModel's ``UTCDateTime`` refuses naive ones);
``to_db`` normalises a moment to whole seconds in UTC so a slot compares equal however it
was computed, and ``core.db.as_utc`` makes sure what comes back is aware.

A *slot* is a run's scheduled time. Each (campaign, slot, platform, chat) is one
``Delivery`` row, unique, so a slot can never be planned twice for a group; its state
goes pending -> sending -> sent | failed, or is skipped at planning (see
``broadcasts.fanout`` for why "sending" is never retried automatically).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class DeliveryState(StrEnum):
    """``Delivery.state``: pending -> sending -> sent | failed, or skipped at planning."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class Approval(StrEnum):
    """``RunStation.approval``: a station's say on a run. ``WAITING`` is stored as
    "pending" (the word the table has always held): not ``DeliveryState.PENDING``."""

    AUTO = "auto"  # the campaign needs no approval
    WAITING = "pending"  # asked, not answered yet
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"  # not answered in time


class RunState(StrEnum):
    """``BroadcastRun.state``: open while anything of it is pending or awaits approval."""

    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"  # not sent at all: ``reason`` says why


# BroadcastRun.trigger of `jingmin broadcast send-now`: sent by the command itself, or
# handed to the running bot (which then sends it at once, with its own connections)
BY_CLI, CLI_VIA_BOT = "cli", "cli:bot"


def to_db(moment: datetime) -> datetime:
    """An aware moment as stored: UTC, whole seconds."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime cannot be stored: give it a time zone")
    return moment.astimezone(UTC).replace(microsecond=0)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Campaign(SQLModel, table=True):
    __tablename__ = "broadcast_campaign"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    template_source: str  # a jinja2 template, validated when saved (broadcasts.render)
    cron: str | None = None  # "0 10 * * 1" in the configured time zone ...
    run_at: datetime | None = None  # ... or a one-off time; neither: sent only by hand
    targets_json: str = '{"kind": "all"}'  # all | stations: [ids] | groups: [chat_group ids]
    requires_approval: bool = False
    paused: bool = False
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)  # schedule/pause changes: see planner
    # One picture, video or file sent with the text as its caption (broadcasts.media).
    media_id: int | None = Field(default=None, foreign_key="broadcast_media.id")


class BroadcastRun(SQLModel, table=True):
    """One slot of one campaign: open while anything of it is pending or awaits approval."""

    __tablename__ = "broadcast_run"
    __table_args__ = (UniqueConstraint("campaign_id", "slot"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="broadcast_campaign.id", index=True)
    slot: datetime
    trigger: str  # schedule | catch-up | cli | officer:<name>
    state: str = Field(default=RunState.OPEN, index=True)  # RunState
    reason: str = ""
    created_at: datetime = Field(default_factory=_now)
    finished_at: datetime | None = None


class RunStation(SQLModel, table=True):
    """A run as one station sees it: its approval, its planning, its officer's summary."""

    __tablename__ = "broadcast_run_station"
    __table_args__ = (UniqueConstraint("campaign_id", "slot", "station_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="broadcast_campaign.id", index=True)
    slot: datetime
    station_id: str
    approval: str = Approval.AUTO  # Approval (stored as its value)
    decided_by: str | None = None
    decided_at: datetime | None = None
    preview_sent_at: datetime | None = None
    planned_at: datetime | None = None
    summary_sent_at: datetime | None = None


class Delivery(SQLModel, table=True):
    __tablename__ = "broadcast_delivery"
    __table_args__ = (
        UniqueConstraint("campaign_id", "slot", "platform", "chat_id"),
        Index("ix_broadcast_delivery_run_state", "campaign_id", "slot", "state"),
        Index("ix_broadcast_delivery_state", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="broadcast_campaign.id")
    slot: datetime
    group_id: int | None = Field(default=None, foreign_key="chat_group.id")
    station_id: str | None = None
    platform: str
    chat_id: str
    account: str | None = None  # the account that sends it (several WeChat accounts)
    state: str = DeliveryState.PENDING  # DeliveryState (stored as its value)
    reason: str = ""
    message_id: str | None = None
    attempts: int = 0
    claimed_by: str | None = None  # "host:pid:nonce" of the worker that took it
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


class OfficerAlert(SQLModel, table=True):
    """An officer's push: the message kept, the step it is at, and once confirmed, its
    campaign and run (``campaign_id``; the run's slot is ``queued_at``)."""

    __tablename__ = "officer_alert"
    id: int | None = Field(default=None, primary_key=True)
    officer_id: int = Field(foreign_key="officer.id", index=True)
    platform: str
    chat_id: str  # the officer's private chat (the report goes there)
    message_id: str  # the officer's message
    text: str = ""
    picture_id: str = ""  # the platform's reference to a picture sent with it ...
    video_id: str = ""  # ... or a video
    # The picture or video as the push sends it (Telegram: its file_id, reused; WeChat:
    # its bytes, fetched into the media store); None for words alone.
    media_id: int | None = Field(default=None, foreign_key="broadcast_media.id")
    phase: str = Field(default="held", index=True)  # broadcasts.alert_machine.Phase
    urgent: bool = False
    offered: str = ""  # the scopes shown, comma-separated, in the order numbered
    scope: str | None = None
    groups: int = 0  # the groups the chosen scope reaches (as shown when confirming)
    campaign_id: int | None = Field(default=None, foreign_key="broadcast_campaign.id", index=True)
    queued_at: datetime | None = None
    since: datetime = Field(default_factory=_now)
    created_at: datetime = Field(default_factory=_now)
    finished_at: datetime | None = None
