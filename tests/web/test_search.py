"""WebSearch over the fake SearXNG/Brave/Tavily server and a monkeypatched ddgs: failover, local_only, de-dup."""
from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from web import Hit, NoLocalBackend, SearchUnavailable, WebSearch
from web.backend import BackendFailed
from web.brave_tavily import BraveBackend, TavilyBackend
from web.duckduckgo import DdgsBackend
from web.search import MAX_QUERY_CHARS
from web.searxng import SearxngBackend
from web.testing import FakeSearxng, refusing_url

KEY = "brave-key-do-not-leak-42"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSearxng]:
    async with FakeSearxng() as server:
        yield server


def _searxng(fake: FakeSearxng, **kwargs: Any) -> SearxngBackend:
    return SearxngBackend(fake.url, total=kwargs.pop("total", 2.0), **kwargs)


def _brave(fake: FakeSearxng) -> BraveBackend:
    return BraveBackend(SecretStr(KEY), url=fake.brave_url, total=2.0)


async def test_searxng_json_hits_with_the_language(fake: FakeSearxng) -> None:
    fake.set_results(("EcoMiner in Lviv", "https://news.example/ecominer", "A solar data centre."),
                     ("Second", "https://other.example/x", "More."))
    result = await WebSearch([_searxng(fake)]).search("ecominer lviv", limit=5, language="uk")
    assert result.backend == "searxng"
    assert result.hits[0] == Hit("EcoMiner in Lviv", "https://news.example/ecominer", "A solar data centre.",
                                 "searxng")
    assert len(result.hits) == 2 and [a.ok for a in result.attempts] == [True]
    sent = fake.requests[0]
    assert sent.wire == "searxng" and sent.params["format"] == "json" and sent.params["language"] == "uk"
    assert sent.query == "ecominer lviv"


async def test_hits_are_unique_by_url_http_only_and_limited(fake: FakeSearxng) -> None:
    fake.set_results(("A", "https://a.example/page", ""), ("A again", "https://A.example/page/#top", ""),
                     ("script", "javascript:alert(1)", ""), ("B", "http://b.example/", ""),
                     ("C", "https://c.example/", ""), ("D", "https://d.example/", ""))
    result = await WebSearch([_searxng(fake)]).search("q", limit=3)
    assert [h.title for h in result.hits] == ["A", "B", "C"]


@pytest.mark.parametrize("mode", ["garbage", "429", "500", "no_results_key", "hang"])
async def test_a_failing_backend_hands_over_to_the_next(fake: FakeSearxng, mode: str) -> None:
    fake.fail(mode)
    started = time.monotonic()
    result = await WebSearch([_searxng(fake, total=0.5), _brave(fake)]).search("solar kyiv")
    assert result.backend == "brave" and len(result.hits) == 3
    first, second = result.attempts
    assert (first.backend, first.ok, second.backend, second.ok) == ("searxng", False, "brave", True)
    expected = {"garbage": "bad_json", "429": "rate_limited", "500": "http_500", "no_results_key": "bad_json",
                "hang": "timeout"}[mode]
    assert first.reason == expected
    assert time.monotonic() - started < 3


async def test_a_backend_that_is_down_hands_over(fake: FakeSearxng) -> None:
    result = await WebSearch([SearxngBackend(refusing_url()), _brave(fake)]).search("q")
    assert result.backend == "brave" and result.attempts[0].reason == "unreachable"


async def test_every_backend_down_is_search_unavailable_without_the_key(fake: FakeSearxng) -> None:
    fake.fail("500", 2)
    with pytest.raises(SearchUnavailable) as err:
        await WebSearch([_searxng(fake), _brave(fake), SearxngBackend(refusing_url())]).search("q")
    assert [(a.backend, a.reason) for a in err.value.attempts] == [
        ("searxng", "http_500"), ("brave", "http_500"), ("searxng", "unreachable")]
    assert KEY not in str(err.value)
    with pytest.raises(SearchUnavailable):
        await WebSearch([]).search("q")


async def test_no_hits_anywhere_is_an_empty_answer_not_an_outage(fake: FakeSearxng) -> None:
    fake.set_results()
    result = await WebSearch([_searxng(fake), _brave(fake)]).search("qwertyuiop zxcv")
    assert result.hits == () and [a.reason for a in result.attempts] == ["empty", "empty"]


async def test_local_only_uses_only_the_local_backend(fake: FakeSearxng) -> None:
    search = WebSearch([_brave(fake), _searxng(fake)])
    result = await search.search("q", local_only=True)
    assert result.backend == "searxng" and [r.wire for r in fake.requests] == ["searxng"]
    fake.fail("500")
    with pytest.raises(SearchUnavailable):  # the local one down: never falls back to a remote one
        await search.search("q", local_only=True)
    assert [r.wire for r in fake.requests] == ["searxng", "searxng"]


