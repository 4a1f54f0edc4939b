"""The router's error tree; adapters translate SDK errors into these."""
from __future__ import annotations


class ProviderError(Exception):
    """A model call failed."""

    kind = "error"

    def __init__(self, message: str, *, provider: str = "", model: str = "") -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model


class ProviderUnavailable(ProviderError):
    """Connection refused, DNS failure, or HTTP 5xx."""

    kind = "unavailable"


class ProviderTimeout(ProviderError):
    """Connect, first-token or total timeout."""

    kind = "timeout"


class RateLimited(ProviderError):
    """HTTP 429; `retry_after` in seconds when the server said so."""

    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: str) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ModelNotFound(ProviderError):
    """The provider does not have the model (HTTP 404)."""

    kind = "not_found"


class StreamCut(ProviderError):
    """The stream broke after some text was already produced."""

    kind = "cut"

    def __init__(self, message: str, *, partial: str = "", **kw: str) -> None:
        super().__init__(message, **kw)
        self.partial = partial


class AllTargetsFailed(ProviderError):
    """Every target of a route failed before its first token."""

    kind = "all_failed"

    def __init__(self, message: str, *, errors: list[ProviderError]) -> None:
        super().__init__(message)
        self.errors = errors


class ConfigError(Exception):
    """A configuration file or setting is wrong; the message says where and how to fix it."""
