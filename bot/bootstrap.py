"""All wiring in one place; tests call the same functions with fakes."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

import broadcasts  # noqa: F401  (registers the broadcast tables before create_tables)
from bot import migrate
from core.config import Settings
from core.db import Officer, Station, make_engine, session
from core.dispatcher import Dispatcher, Route
from core.events import (
    BotAddedToGroup,
    BotRemovedFromGroup,
    ButtonPress,
    ChatMigrated,
    ChatRef,
    Event,
    IncomingMessage,
    MembersJoined,
    Outgoing,
    SentRef,
)
from core.ports import ChatAdapter, Clock, FetchPicture, PictureSource, SystemClock
from faq.knowledge import check_answers
from faq.live import TAUGHT_PREFIX, KnowledgeBase
from faq.matcher import Thresholds
from faq.stored import sync_faq, taught_questions
from guard.detect import check
from handlers import (
    alerts,
    broadcast_commands,
    clarify,
    console_login,
    feedback,
    guard,
    officer,
    onboarding,
    privacy_notice,
    questions,
    welcome,
)
from handlers.common import default_station
from handlers.failures import tell_on_failure
from handlers.services import GuardCheck, RecentQuestions, Services
from infra.leader import one_at_a_time
from infra.metrics import timed
from infra.outbox import OutboxSender
from tickets import service as tickets


def sync_config(db: Session, settings: Settings) -> None:
    """Stations come from the config file. Officers too, as a first seed: an officer
    changed in the web console (``console_managed``) keeps what the console set."""
    for station in settings.stations:
        row = db.get(Station, station.id) or Station(
            id=station.id, name="", address="", phone="", hours=""
        )
        row.name, row.address, row.phone, row.hours = (
            station.name,
            station.address,
            station.phone,
            station.hours,
        )
        db.add(row)
    db.flush()
    for configured in settings.officers:
        officer_row = db.exec(
            select(Officer).where(
                Officer.name == configured.name, Officer.station_id == configured.station
            )
        ).first()
        if officer_row is not None and officer_row.console_managed:
            continue  # changed in the console since: the file was only its first seed
        officer_row = officer_row or Officer(name=configured.name, station_id=configured.station)
        officer_row.telegram_id, officer_row.wechat_id, officer_row.duty = (
            configured.telegram_id,
            configured.wechat_id,
            configured.duty,
        )
        officer_row.admin, officer_row.city_admin = configured.admin, configured.city_admin
        db.add(officer_row)
    db.commit()


def knowledge_base(settings: Settings, engine: Engine | None = None) -> KnowledgeBase:
    """The deployment's topics (shipped + ``[faq] topics_dir``, and with a database the
    questions officers taught) and the model learned from them; raises ``FaqError`` naming
    the file and key of a broken topic."""
    m = settings.matcher
    thresholds = Thresholds(m.answer_threshold, m.suggest_threshold, m.addressed_answer_threshold)
    return KnowledgeBase(
        settings.faq.topics_dir,
        thresholds,
        taught=(lambda: taught_questions(engine)) if engine is not None else tuple,
    )


def open_database(settings: Settings) -> Engine:
    """The deployment's database with its schema current: SQLite is upgraded now,
    PostgreSQL must be at head already (``migrate.DatabaseBehind`` otherwise)."""
    engine = make_engine(settings.database.url)
    migrate.prepare(engine)
    return engine


def build_services(
    settings: Settings,
    clock: Clock | None = None,
    engine: Engine | None = None,
    *,
    knowledge: KnowledgeBase | None = None,
    guard_check: GuardCheck = check,
) -> Services:
    """Everything handlers are given, built once; ``engine``: the process's one database
    (default: opened here); ``knowledge`` (default: the deployment's, loaded here) and
    ``guard_check`` decide residents' messages."""
    engine = engine or open_database(settings)
    knowledge = knowledge or knowledge_base(settings, engine)
    check_answers(
        tuple(knowledge.values()), [station.model_dump() for station in settings.stations]
    )
    with one_at_a_time(engine, "jingmin:start-up sync"), session(engine) as db:
        sync_config(db, settings)
        sync_faq(db, tuple(t for t in knowledge.values() if not t.id.startswith(TAUGHT_PREFIX)))
    return Services(
        settings=settings,
        engine=engine,
        knowledge=knowledge,
        clock=clock or SystemClock(),
        recent=RecentQuestions(timedelta(seconds=settings.behaviour.repeat_window_seconds), engine),
        guard=guard_check,
    )


COMMANDS, GUARD, ANSWER = 0, 1, 2  # the dispatcher's groups, in the order they run


def _is(kind: type[Any]) -> Any:
    return lambda event: isinstance(event, kind)


def _private(event: Event) -> bool:
    return isinstance(event, IncomingMessage) and not event.is_group


def _in_group(event: Event) -> bool:
    return isinstance(event, IncomingMessage) and event.is_group


def build_outbox(
    services: Services, adapters: Mapping[str, ChatAdapter], worker: str | None = None
) -> OutboxSender:
    """The one sender of outbox rows, and what each kind of row settles when it ends."""
    station, platforms = default_station(services), tuple(adapters)
    return OutboxSender(
        services.engine,
        adapters,
        services.clock,
        worker or f"outbox-{os.getpid()}-{secrets.token_hex(4)}",
        settle={
            tickets.ANSWER_KIND: partial(
                tickets.settle_answer,
                default_station=station,
                platforms=platforms,
                zone=services.settings.timezone,
            ),
            tickets.CARD_KIND: partial(
                tickets.settle_card, default_station=station, platforms=platforms
            ),
        },
    )


def picture_fetcher(adapters: Mapping[str, ChatAdapter]) -> FetchPicture:
    """Pictures come from the adapter of their platform, if it can fetch them."""

    async def fetch(chat: ChatRef, picture_id: str) -> bytes | None:
        adapter = adapters.get(chat.platform)
        if not isinstance(adapter, PictureSource):
            return None
        return await adapter.fetch_picture(chat, picture_id)

    return fetch


def build_dispatcher(
    services: Services,
    adapters: Mapping[str, ChatAdapter],
    sender: OutboxSender | None = None,
) -> Dispatcher:
    """The routes; ``sender`` (default: one of its own) delivers what handlers put in the
    outbox as soon as an event is handled."""

    def remember_answer(out: Outgoing, ref: SentRef) -> None:
        if out.tag and out.tag.startswith(feedback.ANSWER_TAG):
            feedback.record_sent(
                services.engine, services.answers_in_flight, out.tag, ref.message_id
            )

    routes = [
        Route("bot added", _is(BotAddedToGroup), partial(onboarding.on_bot_added, services)),
        Route(
            "bot removed", _is(BotRemovedFromGroup), partial(onboarding.on_bot_removed, services)
        ),
        Route("chat migrated", _is(ChatMigrated), partial(onboarding.on_chat_migrated, services)),
        Route("members joined", _is(MembersJoined), partial(welcome.on_members_joined, services)),
        Route(
            "broadcast button",
            broadcast_commands.is_broadcast_button,
            partial(broadcast_commands.on_button, services),
        ),
        Route("alert button", alerts.is_alert_button, partial(alerts.on_button, services)),
        Route("choice button", clarify.is_choice_button, partial(clarify.on_button, services)),
        Route("vote", feedback.is_vote_button, partial(feedback.on_vote_button, services)),
        Route("button", _is(ButtonPress), partial(officer.on_button, services)),
        Route(
            "bind",
            lambda e: isinstance(e, IncomingMessage) and onboarding.is_bind_command(e),
            partial(onboarding.on_bind, services),
        ),
        Route(
            "group setting", welcome.is_group_setting, partial(welcome.on_group_setting, services)
        ),
        Route(
            "privacy",
            privacy_notice.is_privacy_request,
            partial(privacy_notice.on_privacy_request, services),
        ),
        Route.parsed(
            "broadcast command",
            broadcast_commands.broadcast_command,
            partial(broadcast_commands.on_command, services),
        ),
        Route(
            "console login",
            console_login.is_login_command,
            partial(console_login.on_login, services),
        ),
        Route("review", feedback.is_review_command, partial(feedback.on_review, services)),
        Route.parsed("alert command", alerts.alert_command, partial(alerts.on_command, services)),
        Route("officer private", _private, partial(officer.on_officer_private, services)),
        Route(
            "alert message",
            _private,
            partial(alerts.on_officer_message, services, fetch_picture=picture_fetcher(adapters)),
        ),
        Route("check in private", _private, partial(guard.on_private_check, services)),
        # The guard reads every group message the commands above did not take; what it
        # lets through (or reminds about and lets through) goes on to be answered.
        Route(
            "guard",
            _in_group,
            partial(guard.on_group_message, services, fetch_picture=picture_fetcher(adapters)),
            group=GUARD,
        ),
        Route(
            "resident message",
            _is(IncomingMessage),
            partial(questions.on_resident_message, services),
            group=ANSWER,
        ),
    ]

    def observe_send(platform: str, seconds: float) -> None:
        services.metrics.send_latency.labels(platform).observe(seconds)

    sender = sender or build_outbox(services, adapters)
    return Dispatcher(
        routes,
        adapters,
        on_sent=remember_answer,
        observe_send=observe_send,
        after_handled=sender.deliver_new,
        middleware=[timed(services.metrics)],
        on_error=tell_on_failure(services),
        database=services.engine,
    )
