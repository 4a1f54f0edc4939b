"""Ollama provider: chat streams read off the socket (router.providers.ollama_stream), the rest on the `ollama` SDK.

The SDK (and httpx under it) is imported at its first use (router.providers.ollama_sdk): a chat needs neither.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

import aiohttp
import pydantic

from router.errors import BadToolCall, ProviderError, ProviderUnavailable
from router.loaded import Loaded, parse_ps
from router.providers._errors import from_status, one_shot, scrub, translate_common
from router.providers._pace import WINDOW, Pace
from router.providers._stream import Piece, estimate_tokens, run_stream
from router.providers._tools import call_names, function_spec, plain
from router.providers.ollama_stream import Endpoint, chat_direct, connection_pool, wire_message
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Delta, Tool, Usage

if TYPE_CHECKING:
    import ollama

log = logging.getLogger(__name__)

_NO_THINKING = "does not support thinking"
_UNSET: Any = object()  # the chat endpoint before the first chat worked it out


def _message(m: ChatMessage, names: Mapping[str, str]) -> dict[str, Any]:
    """One turn in /api/chat form: images in `images`, an assistant's calls in `tool_calls`, a tool turn's tool
    by name in `tool_name` (Ollama pairs results with calls by name and order; `names` maps our call ids)."""
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.images:
        # Raw bytes, not base64 text: the SDK first treats a str as a file path and, if such a file
        # exists, sends that file's contents instead. Bytes it just base64-encodes (no data: prefix).
        out["images"] = [img.data for img in m.images]
    if m.tool_calls:
        out["tool_calls"] = [{"function": {"name": c.name, "arguments": plain(c.arguments)}} for c in m.tool_calls]
    if m.role == "tool" and (name := names.get(m.tool_call_id)):
        out["tool_name"] = name
    return out


def _sdk_error(exc: BaseException, kind: str) -> bool:
    """Whether `exc` is the SDK's `kind` error (none can be while the SDK is not imported)."""
    sdk = sys.modules.get("ollama")
    return sdk is not None and isinstance(exc, getattr(sdk, kind))


def _translate(exc: BaseException) -> ProviderError:
    if isinstance(exc, pydantic.ValidationError) and "tool_calls" in str(exc):
        # The SDK parses each chunk; a call whose arguments are not an object fails there.
        return BadToolCall(f"malformed tool call: {scrub(str(exc))}")
    if _sdk_error(exc, "ResponseError"):
        error: ollama.ResponseError = exc  # type: ignore[assignment]  # checked by _sdk_error
        if error.status_code == -1:
            # An {"error": ...} line inside a 200 NDJSON stream.
            return ProviderUnavailable(f"error in stream: {scrub(str(error.error))}")
        return from_status(error.status_code, scrub(str(error.error)))
    if _sdk_error(exc, "RequestError"):
        return ProviderError(f"bad request: {scrub(str(exc.error))}")  # type: ignore[attr-defined]  # the SDK's
    return translate_common(exc)


