"""Provider for any OpenAI-compatible server (OpenAI, Groq, Gemini, vLLM, GPUStack, llama.cpp): chat, embed, speech."""
from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import openai
from openai.types.chat import ChatCompletionMessageParam, ChatCompletionToolParam

from router.errors import ProviderError, ProviderTimeout, ProviderUnavailable
from router.providers import openai_audio
from router.providers._errors import from_status, from_transport, one_shot, scrub, translate_common
from router.providers._stream import Final, Piece, estimate_tokens, run_stream
from router.providers._tools import CallAssembler, function_spec, plain
from router.timeouts import Timeouts
from router.types import TEXT_ONLY, ChatMessage, ChatRequest, Delta, Usage

if TYPE_CHECKING:
    from router.types import Speech, SpeechRequest, TranscribeRequest, Transcript


def _message(m: ChatMessage) -> ChatCompletionMessageParam:
    """One turn in chat-completions form: images as content parts, an assistant's `tool_calls` (arguments as JSON
    text), a tool turn's `tool_call_id`."""
    # Cast: the dicts have the shape of the SDK's TypedDicts, which differ per role for no gain here.
    if m.role == "tool":
        return cast(ChatCompletionMessageParam, {"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content})
    if m.tool_calls:
        calls = [{"id": c.id, "type": "function",
                  "function": {"name": c.name, "arguments": json.dumps(plain(c.arguments), ensure_ascii=False)}}
                 for c in m.tool_calls]
        # null content, not "": some servers read an empty string as a text turn to answer.
        return cast(ChatCompletionMessageParam, {"role": m.role, "content": m.content or None, "tool_calls": calls})
    if not m.images:
        return cast(ChatCompletionMessageParam, {"role": m.role, "content": m.content})
    parts: list[dict[str, Any]] = [{"type": "text", "text": m.content}] if m.content else []
    # Always inline data: URIs; a Telegram file URL would hand the bot token to the model's provider.
    parts += [{"type": "image_url", "image_url": {"url": img.data_uri()}} for img in m.images]
    return cast(ChatCompletionMessageParam, {"role": m.role, "content": parts})


class OpenAICompatProvider:
    """Streams chat completions over SSE with the official `openai` client."""

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str,
        *,
        local: bool = False,
        timeouts: Timeouts = Timeouts(),
        capabilities: Mapping[str, frozenset[str]] | None = None,
        default_capabilities: frozenset[str] = TEXT_ONLY,
        voice: str = openai_audio.DEFAULT_VOICE,
    ) -> None:
        self.name = name
        self.local = local
        # The API cannot be asked what a model supports: router.yaml says it (text only by default; a
        # provider-wide `tools: true` makes the default text and tools).
        self._capabilities = dict(capabilities or {})
        self._default_capabilities = default_capabilities
        self.base_url = base_url
        self.timeouts = timeouts
        self.voice = voice  # what /audio/speech speaks with
        self._secrets = (api_key,)
        # No SDK retries: a failing target should hand over to the next one at once.
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, timeout=timeouts.for_httpx(),
            # aiohttp under httpx (the SDK's own aiohttp option): far less CPU per streamed request.
            http_client=openai.DefaultAioHttpClient(timeout=timeouts.for_httpx()),
        )
        # Resolved now: the SDK imports this lazily (~0.5 s), which would eat into the first-token timeout.
        self._completions = self._client.chat.completions

    def __repr__(self) -> str:
        return f"OpenAICompatProvider(name={self.name!r}, base_url={self.base_url!r})"

    async def capabilities(self, model: str) -> frozenset[str]:
        """Capabilities configured for the model; the provider's default (plain text) when none are listed."""
        return self._capabilities.get(model, self._default_capabilities)

    def stream(self, model: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        """Stream one answer from `model`."""
        return run_stream(
            self._raw(model, request),
            request=request,
            provider=self.name,
            model=model,
            timeouts=self.timeouts,
            translate=self._translate,
        )

    async def _raw(self, model: str, request: ChatRequest) -> AsyncGenerator[Piece, None]:
        tools = [cast(ChatCompletionToolParam, function_spec(t)) for t in request.tools]
        stream = await self._completions.create(
            model=model,
            messages=[_message(m) for m in request.messages],
            tools=tools or openai.omit,
            temperature=request.temperature,
            stream=True,
            stream_options={"include_usage": True},
            max_tokens=openai.omit if request.max_tokens is None else request.max_tokens,  # omit: the server's limit
        )
        finished = False
        tokens_in = tokens_out = None
        calls = CallAssembler()  # fragments by index; parsed once the stream is over
        async with stream:  # closes the HTTP response even when we stop early
            async for chunk in stream:
                if chunk.usage is not None:
                    tokens_in, tokens_out = chunk.usage.prompt_tokens, chunk.usage.completion_tokens
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta is not None and delta.content:
                        yield delta.content
                    for frag in (delta.tool_calls or ()) if delta is not None else ():
                        fn = frag.function
                        calls.feed(frag.index, id=frag.id, name=fn.name if fn else None,
                                   arguments=fn.arguments if fn else None)
                    if choice.finish_reason:
                        finished = True
        if not finished:
            raise ProviderUnavailable("stream ended without finish_reason")
        for call in calls.calls():
            yield call
        yield Final(tokens_in=tokens_in, tokens_out=tokens_out)

    async def embed(self, model: str, texts: Sequence[str]) -> tuple[list[list[float]], Usage]:
        """One vector per text from /embeddings; every failure leaves as a ProviderError."""
        started = time.perf_counter()
        async with one_shot(self._translate, provider=self.name, model=model, total=self.timeouts.total):
            # "float" explicitly: the SDK otherwise asks for base64, which not every compatible server speaks.
            response = await self._client.embeddings.create(model=model, input=list(texts), encoding_format="float")
        data = sorted(response.data, key=lambda d: d.index)  # the spec does not promise input order
        if len(data) != len(texts):
            # Vectors matched to the wrong chunks would poison a knowledge base silently.
            raise ProviderUnavailable(f"{len(data)} vectors for {len(texts)} texts", provider=self.name, model=model)
        usage = response.usage
        tokens_in = usage.prompt_tokens if usage is not None else estimate_tokens(sum(len(t) for t in texts))
        vectors = [list(d.embedding) for d in data]
        return vectors, Usage(tokens_in=tokens_in, latency_ms=(time.perf_counter() - started) * 1000)

    def busy(self, model: str) -> bool:
        """Never: an API queues on its own side, and its 429 hands the request over."""
        return False

    async def transcribe(self, model: str, request: TranscribeRequest) -> Transcript:
        """Speech to text with /audio/transcriptions; over 25 MB raises AudioTooLarge before sending."""
        return await openai_audio.transcribe(self._client, model, request, provider=self.name,
                                             translate=self._translate, timeouts=self.timeouts)

    def speaks(self, model: str, language: str) -> bool:
        """Always: an API's voices are multilingual (OpenAI's speak uk and en), and it cannot be asked which."""
        return True

    async def speak(self, model: str, request: SpeechRequest) -> Speech:
        """Text to OGG/Opus speech with /audio/speech, in the configured voice."""
        return await openai_audio.speak(self._client, model, request, voice=self.voice, provider=self.name,
                                        translate=self._translate, timeouts=self.timeouts)

    async def ping(self) -> None:
        """GET /models: reachable and the key accepted; a server without /models (404) is reachable too."""
        async with one_shot(self._translate, provider=self.name):
            try:
                await self._client.models.list()
            except openai.NotFoundError:
                return  # llama.cpp and some proxies have no /models, yet they answered

    def _translate(self, exc: BaseException) -> ProviderError:
        if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)) and (by := from_transport(exc)):
            return by
        if isinstance(exc, openai.APITimeoutError):
            return ProviderTimeout("timeout talking to the server")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc
            return ProviderUnavailable(f"cannot connect ({type(cause).__name__})")
        if isinstance(exc, openai.APIStatusError):
            return from_status(exc.status_code, scrub(exc.message, self._secrets), headers=exc.response.headers)
        if isinstance(exc, openai.OpenAIError):
            # e.g. an {"error": ...} event inside a 200 SSE stream.
            return ProviderUnavailable(f"error in stream: {scrub(str(exc), self._secrets)}")
        return translate_common(exc, self._secrets)

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.close()
