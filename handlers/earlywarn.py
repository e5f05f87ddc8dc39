"""Scam early warning: every lure the guard sees in a group is a sighting row; the same lure
in enough of a station's groups within the window is a wave, and the station's officers
get one drafted warning for its other groups (``guard.wave`` decides; this module stores).

The sighting, the wave and the officers' cards (outbox rows) are written in one
transaction: a crash loses or doubles none of them, and a message handled again after a
crash finds its sighting and adds nothing. On PostgreSQL the station's row is locked for
the transaction, so two workers seeing the third and fourth copy at once make one wave;
SQLite writes one transaction at a time anyway (the sighting is written before anything
is read).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import update
from sqlmodel import Session, col, select

from broadcasts.lure_warning import other_groups
from core import safetext
from core.db import Group, LureSighting, LureWave, Station, as_utc
from core.events import Button, IncomingMessage, Outgoing
from core.templates import render, render_quoted
from guard import pii, wave
from guard.detect import GuardResult
from handlers.common import default_station
from handlers.services import HasClock, HasSettings, HasStations
from infra import outbox
from officers.directory import private_chat, station_officers


class Needs(HasSettings, HasClock, HasStations, Protocol):
    """What recording a lure and starting a wave use of ``Services``."""


log = logging.getLogger(__name__)

CARD_KIND = "lure wave card"
TEXT_LIMIT = 500  # characters of a lure's masked text kept with its sighting
LOOK_BACK = 500  # the newest sightings of the station in the window compared (~16 ms)


def send_button(wave_id: int) -> Button:
    """WeChat shows it as the command "发送预警 <id>" (its label's first word)."""
    return Button("发送预警", f"b:warn:{wave_id}")


def record_lure(
    db: Session,
    services: Needs,
    group: Group,
    msg: IncomingMessage,
    result: GuardResult,
    *,
    text: str,
    codes: Sequence[str] = (),
    picture: bool = False,
    exempt: frozenset[str] = frozenset(),
) -> LureWave | None:
    """Records that ``group`` got a lure (``text``: the message, or what OCR read in its
    picture, which is fingerprinted but not kept) and commits (while an event is handled,
    with the event's other rows: see ``core.unit``); returns the wave it started, if it did."""
    station_id = group.station_id or default_station(services)
    if station_id is None or group.id is None:
        return None
    found = wave.fingerprint(text, codes, exempt)
    if found.empty:
        return None
    known = db.exec(
        select(LureSighting.id).where(
            LureSighting.platform == msg.chat.platform,
            LureSighting.chat_id == msg.chat.chat_id,
            LureSighting.message_id == msg.message_id,
        )
    ).first()
    if known is not None:
        return None  # handled again after a crash: counted already
    signature, handles = found.encode()
    at = msg.received_at
    sighting = LureSighting(
        station_id=station_id,
        group_id=group.id,
        platform=msg.chat.platform,
        chat_id=msg.chat.chat_id,
        message_id=msg.message_id,
        signature=signature,
        handles=handles,
        text="" if picture else safetext.cap(pii.mask_pii(text, exempt_numbers=exempt), TEXT_LIMIT),
        picture=picture,
        label=result.label,
        at=at,
    )
    db.add(sighting)
    db.flush()  # SQLite: the write lock is ours from here on
    db.exec(select(Station.id).where(Station.id == station_id).with_for_update()).first()
    settings = services.settings.guard
    window = timedelta(minutes=settings.wave_minutes)
    rows = db.exec(
        select(LureSighting)
        .where(
            LureSighting.station_id == station_id,
            col(LureSighting.at) >= at - window,
            col(LureSighting.at) <= at + window,
            col(LureSighting.id) != sighting.id,
        )
        .order_by(col(LureSighting.id).desc())
        .limit(LOOK_BACK)
    ).all()
    verdict = wave.assess(
        _seen(sighting),
        [_seen(row) for row in rows],
        groups_needed=settings.wave_groups,
        window=window,
        threshold=settings.wave_similarity,
    )
    started = None
    if verdict.join is not None:
        sighting.wave_id = verdict.join
    elif verdict.starts:
        matched = [row for row in rows if row.id in set(verdict.matched)]
        started = _start_wave(db, services, station_id, sighting, matched, verdict.groups, at)
    db.add(sighting)
    db.commit()
    if started is not None:
        log.info("guard: a lure wave in %d groups of %s", len(verdict.groups), station_id)
    return started


def _seen(row: LureSighting) -> wave.Sighting:
    assert row.id is not None
    return wave.Sighting(
        row.id,
        row.group_id,
        as_utc(row.at),
        wave.Fingerprint.decode(row.signature, row.handles),
        row.wave_id,
    )


def _start_wave(
    db: Session,
    services: Needs,
    station_id: str,
    sighting: LureSighting,
    matched: list[LureSighting],
    groups: frozenset[int],
    now: datetime,
) -> LureWave:
    """The wave, its sightings marked, and one card per officer of the station."""
    texts = [s.text for s in (sighting, *sorted(matched, key=lambda s: -(s.id or 0))) if s.text]
    quote = texts[0] if texts else ""
    station = services.station_details(station_id)
    draft = render(
        "lure_wave_warning.j2",
        station_name=station.name if station else "",
        station_phone=station.phone if station else "",
        label=sighting.label,
        quote=quote,
    )
    lure_wave = LureWave(
        station_id=station_id, label=sighting.label, quote=quote, draft=draft, created_at=now
    )
    db.add(lure_wave)
    db.flush()
    assert lure_wave.id is not None
    sighting.wave_id = lure_wave.id
    ids = [s.id for s in matched if s.id is not None]
    if ids:
        db.connection().execute(
            update(LureSighting)
            .where(col(LureSighting.id).in_(ids), col(LureSighting.wave_id).is_(None))
            .values(wave_id=lure_wave.id)
        )
    titles = [
        g.title or g.chat_id
        for g in db.exec(select(Group).where(col(Group.id).in_(sorted(groups)))).all()
    ]
    others = len(other_groups(db, station_id, groups))
    card = render_quoted(
        "lure_wave_card.j2",
        wave_id=lure_wave.id,
        label=sighting.label,
        minutes=services.settings.guard.wave_minutes,
        titles=sorted(titles),
        others=others,
        draft=draft,
    )
    buttons = ((send_button(lure_wave.id),),) if others else ()
    for officer in station_officers(db, station_id):
        chat = private_chat(officer, sighting.platform)
        if chat is None:
            continue
        out = Outgoing(chat, card.text, buttons=buttons, quotes=card.quotes)
        outbox.enqueue(db, out, CARD_KIND, services.clock.now(), officer_id=officer.id)
    return lure_wave
