"""The knowledge base edited in the console (issue 17, point 4): a topic's form with its
answer rendered for a chosen station, new topics (also from the unanswered questions),
history with revert, and a topic file downloaded or uploaded.

A save writes the topic's file into ``[faq] topics_dir`` (a shipped topic edited becomes
the station's override of it); the bots' workers see the folder change and reload, and
the console reloads its own knowledge base at once. A save the knowledge base cannot
load is undone. Every save keeps the version it replaced, and every action is audited.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlmodel import col, select
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from console.app import TEXT, Console, RouteMaker, Visitor, field_text, origin, page
from core.db import TopicVersion
from faq.editing import (
    TOPIC_FILE_LIMIT,
    checked_topic,
    parse_topic_text,
    remove_topic_file,
    topic_toml,
    write_topic_file,
)
from faq.knowledge import FaqError, FaqTopic, topic_answer
from faq.stored import sync_faq
from officers import signin as auth

SAVING = threading.Lock()  # one save at a time: pages run on threads
GAP_EXAMPLES = 10  # questions of a group that prefill a new topic's examples
HISTORY = 50  # versions listed on a topic's page
PATHS = ("new", "import")  # /topics/new and /topics/import: not topic ids


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def problem_text(error: FaqError) -> str:
    """The refusal in the page's words, naming the field (never the loader's English)."""
    texts = TEXT["topic_problems"]
    if error.key in texts:
        return str(texts[error.key])
    return str(texts["unknown_field"]).format(field=error.key or "?")


def form_station(
    console: Console, request: Request, visitor: Visitor, form: FormData | None
) -> Any:
    """The station an answer is shown for: the form's or the address's choice, else the
    visitor's station, else the first."""
    stations = console.services.settings.stations
    wanted = field_text(form, "station") or request.query_params.get("station", "")
    chosen = next((s for s in stations if s.id == wanted), None)
    chosen = chosen or console.services.settings.station(visitor.officer.station_id)
    return chosen or (stations[0] if stations else None)


def own_station(console: Console, request: Request, visitor: Visitor, form: FormData | None) -> Any:
    """The station whose own answer the form edits: the admin's station; a city admin's
    chosen one."""
    if visitor.is_city_admin:
        return form_station(console, request, visitor, form)
    return console.services.settings.station(visitor.officer.station_id)


def _station_answers(
    current: FaqTopic | None, form: FormData | None, station: Any
) -> dict[str, str]:
    """The topic's station answers with the form's for ``station`` set (or, left empty,
    cleared); the other stations' kept as they are."""
    answers = dict(current.station_answers) if current else {}
    if station is not None:
        text = field_text(form, "station_answer").replace("\r\n", "\n").strip()
        if text:
            answers[station.id] = text + "\n"
        else:
            answers.pop(station.id, None)
    return answers


def _form_topic(
    console: Console, form: FormData | None, topic_id: str, station: Any = None
) -> FaqTopic:
    """The form as a topic, checked by the loader's rules for every station; the
    matching rules a topic file may hold are kept from the topic it edits, and its
    station answers but ``station``'s, which the form sets."""
    data: dict[str, Any] = {
        "id": topic_id,
        "title": field_text(form, "title").strip(),
        "aliases": lines(field_text(form, "aliases")),
        "examples": lines(field_text(form, "examples")),
        "source": field_text(form, "source").strip(),
        "answer": field_text(form, "answer").replace("\r\n", "\n").strip() + "\n",
    }
    review = field_text(form, "review").strip()
    if review:
        try:
            data["review"] = date.fromisoformat(review)
        except ValueError:
            raise FaqError(topic_id, "bad review date", "review") from None
    current = console.services.knowledge.get(topic_id)
    if current is not None and (current.patterns or current.exclude):
        data["match"] = {"patterns": list(current.patterns), "exclude": list(current.exclude)}
    answers = _station_answers(current, form, station)
    if answers:
        data["station_answers"] = answers
    stations = [s.model_dump() for s in console.services.settings.stations]
    return checked_topic(data, stations)


def _show_form(
    console: Console,
    request: Request,
    visitor: Visitor,
    topic: FaqTopic | None,
    values: dict[str, str],
    status: int = 200,
    problem: str | None = None,
    rendered: str | None = None,
    form: FormData | None = None,
) -> Response:
    return page(
        console,
        request,
        "topic_form.html",
        visitor,
        status,
        topic=topic,
        values=values,
        problem=problem,
        rendered=rendered,
        stations=console.services.settings.stations,
        chosen=form_station(console, request, visitor, form),
        own=own_station(console, request, visitor, form),
        writable=console.services.knowledge.station_dir is not None,
    )


