"""Test fakes: an HTTP server speaking the Ollama and OpenAI protocols, and an in-memory provider."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import math
import re
import socket
import struct
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Callable

from aiohttp import web

from router.types import ChatRequest, Delta, Usage

_TOKEN_RE = re.compile(r"\S+\s*|\s+")
_THINK = "<think>\nsome reasoning\n</think>\n\n"
_FAIL_MODES = ("500", "429", "hang", "hang_after_headers", "cut", "error_line", "not_found")
_CHAT_PATHS = ("/api/chat", "/v1/chat/completions")

DEFAULT_MODELS: dict[str, dict] = {
    "qwen3:8b": {"capabilities": ["completion", "thinking"]},
    "llava:7b": {"capabilities": ["completion", "vision"]},
    "bge-m3": {"capabilities": ["embedding"]},
    "gpt-4o-mini": {"capabilities": ["completion", "vision"]},
}


def tokenize(text: str) -> list[str]:
    """Split text into word tokens that join back to exactly the text."""
    return _TOKEN_RE.findall(text)


def fake_embedding(text: str, dim: int = 8) -> list[float]:
    """A deterministic unit vector derived from a hash of the text."""
    digest = hashlib.sha256(text.encode()).digest()
    raw = [digest[i] / 127.5 - 1.0 for i in range(dim)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def _text_of(content: Any) -> str:
    """Plain text of a message content that may be a list of OpenAI content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _echo(messages: list[dict]) -> str:
    """Default responder: echo the last user message."""
    last = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    return "echo: " + _text_of(last.get("content"))


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class RecordedRequest:
    """One HTTP request the fake received."""

    path: str
    method: str
    json: dict | None
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when it arrived (for latency benchmarks)


@dataclass
class _Failure:
    mode: str
    retry_after: int
    after_tokens: int


