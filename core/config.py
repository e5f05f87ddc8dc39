"""Typed settings loaded from a TOML file; secrets come only from the environment.

Validation is pydantic's (it ships with sqlmodel): every key is typed, unknown keys are
refused (a typo must not silently fall back to a default), and the first problem becomes
one ``ConfigError`` naming the file, the key and the problem.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.hours import DEFAULT_ACCOUNT, DEFAULT_HOURS, BroadcastHours

TELEGRAM_TOKEN_ENV = "JINGMIN_TELEGRAM_TOKEN"
WECHAT_TOKEN_ENV = "JINGMIN_WECHAT_TOKEN"
WEBHOOK_SECRET_ENV = "JINGMIN_TELEGRAM_WEBHOOK_SECRET"
WEB_SECRET_ENV = "JINGMIN_WEB_SECRET"


class ConfigError(Exception):
    def __init__(self, file: str, key: str, problem: str) -> None:
        self.file, self.key, self.problem = file, key, problem
        where = f"key '{key}'" if key else "file"
        super().__init__(f"config error in {file}: {where}: {problem}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DatabaseSettings(_Section):
    url: str = "sqlite:///jingmin.db"


class TelegramSettings(_Section):
    enabled: bool = False
    api_base_url: str = "https://api.telegram.org/bot"
    mode: Literal["polling", "webhook"] = "polling"
    # Webhook mode: Telegram posts updates to webhook_url (your proxy), which forwards them
    # to this process on webhook_listen:webhook_port; the secret comes from the env
    # JINGMIN_TELEGRAM_WEBHOOK_SECRET and is checked on every request.
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # Telegram's documented limits; broadcasts stay under both.
    max_messages_per_second: float = Field(default=30.0, gt=0)
    max_messages_per_minute_per_group: int = Field(default=20, gt=0)


def _check_hours(value: str | None) -> str | None:
    if value is not None:
        BroadcastHours.parse(value)  # ValueError names the problem
    return value


class WechatAccountSettings(_Section):
    """One ``[[wechat.accounts]]`` block; pacing keys left out come from ``[wechat]``."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    endpoint: str = Field(min_length=1)
    token_env: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    seconds_between_sends: float | None = Field(default=None, ge=0)
    daily_send_cap: int | None = Field(default=None, gt=0)
    broadcast_hours: str | None = None

    _hours = field_validator("broadcast_hours")(_check_hours)


@dataclass(frozen=True, slots=True)
class WechatAccount:
    """A WeChat account as the bot uses it, from ``[[wechat.accounts]]`` or the single
    ``[wechat]`` keys (which make the account "default", token in JINGMIN_WECHAT_TOKEN)."""

    id: str
    endpoint: str
    token_env: str
    seconds_between_sends: float
    daily_send_cap: int
    hours: BroadcastHours
    rest_hours: float = 6.0


class WechatSettings(_Section):
    enabled: bool = False
    endpoint: str = "127.0.0.1:8788"
    seconds_between_sends: float = Field(default=3.0, ge=0)
    daily_send_cap: int = Field(default=800, gt=0)
    # Local time (the configured timezone) in which broadcasts may go out; replies always.
    broadcast_hours: str = DEFAULT_HOURS
    # An account WeChat restricts ("操作过于频繁", a ban, a logout) sends no broadcast for
    # this long; its rooms go to their spare account meanwhile.
    rest_hours: float = Field(default=6.0, gt=0)
    accounts: tuple[WechatAccountSettings, ...] = Field(default=(), strict=False)

    _hours = field_validator("broadcast_hours")(_check_hours)

    @property
    def hours(self) -> BroadcastHours:
        return BroadcastHours.parse(self.broadcast_hours)

    def all_accounts(self) -> tuple[WechatAccount, ...]:
        """The configured accounts, or the single ``[wechat]`` keys as one account."""
        if not self.accounts:
            return (
                WechatAccount(
                    DEFAULT_ACCOUNT,
                    self.endpoint,
                    WECHAT_TOKEN_ENV,
                    self.seconds_between_sends,
                    self.daily_send_cap,
                    self.hours,
                    self.rest_hours,
                ),
            )
        return tuple(
            WechatAccount(
                a.id,
                a.endpoint,
                a.token_env,
                _or(a.seconds_between_sends, self.seconds_between_sends),
                _or(a.daily_send_cap, self.daily_send_cap),
                BroadcastHours.parse(_or(a.broadcast_hours, self.broadcast_hours)),
                self.rest_hours,
            )
            for a in self.accounts
        )

    @property
    def account(self) -> WechatAccount:
        """The first account (the only one, in a deployment of one account)."""
        return self.all_accounts()[0]

    @property
    def several(self) -> bool:
        """Several accounts: rooms carry the account serving them (``infra.accounts``)."""
        return len(self.accounts) > 1


