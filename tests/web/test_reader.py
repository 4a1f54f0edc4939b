"""PageReader over FakePages: extraction, and every refusal (SSRF, size, binary, redirects, scheme, time-out)."""
from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator

import pytest

from web import PageReader, PageRefused, WebSettings
from web.testing import ARTICLE_TITLE, INJECTION, FakePages, refusing_url


@pytest.fixture
async def pages() -> AsyncIterator[FakePages]:
    async with FakePages() as server:
        yield server


def _reader(pages: FakePages, *allow: str, **settings: object) -> PageReader:
    """A reader allowed to reach only the fake pages' own port on loopback (unless told otherwise)."""
    allowed = allow or (f"127.0.0.1:{pages.port}",)
    return PageReader(WebSettings.model_validate({"allow_private": allowed, "timeout": 5.0, **settings}))


async def _refusal(reader: PageReader, url: str) -> str:
    with pytest.raises(PageRefused) as err:
        await reader.read(url)
    return err.value.reason


async def test_an_article_gives_its_title_and_main_text(pages: FakePages) -> None:
    page = await _reader(pages).read(pages.url("/article"))
    assert page.title == ARTICLE_TITLE and page.url == pages.url("/article") and page.bytes > 1000
    assert "2.4 megawatts" in page.text and "Ivano-Frankivsk in 2027" in page.text
    assert "window.tracking" not in page.text and "font-family" not in page.text  # scripts and styles gone
    assert "All rights reserved" not in page.text and "<p>" not in page.text  # boilerplate and markup gone


async def test_ukrainian_text_plain_text_and_a_declared_charset(pages: FakePages) -> None:
    reader = _reader(pages)
    uk = await reader.read(pages.url("/article-2"))
    assert uk.title == "Курс гривні на сьогодні" and "41,25 гривні за долар" in uk.text
    plain = await reader.read(pages.url("/plain"))
    assert plain.title == "" and plain.text.startswith("Plain text notes.\nEcoMiner's Lviv site")
    body = ("<html><head><title>Новини дня</title></head><body><article><p>Сьогодні у Львові відкрили новий центр "
            "обробки даних на сонячній енергії, він працює навіть під час відключень.</p></article></body></html>")
    url = pages.add("/cp1251", body.encode("cp1251"), "text/html; charset=windows-1251")
    page = await reader.read(url)
    assert page.title == "Новини дня" and "відкрили новий центр" in page.text


async def test_an_injected_instruction_comes_back_as_plain_text_data(pages: FakePages) -> None:
    page = await _reader(pages).read(pages.url("/injected"))
    assert INJECTION in page.text  # returned verbatim as data: the crew's prompt tells the model so
    assert "borscht" in page.text.lower() and "<" not in page.text


async def test_beautifulsoup_reads_what_trafilatura_leaves(pages: FakePages, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.extract._trafilatura", lambda html, url: ("", ""))
    page = await _reader(pages).read(pages.url("/article"))
    assert page.title == f"{ARTICLE_TITLE} | Example News" and "2.4 megawatts" in page.text
    assert "window.tracking" not in page.text


async def test_one_redirect_is_followed_and_checked(pages: FakePages) -> None:
    page = await _reader(pages).read(pages.url("/redirect"))
    assert page.url == pages.url("/article") and page.title == ARTICLE_TITLE


async def test_a_page_with_no_text_is_refused_as_empty(pages: FakePages) -> None:
    assert await _refusal(_reader(pages), pages.url("/empty")) == "empty"


async def test_fifty_megabytes_stop_at_the_cap(pages: FakePages) -> None:
    reader = _reader(pages)
    assert await _refusal(reader, pages.url("/huge")) == "too_large"
    assert pages.huge_sent < 20 * 1024 * 1024  # the reader hung up, it did not take the 50 MB
    assert await _refusal(reader, pages.url("/huge-declared")) == "too_large"
    small = _reader(pages, page_max_bytes=1024)
    assert await _refusal(small, pages.url("/article")) == "too_large"


@pytest.mark.parametrize("path", ["/binary", "/image.png"])
async def test_binary_content_is_refused(pages: FakePages, path: str) -> None:
    assert await _refusal(_reader(pages), pages.url(path)) == "binary"


async def test_a_redirect_loop_and_too_many_redirects_are_refused(pages: FakePages) -> None:
    reader = _reader(pages)
    assert await _refusal(reader, pages.url("/loop")) == "redirects"
    assert await _refusal(reader, pages.url("/chain/1")) == "redirects"
    assert pages.requests.count("/loop") == 1 and len([p for p in pages.requests if p.startswith("/chain/")]) == 6


async def test_a_redirect_to_another_local_port_is_refused(pages: FakePages) -> None:
    assert await _refusal(_reader(pages), pages.url("/to-local")) == "private_address"
    assert pages.other_hits == 0
    # Allowing all of loopback (as an operator may for a self-hosted service) lets the same redirect through.
    page = await _reader(pages, "127.0.0.1").read(pages.url("/to-local"))
    assert "internal admin panel" in page.text and pages.other_hits == 1


async def test_a_redirect_to_the_cloud_metadata_address_is_refused(pages: FakePages) -> None:
    assert await _refusal(_reader(pages, "127.0.0.1"), pages.url("/to-metadata")) == "private_address"


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/", "http://[fe80::1]/", "http://10.0.0.8/", "http://192.168.1.1/admin",
    "http://224.0.0.1/", "http://0.0.0.0/", "http://100.64.0.1/", "http://240.0.0.1/", "http://0x7f.1/",
    "http://2130706433/", "http://localhost/", "https://LocalHost:8443/",
])
async def test_private_addresses_are_refused_before_connecting(url: str) -> None:
    assert await _refusal(PageReader(WebSettings()), url) == "private_address"


