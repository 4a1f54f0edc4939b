"""WebSearch: the configured backends in order, failing over from one to the next."""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from web.backend import BackendFailed, SearchBackend
from web.brave_tavily import BraveBackend, TavilyBackend
from web.duckduckgo import DdgsBackend, ddgs_installed
from web.errors import NoLocalBackend, SearchUnavailable
from web.searxng import SearxngBackend
from web.settings import WebSettings
from web.types import Attempt, Hit, OnUse, SearchResult
from web.usage import report

__all__ = ["MAX_LIMIT", "MAX_QUERY_CHARS", "WebSearch", "build_backends"]

log = logging.getLogger(__name__)

MAX_LIMIT = 20
MAX_QUERY_CHARS = 400  # engines cut or refuse longer queries; the words past this add nothing to a search


def build_backends(settings: WebSettings) -> list[SearchBackend]:
    """The backends of SEARCH_BACKENDS, in order, skipping those without their URL, key or package."""
    connect, total = settings.connect_timeout, settings.timeout
    backends: list[SearchBackend] = []
    for name in settings.backends:
        if name == "searxng" and settings.searxng_url:
            backends.append(SearxngBackend(settings.searxng_url, local=settings.searxng_local,
                                           connect=connect, total=total))
        elif name == "ddgs" and ddgs_installed():
            backends.append(DdgsBackend(backend=settings.ddgs_backend, timeout=total))
        elif name == "brave" and settings.brave_api_key is not None:
            backends.append(BraveBackend(settings.brave_api_key, connect=connect, total=total))
        elif name == "tavily" and settings.tavily_api_key is not None:
            backends.append(TavilyBackend(settings.tavily_api_key, connect=connect, total=total))
    return backends


def _key(url: str) -> str:
    """The URL without its fragment, scheme and host lower-cased, no trailing slash: one page, one hit."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def unique_hits(hits: Sequence[Hit], limit: int) -> tuple[Hit, ...]:
    """http(s) hits only, the first of each URL, at most `limit`."""
    seen: set[str] = set()
    kept: list[Hit] = []
    for hit in hits:
        if urlsplit(hit.url).scheme.lower() not in ("http", "https"):
            continue
        key = _key(hit.url)
        if key in seen:
            continue
        seen.add(key)
        kept.append(hit)
        if len(kept) >= limit:
            break
    return tuple(kept)


def _clip(query: str) -> str:
    query = " ".join(query.split())
    if len(query) <= MAX_QUERY_CHARS:
        return query
    cut = query[:MAX_QUERY_CHARS]
    return cut.rsplit(" ", 1)[0] if " " in cut else cut


class WebSearch:
    """Search the web through the first backend that answers; local_only keeps the query on local backends."""

    def __init__(self, backends: Sequence[SearchBackend], *, on_use: OnUse | None = None) -> None:
        self.backends = tuple(backends)
        self.on_use = on_use

    @classmethod
    def from_settings(cls, settings: WebSettings, *, on_use: OnUse | None = None) -> WebSearch:
        return cls(build_backends(settings), on_use=on_use)

    @property
    def has_local(self) -> bool:
        """Whether a local-only chat can search at all (a self-hosted SearXNG marked local)."""
        return any(b.local for b in self.backends)

    async def search(self, query: str, *, limit: int = 5, language: str = "",
                     local_only: bool = False) -> SearchResult:
        """Hits from the first backend with any; SearchUnavailable when every one failed, NoLocalBackend when
        local_only and none is local (then nothing was sent)."""
        query = _clip(query)
        if not query:
            raise ValueError("empty query")
        limit = max(1, min(limit, MAX_LIMIT))
        backends = [b for b in self.backends if b.local] if local_only else list(self.backends)
        if local_only and not backends:
            raise NoLocalBackend()
        attempts: list[Attempt] = []
        for backend in backends:
            started = time.monotonic()
            try:
                hits = unique_hits(await backend.search(query, limit=limit, language=language), limit)
                reason = "" if hits else "empty"
            except BackendFailed as exc:
                hits, reason = (), exc.reason
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:  # a backend that let one through
                hits, reason = (), type(exc).__name__
            ms = (time.monotonic() - started) * 1000
            attempts.append(Attempt(backend.name, bool(hits), reason, ms, len(hits)))
            await report(self.on_use, "search", backend.name, reason in ("", "empty"), ms)
            if hits:
                return SearchResult(hits, backend.name, tuple(attempts))
            log.info("search backend %s: %s; trying the next", backend.name, reason)
        answered = [a for a in attempts if a.reason == "empty"]
        if answered:  # the engines work, the web just has nothing for this query
            return SearchResult((), answered[0].backend, tuple(attempts))
        raise SearchUnavailable(tuple(attempts))
