"""DuckDuckGo (and the engines ddgs aggregates) through the `ddgs` package: no key, rate-limited, blocking."""
from __future__ import annotations

import asyncio
import importlib.util
import logging

from web.backend import BackendFailed, text_of
from web.types import Hit

__all__ = ["DdgsBackend", "ddgs_installed"]

log = logging.getLogger(__name__)

_REGIONS = {"uk": "ua-uk", "en": "us-en", "de": "de-de", "fr": "fr-fr", "pl": "pl-pl", "es": "es-es"}


def ddgs_installed() -> bool:
    """ddgs comes with the `search` extra; without it this backend is skipped."""
    return importlib.util.find_spec("ddgs") is not None


class DdgsBackend:
    """`DDGS().text` in a worker thread; its rate limit (DuckDuckGo's 202) and empty answers mean "try the next"."""

    name = "ddgs"
    local = False

    def __init__(self, *, backend: str = "auto", timeout: float = 15.0) -> None:
        self.backend = backend
        self._timeout = timeout

    async def search(self, query: str, *, limit: int, language: str) -> list[Hit]:
        region = _REGIONS.get(language.split("-")[0].lower(), "wt-wt")
        try:  # ddgs waits per engine; this bounds the whole call (the thread finishes on its own)
            rows = await asyncio.wait_for(asyncio.to_thread(self._text, query, limit, region), self._timeout)
        except TimeoutError:
            raise BackendFailed("timeout") from None
        hits = [Hit(text_of(r.get("title")), text_of(r.get("href")), text_of(r.get("body")), self.name) for r in rows]
        return [h for h in hits if h.url]  # WebSearch de-duplicates, then cuts to the limit

    def _text(self, query: str, limit: int, region: str) -> list[dict[str, object]]:
        from ddgs import DDGS  # imported on first use: the package is optional
        from ddgs.exceptions import DDGSException, RatelimitException, TimeoutException

        try:
            return list(DDGS(timeout=max(1, round(self._timeout))).text(
                query, region=region, max_results=limit, backend=self.backend))
        except RatelimitException:
            raise BackendFailed("rate_limited") from None
        except TimeoutException:
            raise BackendFailed("timeout") from None
        except DDGSException as exc:
            # ddgs swallows DuckDuckGo's 202 (rate limit) and reports "No results found."; either way: next backend.
            raise BackendFailed("no_results" if "no results" in str(exc).lower() else "error", str(exc)[:200]) from None
        except Exception as exc:  # noqa: BLE001  # a scraper of third-party HTML: any failure means "try the next"
            log.warning("ddgs failed: %r", exc)
            raise BackendFailed("error", type(exc).__name__) from None

