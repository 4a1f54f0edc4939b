"""What web search and page reading hand back: hits, pages, and the record of which backend answered."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Attempt", "Hit", "OnUse", "Page", "SearchResult", "UseKind"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: a link and the backend's snippet, not yet read."""

    title: str
    url: str
    snippet: str
    backend: str


@dataclass(frozen=True, slots=True)
class Page:
    """A page that was fetched and read: `url` is where it ended after redirects, `text` is plain text."""

    url: str
    title: str
    text: str
    bytes: int


@dataclass(frozen=True, slots=True)
class Attempt:
    """One backend tried for one search; `reason` says why it failed ("" when it answered)."""

    backend: str
    ok: bool
    reason: str
    ms: float
    hits: int = 0


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The hits (de-duplicated, at most `limit`), the backend that gave them, and every backend tried."""

    hits: tuple[Hit, ...]
    backend: str
    attempts: tuple[Attempt, ...]


UseKind = Literal["search", "read"]
# on_use(kind, backend name or page host, ok, milliseconds): callers write usage rows; web/ has no storage.
OnUse = Callable[[UseKind, str, bool, float], Awaitable[None] | None]
