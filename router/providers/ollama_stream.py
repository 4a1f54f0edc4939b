"""Ollama's /api/chat NDJSON stream read off the socket a whole read at a time, paced by `Pace`.

The SDK parses each line into a pydantic model and wakes every layer above it once per token; here one read
is split into lines, their text joined into one piece, and while text would only be held (see Pace) the
socket is left unread, so a 20 ms/token answer wakes the bot about once a window instead of once a token.
"""
from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import os
import platform
import urllib.parse
import urllib.request
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import aiohttp

from router.errors import BadToolCall, ProviderUnavailable
from router.providers._errors import from_status, scrub
from router.providers._pace import Pace
from router.providers._stream import Final, Piece
from router.providers._tools import new_call_id
from router.timeouts import Timeouts
from router.types import ToolCall

if TYPE_CHECKING:
    import ollama

Read = Callable[[float | None], Awaitable[bytes]]  # next bytes (b"" at the end), the socket may rest until then
_DEFAULT_PORTS = {"http": 80, "https": 443}


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
    def at(cls, host: str | None, timeouts: Timeouts) -> Endpoint | None:
        """The endpoint the SDK's client for `host` posts to, without importing the SDK (or httpx, ~0.1 s at
        start); None when a proxy from the environment applies (the SDK's httpx routes those)."""
        url = sdk_url(host, "/api/chat")
        if _proxied(url):
            return None
        # As httpx_aiohttp maps the SDK's httpx.Timeout(total, connect=connect).
        timeout = aiohttp.ClientTimeout(sock_connect=timeouts.connect, sock_read=timeouts.total,
                                        connect=timeouts.total)
        return cls(url, sdk_headers(), timeout)


def _proxied(url: str) -> bool:
    """Whether an environment proxy applies to `url`: one for its scheme (or "all") and its host not in NO_PROXY
    (getproxies() also lists NO_PROXY, as "no", and proxies for other schemes)."""
    split = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    if not (proxies.get(split.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(split.hostname or "")


def sdk_url(host: str | None, path: str) -> str:
    """The URL the SDK's client for `host` requests `path` at (its host parsing, httpx's URL merging)."""
    host, port = host or os.getenv("OLLAMA_HOST") or "", 11434
    scheme, _, hostport = host.partition("://")
    if not hostport:
        scheme, hostport = "http", host
    elif scheme in _DEFAULT_PORTS:
        port = _DEFAULT_PORTS[scheme]
    split = urllib.parse.urlsplit(f"{scheme}://{hostport}")
    name = split.hostname or "127.0.0.1"
    port = split.port or port
    try:
        if isinstance(ipaddress.ip_address(name), ipaddress.IPv6Address):
            name = f"[{name}]"
    except ValueError:
        pass
    base = split.path.strip("/")
    netloc = name if _DEFAULT_PORTS.get(scheme) == port else f"{name}:{port}"  # httpx leaves a default port out
    return f"{scheme}://{netloc}/{base + '/' if base else ''}{path.lstrip('/')}"


def sdk_headers() -> dict[str, str]:
    """The headers the SDK's client sends with a chat, OLLAMA_API_KEY read now as the SDK does (Accept-Encoding and
    Connection left to aiohttp, which asks for no compression, so none must be undone)."""
    headers = {"content-type": "application/json", "accept": "application/json", "user-agent": _user_agent()}
    if api_key := os.getenv("OLLAMA_API_KEY"):
        headers["authorization"] = f"Bearer {api_key}"
    return headers


@cache
def _user_agent() -> str:
    from importlib import metadata

    try:
        version = metadata.version("ollama")
    except metadata.PackageNotFoundError:
        version = "0.0.0"
    system = f"{platform.machine()} {platform.system().lower()}"
    return f"ollama-python/{version} ({system}) Python/{platform.python_version()}"


def response_error(text: str, status: int = -1) -> ollama.ResponseError:
    """The SDK's error for a failed request or an error line (the SDK is imported here: failures are rare)."""
    from ollama import ResponseError

    return ResponseError(text, status)


def connection_pool(url: str) -> aiohttp.ClientSession:
    """The aiohttp session httpx_aiohttp's transport would make for the SDK (its limits, its TLS for https)."""
    ssl: Any = True  # aiohttp's verified default: a plain-http server never uses it
    if url.startswith("https:"):
        import httpx  # the same TLS settings (CA bundle, SSL_CERT_FILE) as the SDK's own requests

        ssl = httpx.create_ssl_context()
    # trust_env: requests the SDK makes (show, embed, chats behind a proxy) honour HTTP(S)_PROXY and NO_PROXY, as
    # httpx did before it ran on aiohttp; direct chats are made only when no proxy applies to the server.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(keepalive_timeout=5.0, ssl=ssl, limit=100),
                                 trust_env=True)


async def chat_direct(session: aiohttp.ClientSession, endpoint: Endpoint, body: Mapping[str, Any],
                      pace: Pace) -> AsyncGenerator[Piece, None]:
    """POST /api/chat through aiohttp itself (httpx's layer cost a third of a request's CPU); errors as the SDK's."""
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    async with session.post(endpoint.url, data=data, headers=endpoint.headers, timeout=endpoint.timeout) as response:
        if response.status >= 400:
            text = (await response.read()).decode(errors="replace")
            if response.status == 429:  # what the SDK client's response hook does
                raise from_status(429, scrub(text), headers=response.headers)
            raise response_error(text, response.status)
        async for piece in pieces(paced(response, asyncio.get_running_loop()), pace):
            yield piece


async def pieces(read: Read, pace: Pace) -> AsyncGenerator[Piece, None]:
    """Text (one piece per read), whole tool calls and the Final from an NDJSON body."""
    loop = asyncio.get_running_loop()
    rest = b""
    while True:
        chunk = await read(pace.hold_until(loop.time()))
        if chunk:
            *lines, rest = (rest + chunk).split(b"\n")
        else:
            lines, rest = [rest], b""  # at the end a last line without its newline still counts
        pieces, failure = _parse(lines)
        for piece in pieces:  # what came before a bad line still counts (a StreamCut's partial text)
            yield piece
            if isinstance(piece, Final):
                return
        if failure is not None:
            raise failure
        if not chunk:
            return  # no done line: run_stream says the stream ended without its final chunk


def _parse(lines: list[bytes]) -> tuple[list[Piece], Exception | None]:
    """The pieces of whole lines (their text joined), up to the Final; and the failure that stopped them, if any."""
    pieces: list[Piece] = []
    text: list[str] = []
    try:
        for part in _objects(lines):
            if not isinstance(part, dict):
                raise ProviderUnavailable(f"malformed stream: a line is {type(part).__name__}, not an object")
            if error := part.get("error"):
                raise response_error(str(error))  # an {"error": ...} line inside a 200 stream
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


def paced(raw: aiohttp.ClientResponse, loop: asyncio.AbstractEventLoop) -> Read:
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
