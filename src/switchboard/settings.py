"""Deployment settings, read from the environment and `.env`.

Every setting is documented in `.env.example`. A wrong value stops start-up with one line naming
the variable and what it expects (see `load_settings`).
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as PydanticSettingsError

from switchboard.db.engine import database_file
from switchboard.email_address import is_email_address
from switchboard.startup_errors import StartupError


class WebhookAck(StrEnum):
    """When `serve` answers Telegram's webhook request."""

    CLAIMED = "claimed"  # once the update is claimed and its calls recorded (the fastest)
    SENT = "sent"  # once its replies went out: a chat's next update cannot overtake them


class FloodProfile(StrEnum):
    """How strictly the sandbox applies Telegram's flood limits."""

    TELEGRAM = "telegram"
    OFF = "off"
    STRICT = "strict"


AiProvider = Literal["local", "openai", "gemini"]
# The providers' own base URLs (switchboard.ai, a layer above, has them too): no key, no service.
OPENAI_BASE_URL = "https://api.openai.com/v1"
SttProvider = Literal["none", "openai", "gemini", "local"]


class OidcProvider(BaseModel):
    """One OpenID Connect issuer people may log in with (`OIDC_PROVIDERS`)."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,32}$")]  # in the login URL
    label: str = ""  # on the login button; unset: the name
    issuer: str | None = None  # e.g. https://accounts.google.com
    server_metadata_url: str | None = None  # unset: <issuer>/.well-known/openid-configuration
    client_id: str
    client_secret: SecretStr | None = None
    scope: str = "openid email profile"

    @model_validator(mode="after")
    def _needs_metadata(self) -> OidcProvider:
        if self.server_metadata_url is None:
            if self.issuer is None:
                raise ValueError(f"OIDC provider {self.name!r} needs an issuer")
            base = self.issuer.rstrip("/")
            self.server_metadata_url = f"{base}/.well-known/openid-configuration"
        if not self.label:
            self.label = self.name
        return self

    @property
    def metadata_url(self) -> str:
        assert self.server_metadata_url is not None  # set by the validator
        return self.server_metadata_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
    )

    database_url: str = Field(
        default="sqlite+aiosqlite:///./switchboard.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://…",
    )
    redis_url: str | None = Field(
        default=None, description="redis://host:port/db; enables Redis FSM and shared limits"
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org",
        description="Bot API server base URL; the sandbox's URL in demos and tests",
    )
    webhook_base_url: str | None = Field(
        default=None, description="public https base URL that Telegram posts updates to"
    )
    webhook_ack: WebhookAck = Field(
        default=WebhookAck.CLAIMED,
        description="answer a webhook once the update is claimed, or once its replies went "
        "out (`sent`: with several serve replicas, keeps each chat's replies in order)",
    )
    installed_apps: list[str] | None = Field(
        default=None,
        description="modules of the apps to run (each has an APP); unset: INSTALLED_APPS",
    )
    web_host: str = "127.0.0.1"
    web_port: Annotated[int, Field(ge=1, le=65535)] = 8080
    worker_web_port: Annotated[int, Field(ge=1, le=65535)] | None = Field(
        default=None,
        description="port of `switchboard worker`'s /healthz, /readyz and /metrics (on "
        "WEB_HOST); unset: a worker serves no HTTP, so several on one host do not collide",
    )
    # NoDecode: pydantic-settings would otherwise read a list only as JSON, and refuse the
    # `OWNER_IDS=1,2` everyone writes; `_read_owner_ids` takes both.
    owner_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list,
        description="Telegram user ids allowed /stats and /broadcast: 1,2 or [1, 2]",
    )
    log_level: str = "INFO"
    log_json: bool = False
    in_process_worker: bool = True
    job_lease_seconds: Annotated[int, Field(ge=1, le=3600)] = Field(
        default=60, description="how long a worker holds a job before others may take it over"
    )
    outbox_lease_seconds: Annotated[float, Field(ge=0.5, le=3600)] = Field(
        default=30,
        description="after a crash, how soon another process repeats a Bot API call in flight",
    )
    flood_safety_margin: Annotated[float, Field(ge=0, le=2)] = Field(
        default=0.2,
        description="seconds added to every outbound flood window, covering request jitter",
    )
    token_key: SecretStr | None = Field(
        default=None,
        description="Fernet key bot tokens are encrypted with at rest (`switchboard bots new-key`)",
    )
    bots_reload_seconds: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=5.0,
        description="how often each process checks the bot table for bots added or changed",
    )
    sandbox_flood: FloodProfile = FloodProfile.TELEGRAM

    # notes: classification, transcription, link previews
    notes_ai_provider: AiProvider = Field(
        default="local",
        description="local (offline, default), openai (any compatible API) or gemini",
    )
    notes_ai_base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1"
    )
    notes_ai_api_key: SecretStr | None = None
    notes_ai_model: str | None = None
    notes_ai_timeout: Annotated[float, Field(gt=0, le=120)] = 10.0
    notes_stt_provider: SttProvider = Field(
        default="none", description="none, openai (or a local Whisper server), gemini or local"
    )
    notes_stt_base_url: str | None = None
    notes_stt_api_key: SecretStr | None = None
    notes_stt_model: str | None = None
    notes_allow_private_links: bool = Field(
        default=False, description="let link previews fetch private addresses (tests only)"
    )
    repost_allow_private_feeds: bool = Field(
        default=False,
        description="let the repost app fetch feeds at private addresses (tests only)",
    )
    calendar_caldav_allow_private_addresses: bool = Field(
        default=False,
        description="let CalDAV sync reach private and loopback addresses (intranet; tests)",
    )
    notes_confirm_timeout: Annotated[int, Field(ge=1, le=7 * 24 * 3600)] = 600
    notes_auto_file_threshold: Annotated[float | None, Field(ge=0, le=1)] = None
    # A best guess below it is shown as no guess (no ✅) and never filed without asking: with
    # six topics and nothing to go on, every topic scores about 15 %.
    notes_confidence_floor: Annotated[float, Field(ge=0, le=1)] = 0.35
    # The match app's score: weights of closeness, shared interests and age preferences (the
    # original bot's 0.3 / 0.5 / 0.2), the least score a card needs, and the rate limits.
    match_weight_distance: Annotated[float, Field(ge=0, le=1)] = 0.3
    match_weight_interests: Annotated[float, Field(ge=0, le=1)] = 0.5
    match_weight_preferences: Annotated[float, Field(ge=0, le=1)] = 0.2
    match_min_score: Annotated[float, Field(ge=0, le=1)] = 0.1
    match_likes_per_hour: Annotated[int, Field(ge=1, le=10_000)] = 30
    match_cards_per_day: Annotated[int, Field(ge=1, le=100_000)] = 200
    match_reports_to_hide: Annotated[int, Field(ge=1, le=100)] = 3
    # Inactive profiles go to sleep after N days, with one reminder M days before (a reminder
    # at or past the sleep day is sent the day before it).
    match_sleep_after_days: Annotated[int, Field(ge=2, le=3650)] = 30
    match_sleep_reminder_days: Annotated[int, Field(ge=1, le=3650)] = 7

    # email (alerts now, the web later): MailJet when its key is set, else SMTP when a host is
    smtp_host: str | None = Field(default=None, description="SMTP server; unset: no SMTP")
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = Field(default=True, description="upgrade with STARTTLS (465: TLS)")
    email_from: str | None = Field(default=None, description="the From address of emails")
    mailjet_api_key: SecretStr | None = None
    mailjet_api_secret: SecretStr | None = None
    mailjet_base_url: str = Field(
        default="https://api.mailjet.com", description="MailJet's API (a stand-in in tests)"
    )
    # --- calendar: ICS subscriptions and the private feed ---
    public_url: str | None = Field(
        default=None,
        description="public base URL of the web app (calendar feed links); unset: "
        "WEBHOOK_BASE_URL, else http://WEB_HOST:WEB_PORT",
    )
    calendar_allow_private_feeds: bool = Field(
        default=False, description="let /subscribe fetch private addresses (tests only)"
    )
    # --- web: the owners' dashboard, logins, the Mini App ---
    web_secret_key: SecretStr | None = Field(
        default=None,
        description="signs login cookies and CSRF tokens (32+ random characters); unset: "
        "derived from TOKEN_KEY",
    )
    admin_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Telegram user ids of the platform's admins"
    )
    admin_emails: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="e-mail addresses (from OIDC logins) of the admins"
    )
    web_invite_only: bool = Field(
        default=False, description="only invited people (and admins) may add bots on the web"
    )
    oidc_providers: list[OidcProvider] = Field(
        default_factory=list,
        description='OpenID Connect logins, a JSON list: [{"name": "google", "label": "Google", '
        '"issuer": "https://accounts.google.com", "client_id": "…", "client_secret": "…"}]',
    )
    web_login_attempts_per_minute: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=10, description="login attempts allowed per client address and per identity"
    )
    web_max_bots_per_owner: Annotated[int, Field(ge=0, le=10_000)] = Field(
        default=5, description="bots someone who is not an admin may add on the web"
    )
    web_max_sources_per_bot: Annotated[int, Field(ge=0, le=100_000)] = Field(
        default=50,
        description="repost sources a bot may have, all its users' together (/sub, channels, "
        "OPML, the dashboard)",
    )

    @field_validator("oidc_providers")
    @classmethod
    def _check_oidc_names(cls, value: list[OidcProvider]) -> list[OidcProvider]:
        names = [provider.name for provider in value]
        if len(set(names)) != len(names):
            raise ValueError("expected each provider's name once")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "expected sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER@HOST/DB"
            )
        if value.startswith("sqlite") and database_file(value) is None:
            raise ValueError(
                "expected a SQLite file (sqlite+aiosqlite:///FILE): an in-memory database "
                "is not shared between the platform's connections"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # REDIS_URL= (empty) means no Redis, as when it is unset
        expected = "expected redis://HOST:PORT/DB, rediss://… or unix://PATH"
        parts = urlsplit(value.strip())
        if parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(expected)
        try:
            parts.port  # noqa: B018 - urllib checks the port when it is read
        except ValueError:
            raise ValueError(f"{expected}, with a port from 1 to 65535") from None
        database = parts.path.strip("/")
        if parts.scheme != "unix" and database and not database.isdigit():
            raise ValueError(f"{expected}, with a database number after the /")
        if parts.scheme == "unix" and not parts.path:
            raise ValueError(f"{expected}, with the socket's path")
        return value.strip()

    @field_validator("admin_emails", mode="before")
    @classmethod
    def _read_admin_emails(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        items = json.loads(text) if text.startswith("[") else text.split(",")
        return [str(item).strip().lower() for item in items if str(item).strip()]

    @field_validator("owner_ids", "admin_ids", mode="before")
    @classmethod
    def _read_owner_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        try:
            # Empty parts skipped: "1,2," is a typo, not a missing id.
            ids = (
                json.loads(text)
                if text.startswith("[")
                else [p for p in text.split(",") if p.strip()]
            )
            owners = [int(str(item).strip()) for item in ids]
        except ValueError:
            raise ValueError(
                "expected Telegram user ids, comma-separated (123,456) or a JSON list ([123, 456])"
            ) from None
        if any(owner <= 0 for owner in owners):
            raise ValueError("expected Telegram user ids, which are positive numbers")
        return owners

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return upper

    @field_validator(
        "smtp_host", "smtp_username", "email_from", "mailjet_api_key", "mailjet_api_secret",
        "smtp_password", "worker_web_port", mode="before",
    )  # fmt: skip
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `SMTP_HOST=` in .env means "no SMTP", as when the line is absent (and
        # `WORKER_WEB_PORT=` no worker HTTP).
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("smtp_host")
    @classmethod
    def _check_smtp_host(cls, value: str | None) -> str | None:
        if value is not None and (any(c.isspace() for c in value.strip()) or "/" in value):
            raise ValueError("expected a host name or address, e.g. smtp.example.com")
        return value.strip() if value is not None else None

    @field_validator("email_from")
    @classmethod
    def _check_email_from(cls, value: str | None) -> str | None:
        if value is not None and not is_email_address(value.strip()):
            raise ValueError("expected an email address, e.g. bots@example.com")
        return value.strip() if value is not None else None

    @field_validator("mailjet_base_url")
    @classmethod
    def _check_mailjet_base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http(s) URL, e.g. https://api.mailjet.com")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _check_email_choice(self) -> Settings:
        if self.mailjet_api_key is not None and self.mailjet_api_secret is None:
            raise ValueError(
                "MAILJET_API_SECRET: MAILJET_API_KEY is set, so MailJet sends email and needs "
                "its secret key too; set MAILJET_API_SECRET, or unset MAILJET_API_KEY"
            )
        if (self.mailjet_api_key is not None or self.smtp_host) and self.email_from is None:
            raise ValueError(
                "EMAIL_FROM: sending email (MAILJET_API_KEY or SMTP_HOST is set) needs the "
                "From address, e.g. EMAIL_FROM=bots@example.com"
            )
        return self

    @model_validator(mode="after")
    def _check_provider_keys(self) -> Settings:
        # Found here rather than when the notes app first builds its provider: that was a
        # traceback from inside start-up, after the database had been migrated.
        for kind, provider, key, base_url in (
            ("AI", self.notes_ai_provider, self.notes_ai_api_key, self.notes_ai_base_url),
            ("STT", self.notes_stt_provider, self.notes_stt_api_key, self.notes_stt_base_url),
        ):
            if key is not None and key.get_secret_value().strip():
                continue
            prefix = f"NOTES_{kind}"
            if provider == "openai" and base_url in (None, "", OPENAI_BASE_URL):
                raise ValueError(
                    f"{prefix}_API_KEY: {prefix}_PROVIDER=openai needs an API key; set "
                    f"{prefix}_API_KEY, or {prefix}_BASE_URL to a compatible server that needs "
                    f"none (e.g. http://127.0.0.1:11434/v1), or {_other_choice(kind)}"
                )
            if provider == "gemini":
                raise ValueError(
                    f"{prefix}_API_KEY: {prefix}_PROVIDER=gemini needs an API key; set "
                    f"{prefix}_API_KEY, or {_other_choice(kind)}"
                )
        return self


def _other_choice(kind: str) -> str:
    return "NOTES_AI_PROVIDER=local" if kind == "AI" else "NOTES_STT_PROVIDER=none"


class SettingsError(StartupError):
    """A setting has a wrong value; the message is one line fit to print at start-up."""


def _looks_secret(name: str) -> bool:
    # URLs can carry passwords; tokens and keys are secrets. Never echo their values.
    return any(word in name for word in ("TOKEN", "SECRET", "KEY", "PASSWORD", "URL"))


def describe_validation_error(error: ValidationError) -> str:
    """Turn pydantic's report into one line: VARIABLE: what is expected."""
    parts = []
    for item in error.errors():
        name = "_".join(str(p) for p in item["loc"]).upper()
        message = item["msg"].removeprefix("Value error, ")  # our validators' own words
        if not name:  # a check of several settings: its message names them
            parts.append(message)
            continue
        shown = "" if _looks_secret(name) else f" (got {item.get('input')!r})"
        parts.append(f"{name}: {message}{shown}")
    return "invalid setting " + "; ".join(parts)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise SettingsError(describe_validation_error(error)) from None
    except PydanticSettingsError as error:  # a value its sources could not parse at all
        raise SettingsError(f"invalid setting: {error}".splitlines()[0]) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
