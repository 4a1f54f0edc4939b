"""The FakeLLM's state and the HTTP plumbing both wire protocols share: recording, pacing, streaming, hangs."""
from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from aiohttp.typedefs import Handler

from router.testing.slots import Slots
from router.testing.text import EMBED_DIM, _echo
from router.testing.tools import Reply, numbered

if TYPE_CHECKING:
    from router.testing.audio_wire import Heard

_THINK = "<think>\nsome reasoning\n</think>\n\n"

DEFAULT_MODELS: dict[str, dict[str, Any]] = {
    "qwen3:8b": {"capabilities": ["completion", "tools", "thinking"]},  # as real Ollama's /api/show lists them
    "llava:7b": {"capabilities": ["completion", "vision"]},  # no tools: a request offering tools gets a 400
    "bge-m3": {"capabilities": ["embedding"], "dim": EMBED_DIM},  # 64, not the real 1024: tests stay light
    "gpt-4o-mini": {"capabilities": ["completion", "vision", "tools"]},
    "gemma2-9b-it": {"capabilities": ["completion"]},  # a text-only API model: images or tools get a 400
}


@dataclass
class RecordedRequest:
    """One HTTP request the fake received."""

    path: str
    method: str
    json: dict[str, Any] | None
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when it arrived (for latency benchmarks)
    raw: bytes = field(default=b"", repr=False)  # the body as sent, to prove a secret never left the bot
    first_at: float | None = None  # when the first chunk of the answer was written (the model's first token)
    done_at: float | None = None  # when the answer's last chunk was written (the model is done)
    # A multipart upload's files, field → (file name, bytes); its text fields are in `json`.
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict, repr=False)


_RECORD = web.RequestKey("record", RecordedRequest)  # the request's record, for the handlers that answer it


@dataclass
class _Failure:
    mode: str
    retry_after: int
    after_tokens: int


class _FakeServer:
    """State and shared plumbing; the wire mixins add the protocol handlers, FakeLLM the public API."""

    def __init__(self, *, token_delay: float = 0.0, models: dict[str, dict[str, Any]] | None = None,
                 parallel: int | None = None) -> None:
        self.token_delay = token_delay
        self.slots = Slots(parallel)  # chat requests answered at once (None: any number), the rest wait in line
        self.models: dict[str, dict[str, Any]] = dict(DEFAULT_MODELS if models is None else models)
        # Answers when no scripted reply is queued: the request's messages → text or a Reply (tool calls).
        self.responder: Callable[[list[dict[str, Any]]], str | Reply] | None = None
        self.emit_think = False
        self.ollama_unstreamed_tools = False  # True: answer a request with tools in one done chunk (Ollama < 0.8)
        self.requests: list[RecordedRequest] = []
        self.url = ""
        self.openai_url = ""
        self._replies: list[str | Reply] = []
        self._call_ids = itertools.count(1)  # call_1, call_2, … for scripted calls without an id
        self._failures: list[_Failure] = []
        self._transcripts: list[Heard] = []  # what /v1/audio/transcriptions answers next, in order
        self.default_transcript = "This is a voice note for the fake model."  # when none is queued
        self.audio_delay = 0.0  # seconds each audio request takes before its answer (a slow speech API)
        self._hangs: set[asyncio.Future[None]] = set()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # -- plumbing ---------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body: dict[str, Any] | None = None
        raw = b""
        if request.can_read_body:
            raw = await request.read()  # aiohttp keeps it, so the handler's request.json() still works
            try:
                loaded = json.loads(raw)
                body = loaded if isinstance(loaded, dict) else None
            except ValueError:
                body = None
        record = RecordedRequest(request.path, request.method, body, dict(request.headers), raw=raw)
        self.requests.append(record)
        request[_RECORD] = record  # the handlers stamp first_at / done_at on it as they answer
        return await handler(request)

    def _in_slot(self, handler: Handler) -> Handler:
        """`handler` run only while holding one of the server's slots, as Ollama runs OLLAMA_NUM_PARALLEL requests."""
        async def in_slot(request: web.Request) -> web.StreamResponse:
            async with self.slots.held():
                return await handler(request)
        return in_slot

    @staticmethod
    def _stamp(request: web.Request, *, done: bool) -> None:
        """Record now as the answer's first chunk (if none yet) and, with `done`, as its end."""
        record: RecordedRequest | None = request.get(_RECORD)
        if record is not None:
            now = time.monotonic()
            record.first_at = record.first_at or now
            record.done_at = now if done else record.done_at

    def _next_reply(self, messages: list[dict[str, Any]], *, consume: bool) -> Reply:
        if self._replies:
            item = self._replies.pop(0) if consume else self._replies[0]
        else:
            item = (self.responder or _echo)(messages)
        reply = Reply(item) if isinstance(item, str) else item
        if self.emit_think:
            reply = Reply(_THINK + reply.text, reply.tool_calls)
        return numbered(reply, self._call_ids)

    def _embed_refusal(self, model: str) -> tuple[int, str] | None:
        """Status and message a real server gives for embedding with an unknown or a chat-only model."""
        info = self.models.get(model)
        if info is None:
            return 404, f"model '{model}' not found"
        if "embedding" not in info.get("capabilities", ()):
            return 400, f'"{model}" does not support embeddings'
        return None

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        """Close the connection without an answer (a crashed server)."""
        if request.transport is not None:
            request.transport.close()
        return web.Response()

    def _embed_dim(self, model: str) -> int:
        """The vector length of an embedding model: its "dim", else EMBED_DIM."""
        return int(self.models[model].get("dim", EMBED_DIM))

    async def _pause(self, tokens: int = 1) -> None:
        """Sleep like generating `tokens` tokens; returns early when the server stops."""
        if self.token_delay > 0 and tokens > 0:
            try:
                await asyncio.wait_for(self._stopping.wait(), self.token_delay * tokens)
            except TimeoutError:
                pass

    async def _json_after_delay(self, request: web.Request, body: dict[str, Any], tokens: int) -> web.StreamResponse:
        """A non-streamed answer, sent once the whole reply would have been generated."""
        await self._pause(tokens)
        if self._stopping.is_set() and request.transport is not None:
            request.transport.close()
        self._stamp(request, done=True)
        return web.json_response(body)

    async def _hang(self, request: web.Request) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._hangs.add(fut)
        if self._stopping.is_set():
            fut.set_result(None)
        await fut
        if request.transport is not None:
            request.transport.close()

    async def _stream(
        self, request: web.Request, content_type: str, lines: list[bytes], *, cut: bool = False
    ) -> web.StreamResponse:
        """Write lines with the token delay; `cut` drops the connection instead of finishing."""
        resp = web.StreamResponse(headers={"Content-Type": content_type})
        await resp.prepare(request)
        try:
            for line in lines:
                await self._pause()
                if self._stopping.is_set():
                    cut = True
                    break
                await resp.write(line)
                self._stamp(request, done=False)
            if cut:
                if request.transport is not None:
                    request.transport.close()
                return resp
            await resp.write_eof()
            self._stamp(request, done=True)
        except ConnectionError:
            pass  # the client went away mid-stream; nothing to do
        return resp

    async def _fail_prelude(
        self, request: web.Request, failure: _Failure | None, content_type: str
    ) -> web.StreamResponse | None:
        """Handle the hang modes; they never produce a normal response."""
        if failure is None:
            return None
        if failure.mode == "hang":
            await self._hang(request)
            return web.Response()
        if failure.mode == "hang_after_headers":
            resp = web.StreamResponse(headers={"Content-Type": content_type})
            await resp.prepare(request)
            await self._hang(request)
            return resp
        return None
