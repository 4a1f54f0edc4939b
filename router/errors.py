"""The router's error tree; adapters translate SDK errors into these."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime


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


class BadToolCall(ProviderError):
    """The model's tool call cannot be used: its arguments are not a JSON object, or it names no function."""

    kind = "bad_tool_call"


class AllTargetsFailed(ProviderError):
    """Every target of a route failed before its first token."""

    kind = "all_failed"

    def __init__(self, message: str, *, errors: list[ProviderError]) -> None:
        super().__init__(message)
        self.errors = errors


class MissingCapability(ProviderError):
    """The model lacks something the request needs (vision, tools): found before sending anything."""

    kind = "capability"


class AudioTooLarge(MissingCapability):
    """The recording is bigger than the target takes (an API's upload limit): found before sending anything."""

    kind = "too_large"

    def __init__(self, message: str, *, limit: int, **kw: str) -> None:
        super().__init__(message, **kw)
        self.limit = limit  # bytes


class OverQuota(ProviderError):
    """The provider's daily token quota or requests-per-minute limit is used up until its window resets."""

    kind = "quota"


class ProviderBusy(ProviderError):
    """Every slot of a local model is taken: the route may try its next target instead of queueing."""

    kind = "busy"


class BadAudio(ProviderError):
    """The recording cannot be decoded: the user's file, not the provider, is at fault (no breaker verdict)."""

    kind = "bad_audio"


class LocalOnlyUnavailable(AllTargetsFailed):
    """A local-only request found no local target that answered; nothing was sent to other providers."""

    kind = "local_only"


class QuotaExceeded(Exception):
    """A user's or a group's daily quota is used up; nothing was sent to a model."""

    def __init__(self, scope: str, *, tokens: int, requests: int, limit_tokens: int | None,
                 limit_requests: int | None, resets_at: datetime) -> None:
        super().__init__(f"{scope} daily quota used: {tokens} tokens, {requests} requests")
        self.scope = scope  # "user" | "chat"
        self.tokens, self.requests = tokens, requests
        self.limit_tokens, self.limit_requests = limit_tokens, limit_requests
        self.resets_at = resets_at
