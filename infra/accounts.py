"""Several accounts on one platform: WeChat at station scale (issue 16).

One WeChat account cannot send a warning to a station's 1,362 groups in a day (its daily
cap, its pace, and what WeChat tolerates of one account), so a station runs several, each
in its own rooms. This module knows which account is where, platform-neutrally:

- ``AccountDirectory`` (the database): every account's rooms (``ChatAccount`` rows, read
  from its room list on connect, so rooms are known before anyone speaks), which account
  *serves* each room (``Group.account``: a room two accounts share is served by one, the
  other is its spare), which contacts an account can write to, and which accounts rest
  (``AccountRest``: restricted by the platform, their rooms moved to their spares).
- ``AccountRouter``: one ``ChatAdapter`` in front of one adapter per account. A room's
  events are handled only when they come through the account serving it (otherwise a
  shared room would be answered twice); replies go out through that account; a private
  message through an account the contact wrote to, or one that has them as a contact.
  Broadcasts are sent per account (``account_sender``), each under its own limiter.

With one account configured nothing of this is used: the platform's single adapter is
wired as before (groups and deliveries then carry no account).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from core.db import AccountRest, ChatAccount, Group, as_utc, in_chunks
from core.events import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    ChatRef,
    Event,
    IncomingMessage,
    Outgoing,
    SentRef,
)
from core.ports import AccountRestricted, Clock, EventSink, SendError, SystemClock

log = logging.getLogger(__name__)

CACHE_SECONDS = 10.0  # how long this process trusts what it read of a room's serving account


@dataclass
class Handover:
    """What moving an account's rooms to their spares did."""

    account: str
    moved: int = 0  # rooms now served by another account
    stuck: int = 0  # rooms with no other account: they wait for this one
    deliveries: int = 0  # pending broadcast rows that moved with their rooms
    stations: set[str] = field(default_factory=set)  # stations whose rooms were affected


