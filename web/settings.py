"""Web search and page-reading settings, read from the environment by whichever composition root starts them."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from base import ConfigError
from web.address import parse_rule

__all__ = ["BACKENDS", "WebSettings"]

BACKENDS = ("searxng", "ddgs", "brave", "tavily")
_ENV = {  # field → environment variable
    "searxng_url": "SEARXNG_URL", "searxng_local": "SEARXNG_LOCAL",
    "brave_api_key": "BRAVE_API_KEY", "tavily_api_key": "TAVILY_API_KEY",
    "backends": "SEARCH_BACKENDS", "ddgs_backend": "DDGS_BACKEND", "allow_private": "SEARCH_ALLOW_PRIVATE",
    "page_max_bytes": "PAGE_MAX_BYTES", "connect_timeout": "SEARCH_CONNECT_TIMEOUT", "timeout": "SEARCH_TIMEOUT",
}


def _split(value: Any) -> Any:
    """A comma list from the environment → a tuple; anything else unchanged."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class WebSettings(BaseModel):
    """Which search backends to try in which order, and the limits of reading a page."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    searxng_url: str | None = None  # a SearXNG instance with JSON output on (see docker-compose.yml)
    searxng_local: bool = True  # self-hosted: local-only chats may search through it
    brave_api_key: SecretStr | None = None
    tavily_api_key: SecretStr | None = None
    backends: tuple[str, ...] = BACKENDS  # tried in this order; those without config are skipped
    ddgs_backend: str = "auto"  # ddgs' own engine list ("auto", "duckduckgo", "duckduckgo,brave"…)
    # Hosts, addresses or networks (optionally :port) a page read may reach although private or loopback.
    allow_private: tuple[str, ...] = ()
    page_max_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    connect_timeout: float = Field(5.0, gt=0, le=60)
    timeout: float = Field(15.0, gt=0, le=300)  # one backend call or one page read, redirects included

    @field_validator("backends", "allow_private", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        return _split(value)

    @field_validator("backends")
    @classmethod
    def _known_backends(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(v.lower() for v in value)
        unknown = [n for n in names if n not in BACKENDS]
        if unknown:
            raise ValueError(f"unknown backend {', '.join(unknown)}; use some of {', '.join(BACKENDS)}")
        return tuple(dict.fromkeys(names))

    @field_validator("allow_private")
    @classmethod
    def _rules(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            parse_rule(entry)  # ValueError names the entry
        return value

    @field_validator("searxng_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().rstrip("/")
        scheme, _, rest = value.partition("://")
        if scheme not in ("http", "https") or not rest:
            raise ValueError("expected http://host:port or https://host, e.g. http://searxng:8080")
        return value

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebSettings:
        """Read the SEARCH_* / SEARXNG_* / *_API_KEY variables; a wrong value names the variable."""
        values = {field: env[name] for field, name in _ENV.items() if env.get(name, "").strip()}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            lines = [f"{_ENV.get(str(e['loc'][0]), '?')}: {e['msg']}" for e in exc.errors()]
            raise ConfigError("Invalid web search settings:\n  " + "\n  ".join(lines)) from None
