"""SearXNG's JSON API (`/search?q=…&format=json`): the self-hosted backend, the only one a local-only chat may use."""
from __future__ import annotations

from web.backend import BackendFailed, fetch_json, text_of
from web.types import Hit

__all__ = ["SearxngBackend"]


class SearxngBackend:
    """A SearXNG instance with `json` among its `search.formats` (public instances usually refuse JSON: 403)."""

    name = "searxng"

    def __init__(self, url: str, *, local: bool = True, connect: float = 5.0, total: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.local = local
        self._connect = connect
        self._total = total

    async def search(self, query: str, *, limit: int, language: str) -> list[Hit]:
        params = {"q": query, "format": "json", "pageno": "1", "safesearch": "1"}
        if language:
            params["language"] = language
        data = await fetch_json("GET", self.url + "/search", params=params, connect=self._connect, total=self._total)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise BackendFailed("bad_json", "no results list")
        hits = [Hit(text_of(r.get("title")), text_of(r.get("url")), text_of(r.get("content")), self.name)
                for r in results if isinstance(r, dict)]
        return [h for h in hits if h.url]  # WebSearch de-duplicates, then cuts to the limit