class AccountDirectory:
    """Which account is in, and serves, each chat of ``platform`` (see the module doc)."""

    def __init__(
        self,
        engine: Engine,
        platform: str,
        accounts: Sequence[str],
        clock: Clock | None = None,
    ) -> None:
        self.engine, self.platform = engine, platform
        self.order = tuple(accounts)  # config order: the first healthy member serves
        self.clock: Clock = clock or SystemClock()
        self._serving: dict[str, tuple[float, str | None]] = {}

    # -- reading -------------------------------------------------------------------------

    def members(self, db: Session, chat_id: str) -> list[str]:
        rows = db.exec(
            select(ChatAccount.account).where(
                ChatAccount.platform == self.platform, ChatAccount.chat_id == chat_id
            )
        ).all()
        return self._ordered(rows)

    def resting_until(self, account: str) -> datetime | None:
        """When the account's rest ends, if it rests now."""
        with Session(self.engine) as db:
            return self._resting_until(db, account)

    def _resting_until(self, db: Session, account: str) -> datetime | None:
        row = db.exec(
            select(AccountRest).where(
                AccountRest.platform == self.platform, AccountRest.account == account
            )
        ).first()
        if row is None:
            return None
        until = as_utc(row.until)
        return until if until > self.clock.now() else None

    def resting(self) -> set[str]:
        """The accounts that rest now."""
        with Session(self.engine) as db:
            return self._resting(db)

    def _resting(self, db: Session) -> set[str]:
        now = self.clock.now()
        rows = db.exec(select(AccountRest).where(AccountRest.platform == self.platform)).all()
        return {r.account for r in rows if as_utc(r.until) > now}

    def serving(self, chat_id: str) -> str | None:
        """The account serving the room (cached for a few seconds)."""
        cached = self._serving.get(chat_id)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        with Session(self.engine) as db:
            account = db.exec(
                select(Group.account).where(
                    Group.platform == self.platform, Group.chat_id == chat_id
                )
            ).first()
        self._remember(chat_id, account)
        return account

    def contact_accounts(self, chat_id: str) -> list[str]:
        with Session(self.engine) as db:
            return self.members(db, chat_id)

    def _remember(self, chat_id: str, account: str | None) -> None:
        self._serving[chat_id] = (time.monotonic() + CACHE_SECONDS, account)
        if len(self._serving) > 20_000:
            self._serving.clear()

    def _ordered(self, accounts: Iterable[str]) -> list[str]:
        found = set(accounts)
        known = [a for a in self.order if a in found]
        return known + sorted(found - set(known))

    def _pick(self, members: Sequence[str], current: str | None, resting: set[str]) -> str | None:
        """Who serves a room: its current account while that is in it and well, else the
        first member that is well, else the current one (the room waits for it)."""
        well = [a for a in self._ordered(members) if a not in resting]
        if current in well and current in self.order:
            return current
        if well:
            return well[0]
        if current is not None:
            return current
        return members[0] if members else None

    # -- rooms -----------------------------------------------------------------------------

    def roster(self, account: str, rooms: Sequence[tuple[str, str]]) -> int:
        """The account's room list as read on connect (room id, topic); returns rooms new
        to the bot. The account's memberships become exactly these; every room gets a
        group (unbound until an officer binds it) and a serving account."""
        now = self.clock.now()
        wanted = {room_id: topic for room_id, topic in rooms}
        added = 0
        with Session(self.engine, expire_on_commit=False) as db:
            mine = db.exec(
                select(ChatAccount).where(
                    ChatAccount.platform == self.platform,
                    ChatAccount.account == account,
                    # rooms only (a room has a group); contacts stay
                    col(ChatAccount.chat_id).in_(
                        select(Group.chat_id).where(Group.platform == self.platform)
                    ),
                )
            ).all()
            have = {m.chat_id: m for m in mine}
            if have and not wanted:
                # A gateway that has not loaded its rooms yet lists none: not a reason to
                # take the account out of all of them.
                log.warning(
                    "%s account %s listed no rooms; keeping its %d",
                    self.platform,
                    account,
                    len(have),
                )
                return 0
            for room_id, member in have.items():
                if room_id not in wanted:
                    db.delete(member)  # it left that room while we were away
                else:
                    member.seen_at = now
                    db.add(member)
            for room_id in wanted:
                if room_id not in have:
                    db.add(
                        ChatAccount(
                            platform=self.platform, chat_id=room_id, account=account, seen_at=now
                        )
                    )
            db.flush()
            resting = self._resting(db)
            ids = list(wanted)
            groups: dict[str, Group] = {}
            for chunk in in_chunks(ids):
                for found in db.exec(
                    select(Group).where(
                        Group.platform == self.platform, col(Group.chat_id).in_(chunk)
                    )
                ):
                    groups[found.chat_id] = found
            for room_id, topic in wanted.items():
                group = groups.get(room_id) or Group(
                    platform=self.platform, chat_id=room_id, title=topic
                )
                if group.id is None:
                    added += 1
                members = self.members(db, room_id)
                chosen = self._pick(members, group.account, resting)
                if group.account is not None and group.account not in members:
                    chosen = self._pick(members, None, resting)
                if chosen != group.account:
                    group.account = chosen
                    db.add(group)
                    self._remember(room_id, chosen)
                elif group.id is None:
                    db.add(group)
            for room_id in set(have) - set(wanted):
                self._leave_on(db, account, room_id, resting)
            db.commit()
        log.info("%s account %s: in %d rooms (%d new)", self.platform, account, len(rooms), added)
        return added

    def joined(self, account: str, chat_id: str) -> bool:
        """The account was added to a room; True when it serves the room now (a room new to
        the bot: its event goes on, for the introduction), False when another serves it."""
        with Session(self.engine, expire_on_commit=False) as db:
            self._add_member(db, account, chat_id)
            group = self._group(db, chat_id)
            served_by_other = (
                group is not None
                and group.active
                and group.account not in (None, account)
                and group.account in self.order  # an account no longer configured serves none
                and group.account in self.members(db, chat_id)
                and group.account not in self._resting(db)
            )
            if group is None:
                group = Group(platform=self.platform, chat_id=chat_id)
            if not served_by_other:
                group.account = account
                db.add(group)
            try:
                db.commit()
            except IntegrityError:  # another worker added the group meanwhile
                db.rollback()
        self._serving.pop(chat_id, None)
        return not served_by_other

    def left(self, account: str, chat_id: str) -> bool:
        """The account left (was removed from) a room; True when no account is left in it
        (the group is gone), False when another account serves it from now on."""
        with Session(self.engine, expire_on_commit=False) as db:
            remaining = self._leave_on(db, account, chat_id, self._resting(db))
            db.commit()
        return remaining is None

    def hand_over(self, account: str, chat_id: str) -> str | None:
        """A send through ``account`` found it not in the room: its membership ends and
        the room (with its pending broadcast rows) goes to its spare, which is returned;
        None when no other account is in the room."""
        return None if self.left(account, chat_id) else self.serving(chat_id)

    def _leave_on(self, db: Session, account: str, chat_id: str, resting: set[str]) -> str | None:
        for member in db.exec(
            select(ChatAccount).where(
                ChatAccount.platform == self.platform,
                ChatAccount.chat_id == chat_id,
                ChatAccount.account == account,
            )
        ):
            db.delete(member)
        db.flush()
        others = self.members(db, chat_id)
        group = self._group(db, chat_id)
        if not others:
            return None
        serving = others[0]
        if group is not None:
            if group.account in (None, account) or group.account not in others:
                group.account = self._pick(others, None, resting)
                db.add(group)
            serving = group.account or serving
        self._move_pending(db, chat_id, account, serving)
        self._serving.pop(chat_id, None)
        return serving

    def _group(self, db: Session, chat_id: str) -> Group | None:
        return db.exec(
            select(Group).where(Group.platform == self.platform, Group.chat_id == chat_id)
        ).first()

    def _add_member(self, db: Session, account: str, chat_id: str) -> None:
        found = db.exec(
            select(ChatAccount).where(
                ChatAccount.platform == self.platform,
                ChatAccount.chat_id == chat_id,
                ChatAccount.account == account,
            )
        ).first()
        row = found or ChatAccount(platform=self.platform, chat_id=chat_id, account=account)
        row.seen_at = self.clock.now()
        db.add(row)
        db.flush()

    def _move_pending(self, db: Session, chat_id: str, old: str, new: str | None) -> int:
        # The broadcast ledger's table, by name: infra/ does not import broadcasts/ ("pending"
        # is broadcasts.models.DeliveryState.PENDING).
        table = SQLModel.metadata.tables.get("broadcast_delivery")
        if new is None or table is None:
            return 0
        result = db.connection().execute(
            update(table)
            .where(
                table.c.platform == self.platform,
                table.c.chat_id == chat_id,
                table.c.account == old,
                table.c.state == "pending",
            )
            .values(account=new)
        )
        return int(result.rowcount or 0)

    # -- contacts --------------------------------------------------------------------------

    def reached(self, account: str, chat_id: str) -> None:
        """A contact wrote to the account privately: it can write back."""
        with Session(self.engine) as db:
            self._add_member(db, account, chat_id)
            db.commit()

    # -- accounts in trouble ---------------------------------------------------------------

    def rest(self, account: str, reason: str, until: datetime) -> Handover:
        """The platform restricted ``account``: it rests until ``until``, and each room it
        serves moves to a spare that is well (its pending broadcast rows with it)."""
        handover = Handover(account)
        with Session(self.engine, expire_on_commit=False) as db:
            row = db.exec(
                select(AccountRest).where(
                    AccountRest.platform == self.platform, AccountRest.account == account
                )
            ).first() or AccountRest(platform=self.platform, account=account, until=until)
            row.until = max(as_utc(row.until), until)
            row.reason, row.since = reason[:500], self.clock.now()
            db.add(row)
            db.flush()
            handover = self._hand_over_rooms(db, account)
            db.commit()
        log.warning(
            "%s account %s rests until %s (%s): %d rooms moved to their spare, %d wait",
            self.platform,
            account,
            until.isoformat(),
            reason,
            handover.moved,
            handover.stuck,
        )
        return handover

    def hand_over_rooms(self, account: str) -> Handover:
        """Move what a resting account serves to spares (again: spares may have joined)."""
        with Session(self.engine, expire_on_commit=False) as db:
            handover = self._hand_over_rooms(db, account)
            db.commit()
        return handover

    def _hand_over_rooms(self, db: Session, account: str) -> Handover:
        handover = Handover(account)
        resting = self._resting(db) | {account}
        groups = db.exec(
            select(Group).where(Group.platform == self.platform, Group.account == account)
        ).all()
        for group in groups:
            spare = self._pick(
                [m for m in self.members(db, group.chat_id) if m != account], None, resting
            )
            if group.station_id:
                handover.stations.add(group.station_id)
            if spare is None or spare in resting:
                handover.stuck += 1
                continue
            group.account = spare
            db.add(group)
            handover.moved += 1
            handover.deliveries += self._move_pending(db, group.chat_id, account, spare)
            self._remember(group.chat_id, spare)
        return handover


