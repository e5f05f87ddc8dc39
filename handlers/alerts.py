"""Alerts from the phone: an officer sends or forwards a message in private, then 推送.

- A message of an officer's that no other command took is kept as their push and shown
  back with 推送 / 紧急推送 (buttons on Telegram, words to reply with on WeChat).
- 推送 (紧急推送: sent before scheduled campaigns) shows the preview and the scopes the
  officer may reach, numbered; 推送 N (or a button) picks one; 确认推送 sends; 取消 drops.
- The rules are ``broadcasts.alert_machine``; the rows and the run ``broadcasts.alerts``.

Button data: ``a:<verb>:<alert id>:<arg>`` (verb push | urgent | scope | confirm |
cancel; arg the scope's number, else empty), so a stale card answers sensibly after a
restart. Wiring (see ``bot.bootstrap``): the button and command routes go before the
officer's ticket commands, the message route right after them.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Protocol

from sqlmodel import Session

from broadcasts import alert_machine as machine
from broadcasts import alerts
from broadcasts.alert_machine import Phase, Push, Scope
from broadcasts.media import (
    Media,
    MediaProblem,
    check_caption,
    enabled_platforms,
    inspect_media,
    media_store,
    save_media,
    sniff_mime,
    suffix_of,
)
from broadcasts.models import OfficerAlert
from core import safetext
from core.db import Officer, as_utc, row_id, session
from core.events import Button, ButtonPress, ChatRef, Event, IncomingMessage, Outgoing
from core.ports import FetchPicture
from core.templates import render
from handlers.services import HasClock, HasEngine, HasGuard, HasKnowledge, HasSettings
from officers.directory import officer_by_platform_id


class Needs(HasSettings, HasEngine, HasClock, HasKnowledge, HasGuard, Protocol):
    """What officers' alert pushes use of ``Services``."""


log = logging.getLogger(__name__)
BUTTON = re.compile(
    r"a:(?P<verb>push|urgent|scope|confirm|cancel):(?P<id>[0-9]{1,10}):(?P<arg>[0-9]?)"
)


def is_alert_button(event: Event) -> bool:
    return isinstance(event, ButtonPress) and event.data.startswith("a:")


def alert_command(event: Event) -> machine.Command | None:
    """推送 and its follow-ups typed in private, parsed (the route hands it to ``on_command``)."""
    if isinstance(event, IncomingMessage) and not event.is_group:
        return machine.parse(event.text)
    return None


def _timeout(services: Needs) -> timedelta:
    return timedelta(minutes=services.settings.broadcasts.alert_minutes)


def _minutes(services: Needs) -> int:
    return services.settings.broadcasts.alert_minutes


