"""The one interface every search backend implements, and the JSON-over-HTTP call the HTTP ones share."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Protocol

import aiohttp

from web.types import Hit

__all__ = ["USER_AGENT", "BackendFailed", "BodyTooLarge", "SearchBackend", "fetch_json", "read_capped", "text_of"]

USER_AGENT = "Mozilla/5.0 (compatible; DAGI-bot/0.1; self-hosted Telegram assistant)"
MAX_JSON_BYTES = 4 * 1024 * 1024  # a search answer is a few KB; more is a broken or hostile backend


class SearchBackend(Protocol):
    """A web search engine: `local` means the query does not leave the operator's own machines."""

    name: str
    local: bool

    async def search(self, query: str, *, limit: int, language: str) -> list[Hit]:
        """About `limit` hits (WebSearch de-duplicates and cuts); BackendFailed when the next one should be tried."""
        ...


class BackendFailed(Exception):
    """This backend cannot answer now (`reason`: rate_limited, http_500, bad_json, timeout, unreachable…)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}" if detail else reason)


class BodyTooLarge(Exception):
    """A response body past its cap (the size read so far, or the declared Content-Length)."""

    def __init__(self, size: int) -> None:
        self.size = size
        super().__init__(f"{size} bytes")


async def read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    """The body, streamed; raises BodyTooLarge as soon as it passes `cap` bytes (decompressed)."""
    declared = response.content_length
    if declared is not None and declared > cap:
        raise BodyTooLarge(declared)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge(size)
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch_json(
    method: str, url: str, *, params: Mapping[str, str] | None = None, body: object = None,
    headers: Mapping[str, str] | None = None, connect: float, total: float,
) -> object:
    """One JSON request; every way it can fail becomes BackendFailed with a short reason (never the key)."""
    timeout = aiohttp.ClientTimeout(total=total, connect=connect)
    sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
    try:
        async with aiohttp.ClientSession(timeout=timeout, headers=sent) as session, \
                session.request(method, url, params=params, json=body, allow_redirects=False) as response:
            if response.status == 429:
                raise BackendFailed("rate_limited", "HTTP 429")
            if response.status != 200:
                raise BackendFailed(f"http_{response.status}")
            raw = await read_capped(response, MAX_JSON_BYTES)
    except TimeoutError:  # aiohttp's time-outs are TimeoutErrors too
        raise BackendFailed("timeout") from None
    except BodyTooLarge:
        raise BackendFailed("too_large") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise BackendFailed("unreachable", type(exc).__name__) from None
    try:
        return json.loads(raw)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise BackendFailed("bad_json") from None


def text_of(value: object) -> str:
    """A JSON field as a stripped string ("" for anything that is not a string)."""
    return value.strip() if isinstance(value, str) else ""
