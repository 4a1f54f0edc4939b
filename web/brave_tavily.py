"""The API backends that need a key: Brave Search and Tavily (used only when BRAVE_API_KEY / TAVILY_API_KEY is set)."""
from __future__ import annotations

from pydantic import SecretStr

from web.backend import BackendFailed, fetch_json, text_of
from web.types import Hit

__all__ = ["BRAVE_URL", "TAVILY_URL", "BraveBackend", "TavilyBackend"]

BRAVE_URL = "https://api.search.brave.com/res/v1/web/search"
TAVILY_URL = "https://api.tavily.com/search"


def _rows(data: object, *path: str) -> list[dict[str, object]]:
    """The list of result objects at `path` inside a JSON answer; BackendFailed when it is not there."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    if not isinstance(data, list):
        raise BackendFailed("bad_json", "no results list")
    return [row for row in data if isinstance(row, dict)]


class _KeyedBackend:
    """A search API reached with a key: where it is, the key, and the time-outs."""

    name = ""
    local = False

    def __init__(self, key: SecretStr, *, url: str, connect: float = 5.0, total: float = 15.0) -> None:
        self._key = key
        self.url = url
        self._connect = connect
        self._total = total


class BraveBackend(_KeyedBackend):
    """Brave Search API (web results); it detects the query's language itself."""

    name = "brave"

    def __init__(self, key: SecretStr, *, url: str = BRAVE_URL, connect: float = 5.0, total: float = 15.0) -> None:
        super().__init__(key, url=url, connect=connect, total=total)

    async def search(self, query: str, *, limit: int, language: str) -> list[Hit]:
        data = await fetch_json(
            "GET", self.url, params={"q": query, "count": str(min(limit, 20))},
            headers={"X-Subscription-Token": self._key.get_secret_value()},
            connect=self._connect, total=self._total)
        hits = [Hit(text_of(r.get("title")), text_of(r.get("url")), text_of(r.get("description")), self.name)
                for r in _rows(data, "web", "results")]
        return [h for h in hits if h.url]  # WebSearch de-duplicates, then cuts to the limit


class TavilyBackend(_KeyedBackend):
    """Tavily's search API (basic depth: one credit per search)."""

    name = "tavily"

    def __init__(self, key: SecretStr, *, url: str = TAVILY_URL, connect: float = 5.0, total: float = 15.0) -> None:
        super().__init__(key, url=url, connect=connect, total=total)

    async def search(self, query: str, *, limit: int, language: str) -> list[Hit]:
        data = await fetch_json(
            "POST", self.url, body={"query": query, "max_results": min(limit, 20), "search_depth": "basic"},
            headers={"Authorization": f"Bearer {self._key.get_secret_value()}"},
            connect=self._connect, total=self._total)
        hits = [Hit(text_of(r.get("title")), text_of(r.get("url")), text_of(r.get("content")), self.name)
                for r in _rows(data, "results")]
        return [h for h in hits if h.url]  # WebSearch de-duplicates, then cuts to the limit
