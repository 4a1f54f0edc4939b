"""Test fakes for web/: a search server (SearXNG, Brave and Tavily wires) and web pages, both on 127.0.0.1.

    async with FakeSearxng() as search, FakePages() as pages:
        search.set_results(("EcoMiner in Lviv", pages.url("/article"), "A solar data centre…"))
        search.fail("429")                     # the next request: 429 (also garbage, 500, hang, empty)
        settings = WebSettings(searxng_url=search.url, allow_private=(f"127.0.0.1:{pages.port}",))

Allowing only the pages' port keeps a redirect to 127.0.0.1:<other port> (`/to-local`) refused, as in production.
"""
from web.testing.pages import ARTICLE_TITLE, HUGE_BYTES, INJECTION, FakePages
from web.testing.searxng import FAIL_MODES, FakeSearxng, SearchRequest
from web.testing.server import refusing_url

__all__ = ["ARTICLE_TITLE", "FAIL_MODES", "HUGE_BYTES", "INJECTION", "FakePages", "FakeSearxng", "SearchRequest",
           "refusing_url"]
