"""A resident's export and erasure from the console (issue 17, point 8): station and city
admins only, through ``privacy.retention`` (what `jingmin privacy export/erase` runs), erasure
after a confirmation, both audited.

A station admin acts for residents who asked in the station's groups (a city admin for
any); anyone else is "no record", as if unknown. The resident is named by their id on the
platform or by one of their tickets. The audit keeps a digest of the id, not the id: an
erasure must not leave the resident's id behind in the audit trail.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from console import people
from console.app import Console, RouteMaker, Visitor, field_text, origin, page
from core.db import BotAnswer, Escalation, Group, Officer, row_id
from officers import signin as auth
from privacy.retention import ERASED, erase_resident, export_resident

PLATFORMS = ("telegram", "wechat")


@dataclass(frozen=True, slots=True)
class Resident:
    resident_id: str
    platform: str
    tickets: int  # in the admin's scope
    answers: int

    @property
    def digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.resident_id.encode()).hexdigest()[:12]


def find(
    db: Session, admin: Officer, form: FormData | None, default_station: str | None
) -> Resident | None:
    """The resident the form names (by id and platform, or by a ticket number), if they
    asked in a group of ``admin``'s scope."""
    platform = field_text(form, "platform")
    resident_id = field_text(form, "resident").strip()[:200]
    ticket_id = row_id(field_text(form, "ticket").strip().lstrip("#"))
    if ticket_id is not None:
        ticket = db.get(Escalation, ticket_id)
        if ticket is None:
            return None
        resident_id, platform = ticket.resident_id, ticket.platform
    if not resident_id or not platform or resident_id == ERASED:
        return None  # (an erased ticket names nobody)
    chats = select(Group.chat_id).where(
        people.in_scope(admin, default_station), Group.platform == platform
    )
    tickets = db.exec(
        select(func.count()).where(
            Escalation.resident_id == resident_id,
            Escalation.platform == platform,
            col(Escalation.chat_id).in_(chats),
        )
    ).one()
    answers = db.exec(
        select(func.count()).where(
            BotAnswer.resident_id == resident_id,
            BotAnswer.platform == platform,
            col(BotAnswer.chat_id).in_(chats),
        )
    ).one()
    if not tickets and not answers:
        return None
    return Resident(resident_id, platform, int(tickets), int(answers))


def privacy_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    done = request.query_params.get("done", "")
    return _show(console, request, visitor, note="erased" if done == "erased" else None)


def _show(
    console: Console,
    request: Request,
    visitor: Visitor | None,
    status: int = 200,
    **values: object,
) -> Response:
    values = {"note": None, "problem": None, "confirm": None, "ticket": ""} | values
    ticket = request.query_params.get("ticket", "")
    values["ticket"] = values["ticket"] or (ticket if row_id(ticket) else "")
    return page(console, request, "privacy.html", visitor, status, platforms=PLATFORMS, **values)


def _lookup(
    console: Console, request: Request, visitor: Visitor, form: FormData | None, action: str
) -> Resident | Response:
    with console.db() as db:
        found = find(db, visitor.officer, form, console.default_station())
        if found is None:
            auth.record(db, visitor.officer, f"resident {action} refused", origin(request))
            db.commit()
    if found is None:
        return _show(console, request, visitor, 404, problem="no_record")
    return found


def export(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    assert visitor is not None
    found = _lookup(console, request, visitor, form, "export")
    if isinstance(found, Response):
        return found
    data = export_resident(console.services.engine, found.resident_id, found.platform)
    with console.db() as db:
        auth.record(db, visitor.officer, "resident exported", origin(request), found.digest)
        db.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        media_type="application/json; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="resident-export.json"'},
    )


def erase(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    """Without ``confirm=1``: what would be erased, and the button that erases it."""
    assert visitor is not None
    found = _lookup(console, request, visitor, form, "erase")
    if isinstance(found, Response):
        return found
    if field_text(form, "confirm") != "1":
        return _show(console, request, visitor, confirm=found, ticket=field_text(form, "ticket"))
    erased = erase_resident(console.services.engine, found.resident_id, found.platform)
    with console.db() as db:
        detail = f"{found.digest} {erased} tickets"
        auth.record(db, visitor.officer, "resident erased", origin(request), detail)
        db.commit()
    return RedirectResponse("/privacy?done=erased", status_code=303)


def routes(route: RouteMaker) -> list[BaseRoute]:
    return [
        route("/privacy", privacy_page, "admin", ("GET",)),
        route("/privacy/export", export, "admin", ("POST",)),
        route("/privacy/erase", erase, "admin", ("POST",)),
    ]