def _values(topic: FaqTopic, station: Any) -> dict[str, str]:
    return {
        "id": topic.id,
        "title": topic.title,
        "aliases": "\n".join(topic.aliases),
        "examples": "\n".join(topic.examples),
        "source": topic.source,
        "review": topic.review.isoformat() if topic.review else "",
        "answer": topic.answer.strip(),
        "station_answer": dict(topic.station_answers).get(station.id, "").strip()
        if station is not None
        else "",
    }


def _posted_values(form: FormData | None) -> dict[str, str]:
    keys = ("id", "title", "aliases", "examples", "source", "review", "answer", "station_answer")
    return {key: field_text(form, key) for key in keys}


def _known(console: Console, topic_id: str) -> FaqTopic:
    topic = console.services.knowledge.get(topic_id)
    if topic is None:
        raise HTTPException(404)
    return topic


def new_form(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    """A blank topic; from the gaps page its examples are the grouped questions."""
    assert visitor is not None
    examples = request.query_params.getlist("example")[:GAP_EXAMPLES]
    values = dict.fromkeys(
        ("id", "title", "aliases", "source", "review", "answer", "station_answer"), ""
    )
    values["examples"] = "\n".join(e.strip()[:200] for e in examples)
    return _show_form(console, request, visitor, None, values)


def edit_form(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    topic = _known(console, request.path_params["topic_id"])
    values = _values(topic, own_station(console, request, visitor, None))
    return _show_form(console, request, visitor, topic, values)


def create(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    assert visitor is not None
    return _submit(console, request, visitor, form, None)


def edit(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    assert visitor is not None
    topic = _known(console, request.path_params["topic_id"])
    return _submit(console, request, visitor, form, topic)


def _submit(
    console: Console,
    request: Request,
    visitor: Visitor,
    form: FormData | None,
    current: FaqTopic | None,
) -> Response:
    """``action=preview`` renders the answer for the chosen station; otherwise saves."""
    values = _posted_values(form)
    topic_id = current.id if current else values["id"].strip()
    saving = field_text(form, "action") != "preview"

    def refuse(problem: str, status: int = 409) -> Response:
        if saving:
            with console.db() as db:
                auth.record(
                    db, visitor.officer, "topic save refused", origin(request), topic_id[:64]
                )
                db.commit()
        show = _show_form
        return show(console, request, visitor, current, values, status, problem, form=form)

    try:
        if current is None and console.services.knowledge.get(topic_id) is not None:
            raise FaqError(topic_id, "exists", "exists")
        own = own_station(console, request, visitor, form)
        topic = _form_topic(console, form, topic_id, own)
    except FaqError as error:
        return refuse(problem_text(error))
    if not saving:
        chosen = form_station(console, request, visitor, form)
        rendered = topic_answer(topic, chosen.model_dump()) if chosen else ""
        return _show_form(console, request, visitor, current, values, rendered=rendered, form=form)
    problem = save(console, visitor, topic, topic_toml(topic), "edit" if current else "create")
    if problem is not None:
        return refuse(problem)
    return _saved(console, request, visitor, topic.id, "saved" if current else "created")


def _saved(
    console: Console, request: Request, visitor: Visitor, topic_id: str, done: str
) -> Response:
    with console.db() as db:
        auth.record(db, visitor.officer, f"topic {done}", origin(request), topic_id)
        db.commit()
    return RedirectResponse(f"/topics/{topic_id}?done={done}", status_code=303)


def file_text(topic: FaqTopic) -> str:
    """The topic's file as it is, or (a taught question has none) as it would be."""
    if topic.file:
        try:
            return Path(topic.file).read_text(encoding="utf-8")
        except OSError:
            pass
    return topic_toml(topic)


def save(console: Console, visitor: Visitor, topic: FaqTopic, text: str, action: str) -> str | None:
    """Writes ``text`` as the topic's file in the station's folder, reloads the knowledge
    base and keeps the version it replaced; the refusal's words, or ``None``."""
    knowledge = console.services.knowledge
    folder = knowledge.station_dir
    if folder is None:
        return str(TEXT["topic_problems"]["no_folder"])
    if topic.id in PATHS:
        return str(TEXT["topic_problems"]["id"])
    with SAVING:
        before = knowledge.get(topic.id)
        override = folder / f"{topic.id}.toml"
        old_override = override.read_text(encoding="utf-8") if override.is_file() else None
        write_topic_file(folder, topic.id, text)
        if knowledge.refresh(force=True) is not None:
            # Not loadable with the rest: put the folder back as it was.
            if old_override is None:
                remove_topic_file(folder, topic.id)
            else:
                write_topic_file(folder, topic.id, old_override)
            knowledge.refresh(force=True)
            return str(TEXT["topic_problems"]["not_loaded"])
        with console.db() as db:
            if before is not None:
                db.add(
                    TopicVersion(
                        faq_id=topic.id,
                        toml=file_text(before) if old_override is None else old_override,
                        action=action,
                        saved_by=visitor.officer.name,
                        saved_at=console.services.clock.now(),
                    )
                )
            sync_faq(db, (knowledge[topic.id],))
    return None


def history(console: Console, topic_id: str) -> list[TopicVersion]:
    with console.db() as db:
        return list(
            db.exec(
                select(TopicVersion)
                .where(TopicVersion.faq_id == topic_id)
                .order_by(col(TopicVersion.id).desc())
                .limit(HISTORY)
            ).all()
        )


def revert(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    topic_id, version_id = request.path_params["topic_id"], request.path_params["version_id"]
    with console.db() as db:
        version = db.get(TopicVersion, version_id)
    if version is None or version.faq_id != topic_id:
        raise HTTPException(404)
    stations = [s.model_dump() for s in console.services.settings.stations]
    try:
        topic = parse_topic_text(version.toml, stations, f"{topic_id}.toml")
        problem = save(console, visitor, topic, version.toml, "revert")
    except FaqError as error:
        problem = problem_text(error)
    if problem is not None:
        with console.db() as db:
            detail = f"{topic_id} to #{version_id}: {problem}"
            auth.record(db, visitor.officer, "topic revert refused", origin(request), detail)
            db.commit()
        return page(
            console, request, "error.html", visitor, 409, message="topic_refused", detail=problem
        )
    with console.db() as db:
        detail = f"{topic_id} to #{version_id}"
        auth.record(db, visitor.officer, "topic reverted", origin(request), detail)
        db.commit()
    return RedirectResponse(f"/topics/{topic_id}?done=reverted", status_code=303)


def export(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    assert visitor is not None
    topic = _known(console, request.path_params["topic_id"])
    with console.db() as db:
        auth.record(db, visitor.officer, "topic exported", origin(request), topic.id)
        db.commit()
    return Response(
        file_text(topic),
        media_type="application/toml; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{topic.id}.toml"'},
    )


def upload(
    console: Console, request: Request, visitor: Visitor | None, form: FormData | None
) -> Response:
    """One topic file, checked as the loader checks it before it is written."""
    assert visitor is not None
    sent = form.get("file") if form is not None else None
    stations = [s.model_dump() for s in console.services.settings.stations]
    name = "?"
    try:
        if not isinstance(sent, UploadFile):
            raise FaqError("", "no file", "file")
        name = (sent.filename or "")[:100]
        raw = sent.file.read(TOPIC_FILE_LIMIT + 1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FaqError(name, "not UTF-8", "file") from None
        topic = parse_topic_text(text, stations, name)
        existed = console.services.knowledge.get(topic.id) is not None
        problem = save(console, visitor, topic, text, "import")
    except FaqError as error:
        problem = problem_text(error)
    if problem is not None:
        with console.db() as db:
            auth.record(db, visitor.officer, "topic import refused", origin(request), name)
            db.commit()
        return page(
            console, request, "error.html", visitor, 409, message="topic_refused", detail=problem
        )
    return _saved(console, request, visitor, topic.id, "imported" if existed else "created")


def gaps_page(
    console: Console, request: Request, visitor: Visitor | None, _: FormData | None
) -> Response:
    """The unanswered questions of the visitor's scope, grouped; each group can start a
    topic with its questions as the examples."""
    assert visitor is not None
    from console.report_pages import report_for

    days, report = report_for(console, request, visitor)
    groups = [
        (
            cluster,
            "/topics/new?" + urlencode([("example", q) for q in cluster.questions[:GAP_EXAMPLES]]),
        )
        for cluster in report.clusters
    ]
    return page(console, request, "gaps.html", visitor, groups=groups, days=days)


def routes(route: RouteMaker) -> list[BaseRoute]:
    """Declared before ``/topics/{topic_id}``: ``new`` and ``import`` are not topic ids."""
    return [
        route("/topics/new", new_form, "admin", ("GET",)),
        route("/topics/new", create, "admin", ("POST",)),
        route("/topics/import", upload, "admin", ("POST",), files=1),
        route("/topics/{topic_id:str}/edit", edit_form, "admin", ("GET",)),
        route("/topics/{topic_id:str}/edit", edit, "admin", ("POST",)),
        route("/topics/{topic_id:str}/export", export, "admin", ("GET",)),
        route("/topics/{topic_id:str}/revert/{version_id:int}", revert, "admin", ("POST",)),
        route("/gaps", gaps_page, "admin", ("GET",)),
    ]
