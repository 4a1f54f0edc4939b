"""The `ollama` SDK's client: /api/show, /api/embed, /api/tags, and chat when a proxy applies.

Imported at the first such call, not at start: the SDK and httpx under it take ~0.1 s to import, and a chat
without a proxy never needs them (router.providers.ollama_stream posts it through aiohttp).
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp
import httpx
import ollama
from httpx_aiohttp import AiohttpTransport

from router.providers._errors import from_status, scrub
from router.providers._pace import Pace
from router.providers._stream import Piece
from router.providers.ollama_stream import Read, paced, pieces
from router.timeouts import Timeouts

_AIOHTTP = "dagi.aiohttp_response"  # httpx response extension: the aiohttp ClientResponse under it


def sdk_client(host: str, timeouts: Timeouts, pool: Callable[[], aiohttp.ClientSession]) -> ollama.AsyncClient:
    """The SDK's client for `host`, its httpx on the aiohttp session `pool()` returns (shared with direct chats)."""
    return ollama.AsyncClient(
        host=host,
        timeout=timeouts.for_httpx(),
        event_hooks={"response": [_raise_rate_limit]},
        # aiohttp under httpx: the same API at under half of httpx's own CPU per request.
        transport=SocketTransport(client=pool),
    )


async def _raise_rate_limit(response: httpx.Response) -> None:
    """httpx hook: the ollama SDK drops response headers, so read Retry-After here."""
    if response.status_code == 429:
        await response.aread()
        raise from_status(429, scrub(response.text), headers=response.headers)


async def chat_pieces(http: httpx.AsyncClient, body: Mapping[str, Any], pace: Pace) -> AsyncGenerator[Piece, None]:
    """POST /api/chat through the SDK's httpx client (proxies); the same pieces and errors as chat_direct."""
    async with http.stream("POST", "/api/chat", json=body) as response:
        if response.status_code >= 400:
            await response.aread()
            raise ollama.ResponseError(response.text, response.status_code)
        async for piece in pieces(_reader(response, asyncio.get_running_loop()), pace):
            yield piece


class SocketTransport(AiohttpTransport):
    """httpx over aiohttp (as AiohttpTransport) that also hands a response's aiohttp side to whoever streams it."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        # httpx keeps this very object (it only wraps `stream`), so the extension reaches the caller.
        response.extensions[_AIOHTTP] = getattr(response.stream, "_aiohttp_response", None)
        return response


def _reader(response: httpx.Response, loop: asyncio.AbstractEventLoop) -> Read:
    """Reads straight from aiohttp under httpx when it is there and the body is not compressed (the transport
    leaves it undecoded); otherwise httpx's decoded reads."""
    raw = response.extensions.get(_AIOHTTP)
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if isinstance(raw, aiohttp.ClientResponse) and encoding in ("", "identity"):
        return paced(raw, loop)
    chunks: AsyncIterator[bytes] = response.aiter_bytes()
    return lambda _until: anext(chunks, b"")
