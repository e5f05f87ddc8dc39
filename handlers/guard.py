"""The guard in the group: scam lures get a warning and the officer an alert; personal
numbers get a kind reminder. In private, residents can ask the bot to check a message."""

from __future__ import annotations

import asyncio
import logging
import re
from functools import cache
from typing import Protocol

from core import safetext
from core.config import StationSettings
from core.db import Officer
from core.dispatcher import Continue
from core.events import IncomingMessage, Outgoing
from core.ports import FetchPicture
from core.templates import render
from core.unit import event_session
from guard.detect import OK, GuardResult
from guard.picture import PictureReading, check_and_read
from guard.render import check_reply, officer_alert, pii_reminder, scam_warning
from handlers import earlywarn
from handlers.common import ensure_group
from handlers.services import HasEngine, HasGuard
from officers.directory import officer_by_platform_id, private_chat


class Needs(earlywarn.Needs, HasEngine, HasGuard, Protocol):
    """What the guard uses of ``Services``: the settings, engine and stations, and what
    recording a lure for the early warning needs (what it lets through is answered by the
    questions route, which is given its own)."""


log = logging.getLogger(__name__)
CHECK_COMMAND = re.compile(r"^\s*(/check|检查|查一查|鉴定)(@\S+)?\s*", re.I)


def _exempt_numbers(services: Needs) -> frozenset[str]:
    """The stations' public phone numbers, as digits: posting them is not personal data."""
    return _phone_digits(services.settings.stations)


@cache  # the settings are frozen: worked out once, not for every message
def _phone_digits(stations: tuple[StationSettings, ...]) -> frozenset[str]:
    return frozenset(re.sub(r"\D", "", s.phone) for s in stations)


NOTHING_READ = PictureReading("", ())


async def _check_picture(
    msg: IncomingMessage, fetch_picture: FetchPicture | None, exempt: frozenset[str]
) -> tuple[GuardResult, PictureReading]:
    """The picture's verdict and what was read. Fetched into memory, read in a worker
    thread (OCR takes a tenth of a second or more: never on the event loop), then dropped."""
    if fetch_picture is None or not msg.picture_id:
        return OK, NOTHING_READ
    try:
        data = await fetch_picture(msg.chat, msg.picture_id)
    except Exception:
        log.warning("guard: could not fetch a picture in %s", msg.chat.platform, exc_info=True)
        return OK, NOTHING_READ
    if not data:
        return OK, NOTHING_READ
    return await asyncio.to_thread(check_and_read, data, exempt_numbers=exempt)


async def on_group_message(
    services: Needs, msg: IncomingMessage, fetch_picture: FetchPicture | None = None
) -> list[Outgoing] | Continue | None:
    """Guards a resident's group message: ``None`` when there is nothing to say (it goes on to
    be answered), ``Continue`` after a reminder about personal data (answered too).

    A picture's text is only ever judged here: a picture alone that is fine ends the
    message's way (``[]``), so the FAQ never answers what OCR read; a caption still goes on.
    """
    if msg.sender_is_bot or not (msg.text.strip() or msg.picture_id):
        return None
    exempt = _exempt_numbers(services)
    result = services.guard(msg.text, exempt_numbers=exempt) if msg.text.strip() else OK
    reading = None  # what was read in the picture, when the picture was judged
    if result.verdict == "ok" and msg.picture_id:
        result, reading = await _check_picture(msg, fetch_picture, exempt)
    if result.verdict == "ok":
        return None if msg.text.strip() else []
    with event_session(services.engine) as db:
        if officer_by_platform_id(db, msg.chat.platform, msg.sender_id) is not None:
            # officers post warnings that quote scripts, and their own numbers
            return None if msg.text.strip() else []
        group = ensure_group(db, msg.chat, msg.chat_title)
        station = services.station_details(group.station_id)
        may_delete = station is not None and station.delete_lures
        officer = db.get(Officer, group.officer_id) if group.officer_id else None
        if result.verdict == "pii":
            # A reply that @mentions the resident, not their display name in the bot's words:
            # a name can be a lure ("【警方通知】扫码领补贴…").
            out = [
                Outgoing(
                    msg.chat,
                    pii_reminder(result.label, render("resident_address.j2")),
                    reply_to=msg.message_id,
                    mention_id=msg.sender_id,
                    mention_name=safetext.name(msg.sender_name),
                )
            ]
            if may_delete:
                out.append(Outgoing(msg.chat, "", delete_message_id=msg.message_id))
            # The message may still hold a question: it goes on to be answered (from its
            # masked text), after the reminder.
            return Continue(out) if msg.text.strip() else out
        # Counted towards a wave across the station's groups (committed here, with the
        # officers' card when this sighting makes the wave).
        earlywarn.record_lure(
            db,
            services,
            group,
            msg,
            result,
            text=reading.text if reading else msg.text,
            codes=reading.codes if reading else (),
            picture=reading is not None,
            exempt=exempt,
        )
        out = [Outgoing(msg.chat, scam_warning(result.label), reply_to=msg.message_id)]
        alert_to = private_chat(officer, msg.chat.platform) if officer else None
        if alert_to is not None:
            title = safetext.name(group.title or msg.chat.chat_id, 30)
            name, text = safetext.name(msg.sender_name), safetext.inline(msg.text, 500)
            alert = officer_alert(title, name, result.label, text, picture=bool(msg.picture_id))
            out.append(Outgoing(alert_to, alert))
        if may_delete:
            out.append(Outgoing(msg.chat, "", delete_message_id=msg.message_id))
        return out


async def on_private_check(services: Needs, msg: IncomingMessage) -> list[Outgoing] | None:
    """`/check <text>` always gets a verdict; a pasted lure without the command does too."""
    command = CHECK_COMMAND.match(msg.text)
    text = msg.text[command.end() :] if command else msg.text
    if command and not text.strip():
        return [Outgoing(msg.chat, check_reply("empty", "", ""), reply_to=msg.message_id)]
    result: GuardResult = services.guard(text, exempt_numbers=_exempt_numbers(services))
    if command is None and result.verdict != "scam":
        return None
    return [
        Outgoing(
            msg.chat,
            check_reply(result.verdict, result.label, result.advice),
            reply_to=msg.message_id,
        )
    ]
