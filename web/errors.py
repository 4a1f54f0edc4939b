"""Why a search or a page read did not happen; messages name the cause, never a key."""
from __future__ import annotations

from web.types import Attempt

__all__ = ["REFUSALS", "NoLocalBackend", "PageRefused", "SearchUnavailable", "WebError"]

REFUSALS = frozenset({
    "invalid_url",  # not a URL at all
    "scheme",  # not http or https
    "private_address",  # the host is (or resolves to) a private, loopback, link-local, multicast or reserved address
    "redirects",  # a redirect loop, more than MAX_REDIRECTS, or a redirect without a Location
    "too_large",  # more than PAGE_MAX_BYTES
    "binary",  # not text/html, xhtml or text/plain
    "status",  # the server answered 4xx/5xx
    "timeout",  # connect or total time-out
    "unreachable",  # DNS failure, connection refused or dropped
    "empty",  # fetched, but no text in it
})


class WebError(Exception):
    """Base of the web package's errors."""


class SearchUnavailable(WebError):
    """Every backend allowed for this search failed; `attempts` says how."""

    def __init__(self, attempts: tuple[Attempt, ...]) -> None:
        self.attempts = attempts
        tried = ", ".join(f"{a.backend}: {a.reason}" for a in attempts) or "no backend configured"
        super().__init__(f"web search unavailable ({tried})")


class NoLocalBackend(WebError):
    """A local-only search, and no backend is marked local: nothing was sent."""

    def __init__(self) -> None:
        super().__init__("no local search backend (a self-hosted SearXNG with SEARXNG_LOCAL=true); nothing was sent")


class PageRefused(WebError):
    """A page that was not read, and why (`reason` is one of REFUSALS)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        if reason not in REFUSALS:
            raise ValueError(f"unknown refusal {reason!r}")
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)
