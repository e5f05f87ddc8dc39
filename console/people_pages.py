"""The console's groups and officers pages (issue 17, point 6): the lists by role, and the
admins' changes, each audited; the rules are in ``console.people``."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from console import people
from console.app import Console, RouteMaker, Visitor, field_text, origin, page
from core.db import Officer, row_id
from officers import signin as auth


def groups_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    done = request.query_params.get("done", "")
    return _show_groups(console, request, visitor, note=done if done == "reassigned" else None)


def _show_groups(
    console: Console,
    request: Request,
    visitor: Visitor,
    status: int = 200,
    note: str | None = None,
    problem: str | None = None,
) -> Response:
    default = console.default_station()
    with console.db() as db:
        rows = people.groups(db, visitor.officer, default)
        choices: dict[str | None, list[Officer]] = {}
        if visitor.is_admin:
            for officer in people.officers(db, visitor.officer):
                if officer.active:
                    choices.setdefault(officer.station_id, []).append(officer)
    stations = {s.id: s.name for s in console.services.settings.stations}
    return page(
        console,
        request,
        "groups.html",
        visitor,
        status,
        rows=rows,
        choices=choices,
        stations=stations,
        default_station=default,
        note=note,
        problem=problem,
    )


def reassign(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    assert visitor is not None
    group_id = request.path_params["group_id"]
    chosen = field_text(form, "officer")
    officer_id = row_id(chosen) if chosen else None
    with console.db() as db:
        try:
            if chosen and officer_id is None:
                raise people.Refused("no_such_officer")
            group, officer = people.reassign(
                db, visitor.officer, group_id, officer_id, console.default_station()
            )
        except people.Refused as refused:
            db.rollback()
            problem = str(refused)
            if problem == "not_found":
                raise HTTPException(404) from refused
            auth.record(db, visitor.officer, "group officer refused", origin(request), problem)
            db.commit()
            return _show_groups(console, request, visitor, 409, problem=problem)
        to = officer.name if officer else "-"
        auth.record(
            db, visitor.officer, "group officer", origin(request), f"group #{group.id} to {to}"
        )
        db.commit()
    return RedirectResponse("/groups?done=reassigned", status_code=303)


def officers_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    done = request.query_params.get("done", "")
    return _show_officers(console, request, visitor, note=done or None)


def _show_officers(
    console: Console,
    request: Request,
    visitor: Visitor,
    status: int = 200,
    note: str | None = None,
    problem: str | None = None,
) -> Response:
    with console.db() as db:
        rows = people.officers(db, visitor.officer)
        unreachable = people.unreachable(db, visitor.officer)
    stations = console.services.settings.stations
    return page(
        console,
        request,
        "officers.html",
        visitor,
        status,
        officers=rows,
        unreachable=unreachable,
        stations={s.id: s.name for s in stations},
        note=note,
        problem=problem,
    )


def _optional(form: FormData | None, name: str) -> str | None:
    return field_text(form, name).strip() or None


def add_officer(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    assert visitor is not None
    stations = {s.id for s in console.services.settings.stations}
    with console.db() as db:
        try:
            officer = people.add_officer(
                db,
                visitor.officer,
                field_text(form, "name"),
                field_text(form, "station"),
                stations,
                _optional(form, "telegram_id"),
                _optional(form, "wechat_id"),
                field_text(form, "duty") == "1",
            )
        except people.Refused as refused:
            db.rollback()
            auth.record(db, visitor.officer, "officer add refused", origin(request), str(refused))
            db.commit()
            return _show_officers(console, request, visitor, 409, problem=str(refused))
        detail = f"#{officer.id} {officer.name} ({officer.station_id})"
        auth.record(db, visitor.officer, "officer added", origin(request), detail)
        db.commit()
    return RedirectResponse("/officers?done=added", status_code=303)


def change_officer(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    """``/officers/{id}/duty`` and ``/officers/{id}/active``, with ``value`` 1 or 0."""
    assert visitor is not None
    officer_id, what = request.path_params["officer_id"], request.path_params["what"]
    if what not in ("duty", "active"):
        raise HTTPException(404)
    value = field_text(form, "value") == "1"
    now = console.services.clock.now()
    with console.db() as db:
        try:
            if what == "duty":
                officer = people.set_duty(db, visitor.officer, officer_id, value)
                detail = f"#{officer.id} {officer.name} duty {'on' if value else 'off'}"
            else:
                officer, freed = people.set_active(db, visitor.officer, officer_id, value, now)
                state = "restored" if value else f"removed, {freed} groups and tickets freed"
                detail = f"#{officer.id} {officer.name} {state}"
        except people.Refused as refused:
            db.rollback()
            if str(refused) == "not_found":
                raise HTTPException(404) from refused
            auth.record(
                db, visitor.officer, f"officer {what} refused", origin(request), str(refused)
            )
            db.commit()
            return _show_officers(console, request, visitor, 409, problem=str(refused))
        auth.record(db, visitor.officer, f"officer {what}", origin(request), detail)
        db.commit()
    return RedirectResponse(f"/officers?done={what}", status_code=303)


def routes(route: RouteMaker) -> list[BaseRoute]:
    return [
        route("/groups", groups_page, "officer", ("GET",)),
        route("/groups/{group_id:int}/officer", reassign, "admin", ("POST",)),
        route("/officers", officers_page, "admin", ("GET",)),
        route("/officers", add_officer, "admin", ("POST",)),
        route("/officers/{officer_id:int}/{what:str}", change_officer, "admin", ("POST",)),
    ]
