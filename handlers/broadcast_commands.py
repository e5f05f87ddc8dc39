"""Officers manage their station's broadcasts from their private chat.

Commands (text, so they work on WeChat too): ``/broadcasts`` (or 广播列表) lists the
campaigns that reach the officer's station; ``/preview ID [STATION]`` (预览广播 ID) shows
the next run's date and its text (and picture or video) for the officer's station, or
another one the campaign reaches; ``/send ID`` (发送广播 ID) sends it now to the station's groups;
``批准广播 ID`` / ``驳回广播 ID`` decide a waiting approval. Approval cards carry buttons
with data ``b:approve:<campaign>:<slot>`` / ``b:reject:<campaign>:<slot>``. A scam wave's
card (``handlers.earlywarn``) carries ``b:warn:<wave>``; ``发送预警 N`` does the same.

Handlers return the messages to send, or None when the sender is not an officer (so the
dispatcher's next route can take the message). Sending happens in the bot's broadcast
pump, which picks up what these commands write within a few seconds.

Wiring (dispatcher routes, before the generic officer route)::

    Route("broadcast command", is_broadcast_command, partial(on_command, services))
    Route("broadcast button", is_broadcast_button, partial(on_button, services))
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from broadcasts import alerts, ledger, rules
from broadcasts.lure_warning import send_wave
from broadcasts.media import label
from broadcasts.models import Campaign
from broadcasts.planner import ScheduleProblem, next_slot, parse_slot_key
from broadcasts.render import TemplateProblem, render_template
from broadcasts.runs import (
    Decided,
    campaign_media,
    decide_run,
    local_day,
    local_time,
    officer_send_now,
    station_info,
)
from core.db import Officer, as_utc, row_id
from core.events import ButtonPress, ChatRef, Event, IncomingMessage, Outgoing
from core.templates import render
from handlers.services import HasClock, HasEngine, HasSettings
from officers.directory import officer_by_platform_id


class Needs(HasSettings, HasEngine, HasClock, Protocol):
    """What officers' broadcast commands and buttons use of ``Services``."""


COMMAND = re.compile(
    r"^\s*(?P<verb>/broadcasts|广播列表|/preview|预览广播|/send|发送广播|批准广播|驳回广播"
    r"|/warn|发送预警)"
    r"(?:@\w+)?\s*#?(?P<id>[0-9]+)?\s*(?P<slot>\S+)?\s*$",
    re.I,
)
VERBS = {
    "/broadcasts": "list",
    "广播列表": "list",
    "/preview": "preview",
    "预览广播": "preview",
    "/send": "send",
    "发送广播": "send",
    "批准广播": "approve",
    "驳回广播": "reject",
    "/warn": "warn",
    "发送预警": "warn",
}


def broadcast_command(event: Event) -> re.Match[str] | None:
    """A broadcast command typed in private, parsed (the route hands it to ``on_command``)."""
    if isinstance(event, IncomingMessage) and not event.is_group:
        return COMMAND.match(event.text)
    return None


def is_broadcast_button(event: Event) -> bool:
    return isinstance(event, ButtonPress) and event.data.startswith("b:")


def _say(chat: ChatRef, text: str) -> list[Outgoing]:
    return [Outgoing(chat, text)]


async def on_command(
    services: Needs, msg: IncomingMessage, match: re.Match[str]
) -> list[Outgoing] | None:
    with Session(services.engine, expire_on_commit=False) as db:
        officer = officer_by_platform_id(db, msg.chat.platform, msg.sender_id)
    if officer is None:
        return None
    verb = VERBS[match["verb"].lower()]
    if verb == "list":
        return _say(msg.chat, _list(services, officer))
    if match["id"] is None:
        return _say(
            msg.chat,
            render("broadcast_unknown.j2", reason="", campaign_id="", without_id=True),
        )
    campaign_id = row_id(match["id"])
    if campaign_id is None:
        return _say(
            msg.chat, render("broadcast_unknown.j2", reason="", campaign_id=match["id"][:12])
        )
    if verb == "preview":  # /preview ID [station id]
        return _say(msg.chat, _preview(services, officer, campaign_id, match["slot"]))
    if verb == "send":
        return _say(msg.chat, _send(services, officer, campaign_id))
    if verb == "warn":
        return _say(msg.chat, _warn(services, officer, campaign_id))
    slot = None
    if match["slot"]:
        try:
            slot = parse_slot_key(match["slot"])
        except ScheduleProblem:
            slot = None
    return _say(msg.chat, _decide(services, officer, campaign_id, slot, verb == "approve"))