class FakeLLM:
    """A local aiohttp server that answers like Ollama (`url`) and OpenAI (`openai_url`)."""

    def __init__(self, *, token_delay: float = 0.0, models: dict[str, dict] | None = None) -> None:
        self.token_delay = token_delay
        self.models: dict[str, dict] = dict(DEFAULT_MODELS if models is None else models)
        self.responder: Callable[[list[dict]], str] | None = None
        self.emit_think = False
        self.requests: list[RecordedRequest] = []
        self.url = ""
        self.openai_url = ""
        self._replies: list[str] = []
        self._failures: list[_Failure] = []
        self._hangs: set[asyncio.Future[None]] = set()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> "FakeLLM":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind a random free port on 127.0.0.1 and start serving."""
        app = web.Application(middlewares=[self._record])
        app.router.add_post("/api/chat", self._ollama_chat)
        app.router.add_get("/api/tags", self._ollama_tags)
        app.router.add_post("/api/show", self._ollama_show)
        app.router.add_post("/api/embed", self._ollama_embed)
        app.router.add_get("/api/version", self._ollama_version)
        app.router.add_post("/v1/chat/completions", self._openai_chat)
        app.router.add_get("/v1/models", self._openai_models)
        app.router.add_post("/v1/embeddings", self._openai_embeddings)
        # A short shutdown timeout so stop() is prompt even if a handler is mid-sleep.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.openai_url = self.url + "/v1"

    async def stop(self) -> None:
        """Release hanging requests and shut the server down."""
        self._stopping.set()
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def reply(self, *texts: str) -> None:
        """Queue scripted replies, consumed one per successful chat request."""
        self._replies.extend(texts)

    def fail(self, mode: str, count: int = 1, *, retry_after: int = 1, after_tokens: int = 2) -> None:
        """Make the next `count` chat requests fail in `mode`."""
        if mode not in _FAIL_MODES:
            raise ValueError(f"unknown fail mode {mode!r}; use one of {_FAIL_MODES}")
        self._failures.extend(_Failure(mode, retry_after, after_tokens) for _ in range(count))

    def chat_requests(self) -> list[RecordedRequest]:
        """Only the chat requests of either protocol."""
        return [r for r in self.requests if r.path in _CHAT_PATHS]

    async def wait_requests(self, n: int, timeout: float = 5.0) -> None:
        """Wait until at least `n` chat requests arrived; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        while len(self.chat_requests()) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {n} chat requests, got {len(self.chat_requests())}")
            await asyncio.sleep(0.005)

    def release(self) -> None:
        """Unblock every currently hanging request; each then drops its connection."""
        for fut in self._hangs:
            if not fut.done():
                fut.set_result(None)
        self._hangs.clear()

    @staticmethod
    def refusing_url() -> str:
        """A URL on 127.0.0.1 where nothing listens."""
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    # -- plumbing ---------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        body: dict | None = None
        if request.can_read_body:
            try:
                loaded = await request.json()
                body = loaded if isinstance(loaded, dict) else None
            except ValueError:
                body = None
        self.requests.append(RecordedRequest(request.path, request.method, body, dict(request.headers)))
        return await handler(request)

    def _next_text(self, messages: list[dict], *, consume: bool) -> str:
        if self._replies:
            text = self._replies.pop(0) if consume else self._replies[0]
        else:
            text = (self.responder or _echo)(messages)
        return _THINK + text if self.emit_think else text

    async def _pause(self, tokens: int = 1) -> None:
        """Sleep like generating `tokens` tokens; returns early when the server stops."""
        if self.token_delay > 0 and tokens > 0:
            try:
                await asyncio.wait_for(self._stopping.wait(), self.token_delay * tokens)
            except asyncio.TimeoutError:
                pass

    async def _json_after_delay(self, request: web.Request, body: dict, tokens: int) -> web.StreamResponse:
        """A non-streamed answer, sent once the whole reply would have been generated."""
        await self._pause(tokens)
        if self._stopping.is_set() and request.transport is not None:
            request.transport.close()
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
            if cut:
                if request.transport is not None:
                    request.transport.close()
                return resp
            await resp.write_eof()
        except ConnectionError:
            pass  # the client went away mid-stream; nothing to do
        return resp

    async def _fail_prelude(self, request: web.Request, failure: _Failure | None, content_type: str) -> web.StreamResponse | None:
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

    # -- Ollama -----------------------------------------------------------

    def _ollama_error(self, failure: _Failure, model: str) -> web.Response | None:
        if failure.mode == "500":
            return web.json_response({"error": "internal server error"}, status=500)
        if failure.mode == "429":
            return web.json_response(
                {"error": "rate limit exceeded"}, status=429, headers={"Retry-After": str(failure.retry_after)}
            )
        if failure.mode == "not_found":
            return web.json_response({"error": f"model '{model}' not found"}, status=404)
        return None

    async def _ollama_chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model = str(body.get("model", ""))
        messages = list(body.get("messages") or [])
        stream = body.get("stream", True) is not False
        failure = self._failures.pop(0) if self._failures else None
        ndjson = "application/x-ndjson" if stream else "application/json"
        if (hung := await self._fail_prelude(request, failure, ndjson)) is not None:
            return hung
        if failure is not None and (err := self._ollama_error(failure, model)) is not None:
            return err
        text = self._next_text(messages, consume=failure is None)
        tokens = tokenize(text)
        n_in = sum(len(_text_of(m.get("content")).split()) for m in messages)
        started = time.perf_counter_ns()

        def chunk(content: str, **extra: Any) -> dict:
            return {
                "model": model,
                "created_at": _now_iso(),
                "message": {"role": "assistant", "content": content},
                "done": False,
                **extra,
            }

        def final(content: str = "") -> dict:
            total = max(time.perf_counter_ns() - started, 1)
            return chunk(
                content,
                done=True,
                done_reason="stop",
                total_duration=total,
                load_duration=0,
                prompt_eval_count=n_in,
                prompt_eval_duration=total // 10,
                eval_count=len(tokens),
                eval_duration=total - total // 10,
            )

        if failure is not None and failure.mode == "error_line":
            if not stream:
                return web.json_response({"error": "model crashed"}, status=500)
            lines = [json.dumps(chunk(tokens[0] if tokens else "")), json.dumps({"error": "model crashed"})]
            return await self._stream(request, ndjson, [(ln + "\n").encode() for ln in lines])
        if failure is not None and failure.mode == "cut":
            lines = [json.dumps(chunk(t)) for t in tokens[: failure.after_tokens]]
            return await self._stream(request, ndjson, [(ln + "\n").encode() for ln in lines], cut=True)
        if not stream:
            return await self._json_after_delay(request, final(text), len(tokens))
        lines = [json.dumps(chunk(t)) for t in tokens]
        encoded = [(ln + "\n").encode() for ln in lines]
        encoded.append((json.dumps(final()) + "\n").encode())
        return await self._stream(request, ndjson, encoded)

    def _model_info(self, name: str) -> dict:
        info = self.models[name]
        family = name.split(":")[0].rstrip("0123456789.") or name
        details = {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": "8.0B",
            "quantization_level": "Q4_K_M",
            **info.get("details", {}),
        }
        model_info = {
            "general.architecture": family,
            "general.parameter_count": 8_000_000_000,
            f"{family}.context_length": info.get("context_length", 32768),
            **info.get("model_info", {}),
        }
        return {"capabilities": list(info.get("capabilities", ["completion"])), "details": details, "model_info": model_info}

    async def _ollama_tags(self, request: web.Request) -> web.Response:
        models = []
        for name in self.models:
            digest = hashlib.sha256(name.encode()).hexdigest()
            models.append({
                "name": name,
                "model": name,
                "modified_at": "2025-01-01T00:00:00Z",
                "size": 1_000_000,
                "digest": digest,
                "details": self._model_info(name)["details"],
            })
        return web.json_response({"models": models})

    async def _ollama_show(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = str(body.get("model") or body.get("name") or "")
        if name not in self.models:
            return web.json_response({"error": f"model '{name}' not found"}, status=404)
        info = self._model_info(name)
        return web.json_response({
            "modelfile": "",
            "parameters": "",
            "template": "{{ .Prompt }}",
            "modified_at": "2025-01-01T00:00:00Z",
            **info,
        })

    async def _ollama_embed(self, request: web.Request) -> web.Response:
        body = await request.json()
        inputs = body.get("input", "")
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        return web.json_response({
            "model": body.get("model", ""),
            "embeddings": [fake_embedding(t) for t in texts],
            "total_duration": 1000,
            "load_duration": 0,
            "prompt_eval_count": sum(len(t.split()) for t in texts),
        })

    async def _ollama_version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.12.0"})

    # -- OpenAI -----------------------------------------------------------

    @staticmethod
    def _openai_error_body(message: str, type_: str, code: str | None) -> dict:
        return {"error": {"message": message, "type": type_, "param": None, "code": code}}

    def _openai_error(self, failure: _Failure, model: str) -> web.Response | None:
        if failure.mode == "500":
            return web.json_response(self._openai_error_body("internal server error", "server_error", None), status=500)
        if failure.mode == "429":
            body = self._openai_error_body("Rate limit reached", "requests", "rate_limit_exceeded")
            return web.json_response(body, status=429, headers={"Retry-After": str(failure.retry_after)})
        if failure.mode == "not_found":
            body = self._openai_error_body(
                f"The model `{model}` does not exist", "invalid_request_error", "model_not_found"
            )
            return web.json_response(body, status=404)
        return None

    async def _openai_chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model = str(body.get("model", ""))
        messages = list(body.get("messages") or [])
        stream = bool(body.get("stream", False))
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        failure = self._failures.pop(0) if self._failures else None
        sse = "text/event-stream" if stream else "application/json"
        if (hung := await self._fail_prelude(request, failure, sse)) is not None:
            return hung
        if failure is not None and (err := self._openai_error(failure, model)) is not None:
            return err
        text = self._next_text(messages, consume=failure is None)
        tokens = tokenize(text)
        n_in = sum(len(_text_of(m.get("content")).split()) for m in messages)
        usage = {"prompt_tokens": n_in, "completion_tokens": len(tokens), "total_tokens": n_in + len(tokens)}
        created = int(time.time())

        def chunk(choices: list[dict], **extra: Any) -> bytes:
            data = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": choices,
                **extra,
            }
            return f"data: {json.dumps(data)}\n\n".encode()

        def token(tok: str) -> bytes:
            return chunk([{"index": 0, "delta": {"role": "assistant", "content": tok}, "finish_reason": None}])

        if failure is not None and failure.mode == "error_line":
            if not stream:
                body_ = self._openai_error_body("model crashed", "server_error", None)
                return web.json_response(body_, status=500)
            err = self._openai_error_body("model crashed", "server_error", None)
            lines = [token(tokens[0] if tokens else ""), f"data: {json.dumps(err)}\n\n".encode()]
            return await self._stream(request, sse, lines)
        if failure is not None and failure.mode == "cut":
            return await self._stream(request, sse, [token(t) for t in tokens[: failure.after_tokens]], cut=True)
        if not stream:
            return await self._json_after_delay(request, {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }],
                "usage": usage,
            }, len(tokens))
        lines = [token(t) for t in tokens]
        lines.append(chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
        if include_usage:
            lines.append(chunk([], usage=usage))
        lines.append(b"data: [DONE]\n\n")
        return await self._stream(request, sse, lines)

    async def _openai_models(self, request: web.Request) -> web.Response:
        data = [{"id": name, "object": "model", "created": 0, "owned_by": "fake"} for name in self.models]
        return web.json_response({"object": "list", "data": data})

    async def _openai_embeddings(self, request: web.Request) -> web.Response:
        body = await request.json()
        inputs = body.get("input", "")
        texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs]
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for i, t in enumerate(texts):
            vec: Any = fake_embedding(t)
            if as_base64:
                vec = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
            data.append({"object": "embedding", "index": i, "embedding": vec})
        n = sum(len(t.split()) for t in texts)
        return web.json_response({
            "object": "list",
            "data": data,
            "model": body.get("model", ""),
            "usage": {"prompt_tokens": n, "total_tokens": n},
        })


