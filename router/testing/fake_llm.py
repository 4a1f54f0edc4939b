"""FakeLLM: a local aiohttp server that answers like Ollama and OpenAI, with scripted replies and failures."""
from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from router.testing import images, tools
from router.testing.audio_wire import Heard, _AudioWire
from router.testing.ollama_wire import _OllamaWire
from router.testing.server import RecordedRequest, _Failure
from router.testing.tools import CallLike, Reply, ScriptedCall

_FAIL_MODES = ("500", "429", "hang", "hang_after_headers", "cut", "error_line", "not_found")
_CHAT_PATHS = ("/api/chat", "/v1/chat/completions")
_EMBED_PATHS = ("/api/embed", "/v1/embeddings")
_TRANSCRIBE_PATH, _SPEECH_PATH = "/v1/audio/transcriptions", "/v1/audio/speech"


class FakeLLM(_OllamaWire, _AudioWire):  # _AudioWire extends _OpenAIWire, the chat and embeddings side
    """A local aiohttp server that answers like Ollama (`url`) and OpenAI (`openai_url`, speech too).

    Construct with `FakeLLM(token_delay=..., models=..., parallel=...)`; the state lives in `server._FakeServer`.
    `parallel` (or `llm.parallel = n` later) answers that many chat requests at once, the rest wait in line as in
    Ollama; `llm.slots` counts them (in_flight, max_in_flight, waited), `pause()` / `resume()` hold answers.
    """

    @property
    def parallel(self) -> int | None:
        """Chat requests answered at once (OLLAMA_NUM_PARALLEL); None: any number."""
        return self.slots.parallel

    @parallel.setter
    def parallel(self, value: int | None) -> None:
        self.slots.parallel = value

    def pause(self) -> None:
        """Chat requests keep arriving and taking slots but do not answer until resume(): slots stay busy."""
        self.slots.pause()

    def resume(self) -> None:
        """Let the paused chat requests answer."""
        self.slots.resume()

    async def __aenter__(self) -> FakeLLM:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind a random free port on 127.0.0.1 and start serving."""
        # Uploads as big as a speech API takes (25 MB, and room for the multipart framing); aiohttp's default is 1 MB.
        app = web.Application(middlewares=[self._record], client_max_size=26 * 2**20)
        app.router.add_post("/api/chat", self._in_slot(self._ollama_chat))
        app.router.add_get("/api/tags", self._ollama_tags)
        app.router.add_post("/api/show", self._ollama_show)
        app.router.add_post("/api/embed", self._ollama_embed)
        app.router.add_get("/api/version", self._ollama_version)
        app.router.add_get("/api/ps", self._ollama_ps)
        app.router.add_post("/v1/chat/completions", self._in_slot(self._openai_chat))
        app.router.add_get("/v1/models", self._openai_models)
        app.router.add_post("/v1/embeddings", self._openai_embeddings)
        app.router.add_post("/v1/rerank", self._openai_rerank)
        app.router.add_post(_TRANSCRIBE_PATH, self._openai_transcriptions)
        app.router.add_post(_SPEECH_PATH, self._openai_speech)
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
        self.slots.close()
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def reply(self, *texts: str | Reply, tool_calls: Iterable[CallLike] | None = None) -> None:
        """Queue scripted replies, consumed one per successful chat request.

        Each text (or Reply) is one reply. With `tool_calls` (ScriptedCall, `(name, arguments)` or
        `(name, arguments, id)`), one reply is queued: the text, if one is given, followed by those calls.
        """
        if tool_calls is None:
            self._replies.extend(texts)
            return
        if len(texts) > 1 or any(isinstance(t, Reply) for t in texts):
            raise ValueError("with tool_calls, give at most one text: the calls follow it in the same reply")
        self._replies.append(Reply.of(str(texts[0]) if texts else "", tool_calls))

    def reply_tool_call(self, name: str, arguments: Mapping[str, Any] | str | None = None, *, text: str = "",
                        id: str = "") -> None:
        """Queue one reply that calls tool `name` (after `text`); a str `arguments` is sent verbatim (bad JSON)."""
        self._replies.append(Reply(text, (ScriptedCall(name, {} if arguments is None else arguments, id),)))

    def fail(self, mode: str, count: int = 1, *, retry_after: int = 1, after_tokens: int = 2) -> None:
        """Make the next `count` chat, embed or audio requests fail in `mode` (where the answer is not streamed, cut
        drops the connection and error_line is a 500)."""
        if mode not in _FAIL_MODES:
            raise ValueError(f"unknown fail mode {mode!r}; use one of {_FAIL_MODES}")
        self._failures.extend(_Failure(mode, retry_after, after_tokens) for _ in range(count))

    def transcripts(self, *texts: str, language: str | None = None, duration: float | None = None) -> None:
        """Queue what /v1/audio/transcriptions hears, one text per request; `language` and `duration` are added to
        each JSON answer when given (as self-hosted Whisper servers send them; OpenAI's `json` has text only)."""
        self._transcripts.extend(Heard(t, language, duration) for t in texts)

    def transcription_requests(self) -> list[RecordedRequest]:
        """The /v1/audio/transcriptions requests: `json` holds the form fields (model, language, response_format),
        `files["file"]` the upload as (file name, bytes)."""
        return [r for r in self.requests if r.path == _TRANSCRIBE_PATH]

    def speech_requests(self) -> list[RecordedRequest]:
        """The /v1/audio/speech requests: `json` is the body (model, voice, input, response_format)."""
        return [r for r in self.requests if r.path == _SPEECH_PATH]

    def chat_requests(self) -> list[RecordedRequest]:
        """Only the chat requests of either protocol."""
        return [r for r in self.requests if r.path in _CHAT_PATHS]

    def embed_requests(self) -> list[RecordedRequest]:
        """Only the embed requests of either protocol (/api/embed, /v1/embeddings)."""
        return [r for r in self.requests if r.path in _EMBED_PATHS]

    @staticmethod
    def tools_of(request: RecordedRequest) -> list[str]:
        """The names of the tools a recorded chat request offered the model."""
        return tools.tool_names(request.json)

    @staticmethod
    def tool_results_of(request: RecordedRequest) -> list[str]:
        """The contents of the tool turns (tool results) a recorded chat request sent the model, in order."""
        return tools.tool_results(request.json)

    @staticmethod
    def images_of(request: RecordedRequest) -> list[bytes]:
        """Decoded bytes of every image in a recorded chat request, Ollama `images` or OpenAI data: URIs."""
        return images.decode_all(list((request.json or {}).get("messages") or []))

    def raw_bodies(self) -> list[bytes]:
        """The body bytes of every request received, as sent: grep them for secrets that must not leak."""
        return [r.raw for r in self.requests]

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
