"""The console's broadcasts pages (issue 17, point 5; issue 18, point 4): the calendar of
coming runs, a campaign with its runs' reports, creating and editing one (with a picture,
video or file, and a preview for a chosen station), sending it now, approving a waiting
run. The rules are in ``console.campaigns``; every change is audited."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from broadcasts import ledger, rules
from broadcasts.alerts import may_approve
from broadcasts.media import (
    MediaFile,
    MediaProblem,
    enabled_platforms,
    inspect_media,
    label,
    media_ref,
    media_store,
    media_unreadable,
)
from broadcasts.models import Approval, Campaign, DeliveryState
from broadcasts.planner import ScheduleProblem, parse_slot_key, slot_key
from broadcasts.render import TemplateProblem, library, render_template
from broadcasts.rules import CampaignProblem
from broadcasts.runs import decide_run, officer_send_now, station_info
from console import campaigns as domain
from console.app import TEMPLATES, Console, RouteMaker, Visitor, field_text, origin, page
from core.db import as_utc
from officers import signin as auth

WORDS = domain.WORDS
# An approval form names its run's slot as the chat's buttons do (20260105T020000Z).
TEMPLATES.env.filters["slotkey"] = lambda moment: slot_key(as_utc(moment))


def calendar_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    now = console.services.clock.now()
    with console.db() as db:
        shown = domain.visible_campaigns(db, visitor.officer)
        coming = domain.upcoming(shown, console.services.settings.tz, now)
        waiting = domain.waiting(db, visitor.officer)
    done = request.query_params.get("done", "")
    return page(
        console,
        request,
        "broadcasts.html",
        visitor,
        campaigns=shown,
        upcoming=coming,
        waiting=waiting,
        note=WORDS["done"].get(done),
        WORDS=WORDS,
    )


def _campaign(console: Console, db: Session, visitor: Visitor, campaign_id: int) -> Campaign:
    campaign = db.get(Campaign, campaign_id)
    if campaign is None or not domain.reaches(db, visitor.officer, campaign):
        raise HTTPException(404)  # another station's campaign looks like none at all
    return campaign


def campaign_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    tz = console.services.settings.tz
    with console.db() as db:
        campaign = _campaign(console, db, visitor, request.path_params["campaign_id"])
        draft = domain.Draft.of(campaign, tz)
    done = request.query_params.get("done", "")
    return _show(console, request, visitor, draft, campaign, note=WORDS["done"].get(done))


def new_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    return _show(console, request, visitor, domain.Draft(), None)


def _show(
    console: Console,
    request: Request,
    visitor: Visitor,
    draft: domain.Draft,
    campaign: Campaign | None,
    status: int = 200,
    note: str | None = None,
    preview: str | None = None,
    chosen: str | None = None,
) -> Response:
    settings = console.services.settings
    tz, now = settings.tz, console.services.clock.now()
    stations = settings.stations
    chosen = chosen or visitor.officer.station_id  # the station the preview is written for
    with console.db() as db:
        editable = domain.owns(
            db,
            visitor.officer,
            rules.targets_of(campaign) if campaign else domain.Draft().targets(visitor.officer),
        )
        reports = (
            domain.reports(db, visitor.officer, campaign.id) if campaign and campaign.id else []
        )
        attached = ledger.media_of(db, campaign) if campaign else None
    shown_media = (
        f"{label(media_ref(attached, media_store(settings)))} {attached.filename}"
        if attached
        else None
    )
    upcoming = (
        domain.slots_ahead(rules.schedule_of(campaign), tz, now, now + domain.HORIZON)[:5]
        if campaign and not campaign.paused
        else []
    )
    return page(
        console,
        request,
        "campaign.html",
        visitor,
        status,
        campaign=campaign,
        draft=draft,
        editable=editable and visitor.is_admin,
        reports=reports,
        media=shown_media,
        upcoming=upcoming,
        stations=stations,
        chosen=chosen,
        library=library(),
        note=note,
        preview=preview,
        WORDS=WORDS,
    )


def _draft(form: FormData | None) -> domain.Draft:
    schedule = field_text(form, "schedule")
    return domain.Draft(
        name=field_text(form, "name").strip()[:100],
        template=field_text(form, "template"),
        library=field_text(form, "library"),
        schedule=schedule if schedule in domain.SCHEDULES else "manual",
        cron=field_text(form, "cron")[:100],
        run_at=field_text(form, "run_at")[:40],
        kind=field_text(form, "kind"),
        ids=field_text(form, "ids")[:500],
        approval=field_text(form, "approval") == "1",
        drop_media=field_text(form, "drop_media") == "1",
    )


def _upload(console: Console, form: FormData | None) -> MediaFile | None:
    """The picture, video or file chosen in the form, checked now (``MediaProblem``)."""
    chosen = form.get("media") if form is not None else None
    if not isinstance(chosen, UploadFile) or not chosen.filename:
        return None
    name = chosen.filename[:200]
    try:
        data = chosen.file.read()
    except OSError:
        raise MediaProblem(media_unreadable(name)) from None
    if not data:
        return None
    platforms = enabled_platforms(console.services.settings)
    return inspect_media(data, name, mime=chosen.content_type, platforms=platforms)


def save(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    """``/broadcasts/new`` and ``/broadcasts/{id}``: 预览 shows the text for the chosen
    station (nothing saved), 保存 saves through the ledger as the CLI does."""
    assert visitor is not None
    settings = console.services.settings
    tz, now = settings.tz, console.services.clock.now()
    draft = _draft(form)
    campaign_id: int | None = request.path_params.get("campaign_id")
    with console.db() as db:
        existing = _campaign(console, db, visitor, campaign_id) if campaign_id else None
        if existing is not None and not domain.owns(
            db, visitor.officer, rules.targets_of(existing)
        ):
            auth.record(db, visitor.officer, "campaign refused", origin(request), f"#{campaign_id}")
            db.commit()
            return page(console, request, "error.html", visitor, 403, message="forbidden")
        if field_text(form, "action") == "preview":
            return _preview(console, request, visitor, draft, existing, form)
        campaign = existing or Campaign(name="", template_source="")
        try:
            media = _upload(console, form)
            draft.apply(db, campaign, visitor.officer, tz)
            saved = ledger.save_campaign(
                db,
                campaign,
                tz=tz,
                now=now,
                known_stations=[s.id for s in settings.stations],
                media=media,
                store=media_store(settings),
                platforms=enabled_platforms(settings),
            )
        except domain.Refused as refused:
            problem = WORDS["refused"][str(refused)]
        except (CampaignProblem, MediaProblem) as refused:
            problem = domain.problem_text(str(refused))
        else:
            detail = f"#{saved.id} {saved.name}" + (" with media" if media else "")
            action = "campaign changed" if existing else "campaign added"
            auth.record(db, visitor.officer, action, origin(request), detail)
            db.commit()
            return RedirectResponse(f"/broadcasts/{saved.id}?done=saved", status_code=303)
        db.rollback()
        auth.record(db, visitor.officer, "campaign refused", origin(request), draft.name)
        db.commit()
        shown = db.get(Campaign, campaign_id) if campaign_id else None
    draft.errors.append(problem)
    return _show(console, request, visitor, draft, shown, 409, chosen=field_text(form, "station"))


def _preview(
    console: Console,
    request: Request,
    visitor: Visitor,
    draft: domain.Draft,
    campaign: Campaign | None,
    form: FormData | None,
) -> Response:
    settings = console.services.settings
    tz, now = settings.tz, console.services.clock.now()
    slot, day = domain.preview_day(draft, tz, now)
    chosen = field_text(form, "station") or visitor.officer.station_id
    with console.db() as db:
        station = station_info(db, settings, chosen)
    try:
        text = render_template(draft.source(), station, day)
    except domain.Refused as refused:
        draft.errors.append(WORDS["refused"][str(refused)])
        text = None
    except TemplateProblem as problem:
        draft.errors.append(domain.problem_text(str(problem)))
        text = None
    when = slot.astimezone(tz).strftime("%Y-%m-%d %H:%M") if slot else None
    header = f"{station.name} · {day.isoformat()}" + (f" · 下次推送 {when}" if when else "")
    return _show(
        console, request, visitor, draft, campaign, preview=text, note=header, chosen=chosen
    )


def send_now(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    """Send the campaign now: its run is opened here, approved by the admin, and the running
    bot sends it at its pace (as ``broadcast send-now`` hands it over)."""
    assert visitor is not None
    now = console.services.clock.now()
    who = f"console:{visitor.officer.name}"
    campaign_id = request.path_params["campaign_id"]
    with console.db() as db:
        campaign = _campaign(console, db, visitor, campaign_id)
        if not visitor.is_admin or not (
            visitor.is_city_admin
            or visitor.officer.station_id in ledger.campaign_stations(db, campaign)
        ):
            raise HTTPException(404)
        if visitor.is_city_admin:
            run = ledger.open_run(db, campaign, now, who, approved_by=who, now=now)
            pending = ledger.run_counts(console.services.engine, campaign_id, now).get(
                DeliveryState.PENDING
            )
            opened = run is not None
        else:
            sent = officer_send_now(
                console.services.engine, campaign_id, visitor.officer.station_id, who, now
            )
            opened, pending = sent is not None, sent[2] if sent else 0
        auth.record(
            db,
            visitor.officer,
            "campaign sent",
            origin(request),
            f"#{campaign_id} {pending} groups",
        )
        db.commit()
    done = "sent" if opened and pending else "nothing"
    return RedirectResponse(f"/broadcasts/{campaign_id}?done={done}", status_code=303)


def decide(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    """批准 / 驳回 a waiting run for a station, as the chat's 批准广播 does: a station admin
    for their station, a city admin for any."""
    assert visitor is not None
    campaign_id = request.path_params["campaign_id"]
    station = field_text(form, "station") or visitor.officer.station_id
    if not visitor.is_city_admin and station != visitor.officer.station_id:
        raise HTTPException(404)
    try:
        slot: datetime = parse_slot_key(field_text(form, "slot")[:40])
    except ScheduleProblem:
        raise HTTPException(404) from None
    approve = field_text(form, "verdict") == "approve"
    now = console.services.clock.now()
    with console.db() as db:
        _campaign(console, db, visitor, campaign_id)
        if not domain.is_waiting(db, campaign_id, slot, station):
            done = "decided"
        elif not (visitor.is_city_admin or may_approve(db, campaign_id, visitor.officer)):
            done = "not_yours"
        else:
            who = f"console:{visitor.officer.name}"
            decided = decide_run(
                console.services.engine, campaign_id, slot, station, who, approve, now
            )
            done = (
                decided.outcome
                if decided.outcome in (Approval.APPROVED, Approval.REJECTED)
                else "decided"
            )
        slot_text = as_utc(slot).isoformat()
        detail = f"#{campaign_id} {slot_text} {station}: {done}"
        auth.record(db, visitor.officer, "campaign decided", origin(request), detail)
        db.commit()
    return RedirectResponse(f"/broadcasts?done={done}", status_code=303)


def routes(route: RouteMaker) -> list[BaseRoute]:
    return [
        route("/broadcasts", calendar_page, "officer"),
        route("/broadcasts/new", new_page, "admin"),
        route("/broadcasts/new", save, "admin", ("POST",), files=1),
        route("/broadcasts/{campaign_id:int}", campaign_page, "officer"),
        route("/broadcasts/{campaign_id:int}", save, "admin", ("POST",), files=1),
        route("/broadcasts/{campaign_id:int}/send", send_now, "admin", ("POST",)),
        route("/broadcasts/{campaign_id:int}/decide", decide, "admin", ("POST",)),
    ]