async def test_a_host_name_resolving_to_a_private_address_is_refused() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        return {"intranet.example": ["10.0.0.7"], "mixed.example": ["93.184.216.34", "127.0.0.1"],
                "v6.example": ["fd00::5"]}[host]

    reader = PageReader(WebSettings(), resolve=resolve)
    for host in ("intranet.example", "mixed.example", "v6.example"):
        assert await _refusal(reader, f"https://{host}/page") == "private_address"


async def test_the_checked_address_is_the_one_connected_with_the_host_name_kept(pages: FakePages) -> None:
    """A name allowed by SEARCH_ALLOW_PRIVATE: resolved once, pinned, and the request still says Host: the name."""
    calls: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    reader = PageReader(WebSettings(allow_private=("news.internal",)), resolve=resolve)
    page = await reader.read(f"http://news.internal:{pages.port}/redirect")
    assert page.title == ARTICLE_TITLE and page.url == f"http://news.internal:{pages.port}/article"
    assert calls == ["news.internal", "news.internal"]  # once per hop, never by aiohttp behind our back
    assert pages.hosts[-2:] == [f"news.internal:{pages.port}"] * 2


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.org/file.txt", "scheme"), ("file:///etc/passwd", "scheme"), ("javascript:alert(1)", "scheme"),
    ("data:text/html,<p>hi</p>", "scheme"), ("gopher://127.0.0.1:6379/_INFO", "scheme"), ("example.org", "scheme"),
    ("http://", "invalid_url"),
])
async def test_only_http_and_https_urls_are_read(url: str, reason: str) -> None:
    assert await _refusal(PageReader(WebSettings()), url) == reason


async def test_a_slow_page_times_out(pages: FakePages) -> None:
    started = time.monotonic()
    assert await _refusal(_reader(pages, timeout=0.5), pages.url("/slow")) == "timeout"
    assert time.monotonic() - started < 3


async def test_unreachable_missing_and_unknown_hosts(pages: FakePages) -> None:
    assert await _refusal(_reader(pages, "127.0.0.1"), refusing_url() + "/") == "unreachable"
    assert await _refusal(_reader(pages), pages.url("/no-such-page")) == "status"

    async def nxdomain(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    assert await _refusal(PageReader(WebSettings(), resolve=nxdomain), "https://no-such.example/") == "unreachable"


async def test_on_use_hears_each_read_with_its_host(pages: FakePages) -> None:
    heard: list[tuple[str, str, bool]] = []
    reader = PageReader(WebSettings(allow_private=(f"127.0.0.1:{pages.port}",)),
                        on_use=lambda kind, host, ok, ms: heard.append((kind, host, ok)))
    await reader.read(pages.url("/article"))
    with pytest.raises(PageRefused):
        await reader.read(pages.url("/binary"))
    assert heard == [("read", "127.0.0.1", True), ("read", "127.0.0.1", False)]
