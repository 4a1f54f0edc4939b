"""Typed settings read once from the environment and `.env` at the composition root."""
from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url

from base import ConfigError

_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
_FIXES = {
    "bot_token": "get a token from @BotFather and set BOT_TOKEN=123456:ABC... in .env "
                 "(or unset it to chat in the console)",
    "agent_bot_tokens": "set AGENT_BOT_TOKENS__<AGENT>=123456:ABC... (one BotFather token per persona bot)",
    "telegram_api_url": "use a full URL such as https://api.telegram.org "
                        "or http://localhost:8081 for a local Bot API server",
    "ollama_url": "use a full URL such as http://localhost:11434",
    "max_file_mb": "use whole megabytes from 1 to 2000, e.g. MAX_FILE_MB=100 (or unset it: the Bot API server's limit)",
    "owner_ids": "set OWNER_IDS=123456789,987654321 (Telegram user ids; /whoami shows yours)",
    "access_mode": "use open, allowlist or invite",
    "report_time": "use HH:MM, e.g. REPORT_TIME=09:00",
    "database_url": "use a SQLAlchemy URL such as sqlite:///data/dagi.db or postgresql+psycopg://user:pass@host/db",
    "fsm_storage": "use memory, or redis with REDIS_URL=redis://host:6379/0 set (REDIS_URL alone picks redis)",
    "redis_url": "use a Redis URL such as redis://:password@redis:6379/0 (or unset it: no Redis)",
    "search_deadline": "use seconds between 5 and 600, e.g. SEARCH_DEADLINE=60",
    "metrics_port": "use a port number such as 9464, or leave METRICS_PORT unset for no metrics server",
    "log_format": "use text or json",
    "webhook_url": "use the public https URL Telegram posts to, e.g. https://bot.example.com (unset: polling)",
    "webhook_path": "use a path such as /telegram/{bot} ({bot} becomes main or the persona's key)",
    "webhook_secret": "use 1-256 characters A-Z, a-z, 0-9, _ or - (or unset it: one per bot is derived)",
}