T = TypeVar("T")


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


class StationSettings(_Section):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    address: str
    phone: str
    hours: str
    delete_lures: bool = False  # guard may delete scam/PII posts where the bot is admin
    # Alerts an officer pushes from the phone (推送): may every officer of the station reach
    # all of its groups (else only its admins and city admins), and must a station admin
    # approve a push of an officer who is not one (批准广播, as for campaigns)?
    alerts_by_every_officer: bool = False
    alerts_need_approval: bool = False


class OfficerSettings(_Section):
    name: str = Field(min_length=1)
    station: str
    telegram_id: str | None = None
    wechat_id: str | None = None
    duty: bool = False
    admin: bool = False  # station admin in the web console: all of the station's tickets
    # city admin: every station in the web console, and may push alerts to the whole city
    city_admin: bool = False

    @field_validator("telegram_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        # Telegram ids are numbers; admins will write them unquoted.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class MatcherSettings(_Section):
    """Score thresholds of the FAQ matcher (0..1); tuned with `jingmin faq eval`."""

    answer_threshold: float = Field(default=0.5, ge=0, le=1)
    suggest_threshold: float = Field(default=0.3, ge=0, le=1)
    addressed_answer_threshold: float = Field(default=0.45, ge=0, le=1)


class FaqSettings(_Section):
    # A folder of the station's own topic files (the format of faq/topics/*.toml, [match]
    # optional); a file whose id exists replaces that topic. Changes are picked up by every
    # worker within reload_seconds, without a restart; a bad file keeps the last good set.
    topics_dir: Path | None = Field(default=None, strict=False)
    reload_seconds: float = Field(default=10.0, gt=0)


class BehaviourSettings(_Section):
    max_message_age_seconds: int = Field(default=300, gt=0)
    repeat_window_seconds: int = Field(default=600, ge=0)
    reminder_minutes: int = Field(default=30, gt=0)
    handover_minutes: int = Field(default=120, gt=0)
    # A repeat inside the repeat window is pointed to the earlier answer at most this often
    # per topic and group (a flood must not make the bot chatty).
    repeat_pointer_seconds: int = Field(default=120, ge=0)
    # An incident or complaint not addressed to the bot is acknowledged at most this often
    # per resident and group.
    incident_ack_seconds: int = Field(default=600, ge=0)
    # How long after an answer a resident's "没解决"/"人工" or reply still refers to it
    # (WeChat keeps no id of a quoted message, so the latest answer in this time is meant).
    feedback_window_seconds: int = Field(default=1800, gt=0)
    # A topic with this many 👎 in 7 days is only suggested to the officer, not answered,
    # until an officer reviews it (复核 <topic>).
    downvotes_to_review: int = Field(default=5, gt=0)
    # Members joining within this many seconds share one welcome; a group gets at most one
    # welcome per this many seconds.
    welcome_batch_seconds: float = Field(default=300, gt=0)


class TicketSettings(_Section):
    # After 修改, the officer's next message within this many minutes is a draft.
    edit_minutes: int = Field(default=10, gt=0, le=24 * 60)
    # A ticket still pending this many days after it was opened is closed as expired.
    expire_days: int = Field(default=7, gt=0, le=365)


class BroadcastSettings(_Section):
    misfire_grace_seconds: int = Field(default=3600, ge=0)
    # An officer's push (推送) not confirmed within this many minutes lapses.
    alert_minutes: int = Field(default=15, gt=0, le=24 * 60)
    # Where pictures, videos and files of campaigns and alerts are kept (named by their
    # sha256). Empty: a "media" folder next to the SQLite database, or ./media. Several
    # workers on several hosts need it on a shared disk.
    media_dir: str = ""


class GuardSettings(_Section):
    # Scam early warning: the same lure (near-duplicate text, or the same handle, number,
    # link or QR code) in at least wave_groups different groups of one station within
    # wave_minutes drafts one warning for the station's other groups (guard/wave.py).
    wave_groups: int = Field(default=3, ge=2)
    wave_minutes: int = Field(default=60, gt=0, le=24 * 60)
    # How alike two texts must be to count as the same lure: the Jaccard similarity of
    # their character bigrams (edits to a 60-character lure keep it near 0.7).
    wave_similarity: float = Field(default=0.5, gt=0, le=1)


class OperationsSettings(_Section):
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # At DEBUG, also the platform libraries' dumps of whole requests and updates.
    log_platform_payloads: bool = False
    # /healthz and /metrics (Prometheus); 0 turns them off. Keep it on a local address.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535)


class WebSettings(_Section):
    """The web console (`jingmin web`). Its session key comes from the env
    JINGMIN_WEB_SECRET (a random one per process when unset: sessions end on restart)."""

    # Serve the console inside `jingmin run` too, on the bot's services (one process).
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # The address officers open, as the sign-in link the bot sends starts with it (your
    # https proxy in front of host:port); empty: http://host:port.
    public_url: str = Field(default="", pattern=r"^(https?://[^\s/?#]+(/[^\s?#]*)?)?$")
    # Send cookies over https only. Turn off only for a demo on plain http.
    secure_cookies: bool = True
    login_link_minutes: int = Field(default=5, gt=0, le=60)
    session_hours: int = Field(default=12, gt=0, le=24 * 30)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


class PrivacySettings(_Section):
    # Tickets older than this keep their outcome and FAQ id but lose the resident's words.
    retention_days: int = Field(default=180, gt=0)


class Settings(_Section):
    timezone: str = "Asia/Shanghai"
    database: DatabaseSettings = DatabaseSettings()
    telegram: TelegramSettings = TelegramSettings()
    wechat: WechatSettings = WechatSettings()
    matcher: MatcherSettings = MatcherSettings()
    faq: FaqSettings = FaqSettings()
    behaviour: BehaviourSettings = BehaviourSettings()
    tickets: TicketSettings = TicketSettings()
    broadcasts: BroadcastSettings = BroadcastSettings()
    guard: GuardSettings = GuardSettings()
    operations: OperationsSettings = OperationsSettings()
    privacy: PrivacySettings = PrivacySettings()
    web: WebSettings = WebSettings()
    stations: tuple[StationSettings, ...] = Field(default=(), strict=False)
    officers: tuple[OfficerSettings, ...] = Field(default=(), strict=False)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def station(self, station_id: str) -> StationSettings | None:
        return next((s for s in self.stations if s.id == station_id), None)


def _key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problem(error: Any) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "missing":
        return "missing (this key is required)"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling against config.example.toml)"
    return f"{msg} (got {error.get('input')!r})"