async def on_button(services: Needs, press: ButtonPress) -> list[Outgoing]:
    """A run's approval button; made-up or stale data gets a short answer, never a raise."""
    parts = press.data.split(":")
    with Session(services.engine, expire_on_commit=False) as db:
        officer = officer_by_platform_id(db, press.chat.platform, press.sender_id)
    if officer is None:
        return _say(press.chat, render("not_officer.j2"))
    if len(parts) == 3 and parts[1] == "warn":
        wave_id = row_id(parts[2])
        if wave_id is None:
            return _say(press.chat, render("button_invalid.j2"))
        # The card turns into the outcome (its button goes), so it cannot be pressed twice.
        text = _warn(services, officer, wave_id)
        return [Outgoing(press.chat, text, edit_message_id=press.message_id)]
    campaign_id = row_id(parts[2]) if len(parts) == 4 else None
    if campaign_id is None or parts[1] not in ("approve", "reject"):
        return _say(press.chat, render("button_invalid.j2"))
    try:
        slot = parse_slot_key(parts[3])
    except ScheduleProblem:
        return _say(press.chat, render("button_invalid.j2"))
    text = _decide(services, officer, campaign_id, slot, parts[1] == "approve")
    # The card turns into the decision (its buttons go), so it cannot be pressed twice.
    return [Outgoing(press.chat, text, edit_message_id=press.message_id)]


def _decide(
    services: Needs, officer: Officer, campaign_id: int, slot: datetime | None, approve: bool
) -> str:
    """Approve or reject a run for the officer's station; the text saying what happened."""
    with Session(services.engine) as db:
        if not alerts.may_approve(db, campaign_id, officer):
            return render("broadcast_decided.j2", outcome="not yours", campaign_id=campaign_id)
    decided = decide_run(
        services.engine,
        campaign_id,
        slot,
        officer.station_id,
        f"officer:{officer.name}",
        approve,
        services.clock.now(),
    )
    return _decided_text(services, decided, campaign_id)


def _decided_text(services: Needs, decided: Decided, campaign_id: int) -> str:
    slot_local = local_time(decided.slot, services.settings.tz) if decided.slot else ""
    return render(
        "broadcast_decided.j2",
        outcome=decided.outcome,
        campaign=decided.campaign,
        campaign_id=campaign_id,
        slot_local=slot_local,
        groups=decided.groups,
    )


def _reaches(db: Session, campaign: Campaign, station_id: str) -> bool:
    return station_id in ledger.campaign_stations(db, campaign)


def _list(services: Needs, officer: Officer) -> str:
    tz = services.settings.tz
    now = services.clock.now()
    items = []
    waiting = []
    with Session(services.engine) as db:
        pushes = alerts.alert_campaigns(db)  # officers' one-off pushes are no campaigns
        for campaign in ledger.campaigns(db):
            if campaign.id in pushes or not _reaches(db, campaign, officer.station_id):
                continue
            upcoming = None if campaign.paused else next_slot(rules.schedule_of(campaign), tz, now)
            items.append(
                {
                    "id": campaign.id,
                    "name": campaign.name,
                    "schedule": rules.schedule_of(campaign).describe(tz),
                    "paused": campaign.paused,
                    "approval": campaign.requires_approval,
                    "next": local_time(upcoming, tz) if upcoming else "",
                }
            )
        for rs in ledger.waiting_approvals(db, officer.station_id):
            waiting.append({"id": rs.campaign_id, "slot": local_time(as_utc(rs.slot), tz)})
    return render("broadcast_list.j2", items=items, waiting=waiting)


def _preview(
    services: Needs, officer: Officer, campaign_id: int, station_id: str | None = None
) -> str:
    """The campaign's next run and its text, with its picture or video, as the groups of
    the officer's station (or of ``station_id``, one the campaign reaches) would get it."""
    tz, now = services.settings.tz, services.clock.now()
    with Session(services.engine) as db:
        campaign = db.get(Campaign, campaign_id)
        if campaign is None or not _reaches(db, campaign, officer.station_id):
            return render("broadcast_unknown.j2", reason="", campaign_id=campaign_id)
        chosen = officer.station_id
        if station_id and _reaches(db, campaign, station_id):
            chosen = station_id
        station = station_info(db, services.settings, chosen)
    upcoming = None if campaign.paused else next_slot(rules.schedule_of(campaign), tz, now)
    day = local_day(upcoming or now, tz)
    try:
        text = render_template(campaign.template_source, station, day)
    except TemplateProblem as problem:
        text = f"（模板错误：{problem}）"
    media = campaign_media(services.engine, services.settings, campaign)
    return render(
        "broadcast_preview_reply.j2",
        campaign=campaign,
        day=day.isoformat(),
        next_run=local_time(upcoming, tz) if upcoming else "",
        station=station.name,
        media=label(media) if media is not None else "",
        text=text,
    )


def _send(services: Needs, officer: Officer, campaign_id: int) -> str:
    started = officer_send_now(
        services.engine,
        campaign_id,
        officer.station_id,
        f"officer:{officer.name}",
        services.clock.now(),
    )
    if started is None:
        return render("broadcast_unknown.j2", reason="", campaign_id=campaign_id)
    campaign, _slot, groups = started
    return render("broadcast_sending.j2", campaign=campaign, groups=groups)


def _warn(services: Needs, officer: Officer, wave_id: int) -> str:
    """发送预警 N: the wave's drafted warning to the station's other groups, once."""
    sent = send_wave(services.engine, wave_id, officer, services.clock.now())
    return render(
        "lure_warning_sent.j2",
        outcome=sent.outcome,
        wave_id=wave_id,
        groups=sent.groups,
        sent_by=sent.sent_by,
    )
