"""PageReader: fetch one page the model asked for, safely (SSRF-checked, capped, timed), and hand back its text.

Every hop — the first URL and each redirect — is checked before connecting: http/https only, the host resolved
here and every address it resolves to public (or allowed by SEARCH_ALLOW_PRIVATE); then aiohttp connects to
exactly those checked addresses through a pinned resolver, so a second DNS answer cannot swap in 127.0.0.1.
The Host header and TLS SNI stay the URL's host name.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
import time

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from web.address import AllowList, Resolve, system_resolve
from web.backend import USER_AGENT, BodyTooLarge, read_capped
from web.errors import PageRefused
from web.extract import TEXT_TYPES, extract
from web.settings import WebSettings
from web.types import OnUse, Page
from web.usage import report

__all__ = ["MAX_REDIRECTS", "PageReader"]

MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_HEADERS = {"User-Agent": USER_AGENT, "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1"}


class _Pinned(AbstractResolver):
    """aiohttp's resolver for one read: answers only with the addresses this reader has checked."""

    def __init__(self) -> None:
        self.pins: dict[str, list[str]] = {}

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET,
                      ) -> list[ResolveResult]:
        addresses = self.pins.get(host)
        if not addresses:  # never happens through PageReader; refuse rather than fall back to DNS
            raise OSError(f"{host} was not checked")
        return [ResolveResult(hostname=host, host=a, port=port, proto=0, flags=socket.AI_NUMERICHOST,
                              family=socket.AF_INET6 if ":" in a else socket.AF_INET) for a in addresses]

    async def close(self) -> None:
        return None


class _Fetched:
    """The body of the page a chain of redirects ended at."""

    def __init__(self, url: URL, body: bytes, mime: str, charset: str | None) -> None:
        self.url, self.body, self.mime, self.charset = url, body, mime, charset


def _parse(url: str) -> URL:
    try:
        parsed = URL(url.strip())
    except (ValueError, TypeError):
        raise PageRefused("invalid_url") from None
    if parsed.scheme not in ("http", "https"):
        raise PageRefused("scheme", parsed.scheme or "none")
    if not parsed.is_absolute() or not parsed.raw_host:
        raise PageRefused("invalid_url")
    return parsed.with_fragment(None)


class PageReader:
    """Reads http(s) pages into plain text; every refusal is a PageRefused with a short reason."""

    def __init__(self, settings: WebSettings | None = None, *, resolve: Resolve | None = None,
                 on_use: OnUse | None = None) -> None:
        settings = settings or WebSettings()
        self.allow = AllowList(settings.allow_private)
        self.max_bytes = settings.page_max_bytes
        self.connect_timeout = settings.connect_timeout
        self.timeout = settings.timeout
        self.on_use = on_use
        self._resolve = resolve or system_resolve

    async def read(self, url: str) -> Page:
        """The page's title and text; PageRefused(reason) for anything unsafe, too big, binary, slow or empty."""
        started = time.monotonic()
        ok = False
        host = ""
        try:
            target = _parse(url)
            host = target.raw_host or ""
            page = await self._read(target)
            ok = True
            return page
        finally:
            await report(self.on_use, "read", host or "?", ok, (time.monotonic() - started) * 1000)

    async def _read(self, target: URL) -> Page:
        pinned = _Pinned()
        connector = aiohttp.TCPConnector(resolver=pinned, use_dns_cache=False, force_close=True, limit=2)
        timeout = aiohttp.ClientTimeout(total=None, connect=self.connect_timeout, sock_connect=self.connect_timeout)
        try:
            async with asyncio.timeout(self.timeout), aiohttp.ClientSession(
                    connector=connector, timeout=timeout, headers=_HEADERS, cookie_jar=aiohttp.DummyCookieJar(),
            ) as session:
                fetched = await self._follow(session, pinned, target)
        except TimeoutError:  # asyncio's total and aiohttp's connect time-outs alike
            raise PageRefused("timeout") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise PageRefused("unreachable", type(exc).__name__) from None
        # Parsing a 2 MB page takes a while: off the event loop.
        title, text = await asyncio.to_thread(extract, fetched.body, fetched.mime, fetched.charset, str(fetched.url))
        if not text.strip():
            raise PageRefused("empty")
        return Page(str(fetched.url), title, text, len(fetched.body))

    async def _follow(self, session: aiohttp.ClientSession, pinned: _Pinned, url: URL) -> _Fetched:
        """GET url, following at most MAX_REDIRECTS redirects by hand, each hop checked like the first."""
        seen = {str(url)}
        for _ in range(MAX_REDIRECTS + 1):
            await self._admit(url, pinned)
            async with session.get(url, allow_redirects=False) as response:
                if response.status in _REDIRECTS:
                    url = self._next(url, response.headers.get("Location"), seen)
                    continue
                return await self._body(url, response)
        raise PageRefused("redirects", f"more than {MAX_REDIRECTS}")

    @staticmethod
    def _next(url: URL, location: str | None, seen: set[str]) -> URL:
        if not location:
            raise PageRefused("redirects", "a redirect without Location")
        try:
            following = _parse(str(url.join(URL(location))))
        except ValueError:
            raise PageRefused("invalid_url") from None
        if str(following) in seen:
            raise PageRefused("redirects", "loop")
        seen.add(str(following))
        return following

    async def _admit(self, url: URL, pinned: _Pinned) -> None:
        """Resolve the host and refuse it unless every address is public or allowed; pin what was checked."""
        host = url.raw_host or ""
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = await self._resolve(host, port)
            except OSError as exc:  # socket.gaierror: no such host
                raise PageRefused("unreachable", f"{host}: {type(exc).__name__}") from None
        if not addresses:
            raise PageRefused("unreachable", f"{host}: no address")
        for address in addresses:
            if not self.allow.allows(host, address, port):
                raise PageRefused("private_address", f"{host} → {address}")
        pinned.pins[host] = addresses

    async def _body(self, url: URL, response: aiohttp.ClientResponse) -> _Fetched:
        if not 200 <= response.status < 300:
            raise PageRefused("status", f"HTTP {response.status}")
        mime = response.content_type.lower()  # aiohttp says application/octet-stream when the header is missing
        if mime not in TEXT_TYPES:
            raise PageRefused("binary", mime)
        try:
            body = await read_capped(response, self.max_bytes)
        except BodyTooLarge as exc:
            raise PageRefused("too_large", f"over {self.max_bytes} bytes ({exc.size})") from None
        return _Fetched(url, body, mime, response.charset)