def _say(chat: ChatRef, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> list[Outgoing]:
    return [Outgoing(chat, text, buttons=buttons)]


def _refused(services: Needs, chat: ChatRef, why: str) -> list[Outgoing]:
    return _say(chat, render("alert_refused.j2", why=why, minutes=_minutes(services)))


# --------------------------------------------------------------------------------------
# A message to keep


async def on_officer_message(
    services: Needs, msg: IncomingMessage, fetch_picture: FetchPicture | None = None
) -> list[Outgoing] | None:
    """An officer's message no command took: kept as their push and shown back. A /command
    or a message the guard calls a lure is left to the check (never offered to push).

    Words the knowledge base would answer (良民证咋开) are a question, not a notice: kept
    all the same (推送 still takes them) but left to the FAQ, which answers them.

    A picture or video goes with it: on Telegram by the file_id it came with (nothing is
    downloaded); elsewhere its bytes are fetched through the adapter, checked against
    every platform's limits and kept in the media store. A file the platforms would
    refuse, or words too long for a caption, are refused now, in Chinese."""
    text = msg.text.strip()
    if not (text or msg.picture_id or msg.video_id) or text.startswith("/"):
        return None  # a command (/check, or one no handler knows) is never a push
    with session(services.engine) as db:
        officer = officer_by_platform_id(db, msg.chat.platform, msg.sender_id)
    if officer is None:  # a resident: not read by the guard here, the next route does
        return None
    if text and services.guard(text).verdict == "scam":
        return None
    fetched = await _fetch(msg, fetch_picture)
    words = safetext.clean(msg.text, newlines=True)
    now = services.clock.now()
    with session(services.engine) as db:
        try:
            media = _media(services, db, msg, fetched)
            if media is not None:  # Telegram's file_id reaches Telegram's groups only
                kept = msg.chat.platform == "telegram"
                check_caption(words, ("telegram",) if kept else _platforms(services))
        except MediaProblem as problem:
            db.rollback()
            return [Outgoing(msg.chat, str(problem), reply_to=msg.message_id)]
        row = alerts.hold(
            db,
            officer,
            msg.chat.platform,
            msg.chat.chat_id,
            msg.message_id,
            words,
            now,
            picture_id=msg.picture_id,
            video_id=msg.video_id,
            media=media,
        )
        db.commit()
        assert row.id is not None
        if media is None and services.knowledge.decide(text, addressed=True).action == "answer":
            return None
        shown = render(
            "alert_held.j2",
            text=alerts.note_text(row),
            media=media.kind if media is not None else "",
            minutes=_minutes(services),
        )
        buttons = (
            Button("推送", f"a:push:{row.id}:"),
            Button("紧急推送", f"a:urgent:{row.id}:"),
        )
        return [Outgoing(msg.chat, shown, reply_to=msg.message_id, buttons=(buttons,))]


def _platforms(services: Needs) -> tuple[str, ...]:
    return enabled_platforms(services.settings)


async def _fetch(msg: IncomingMessage, fetch_picture: FetchPicture | None) -> bytes | None:
    """A picture's bytes from a platform that keeps no reusable id for us (WeChat)."""
    if msg.chat.platform == "telegram" or not msg.picture_id or fetch_picture is None:
        return None
    try:
        return await fetch_picture(msg.chat, msg.picture_id)
    except Exception:
        log.warning("alerts: could not fetch a picture in %s", msg.chat.platform, exc_info=True)
        return None


def _media(
    services: Needs, db: Session, msg: IncomingMessage, fetched: bytes | None
) -> Media | None:
    """The push's picture or video as it can be sent, or None (words alone, or content
    that could not be fetched: then a note says a picture came with it)."""
    if msg.chat.platform == "telegram":
        if msg.video_id:
            return alerts.platform_media(db, "telegram", msg.video_id, "video")
        if msg.picture_id:
            return alerts.platform_media(db, "telegram", msg.picture_id, "photo")
        return None
    if not fetched:
        return None
    # Named by what it is: a gateway sends a file as a picture by its name's extension.
    name = "picture" + (suffix_of(sniff_mime(fetched)) or ".jpg")
    checked = inspect_media(fetched, name, platforms=_platforms(services))
    return save_media(db, media_store(services.settings), checked)


# --------------------------------------------------------------------------------------
# 推送, 推送 N, 确认推送, 取消 (typed or tapped)


async def on_command(
    services: Needs, msg: IncomingMessage, command: machine.Command
) -> list[Outgoing] | None:
    with session(services.engine) as db:
        officer = officer_by_platform_id(db, msg.chat.platform, msg.sender_id)
        if officer is None:
            return None
        assert officer.id is not None
        row = alerts.live_alert(db, officer.id)
        if machine.only_while_live(msg.text) and not _push_is_meant(officer, row):
            return None  # 取消 / 确认 of something else (a ticket's edit), or nothing
        return _act(services, db, officer, msg.chat, row, command, None)


def _push_is_meant(officer: Officer, row: OfficerAlert | None) -> bool:
    """确认 / 取消 / 紧急 are the push's while it is live, unless the officer began
    editing a ticket's answer after it (then they are the edit's)."""
    if row is None:
        return False
    if officer.editing_ticket_id is not None and officer.editing_since is not None:
        return as_utc(officer.editing_since) < as_utc(row.since)
    return True


async def on_button(services: Needs, press: ButtonPress) -> list[Outgoing]:
    button = BUTTON.fullmatch(press.data)
    with session(services.engine) as db:
        officer = officer_by_platform_id(db, press.chat.platform, press.sender_id)
        if officer is None:
            return _say(press.chat, render("not_officer.j2"))
        alert_id = row_id(button["id"]) if button else None
        if button is None or alert_id is None:
            return _say(press.chat, render("button_invalid.j2"))
        row = db.get(OfficerAlert, alert_id)
        if row is None or row.officer_id != officer.id:
            return _refused(services, press.chat, "nothing")
        if row.phase not in machine.LIVE:
            return _refused(
                services, press.chat, "done" if row.phase != Phase.EXPIRED else "expired"
            )
        verb = button["verb"]
        if verb in ("push", "urgent"):
            command = machine.Command(machine.Verb.PUSH, urgent=verb == "urgent")
        elif verb == "scope":
            number = int(button["arg"]) if button["arg"] else 0
            command = machine.Command(machine.Verb.PUSH, number=number)
        elif verb == "confirm":
            command = machine.Command(machine.Verb.CONFIRM)
        else:
            command = machine.Command(machine.Verb.CANCEL)
        return _act(services, db, officer, press.chat, row, command, press.message_id)


def _act(
    services: Needs,
    db: Session,
    officer: Officer,
    chat: ChatRef,
    row: OfficerAlert | None,
    command: machine.Command,
    card_id: str | None,
) -> list[Outgoing]:
    now = services.clock.now()
    timeout = _timeout(services)
    push = alerts.as_push(row) if row is not None else None
    if row is not None and push is not None:
        lapsed = machine.lapse(push, now, timeout)
        if lapsed is not None:
            alerts.store(row, lapsed)
            row.finished_at = now
            db.add(row)
            db.commit()
            return _refused(services, chat, machine.Refusal.EXPIRED)
    try:
        if command.verb == machine.Verb.CANCEL:
            step = machine.cancel(push)
        elif command.verb == machine.Verb.CONFIRM:
            step = machine.confirm(push, now, timeout)
        else:
            counts = alerts.group_counts(db, officer, alerts.push_platforms(row) if row else None)
            step = _push_or_choose(services, officer, counts, push, command, now, timeout)
    except machine.Refused as refusal:
        return _refused(services, chat, refusal.why)
    assert row is not None and row.id is not None
    if step.phase == Phase.QUEUED:
        return _queue(services, db, officer, chat, row, step, card_id)
    alerts.store(row, step)
    if step.phase == Phase.CANCELLED:
        row.finished_at = now
    db.add(row)
    db.commit()
    if step.phase == Phase.CANCELLED:
        return _card(chat, render("alert_cancelled.j2", alert_id=row.id), card_id)
    text, buttons = _scopes_card(services, db, officer, row, step)
    return _card(chat, text, card_id, buttons)


def _push_or_choose(
    services: Needs,
    officer: Officer,
    counts: dict[Scope, int],
    push: Push | None,
    command: machine.Command,
    now: datetime,
    timeout: timedelta,
) -> Push:
    """推送 (the scopes), 推送 N (one of them): from a held push the scopes are offered
    first, so 推送 2 straight after the message works too."""
    if push is not None and (push.phase == Phase.HELD or command.number is None):
        scopes = machine.offered(alerts.role_of(services.settings, officer), counts)
        push = machine.ask(push, scopes, now, timeout, urgent=command.urgent)
        if command.number is None:
            return push
    return machine.choose(push, command.number or 0, now, timeout, urgent=command.urgent)


def _scopes_card(
    services: Needs, db: Session, officer: Officer, row: OfficerAlert, push: Push
) -> tuple[str, tuple[tuple[Button, ...], ...]]:
    counts = alerts.group_counts(db, officer, alerts.push_platforms(row))
    role = alerts.role_of(services.settings, officer)
    approval = machine.needs_approval(
        role, alerts.station_requires_approval(services.settings, officer.station_id)
    )
    text = render(
        "alert_scopes.j2",
        alert_id=row.id,
        urgent=push.urgent,
        text=alerts.note_text(row),
        step=str(push.phase),
        scopes=[(str(s), counts.get(s, 0)) for s in push.offered],
        scope=str(push.scope) if push.scope else "",
        groups=counts.get(push.scope, 0) if push.scope else 0,
        approval=approval,
        minutes=_minutes(services),
    )
    cancel = Button("取消", f"a:cancel:{row.id}:")
    if push.phase == Phase.CHOOSING:
        labels = {Scope.MINE: "我负责的群", Scope.STATION: "本所全部", Scope.CITY: "全市全部"}
        rows = tuple(
            (Button(f"推送 {labels[s]}（{counts.get(s, 0)}）", f"a:scope:{row.id}:{n}"),)
            for n, s in enumerate(push.offered, 1)
        )
        return text, (*rows, (cancel,))
    return text, ((Button("确认推送", f"a:confirm:{row.id}:"), cancel),)


def _queue(
    services: Needs,
    db: Session,
    officer: Officer,
    chat: ChatRef,
    row: OfficerAlert,
    step: Push,
    card_id: str | None,
) -> list[Outgoing]:
    role = alerts.role_of(services.settings, officer)
    approval = machine.needs_approval(
        role, alerts.station_requires_approval(services.settings, officer.station_id)
    )
    now = services.clock.now()
    assert step.scope is not None
    groups = alerts.group_counts(db, officer, alerts.push_platforms(row)).get(step.scope, 0)
    try:
        queued = alerts.queue(
            db, row, officer, step, groups=groups, requires_approval=approval, now=now
        )
    except alerts.AlertProblem:
        return _refused(services, chat, "too long")
    if queued is None:
        return _refused(services, chat, "done")
    text = render(
        "alert_queued.j2",
        alert_id=row.id,
        urgent=step.urgent,
        waiting=queued.waiting_approval,
        groups=groups,
    )
    return _card(chat, text, card_id)


def _card(
    chat: ChatRef,
    text: str,
    card_id: str | None,
    buttons: tuple[tuple[Button, ...], ...] = (),
) -> list[Outgoing]:
    """A button's answer replaces the card it was on (its buttons go with it)."""
    return [Outgoing(chat, text, buttons=buttons, edit_message_id=card_id)]