def parse_settings(data: dict[str, Any], file: str) -> Settings:
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(file, _key_path(first["loc"]), _problem(first)) from None
    _check_wechat_accounts(settings.wechat, file)
    station_ids = [s.id for s in settings.stations]
    for index, station_id in enumerate(station_ids):
        if station_ids.index(station_id) != index:
            raise ConfigError(file, f"stations[{index}].id", f"duplicate station id {station_id!r}")
    for index, officer in enumerate(settings.officers):
        if officer.station not in station_ids:
            known = ", ".join(station_ids) or "none defined"
            raise ConfigError(
                file,
                f"officers[{index}].station",
                f"unknown station {officer.station!r} (known: {known})",
            )
    return settings


def _check_wechat_accounts(wechat: WechatSettings, file: str) -> None:
    if not wechat.accounts:
        return
    if "endpoint" in wechat.model_fields_set:
        raise ConfigError(
            file, "wechat.endpoint", "give each account's endpoint in [[wechat.accounts]] instead"
        )
    seen: set[str] = set()
    endpoints: set[str] = set()
    for index, account in enumerate(wechat.accounts):
        if account.id in seen:
            raise ConfigError(
                file, f"wechat.accounts[{index}].id", f"duplicate account id {account.id!r}"
            )
        if account.endpoint.strip() in endpoints:
            raise ConfigError(
                file,
                f"wechat.accounts[{index}].endpoint",
                f"another account uses {account.endpoint!r}: a gateway holds one WeChat account",
            )
        seen.add(account.id)
        endpoints.add(account.endpoint.strip())


def load_settings(path: Path | str) -> Settings:
    file = str(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(file, "", "file not found") from None
    except OSError as exc:
        raise ConfigError(file, "", f"cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(file, "", f"not valid TOML: {exc}") from None
    settings = parse_settings(data, file)
    topics_dir = settings.faq.topics_dir
    if topics_dir is not None and not topics_dir.is_absolute():  # beside the config file
        faq = settings.faq.model_copy(update={"topics_dir": Path(path).parent / topics_dir})
        settings = settings.model_copy(update={"faq": faq})
    return settings


def secret(env_name: str) -> str | None:
    """A token from the environment; never read from files, never logged."""
    value = os.environ.get(env_name, "").strip()
    return value or None
