"""FakeSearxng: a search server on 127.0.0.1 answering like SearXNG (`url`), Brave (`brave_url`) and Tavily
(`tavily_url`) from one scripted result list, with scripted failures (garbage JSON, 429, 500, hang, empty)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from web.testing.server import LocalServer

__all__ = ["FAIL_MODES", "FakeSearxng", "SearchRequest"]

FAIL_MODES = ("garbage", "429", "500", "hang", "empty", "no_results_key")
Result = tuple[str, str, str]  # title, url, snippet


@dataclass
class SearchRequest:
    """One request the fake received: which wire (searxng/brave/tavily), the query, headers, parameters."""

    wire: str
    query: str
    params: dict[str, str]
    headers: dict[str, str]
    body: Any = field(default=None)


def _default_results(query: str) -> list[Result]:
    return [(f"Result {n} about {query}", f"https://example.org/{n}", f"Snippet {n} for {query}.")
            for n in (1, 2, 3)]


class FakeSearxng:
    """`set_results(...)` scripts the hits for every query (or `responder(query)`); `fail(mode, count)` the next
    `count` requests of any wire. Until scripted, each query gets three example.org hits."""

    def __init__(self, results: Iterable[Result] | None = None) -> None:
        self.results: list[Result] | None = list(results) if results is not None else None
        self.responder: Callable[[str], Sequence[Result]] | None = None
        self.requests: list[SearchRequest] = []
        self._failures: list[str] = []
        self._server = LocalServer()

    async def __aenter__(self) -> FakeSearxng:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """SEARXNG_URL for this fake."""
        return self._server.url

    @property
    def brave_url(self) -> str:
        return self._server.url + "/res/v1/web/search"

    @property
    def tavily_url(self) -> str:
        return self._server.url + "/search"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/search", self._searxng)
        app.router.add_get("/res/v1/web/search", self._brave)
        app.router.add_post("/search", self._tavily)
        await self._server.serve(app)

    async def stop(self) -> None:
        await self._server.close()

    def set_results(self, *results: Result) -> None:
        """Every query now gets these (title, url, snippet) hits; none = an empty result list."""
        self.results = list(results)

    def fail(self, mode: str, count: int = 1) -> None:
        """The next `count` requests fail: garbage (not JSON), 429, 500, hang, empty (no hits), no_results_key."""
        if mode not in FAIL_MODES:
            raise ValueError(f"unknown fail mode {mode!r}; use one of {FAIL_MODES}")
        self._failures.extend([mode] * count)

    def queries(self) -> list[str]:
        """The queries received, in order, over every wire."""
        return [r.query for r in self.requests]

    def _hits(self, query: str) -> Sequence[Result]:
        if self.responder is not None:
            return self.responder(query)
        return _default_results(query) if self.results is None else self.results

    async def _answer(self, request: web.Request, wire: str, query: str, body: Any,
                      shape: Callable[[Sequence[Result]], dict[str, Any]]) -> web.StreamResponse:
        self.requests.append(SearchRequest(wire, query, dict(request.query), dict(request.headers), body))
        mode = self._failures.pop(0) if self._failures else ""
        if mode == "hang":
            return await self._server.hang(request)
        if mode in ("429", "500"):
            return web.json_response({"error": "scripted failure"}, status=int(mode))
        if mode == "garbage":
            return web.Response(text="<html>Bad gateway</html>{not json", content_type="application/json")
        if mode == "no_results_key":
            return web.json_response({"query": query})
        return web.json_response(shape(() if mode == "empty" else self._hits(query)))

    async def _searxng(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("format") != "json":  # SearXNG without json in search.formats answers 403
            return web.Response(status=403, text="Forbidden")
        query = request.query.get("q", "")
        return await self._answer(request, "searxng", query, None, lambda hits: {
            "query": query, "number_of_results": len(hits), "answers": [], "suggestions": [],
            "results": [{"title": t, "url": u, "content": s, "engine": "fake"} for t, u, s in hits]})

    async def _brave(self, request: web.Request) -> web.StreamResponse:
        if not request.headers.get("X-Subscription-Token"):
            return web.json_response({"error": "no token"}, status=401)
        return await self._answer(request, "brave", request.query.get("q", ""), None, lambda hits: {
            "type": "search", "web": {"results": [{"title": t, "url": u, "description": s} for t, u, s in hits]}})

    async def _tavily(self, request: web.Request) -> web.StreamResponse:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return web.json_response({"error": "no key"}, status=401)
        try:
            body = json.loads(await request.read())
        except ValueError:
            return web.json_response({"error": "bad body"}, status=400)
        query = str(body.get("query", "")) if isinstance(body, dict) else ""
        return await self._answer(request, "tavily", query, body, lambda hits: {
            "query": query, "results": [{"title": t, "url": u, "content": s, "score": 0.9} for t, u, s in hits]})
