"""Ollama's /api/chat NDJSON stream read off the socket a whole read at a time, paced by `Pace`.

The SDK parses each line into a pydantic model and wakes every layer above it once per token; here one read
is split into lines, their text joined into one piece, and while text would only be held (see Pace) the
socket is left unread, so a 20 ms/token answer wakes the bot about once a window instead of once a token.
"""
from __future__ import annotations

import asyncio
import base64
import json
import urllib.request
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
import ollama
from httpx_aiohttp import AiohttpTransport

from router.errors import BadToolCall, ProviderUnavailable
from router.providers._errors import from_status, scrub
from router.providers._pace import Pace
from router.providers._stream import Final, Piece
from router.providers._tools import new_call_id
from router.timeouts import Timeouts
from router.types import ToolCall

Read = Callable[[float | None], Awaitable[bytes]]  # next bytes (b"" at the end), the socket may rest until then
_AIOHTTP = "dagi.aiohttp_response"  # httpx response extension: the aiohttp ClientResponse under it


def wire_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """One turn as the SDK sends it: empty fields left out, image bytes as base64 text."""
    out = {k: v for k, v in message.items() if v}
    if "images" in out:
        out["images"] = [base64.b64encode(img).decode("ascii") for img in out["images"]]
    return out


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how /api/chat is posted straight through aiohttp: the SDK's URL and headers, its timeouts."""

    url: str
    headers: Mapping[str, str]
    timeout: aiohttp.ClientTimeout

    @classmethod
    def of(cls, http: httpx.AsyncClient, timeouts: Timeouts) -> Endpoint | None:
        """The SDK client's endpoint; None when a proxy from the environment applies (httpx routes those)."""
        url = http.base_url.join("/api/chat")
        if urllib.request.getproxies() and not urllib.request.proxy_bypass(url.host):
            return None
        # aiohttp hands over the raw body here: no compression is asked for, so none must be undone.
        headers = {k: v for k, v in http.headers.items() if k.lower() not in ("accept-encoding", "connection")}
        # As httpx_aiohttp maps the SDK's httpx.Timeout(total, connect=connect).
        timeout = aiohttp.ClientTimeout(sock_connect=timeouts.connect, sock_read=timeouts.total,
                                        connect=timeouts.total)
        return cls(str(url), headers, timeout)


async def chat_direct(session: aiohttp.ClientSession, endpoint: Endpoint, body: Mapping[str, Any],
                      pace: Pace) -> AsyncGenerator[Piece, None]:
    """POST /api/chat through aiohttp itself (httpx's layer cost a third of a request's CPU); errors as the SDK's."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    async with session.post(endpoint.url, data=data, headers=endpoint.headers, timeout=endpoint.timeout) as response:
        if response.status >= 400:
            text = (await response.read()).decode(errors="replace")
            if response.status == 429:  # what the SDK client's response hook does
                raise from_status(429, scrub(text), headers=response.headers)
            raise ollama.ResponseError(text, response.status)
        async for piece in _pieces(_paced(response, asyncio.get_running_loop()), pace):
            yield piece


async def chat_pieces(http: httpx.AsyncClient, body: Mapping[str, Any], pace: Pace) -> AsyncGenerator[Piece, None]:
    """POST /api/chat through the SDK's httpx client (proxies); the same pieces and errors as chat_direct."""
    async with http.stream("POST", "/api/chat", json=body) as response:
        if response.status_code >= 400:
            await response.aread()
            raise ollama.ResponseError(response.text, response.status_code)
        async for piece in _pieces(_reader(response, asyncio.get_running_loop()), pace):
            yield piece


async def _pieces(read: Read, pace: Pace) -> AsyncGenerator[Piece, None]:
    """Text (one piece per read), whole tool calls and the Final from an NDJSON body."""
    loop = asyncio.get_running_loop()
    rest = b""
    while True:
        chunk = await read(pace.hold_until(loop.time()))
        if not chunk:
            return  # no done line: run_stream says the stream ended without its final chunk
        *lines, rest = (rest + chunk).split(b"\n")
        pieces, failure = _parse(lines)
        for piece in pieces:  # what came before a bad line still counts (a StreamCut's partial text)
            yield piece
            if isinstance(piece, Final):
                return
        if failure is not None:
            raise failure