class ScriptedProvider:
    """An in-memory `router.provider.Provider` that plays back scripted replies or raises scripted errors."""

    def __init__(
        self,
        name: str = "scripted",
        *,
        replies: list[str | Exception] | None = None,
        local: bool = True,
        token_delay: float = 0.0,
    ) -> None:
        self.name = name
        self.local = local
        self.token_delay = token_delay
        self.replies: list[str | Exception] = list(replies or [])
        self.calls: list[tuple[str, ChatRequest]] = []
        self.closed = False

    async def stream(self, model: str, request: ChatRequest) -> AsyncIterator[Delta]:
        """Yield the next scripted reply word by word; the last delta carries usage."""
        self.calls.append((model, request))
        item = self.replies.pop(0) if self.replies else None
        if item is None:
            last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
            item = "echo: " + last
        started = time.perf_counter()
        partial = getattr(item, "partial", "") if isinstance(item, Exception) else ""
        # A StreamCut-like error first yields its partial text, as a real broken stream would.
        tokens = tokenize(partial if isinstance(item, Exception) else item)
        first_ms: float | None = None
        for tok in tokens:
            if self.token_delay > 0:
                await asyncio.sleep(self.token_delay)
            if first_ms is None:
                first_ms = (time.perf_counter() - started) * 1000
            yield Delta(text=tok, provider=self.name, model=model)
        if isinstance(item, Exception):
            raise item
        tokens_in = sum(len(m.content.split()) for m in request.messages)
        usage = Usage(
            tokens_in=tokens_in,
            tokens_out=len(tokens),
            latency_ms=(time.perf_counter() - started) * 1000,
            first_token_ms=first_ms,
        )
        yield Delta(usage=usage, provider=self.name, model=model)

    async def aclose(self) -> None:
        """Mark the provider closed."""
        self.closed = True