async def test_local_only_without_a_local_backend_sends_nothing(fake: FakeSearxng) -> None:
    search = WebSearch([_brave(fake), _searxng(fake, local=False)])
    assert not search.has_local
    with pytest.raises(NoLocalBackend):
        await search.search("private question", local_only=True)
    assert fake.requests == []


async def test_brave_and_tavily_send_the_key_in_a_header_only(fake: FakeSearxng) -> None:
    fake.set_results(("T", "https://t.example/", "s"))
    brave = await WebSearch([_brave(fake)]).search("q one", limit=2)
    tavily = await WebSearch([TavilyBackend(SecretStr("tvly-secret"), url=fake.tavily_url)]).search("q two")
    assert brave.hits[0].backend == "brave" and tavily.hits[0] == Hit("T", "https://t.example/", "s", "tavily")
    b, t = fake.requests
    assert b.headers["X-Subscription-Token"] == KEY and KEY not in str(b.params) and b.params["count"] == "2"
    assert t.headers["Authorization"] == "Bearer tvly-secret" and t.body["query"] == "q two"
    assert "tvly-secret" not in str(t.body)


class _FakeDDGS:
    """Stands in for ddgs.DDGS (no internet in tests): records calls, returns or raises what a test scripts."""

    calls: list[dict[str, Any]] = []
    outcome: Any = None

    def __init__(self, timeout: int | None = 5, **_: Any) -> None:
        self.timeout = timeout

    def text(self, query: str, **kwargs: Any) -> list[dict[str, str]]:
        _FakeDDGS.calls.append({"query": query, **kwargs})
        if isinstance(_FakeDDGS.outcome, Exception):
            raise _FakeDDGS.outcome
        return list(_FakeDDGS.outcome or [])


@pytest.fixture
def ddgs(monkeypatch: pytest.MonkeyPatch) -> type[_FakeDDGS]:
    import ddgs

    _FakeDDGS.calls, _FakeDDGS.outcome = [], None
    monkeypatch.setattr(ddgs, "DDGS", _FakeDDGS)
    return _FakeDDGS


async def test_ddgs_hits_through_its_class(ddgs: type[_FakeDDGS]) -> None:
    ddgs.outcome = [{"title": "Курс гривні", "href": "https://bank.example/rate", "body": "41,25"},
                    {"title": "No link", "href": "", "body": ""}]
    result = await WebSearch([DdgsBackend()]).search("курс гривні", limit=4, language="uk")
    assert result.hits == (Hit("Курс гривні", "https://bank.example/rate", "41,25", "ddgs"),)
    assert ddgs.calls == [{"query": "курс гривні", "region": "ua-uk", "max_results": 4, "backend": "auto"}]


@pytest.mark.parametrize(("error", "reason"), [("RatelimitException", "rate_limited"),
                                               ("TimeoutException", "timeout"),
                                               ("DDGSException", "no_results"), ("RuntimeError", "error")])
async def test_ddgs_rate_limit_and_errors_hand_over(ddgs: type[_FakeDDGS], fake: FakeSearxng, error: str,
                                                    reason: str) -> None:
    from ddgs import exceptions

    cls = getattr(exceptions, error, RuntimeError)
    ddgs.outcome = cls("No results found." if error == "DDGSException" else "202 Ratelimit")
    result = await WebSearch([DdgsBackend(), _searxng(fake)]).search("q")
    assert result.backend == "searxng" and result.attempts[0].reason == reason


async def test_on_use_hears_every_backend_tried_and_a_broken_callback_is_harmless(fake: FakeSearxng) -> None:
    heard: list[tuple[str, str, bool]] = []

    async def on_use(kind: str, name: str, ok: bool, ms: float) -> None:
        assert ms >= 0
        heard.append((kind, name, ok))

    fake.fail("429")
    await WebSearch([_searxng(fake), _brave(fake)], on_use=on_use).search("q")
    assert heard == [("search", "searxng", False), ("search", "brave", True)]

    def broken(kind: str, name: str, ok: bool, ms: float) -> None:
        raise RuntimeError("usage table is gone")

    assert (await WebSearch([_searxng(fake)], on_use=broken).search("q")).hits


async def test_queries_are_clipped_and_empty_ones_refused(fake: FakeSearxng) -> None:
    search = WebSearch([_searxng(fake)])
    await search.search("слово " * 1000)
    assert 0 < len(fake.requests[0].query) <= MAX_QUERY_CHARS and fake.requests[0].query.endswith("слово")
    with pytest.raises(ValueError):
        await search.search("  \n ")


async def test_a_backend_failure_is_an_exception_with_a_reason() -> None:
    assert BackendFailed("rate_limited", "HTTP 429").reason == "rate_limited"