def _parse(lines: list[bytes]) -> tuple[list[Piece], Exception | None]:
    """The pieces of whole lines (their text joined), up to the Final; and the failure that stopped them, if any."""
    pieces: list[Piece] = []
    text: list[str] = []
    try:
        for part in _objects(lines):
            if not isinstance(part, dict):
                raise ProviderUnavailable(f"malformed stream: a line is {type(part).__name__}, not an object")
            if error := part.get("error"):
                raise ollama.ResponseError(str(error))  # an {"error": ...} line inside a 200 stream
            message = part.get("message") or {}
            if content := message.get("content"):
                text.append(str(content))
            # Mid-stream (Ollama ≥ 0.8) or in the one done chunk (older servers do not stream with tools).
            calls = _calls(message["tool_calls"]) if message.get("tool_calls") else []
            if text and (calls or part.get("done")):
                pieces.append("".join(text))
                text.clear()
            pieces.extend(calls)
            if part.get("done"):
                pieces.append(Final(tokens_in=part.get("prompt_eval_count"), tokens_out=part.get("eval_count")))
                return pieces, None
    except Exception as exc:  # noqa: BLE001 - handed back to be raised after the text before it
        return [*pieces, "".join(text)] if text else pieces, exc
    return [*pieces, "".join(text)] if text else pieces, None


def _objects(lines: list[bytes]) -> Iterator[object]:
    """The JSON value of each non-empty line; a bad line raises where it is, after the ones before it."""
    lines = [line for line in lines if line.strip()]
    try:
        # One parse for the whole read: a third of the CPU of a parse per line.
        values: list[object] = json.loads(b"[" + b",".join(lines) + b"]")
    except ValueError:
        values = []
    if len(values) == len(lines):
        yield from values
        return
    for line in lines:
        yield json.loads(line)


def _calls(raw: object) -> list[ToolCall]:
    """Whole tool calls of one chunk; arguments must be an object, as the SDK's model insisted."""
    out = []
    for call in raw if isinstance(raw, list) else [raw]:
        function = call.get("function") if isinstance(call, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if not name:
            raise BadToolCall("a tool call names no function")
        arguments = function.get("arguments") if isinstance(function, dict) else None
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise BadToolCall(f"malformed tool call {name!r}: arguments must be an object, got "
                              f"{type(arguments).__name__}")
        out.append(ToolCall(new_call_id(), str(name), arguments))
    return out


class SocketTransport(AiohttpTransport):
    """httpx over aiohttp (as AiohttpTransport) that also hands a response's aiohttp side to whoever streams it."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        # httpx keeps this very object (it only wraps `stream`), so the extension reaches the caller.
        response.extensions[_AIOHTTP] = getattr(response.stream, "_aiohttp_response", None)
        return response


def _reader(response: httpx.Response, loop: asyncio.AbstractEventLoop) -> Read:
    """Reads straight from aiohttp under httpx when it is there; any other transport: plain reads."""
    raw = response.extensions.get(_AIOHTTP)
    if isinstance(raw, aiohttp.ClientResponse):
        return _paced(raw, loop)
    chunks: AsyncIterator[bytes] = response.aiter_raw()
    return lambda _until: anext(chunks, b"")


def _paced(raw: aiohttp.ClientResponse, loop: asyncio.AbstractEventLoop) -> Read:
    """Reads whatever has arrived, first resting the socket until a time when one is given."""
    content = raw.content

    async def read(until: float | None) -> bytes:
        transport = raw.connection.transport if raw.connection is not None else None
        if until is None or transport is None or content.is_eof():
            return await content.readany()
        # Bytes arriving meanwhile wait in the kernel; one wake-up then reads them all.
        transport.pause_reading()
        handle = loop.call_at(until, transport.resume_reading)
        try:
            return await content.readany()
        finally:
            handle.cancel()
            transport.resume_reading()  # a no-op once the timer did it

    return read