class Settings(BaseSettings):
    """Every setting of the bot; env names are the upper-cased field names."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", env_nested_delimiter="__",
                                      extra="ignore")

    bot_token: SecretStr | None = None
    agent_bot_tokens: dict[str, SecretStr] = Field(default_factory=dict)
    telegram_api_url: str = "https://api.telegram.org"
    # A local Bot API server in --local mode answers getFile with a path on its disk: read files from there.
    telegram_api_local: bool = False
    # The biggest file the bot downloads, in MB: unset = what the Bot API server serves (20 MB on Telegram's cloud,
    # 2000 MB with TELEGRAM_API_LOCAL); lower it to bound the memory, disk and CPU one upload may cost.
    max_file_mb: int | None = Field(None, ge=1, le=2000)
    database_url: str = Field("sqlite:///data/dagi.db", repr=False)  # may hold a password
    data_dir: Path = Path("data")
    ollama_url: str = "http://localhost:11434"
    agents_file: Path = Path("config/agents.yaml")
    router_file: Path = Path("config/router.yaml")
    log_level: str = "INFO"
    max_message_chars: int = Field(8000, ge=100)
    update_interval: float = Field(1.0, ge=0.2, le=10.0)
    # Per chat: this many updates may go at once while Telegram is happy (1 = strict spacing always).
    update_burst: int = Field(5, ge=1, le=20)
    group_messages_per_minute: int = Field(20, ge=1, le=60)
    first_update_delay: float = Field(0.03, ge=0.0, le=1.0)  # an answer done sooner goes out as one message
    # Flood control: messages per `flood_window` seconds; 0 switches a limit off.
    flood_user_messages: int = Field(8, ge=0)
    flood_group_messages: int = Field(30, ge=0)
    flood_window: float = Field(60.0, gt=0.0, le=86400.0)
    # Photos: the longest side sent to a vision model, and how long to wait for the rest of an album.
    image_max_side: int = Field(1568, ge=256, le=8192)
    album_wait: float = Field(0.8, ge=0.1, le=5.0)
    # Admin and access: owners are Telegram user ids; the mode decides who may talk to the bot.
    owner_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    access_mode: Literal["open", "allowlist", "invite"] = "open"
    invite_days: int = Field(7, ge=0, le=365)  # an invite code expires after this many days (0 = never)
    # Scheduled jobs (APScheduler; its jobs live in the bot's database). Off on replicas that must not schedule.
    scheduler: bool = True
    health_interval: float = Field(300.0, ge=10.0, le=86400.0)  # seconds between provider health checks
    report_time: str = "09:00"  # owners' daily report, in the quota time zone
    history_days: int = Field(90, ge=0, le=36500)  # messages older than this are deleted (0 = keep)
    # Long dialogs: what falls out of a persona's history budget is folded into a rolling summary per conversation
    # (the `summary` route; in the background), at most this many characters.
    summary_enabled: bool = True
    summary_max_chars: int = Field(1500, ge=200, le=3500)  # /memory shows it in one message (4096 at most)
    broadcast_rate: float = Field(25.0, gt=0.0, le=30.0)  # messages per second (Telegram allows ~30 per bot)
    # Where multi-step flows (`/kb add` → file, `/ocr` → photo, broadcast → confirm) keep their state.
    # Default: memory (this process only), or redis when REDIS_URL is set (survives restarts, shared by replicas).
    redis_url: SecretStr | None = None  # may hold a password; declared first: fsm_storage's check reads it
    fsm_storage: Literal["memory", "redis"] = "memory"
    # Web search (the `search` extra): the whole run's deadline, questions per user and per group a day
    # (0 = no limit; admins override per user or group), the longest question, and whether personas with
    # `tools: [web_search]` search on their own when a question needs fresh facts.
    search_deadline: float = Field(60.0, ge=5.0, le=600.0)
    search_user_daily: int = Field(20, ge=0)
    search_group_daily: int = Field(100, ge=0)
    search_max_chars: int = Field(1000, ge=20, le=4000)
    search_auto: bool = True
    # Voice messages: seconds of speech transcribed per user and per group chat a day (0 = no limit).
    voice_user_daily_seconds: int = Field(1800, ge=0)
    voice_group_daily_seconds: int = Field(7200, ge=0)
    voice_max_seconds: float = Field(300.0, ge=1.0, le=7200.0)  # the longest recording the bot listens to
    # Webhook mode (WEBHOOK_URL set; unset: long polling). Telegram posts each bot's updates to
    # WEBHOOK_URL + WEBHOOK_PATH ({bot}: main, or the persona's key for its own token — never the token); the
    # bot listens on WEBHOOK_HOST:WEBHOOK_PORT, behind an HTTPS proxy that passes WEBHOOK_PATH on unchanged.
    # WEBHOOK_SECRET unset: each bot's secret is derived from its token, the same on every replica.
    webhook_url: str | None = None
    webhook_path: str = "/telegram/{bot}"
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"  # every interface: the port a container publishes; the proxy is the public side
    webhook_port: int = Field(8080, ge=1, le=65535)
    webhook_max_connections: int = Field(40, ge=1, le=100)
    # Seconds an update a replica took stays its own without a sign of life; then another replica takes it over.
    pending_lease: float = Field(60.0, ge=1.0, le=3600.0)
    # This replica's name in the database (who holds a pending message): unique per running replica, the same across
    # its restarts, so a restarted replica answers its own messages at once. Compose gives each container a hostname.
    replica_id: str = Field(default_factory=socket.gethostname, min_length=1, max_length=64)
    # Observability (the `server` extra): METRICS_PORT serves /metrics, /healthz and /readyz in polling mode (unset: no
    # server; webhook mode serves them on the webhook's port); LOG_FORMAT=json writes one JSON object per log line.
    metrics_port: int | None = Field(None, ge=1, le=65535)
    metrics_host: str = "0.0.0.0"  # every interface: Prometheus scrapes from its own container
    log_format: Literal["text", "json"] = "text"

    @field_validator("bot_token", "metrics_port", "max_file_mb", mode="before")
    @classmethod
    def _empty_token(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not _TOKEN.match(v.get_secret_value().strip()):
            raise ValueError("does not look like a Telegram bot token")
        return v

    @field_validator("agent_bot_tokens")
    @classmethod
    def _tokens_shape(cls, v: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for agent, token in v.items():
            if not _TOKEN.match(token.get_secret_value().strip()):
                raise ValueError(f"the token for {agent!r} does not look like a Telegram bot token")
        return {k.lower(): t for k, t in v.items()}

    @field_validator("telegram_api_url", "ollama_url")
    @classmethod
    def _url(cls, v: str) -> str:
        try:
            parts = urlsplit(v.strip())
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or " " in v.strip():
            raise ValueError("must be an http(s) URL")
        return v.strip().rstrip("/")

    @field_validator("webhook_url", "webhook_secret", "redis_url", "fsm_storage", mode="before")
    @classmethod
    def _unset_if_empty(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, v: str | None) -> str | None:
        return None if v is None else cls._url(v)

    @field_validator("webhook_path")
    @classmethod
    def _webhook_path(cls, v: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9._~/-]*(\{bot\}[A-Za-z0-9._~/-]*)?", v.strip()):
            raise ValueError("must be a path starting with / (with {bot} at most once)")
        return v.strip()

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", v.get_secret_value()):
            raise ValueError("may hold only 1-256 characters A-Z, a-z, 0-9, _ and -")  # what Telegram accepts
        return v

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None:
            return None
        try:
            parts = urlsplit(v.get_secret_value().strip())
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number 0-65535
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")  # never echo it: it may hold a password
        return SecretStr(v.get_secret_value().strip())

    @model_validator(mode="before")
    @classmethod
    def _storage_follows_redis(cls, data: Any) -> Any:
        """REDIS_URL set and FSM_STORAGE unset: flows keep their state in Redis."""
        if isinstance(data, dict) and data.get("redis_url") and not data.get("fsm_storage"):
            return {**data, "fsm_storage": "redis"}
        return data

    @field_validator("fsm_storage")
    @classmethod
    def _redis_needs_url(cls, v: str, info: ValidationInfo) -> str:
        if v == "redis" and "redis_url" in info.data and info.data["redis_url"] is None:  # a bad URL says so itself
            raise ValueError("redis needs REDIS_URL")
        return v

    @field_validator("owner_ids", mode="before")
    @classmethod
    def _ids(cls, v: object) -> object:
        if isinstance(v, (int, float)):
            return [int(v)]
        if isinstance(v, str):  # OWNER_IDS=123,456 (or a JSON list)
            v = v.strip()
            return [int(x) for x in re.split(r"[,\s\[\]]+", v) if x]
        return v

    @field_validator("report_time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", v.strip()):
            raise ValueError("must be a time like 09:00")
        return v.strip()

    @field_validator("database_url")
    @classmethod
    def _db(cls, v: str) -> str:
        try:
            make_url(v)
        except Exception as exc:
            raise ValueError("is not a database URL") from exc
        return v


def load_settings(**overrides: Any) -> Settings:
    """Read settings; a wrong value raises ConfigError naming the variable and the fix."""
    try:
        return Settings(**overrides)  # through __init__ (not model_validate): .env and _env_file are read there
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else "?"
            # Never echo the input: it may be a secret.
            lines.append(f"{field.upper()}: {err['msg']}. Fix: {_FIXES.get(field, 'see .env.example')}")
        raise ConfigError("Invalid settings:\n  " + "\n  ".join(lines)) from None