def _tool_specs(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """Tools through the SDK's model, as it sent them (it normalises schemas); few requests carry tools."""
    if not tools:
        return []
    from ollama import Tool as SdkTool

    return [SdkTool.model_validate(function_spec(t)).model_dump(exclude_none=True) for t in tools]


class OllamaProvider:
    """Streams chat from an Ollama server with thinking switched off; tools go in `tools`, calls come back whole."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        local: bool = True,
        keep_alive: str | float = "30m",
        num_ctx: int = 8192,
        timeouts: Timeouts = Timeouts(),
        window: float = WINDOW,
    ) -> None:
        self.name = name
        self.window = window  # seconds between text deltas after the first (router.providers._pace)
        self.local = local
        self.base_url = base_url
        self.keep_alive = keep_alive
        self.num_ctx = num_ctx
        self.timeouts = timeouts
        # One aiohttp pool for this server, made at first use: chat streams post through it straight (unless a
        # proxy applies), and the SDK's httpx client, made at its first use too, rides on it.
        self._pool: aiohttp.ClientSession | None = None
        self._sdk: ollama.AsyncClient | None = None
        self._chat_endpoint: Endpoint | None = _UNSET
        # Models whose server rejected the `think` parameter; don't send it to them again.
        self._no_think: set[str] = set()
        self._capabilities: dict[str, frozenset[str]] = {}

    @property
    def _client(self) -> ollama.AsyncClient:
        """The SDK's client (show, embed, list, chat through a proxy), made at first use."""
        if self._sdk is None:
            from router.providers.ollama_sdk import sdk_client

            self._sdk = sdk_client(self.base_url, self.timeouts, self._session)
        return self._sdk

    @property
    def _endpoint(self) -> Endpoint | None:
        """Where chats are posted straight through aiohttp; None when a proxy applies (then through the SDK)."""
        if self._chat_endpoint is _UNSET:
            self._chat_endpoint = Endpoint.at(self.base_url, self.timeouts)
        return self._chat_endpoint

    async def capabilities(self, model: str) -> frozenset[str] | None:
        """What the model supports per /api/show ("completion", "vision", "tools", …); None if unknown."""
        if (known := self._capabilities.get(model)) is None:
            try:
                shown = await self._client.show(model)
            except Exception as exc:  # noqa: BLE001 - unknown capabilities: the router will not send there
                log.info("%s: cannot read the capabilities of %s: %s", self.name, model, _translate(exc))
                return None
            known = self._capabilities[model] = frozenset(shown.capabilities or ("completion",))
        return known

    def stream(self, model: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        """Stream one answer from `model`."""
        pace = Pace(self.window)
        return run_stream(
            self._raw(model, request, pace),
            request=request,
            provider=self.name,
            model=model,
            timeouts=self.timeouts,
            translate=_translate,
            pace=pace,
        )

    async def _raw(self, model: str, request: ChatRequest, pace: Pace) -> AsyncGenerator[Piece, None]:
        started = False
        try:
            async with aclosing(self._chat(model, request, pace, send_think=model not in self._no_think)) as parts:
                async for piece in parts:
                    started = True
                    yield piece
        except Exception as exc:
            if started or model in self._no_think or not _rejects_think(exc):
                raise
            # Older servers/models reject `think` outright; remember that and ask again without it.
            log.info("%s: %s does not take `think`; retrying without it", self.name, model)
            self._no_think.add(model)
            async with aclosing(self._chat(model, request, pace, send_think=False)) as parts:
                async for piece in parts:
                    yield piece

    def _chat(self, model: str, request: ChatRequest, pace: Pace, *,
              send_think: bool) -> AsyncGenerator[Piece, None]:
        options: dict[str, Any] = {"num_ctx": self.num_ctx, "temperature": request.temperature}
        if request.max_tokens is not None:
            options["num_predict"] = request.max_tokens
        names = call_names(request.messages)
        body: dict[str, Any] = {
            "model": model,
            "messages": [wire_message(_message(m, names)) for m in request.messages],
            "tools": _tool_specs(request.tools),
            "stream": True,
            "options": options,
            "keep_alive": self.keep_alive,
        }
        if send_think:
            body["think"] = False  # switches qwen3's reasoning off; left out for models that reject it
        if (endpoint := self._endpoint) is not None:
            return chat_direct(self._session(), endpoint, body, pace)
        from router.providers.ollama_sdk import chat_pieces

        # Through the SDK's own HTTP client: its proxy, base URL, headers (User-Agent, OLLAMA_API_KEY), 429 hook.
        return chat_pieces(self._client._client, body, pace)

    def _session(self) -> aiohttp.ClientSession:
        """The aiohttp session of every request to this server (made at first use, inside the running loop)."""
        if self._pool is None:
            self._pool = connection_pool(self.base_url)
        return self._pool

    async def embed(self, model: str, texts: Sequence[str]) -> tuple[list[list[float]], Usage]:
        """One vector per text from /api/embed; every failure leaves as a ProviderError."""
        started = time.perf_counter()
        async with one_shot(_translate, provider=self.name, model=model, total=self.timeouts.total):
            response = await self._client.embed(model=model, input=list(texts), keep_alive=self.keep_alive)
        vectors = [list(v) for v in response.embeddings]
        if len(vectors) != len(texts):
            # Vectors matched to the wrong chunks would poison a knowledge base silently.
            raise ProviderUnavailable(f"{len(vectors)} vectors for {len(texts)} texts", provider=self.name,
                                      model=model)
        count = response.prompt_eval_count
        tokens_in = count if count is not None else estimate_tokens(sum(len(t) for t in texts))
        return vectors, Usage(tokens_in=tokens_in, latency_ms=(time.perf_counter() - started) * 1000)

    async def ping(self) -> None:
        """GET /api/tags (the list of pulled models): the server is up and answering."""
        async with one_shot(_translate, provider=self.name):
            await self._client.list()

    async def ps(self) -> list[Loaded]:
        """The models the server holds in memory now (GET /api/ps): keep_alive, and the parallel when it shows."""
        async with one_shot(_translate, provider=self.name):
            response = await self._client._client.get("/api/ps")  # raw: the SDK's model drops fields it does not know
            if response.status_code >= 400:
                raise from_status(response.status_code, scrub(response.text))
            body = response.json()
        return parse_ps(body if isinstance(body, dict) else {}, self.num_ctx)

    async def aclose(self) -> None:
        """Close the HTTP connection pool (and the SDK's client, if one was made)."""
        if self._sdk is not None:
            await self._sdk.close()  # type: ignore[no-untyped-call]  # ollama's AsyncClient.close is unannotated
        if self._pool is not None and not self._pool.closed:
            await self._pool.close()


def _rejects_think(exc: BaseException) -> bool:
    """Whether the server refused the `think` parameter (older servers and models)."""
    return _sdk_error(exc, "ResponseError") and _NO_THINKING in str(exc.error)  # type: ignore[attr-defined]  # the SDK's