# --------------------------------------------------------------------------------------
# The router


class AccountSender(Protocol):
    """One account's adapter, rate limited (``infra.ratelimit.RateLimitedAdapter``)."""

    platform: str

    async def start(self, on_event: EventSink) -> None: ...

    async def stop(self) -> None: ...

    async def send(self, out: Outgoing) -> SentRef: ...

    async def send_broadcast(
        self,
        out: Outgoing,
        claim: Callable[[], Awaitable[bool]] | None = None,
        *,
        urgent: bool = False,
    ) -> SentRef | None: ...


# Told when an account begins to rest: which, why, until when, what became of its rooms.
RestListener = Callable[[str, str, datetime, Handover], Awaitable[object]]


class AccountRouter:
    """A ``ChatAdapter`` (and broadcast sender) over one adapter per account."""

    paces_itself = True  # each account has its own limiter: not to be wrapped in another

    def __init__(self, accounts: Mapping[str, AccountSender], directory: AccountDirectory) -> None:
        if not accounts:
            raise ValueError("an AccountRouter needs at least one account")
        self.accounts = dict(accounts)
        self.directory = directory
        self.platform = directory.platform
        self.on_rest: RestListener | None = None  # the composition root tells the officers
        self._started: list[AccountSender] = []

    @property
    def connected(self) -> bool:
        return all(getattr(a, "connected", True) for a in self.accounts.values())

    def account_sender(self, account: str) -> AccountSender | None:
        return self.accounts.get(account)

    async def start(self, on_event: EventSink) -> None:
        """Start every account; rooms are read as each one connects."""
        try:
            for account, adapter in self.accounts.items():
                await adapter.start(self._sink(account, on_event))
                self._started.append(adapter)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        started, self._started = self._started, []
        for adapter in reversed(started):
            try:
                await adapter.stop()
            except Exception:
                log.exception("%s: stopping an account failed", self.platform)

    def _sink(self, account: str, downstream: EventSink) -> EventSink:
        directory = self.directory

        async def take(event: Event) -> object:
            if not await asyncio.to_thread(self._ours, directory, account, event):
                return None
            return await downstream(event)

        return take

    @staticmethod
    def _ours(directory: AccountDirectory, account: str, event: Event) -> bool:
        """Whether an event that came through ``account`` is for the bot to handle."""
        if isinstance(event, BotAddedToGroup):
            return directory.joined(account, event.chat.chat_id)
        if isinstance(event, BotRemovedFromGroup):
            return directory.left(account, event.chat.chat_id)
        if isinstance(event, IncomingMessage):
            chat_id = event.chat.chat_id
            if not event.is_group:
                directory.reached(account, chat_id)
                return True
            serving = directory.serving(chat_id)
            if serving is None or serving not in directory.order:
                return directory.joined(account, chat_id)
            return serving == account
        return True

    # -- sending ---------------------------------------------------------------------------

    async def send(self, out: Outgoing) -> SentRef:
        """A reply goes through the chat's account; if the platform restricts that account
        now, it rests (its rooms go to their spares) and the reply goes through the spare."""
        account = await self._account_for(out.chat)
        try:
            return await self.accounts[account].send(out)
        except AccountRestricted as restricted:
            await self.rest(account, restricted.reason, restricted.rest_seconds)
            spare = await self._account_for(out.chat)
            if spare == account:
                raise
            return await self.accounts[spare].send(out)

    async def rest(self, account: str, reason: str, seconds: float) -> Handover:
        """The platform restricted ``account`` outside a broadcast (a reply, a logout): it
        rests, its rooms go to their spares, and ``on_rest`` is told."""
        until = self.directory.clock.now() + timedelta(seconds=seconds)
        handover = await asyncio.to_thread(self.directory.rest, account, reason, until)
        if self.on_rest is not None:
            try:
                await self.on_rest(account, reason, until, handover)
            except Exception:
                log.exception("%s: telling about account %s failed", self.platform, account)
        return handover

    async def send_broadcast(
        self,
        out: Outgoing,
        claim: Callable[[], Awaitable[bool]] | None = None,
        *,
        urgent: bool = False,
    ) -> SentRef | None:
        account = await self._account_for(out.chat)
        return await self.accounts[account].send_broadcast(out, claim, urgent=urgent)

    async def _account_for(self, chat: ChatRef) -> str:
        """The room's serving account; for a contact, an account they wrote to, else one
        that has them as a contact, else the first account."""
        directory = self.directory
        serving = await asyncio.to_thread(directory.serving, chat.chat_id)
        if serving in self.accounts:
            return serving
        candidates = await asyncio.to_thread(directory.contact_accounts, chat.chat_id)
        resting = await asyncio.to_thread(directory.resting)
        for account in candidates:
            adapter = self.accounts.get(account)
            well = account not in resting and getattr(adapter, "connected", True)
            if adapter is not None and well:
                return account
        for account, adapter in self.accounts.items():
            is_contact = getattr(adapter, "is_contact", None)
            if account in resting or account in candidates:
                continue
            if is_contact is not None and getattr(adapter, "connected", True):
                try:
                    if await is_contact(chat.chat_id):
                        await asyncio.to_thread(directory.reached, account, chat.chat_id)
                        return account
                except SendError:  # not connected after all, or restricted
                    continue
        if candidates and candidates[0] in self.accounts:
            return candidates[0]
        return next(iter(self.accounts))

    def __getattr__(self, name: str) -> Any:
        # Extras of the adapters (a setup check...) are the first account's.
        if name in ("accounts", "directory", "on_rest", "_started"):
            raise AttributeError(name)
        return getattr(next(iter(self.accounts.values())), name)


def account_sender(sender: object, account: str | None) -> Any:
    """The sender of one account's rows: the router's account, or the sender itself."""
    pick = getattr(sender, "account_sender", None)
    if account is None or pick is None:
        return sender
    return pick(account)
