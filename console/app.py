"""The console's Starlette application: routes, roles, cookies, CSRF, pages.

Every route is declared in ``routes`` with the role it needs; ``guarded`` checks the
session, the role and (for POST) the CSRF token on the server before the page runs, and
runs the page's database work on a thread. Pages are Jinja2 templates with autoescaping:
what residents typed is always text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from console import people
from console import reports as figures
from console import tickets as ticket_domain
from core.config import WebSettings
from core.db import ConsoleSession, Escalation, Officer, as_utc, row_id, session
from faq.knowledge import topic_answer
from handlers.services import Services
from officers import signin as auth
from reports.stats import topic_outcomes

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
# The words pages pick by key: states, actions, notes, errors (Chinese stays in templates).
TEXT = tomllib.loads((HERE / "templates" / "texts.toml").read_text(encoding="utf-8"))
Role = Literal["public", "officer", "admin"]
FORM_LIMIT = 8000  # characters in one form field: an answer, a reason, a question to try
SIGN_IN_COOKIE = "jingmin_sign_in"  # the login form's double-submit CSRF value
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        # script and connect: the vendored live.js, fetching the ticket queue's rows
        b"default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; "
        b"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # The sign-in link's token is in the URL: never pass it on to another site.
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


@dataclass(frozen=True, slots=True)
class Visitor:
    officer: Officer
    session: ConsoleSession
    csrf: str

    @property
    def is_admin(self) -> bool:
        return people.is_admin(self.officer)

    @property
    def is_city_admin(self) -> bool:
        return people.is_city_admin(self.officer)


OUTCOME_DAYS = timedelta(days=30)  # the topic list's counts: the last month


@dataclass
class Console:
    services: Services
    web: WebSettings
    secret: bytes
    attempts: auth.AttemptLimit = field(default_factory=auth.AttemptLimit)  # per address
    # Per admin name, for passwords: a guesser with many addresses still gets few tries.
    name_attempts: auth.AttemptLimit = field(
        default_factory=lambda: auth.AttemptLimit(limit=5, window=timedelta(minutes=15))
    )
    reports: figures.Recent = field(default_factory=figures.Recent)

    @property
    def cookie(self) -> str:
        # "__Host-": the browser keeps it to this host, https and path / only.
        return "__Host-jingmin" if self.web.secure_cookies else "jingmin_session"

    def default_station(self) -> str | None:
        station = self.services.station_details(None)
        return station.id if station else None

    def db(self) -> Session:
        return session(self.services.engine)


Page = Callable[[Console, Request, Visitor | None, FormData | None], Response]


class RouteMaker(Protocol):
    """Declares one route: path, page, the role it needs, its methods, and how many
    uploaded files its form may carry (none but where a page takes a file: a topic file,
    a campaign's picture or video)."""

    def __call__(
        self, path: str, run: Page, role: Role, methods: tuple[str, ...] = ..., files: int = ...
    ) -> Route: ...


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=True,  # residents' words are text, whatever they contain
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["TEXT"] = TEXT
    environment.filters["localtime"] = local_time
    return environment


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    """A stored moment in the deployment's time zone, to the minute."""
    return as_utc(moment).astimezone(tz).strftime("%Y-%m-%d %H:%M")


TEMPLATES = Jinja2Templates(env=_environment())


def page(
    console: Console,
    request: Request,
    name: str,
    visitor: Visitor | None,
    status: int = 200,
    **values: Any,
) -> Response:
    context = {"visitor": visitor, "tz": console.services.settings.tz} | values
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def origin(request: Request) -> str:
    return request.client.host if request.client else ""


def _signed_in(console: Console, request: Request) -> Visitor | None:
    token = request.cookies.get(console.cookie, "")
    with console.db() as db:
        found = auth.session_officer(db, token, console.services.clock.now())
    if found is None:
        return None
    row, officer = found
    return Visitor(officer, row, auth.csrf_token(console.secret, row.token_hash))


def guarded(
    console: Console, role: Role, run: Page, files: int = 0
) -> Callable[[Request], Awaitable[Response]]:
    """The route's role checked on the server, then the page on a thread. A POST needs the
    session's CSRF token in its form; every refusal is audited."""

    async def endpoint(request: Request) -> Response:
        visitor = await run_in_threadpool(_signed_in, console, request)
        if role != "public":
            if visitor is None:
                if request.method == "GET":
                    return RedirectResponse("/", status_code=303)
                return await run_in_threadpool(_refuse, console, request, None, "not signed in")
            if role == "admin" and not visitor.is_admin:
                return await run_in_threadpool(_refuse, console, request, visitor, "not admin")
        # The body is read only once the role allows the route.
        form = (
            await request.form(max_files=files, max_fields=20) if request.method == "POST" else None
        )
        if role != "public" and form is not None:
            assert visitor is not None
            offered = form.get("csrf", "")
            if not isinstance(offered, str) or not auth.csrf_ok(
                console.secret, visitor.session.token_hash, offered
            ):
                return await run_in_threadpool(_refuse, console, request, visitor, "bad csrf")
        return await run_in_threadpool(run, console, request, visitor, form)

    return endpoint


def _refuse(console: Console, request: Request, visitor: Visitor | None, why: str) -> Response:
    with console.db() as db:
        officer = visitor.officer if visitor else None
        auth.record(
            db, officer, "refused", origin(request), f"{request.method} {request.url.path}: {why}"
        )
        db.commit()
    return page(console, request, "error.html", visitor, 403, message="forbidden")


def field_text(form: FormData | None, name: str) -> str:
    value = form.get(name, "") if form is not None else ""
    return value[:FORM_LIMIT] if isinstance(value, str) else ""


# Pages ---------------------------------------------------------------------------------


def home(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    if visitor is not None:
        return RedirectResponse("/tickets", status_code=303)
    return page(console, request, "home.html", None)


def sign_in_form(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    """Shows a button, uses nothing: chat apps open links to preview them, and a preview
    must not spend the link."""
    token = request.query_params.get("t", "")[:200]
    check = auth.new_token()
    response = page(console, request, "sign_in.html", None, token=token, check=check)
    response.set_cookie(
        SIGN_IN_COOKIE,
        check,
        max_age=600,
        path="/login",
        secure=console.web.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


def sign_in(
    console: Console, request: Request, _: Visitor | None, form: FormData | None
) -> Response:
    """A sign-in link's token (``t``), or an admin's name and password; either way the
    form's check value must match the cookie the form set, and one address (and one name)
    gets only a few tries."""
    now = console.services.clock.now()
    where = origin(request)
    name = field_text(form, "name").strip()[: auth.NAME_LIMIT]
    with console.db() as db:
        refusal = _sign_in_refusal(console, request, form, now, name)
        officer = None
        if refusal is None and name:
            officer = auth.password_officer(db, name, field_text(form, "password"))
            refusal = None if officer else ("bad password", "bad_password")
        elif refusal is None:
            token = field_text(form, "t")
            officer = auth.redeem_link(db, token, now)
            refusal = None if officer else (auth.link_problem(db, token, now), "bad_link")
        if officer is None:
            assert refusal is not None
            why, message = refusal
            auth.record(db, None, "sign-in refused", where, f"{why} {name}".strip())
            db.commit()
            status = 429 if message == "too_many" else 403
            return page(console, request, "error.html", None, status, message=message)
        session_token = auth.start_session(db, officer, now, console.web.session_hours, where)
        auth.record(db, officer, "signed in", where, "with password" if name else "")
        db.commit()
    response = RedirectResponse("/tickets", status_code=303)
    response.set_cookie(
        console.cookie,
        session_token,
        max_age=console.web.session_hours * 3600,
        path="/",
        secure=console.web.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    response.delete_cookie(SIGN_IN_COOKIE, path="/login")
    return response


def _sign_in_refusal(
    console: Console, request: Request, form: FormData | None, now: datetime, name: str
) -> tuple[str, str] | None:
    """Why a sign-in is refused before its link or password is even looked at (for the
    audit, and the error page's key), or ``None``."""
    if not console.attempts.allow(origin(request), now):
        return "too many attempts", "too_many"
    if name and not console.name_attempts.allow(name.lower(), now):
        return "too many attempts for the name", "too_many"
    check = request.cookies.get(SIGN_IN_COOKIE, "")
    if not check or not auth.same(check, field_text(form, "check")):
        return "bad csrf", "form_expired"
    return None


def sign_out(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    with console.db() as db:
        row = db.get(ConsoleSession, visitor.session.id)
        if row is not None:
            auth.end_session(db, row, console.services.clock.now())
        auth.record(db, visitor.officer, "signed out", origin(request))
        db.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(console.cookie, path="/", secure=console.web.secure_cookies)
    return response


def chosen_station(console: Console, request: Request, visitor: Visitor) -> str | None:
    """The station a city admin picked (``?station=``) to narrow a page to; ``None``: all
    of them, or the visitor is no city admin (their station is their scope)."""
    wanted = request.query_params.get("station", "")
    known = {s.id for s in console.services.settings.stations}
    return wanted if visitor.is_city_admin and wanted in known else None


def _queue_values(console: Console, request: Request, visitor: Visitor) -> dict[str, Any]:
    view = request.query_params.get("view", "open")
    view = view if view in ticket_domain.VIEWS else "open"
    group_id = row_id(request.query_params.get("group", ""))
    station = chosen_station(console, request, visitor)
    minutes = console.services.settings.behaviour.reminder_minutes
    overdue_before = console.services.clock.now() - timedelta(minutes=minutes)
    with console.db() as db:
        rows = ticket_domain.queue(
            db, visitor.officer, console.default_station(), view, group_id, station, overdue_before
        )
    return {
        "rows": rows,
        "view": view,
        "group_id": group_id,
        "station": station or "",
        "limit": ticket_domain.QUEUE_LIMIT,
    }


def ticket_queue(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    values = _queue_values(console, request, visitor)
    with console.db() as db:
        groups = ticket_domain.groups_of(
            db, visitor.officer, console.default_station(), values["station"] or None
        )
    stations = console.services.settings.stations
    return page(
        console, request, "tickets.html", visitor, groups=groups, stations=stations, **values
    )


def ticket_rows(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    """The queue's rows alone, with the same filters: the page's live.js fetches them every
    few seconds, so a ticket decided in the chat or another browser changes here too."""
    assert visitor is not None
    return page(
        console, request, "ticket_rows.html", visitor, **_queue_values(console, request, visitor)
    )


def _visible_ticket(console: Console, db: Session, visitor: Visitor, ticket_id: int) -> Escalation:
    ticket = db.get(Escalation, ticket_id)
    if ticket is None or not ticket_domain.visible(
        db, visitor.officer, ticket, console.default_station()
    ):
        # Another station's ticket looks like no ticket at all.
        raise HTTPException(404)
    return ticket


def ticket_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    with console.db() as db:
        done = request.query_params.get("done", "")
        note = done if done in ticket_domain.VERBS else None
        return _show_ticket(console, db, request, visitor, note=note)


def _show_ticket(
    console: Console,
    db: Session,
    request: Request,
    visitor: Visitor,
    status: int = 200,
    note: str | None = None,
    problem: str | None = None,
) -> Response:
    ticket = _visible_ticket(console, db, visitor, request.path_params["ticket_id"])
    title = ticket_domain.group_title(db, ticket)
    return page(
        console,
        request,
        "ticket.html",
        visitor,
        status,
        ticket=ticket,
        group_title=title,
        note=note,
        problem=problem,
    )


def ticket_action(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    assert visitor is not None
    ticket_id, verb = request.path_params["ticket_id"], request.path_params["verb"]
    if verb not in ticket_domain.VERBS:
        raise HTTPException(404)
    text = field_text(form, "text") or None
    now = console.services.clock.now()
    with console.db() as db:
        _visible_ticket(console, db, visitor, ticket_id)
        problem = ticket_domain.decide(db, visitor.officer, ticket_id, verb, now, text)
        auth.record(
            db,
            visitor.officer,
            f"ticket {verb}",
            origin(request),
            f"#{ticket_id}" + (" refused" if problem else ""),
        )
        db.commit()
        if problem is None:
            return RedirectResponse(f"/tickets/{ticket_id}?done={verb}", status_code=303)
        return _show_ticket(console, db, request, visitor, 409, problem=problem)


def topics_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    topics = sorted(console.services.knowledge.values(), key=lambda t: t.id)
    until = console.services.clock.now()
    station = visitor.officer.station_id if visitor else None
    counts = topic_outcomes(console.services.engine, until - OUTCOME_DAYS, until, station)
    return page(console, request, "topics.html", visitor, topics=topics, counts=counts)


def topic_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    topic = console.services.knowledge.get(request.path_params["topic_id"])
    if topic is None:
        raise HTTPException(404)
    stations = console.services.settings.stations
    chosen = next((s for s in stations if s.id == request.query_params.get("station")), None)
    if chosen is None and visitor is not None:
        chosen = console.services.settings.station(visitor.officer.station_id)
    chosen = chosen or (stations[0] if stations else None)
    rendered = topic_answer(topic, chosen.model_dump()) if chosen else ""
    # Each station's answer: its own where the topic has one (issue 17, point 4).
    own = dict(topic.station_answers)
    answers = [(s, topic_answer(topic, s.model_dump()), s.id in own) for s in stations]
    from console.topic_pages import history

    done = request.query_params.get("done", "")
    return page(
        console,
        request,
        "topic.html",
        visitor,
        topic=topic,
        stations=stations,
        chosen=chosen,
        rendered=rendered,
        answers=answers,
        versions=history(console, topic.id),
        note=done if done in TEXT["topic_done"] else None,
    )


def try_page(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    from console.topic_pages import form_station

    assert visitor is not None
    text = field_text(form, "text").strip()
    chosen = form_station(console, request, visitor, form)
    result = None
    if text:
        knowledge = console.services.knowledge
        decision = knowledge.decide(text, addressed=field_text(form, "addressed") == "1")
        reading = knowledge.read(text, explain=True)
        topic = knowledge.get(decision.faq_id) if decision.faq_id else None
        result = {
            "decision": decision,
            "reading": reading,
            "topic": topic,
            # The answer a group of the chosen station would get (its own, if it has one).
            "answer": topic_answer(topic, chosen.model_dump()) if topic and chosen else "",
            "own": bool(topic and chosen and chosen.id in dict(topic.station_answers)),
        }
        with console.db() as db:
            auth.record(db, visitor.officer, "tried a question", origin(request), decision.action)
            db.commit()
    return page(
        console,
        request,
        "try.html",
        visitor,
        text=text,
        result=result,
        stations=console.services.settings.stations,
        chosen=chosen,
        addressed=field_text(form, "addressed") == "1",
    )


def routes(console: Console) -> list[BaseRoute]:
    """Every route and the role it needs (the role test walks this list)."""
    # Their pages use this module's helpers.
    from console import broadcast_pages, people_pages, privacy_pages, report_pages, topic_pages

    def route(
        path: str, run: Page, role: Role, methods: tuple[str, ...] = ("GET",), files: int = 0
    ) -> Route:
        return Route(path, guarded(console, role, run, files), methods=list(methods))

    return [
        route("/", home, "public"),
        route("/login", sign_in_form, "public"),
        route("/login", sign_in, "public", ("POST",)),
        route("/logout", sign_out, "officer", ("POST",)),
        route("/tickets", ticket_queue, "officer"),
        route("/tickets/live", ticket_rows, "officer"),
        route("/tickets/{ticket_id:int}", ticket_page, "officer"),
        route("/tickets/{ticket_id:int}/{verb:str}", ticket_action, "officer", ("POST",)),
        route("/topics", topics_page, "admin"),
        *topic_pages.routes(route),  # before /topics/{topic_id}: /topics/new is no topic
        route("/topics/{topic_id:str}", topic_page, "admin"),
        route("/try", try_page, "admin", ("GET", "POST")),
        *people_pages.routes(route),
        *report_pages.routes(route),
        *privacy_pages.routes(route),
        *broadcast_pages.routes(route),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def create_app(
    services: Services,
    web: WebSettings,
    secret: bytes,
    background: Sequence[Callable[[], Awaitable[object]]] = (),
) -> Starlette:
    """The console on ``services``; ``background`` jobs run while it serves (``serve``
    keeps the knowledge base in step with the topic files, as the bot's workers do)."""
    console = Console(services, web, secret)
    auth.nobody_hash()  # now, not at the first sign-in with an unknown name

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        jobs = [asyncio.ensure_future(job()) for job in background]
        try:
            yield
        finally:
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)

    async def error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 500:
            log.exception("console page failed: %s %s", request.method, request.url.path)
        message = {404: "not_found", 405: "not_allowed"}.get(status, "failed")
        visitor = await run_in_threadpool(_signed_in, console, request)
        return page(console, request, "error.html", visitor, status, message=message)

    handlers: Mapping[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: error,
        Exception: error,
    }
    app = Starlette(routes=routes(console), exception_handlers=handlers, lifespan=lifespan)
    app.add_middleware(SecurityHeaders)
    app.state.console = console
    return app
