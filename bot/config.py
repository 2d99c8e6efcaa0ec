"""Typed settings: lotse.toml (path in LOTSE_CONFIG, default ./lotse.toml) + environment.

Environment variables win over the file; secrets (bot tokens) come only from the
environment so that a settings file can be shared without leaking them.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

BUNDLED_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
BUNDLED_TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
TELEGRAM_API = "https://api.telegram.org/bot"
TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")
SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as secret_token


class ConfigError(Exception):
    """Settings that cannot be used; the message says which file and key."""


def _http_url(value: str) -> str:
    if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise ValueError("must be an http:// or https:// address")
    return value


class TelegramSettings(BaseModel):
    """The `[telegram]` table; `token` and `webhook_secret` come from the environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    token: SecretStr | None = None
    base_url: str = TELEGRAM_API
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    retry_seconds: float = Field(default=30.0, gt=0)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError("does not look like a bot token from BotFather (digits:letters)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not SECRET_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError("use 1 to 256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(_http_url(value)).scheme != "https":
            raise ValueError("Telegram only calls https:// addresses")
        return value

    @property
    def base_file_url(self) -> str:
        """Where files are downloaded: …/bot becomes …/file/bot, as on api.telegram.org."""
        head, _, tail = self.base_url.rstrip("/").rpartition("/")
        return f"{head}/file/{tail}"

    @property
    def webhook_path(self) -> str:
        """The local path of the webhook server: the path of the public URL."""
        return urlsplit(self.webhook_url or "").path.lstrip("/")


class StaffSettings(BaseModel):
    """The `[staff]` table: where KI staff and the mediator coordination work in Telegram.

    Without `chat_id`, "talk to a person" gives the KI's phone and e-mail instead."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    chat_id: int | None = None  # the staff supergroup with topics (ids of groups are < 0)
    mediation_chat_id: int | None = None  # the mediator coordination chat
    user_ids: frozenset[int] = frozenset()  # staff members who may act in the staff chat
    office_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    office_start: dt.time = dt.time(8, 30)
    office_end: dt.time = dt.time(16, 0)
    answer_hours: int = Field(default=24, ge=1, description="Staff usually answer within.")

    @field_validator("user_ids", mode="before")
    @classmethod
    def _user_ids(cls, value: Any) -> Any:
        if isinstance(value, str):  # LOTSE_STAFF_USER_IDS="1, 2,3"
            try:
                return frozenset(int(part) for part in value.split(",") if part.strip())
            except ValueError:
                raise ValueError("must be Telegram user ids separated by commas") from None
        return value

    @property
    def enabled(self) -> bool:
        return self.chat_id is not None


class PrivacySettings(BaseModel):
    """The `[privacy]` table: how long Lotse keeps what it stores, in days (see
    docs/privacy.md). A daily job and `lotse privacy purge` delete what is older."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    idle_family_days: int = Field(default=90, ge=1)  # no message for this long: all deleted
    closed_ticket_days: int = Field(default=90, ge=1)  # after the ticket was closed
    past_booking_days: int = Field(default=90, ge=1)  # after the appointment (or cancel)
    unanswered_days: int = Field(default=180, ge=1)  # questions kept for editors
    audit_days: int = Field(default=365, ge=1)  # the audit log of staff actions
    processed_update_days: int = Field(default=7, ge=1)  # technical: update ids seen


class LimitsSettings(BaseModel):
    """The `[limits]` table: what one family may send, so one chat cannot tire the bot."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_text_chars: int = Field(default=1000, ge=50)  # longer texts are cut, the family told
    max_file_bytes: int = Field(default=10_000_000, ge=1)  # larger files are not relayed
    media_types: frozenset[str] = frozenset({"photo", "document", "voice"})  # relayed to staff
    burst: int = Field(default=8, ge=1)  # messages at once before the polite pause
    per_minute: int = Field(default=20, ge=1)  # steady rate a family may keep up


class WebSettings(BaseModel):
    """The `[web]` table: the web chat and the staff desk (`lotse web`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Behind a reverse proxy that speaks https: cookies get `Secure`, the client address
    # and scheme come from X-Forwarded-* (only from `forwarded_allow_ips`).
    behind_proxy: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    # Pages that may show the chat in the widget's frame (CSP frame-ancestors), e.g.
    # ["https://www.duesseldorf.de"]; empty: only Lotse's own pages.
    embed_origins: tuple[str, ...] = ()
    max_body_bytes: int = Field(default=16_384, ge=1024)  # per request of the chat API
    per_minute_ip: int = Field(default=120, ge=1)  # requests to the chat API per address


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    db: Path = Path("lotse.db")
    knowledge: Path = BUNDLED_KNOWLEDGE
    translations: Path = BUNDLED_TRANSLATIONS
    telegram: TelegramSettings = TelegramSettings()
    staff: StaffSettings = StaffSettings()
    privacy: PrivacySettings = PrivacySettings()
    limits: LimitsSettings = LimitsSettings()
    web: WebSettings = WebSettings()


# variable -> key path in the settings
ENVIRONMENT: dict[str, tuple[str, ...]] = {
    "LOTSE_DB": ("db",),
    "LOTSE_KNOWLEDGE": ("knowledge",),
    "LOTSE_TRANSLATIONS": ("translations",),
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
    "LOTSE_TELEGRAM_BASE_URL": ("telegram", "base_url"),
    "LOTSE_TELEGRAM_WEBHOOK_URL": ("telegram", "webhook_url"),
    "LOTSE_TELEGRAM_WEBHOOK_LISTEN": ("telegram", "webhook_listen"),
    "LOTSE_TELEGRAM_WEBHOOK_PORT": ("telegram", "webhook_port"),
    "TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "LOTSE_STAFF_CHAT_ID": ("staff", "chat_id"),
    "LOTSE_MEDIATION_CHAT_ID": ("staff", "mediation_chat_id"),
    "LOTSE_STAFF_USER_IDS": ("staff", "user_ids"),
    "LOTSE_WEB_HOST": ("web", "host"),
    "LOTSE_WEB_PORT": ("web", "port"),
}
SECRETS = {
    ("telegram", "token"): "TELEGRAM_BOT_TOKEN",
    ("telegram", "webhook_secret"): "TELEGRAM_WEBHOOK_SECRET",
}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if environ is None else environ)
    config_path = Path(env.get("LOTSE_CONFIG", "lotse.toml"))
    values: dict[str, Any] = {}
    if config_path.is_file():
        try:
            values = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_path}: {exc}") from exc
    elif "LOTSE_CONFIG" in env:
        raise ConfigError(f"{config_path}: no such settings file (LOTSE_CONFIG)")
    for (section, key), variable in SECRETS.items():
        table = values.get(section)
        if isinstance(table, dict) and key in table:
            raise ConfigError(
                f"{config_path}: {section}.{key}: secrets are read from the environment only;"
                f" remove it from the file and set {variable}"
            )
    for variable, (*sections, key) in ENVIRONMENT.items():
        if env.get(variable):
            target = values
            for section in sections:
                target = target.setdefault(section, {})
            if isinstance(target, dict):  # else validation reports the odd file value
                target[key] = env[variable]
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{config_path}: {problems}") from exc
