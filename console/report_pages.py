"""The console's reports page, its chart and its CSV (issue 17, point 7). An officer sees
their own groups, a station admin the station, a city admin every station or one."""

from __future__ import annotations

import threading
import tomllib
from datetime import datetime, time, timedelta

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from console import people
from console import reports as figures
from console.app import TEXT, Console, RouteMaker, Visitor, chosen_station, origin, page
from handlers.reports import LABELS_FILE
from officers import signin as auth
from reports.stats import OUTCOMES, chart_png

PERIODS = (7, 30, 90)  # days a report may cover
DRAWING = threading.Lock()  # pages run on threads; matplotlib's pyplot is not thread-safe


def _scope(console: Console, request: Request, visitor: Visitor) -> figures.Scope:
    officer = visitor.officer
    if people.is_city_admin(officer):
        return figures.Scope(chosen_station(console, request, visitor))
    if people.is_admin(officer):
        return figures.Scope(officer.station_id)
    with console.db() as db:
        rows = people.groups(db, officer, console.default_station())
    return figures.Scope(officer.station_id, tuple(r.group.chat_id for r in rows))


def _period(console: Console, request: Request) -> tuple[int, datetime, datetime]:
    asked = request.query_params.get("days", "")
    count = int(asked) if asked in {str(p) for p in PERIODS} else 30
    tz = console.services.settings.tz
    today = console.services.clock.now().astimezone(tz).date()
    until = datetime.combine(today + timedelta(days=1), time.min, tz)
    return count, until - timedelta(days=count), until


def report_for(console: Console, request: Request, visitor: Visitor) -> tuple[int, figures.Report]:
    count, since, until = _period(console, request)
    scope = _scope(console, request, visitor)
    tz, now = console.services.settings.tz, console.services.clock.now()
    with console.db() as db:
        return count, console.reports.get(db, scope, since, until, tz, now)


def reports_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    count, report = report_for(console, request, visitor)
    titles = {t.id: t.title for t in console.services.knowledge.values()}
    return page(
        console,
        request,
        "reports.html",
        visitor,
        report=report,
        days=figures.days(report),
        outcomes=OUTCOMES,
        period=count,
        periods=PERIODS,
        station=request.query_params.get("station", "") if visitor.is_city_admin else "",
        stations=console.services.settings.stations,
        titles=titles,
        query=request.url.query,
    )


def chart(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    report = report_for(console, request, visitor)[1]
    labels = tomllib.loads(LABELS_FILE.read_text(encoding="utf-8"))
    with DRAWING:
        picture = chart_png(report.stats(), labels)
    return Response(picture, media_type="image/png")


def export(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    count, report = report_for(console, request, visitor)
    with console.db() as db:
        auth.record(db, visitor.officer, "report exported", origin(request), f"{count} days")
        db.commit()
    name = f"jingmin-report-{report.since.date()}-{count}d.csv"
    return Response(
        "\ufeff" + figures.as_csv(report, TEXT["report_csv"]),  # a BOM: Excel reads UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


def routes(route: RouteMaker) -> list[BaseRoute]:
    return [
        route("/reports", reports_page, "officer", ("GET",)),
        route("/reports/chart.png", chart, "officer", ("GET",)),
        route("/reports/export.csv", export, "officer", ("GET",)),
    ]
