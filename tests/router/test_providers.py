"""Providers against the fake LLM server, ModelRouter fallback, and one run of the real embedded model."""
from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web

from router.core import ModelRouter
from router.errors import (
    AllTargetsFailed,
    ModelNotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StreamCut,
)
from router.providers._pace import WINDOW
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.testing import FakeLLM, ScriptedProvider
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Delta, Target

FAST = Timeouts(connect=0.5, first_token=0.5, total=2.0)
PROTOCOLS = ["ollama", "openai"]
SECRET = "sk-test-secret-4711"


def req(*turns: tuple[str, str], **kw: object) -> ChatRequest:
    msgs = turns or (("user", "hi"),)
    return ChatRequest(messages=tuple(ChatMessage(r, c) for r, c in msgs), **kw)


async def collect(stream: AsyncIterator[Delta]) -> tuple[str, list[Delta]]:
    deltas = [d async for d in stream]
    return "".join(d.text for d in deltas), deltas


def make(protocol: str, fake_or_url: FakeLLM | str, *, name: str = "", local: bool | None = None,
         timeouts: Timeouts = FAST) -> OllamaProvider | OpenAICompatProvider:
    if isinstance(fake_or_url, FakeLLM):
        url = fake_or_url.url if protocol == "ollama" else fake_or_url.openai_url
    else:
        url = fake_or_url if protocol == "ollama" else fake_or_url + "/v1"
    if protocol == "ollama":
        return OllamaProvider(name or "ollama", url, local=True if local is None else local, timeouts=timeouts)
    return OpenAICompatProvider(name or "openai", url, SECRET, local=bool(local), timeouts=timeouts)


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


@asynccontextmanager
async def serve(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> AsyncIterator[str]:
    """A one-route server for protocol corner cases the FakeLLM does not script."""
    app = web.Application()
    app.router.add_post("/api/chat", handler)
    app.router.add_post("/v1/chat/completions", handler)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def write_lines(request: web.Request, lines: list[str], content_type: str) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": content_type})
    await resp.prepare(request)
    for line in lines:
        await resp.write(line.encode())
    await resp.write_eof()
    return resp


# -- happy path and wire format ---------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_streams_text_and_final_usage(fake: FakeLLM, protocol: str) -> None:
    fake.token_delay = WINDOW * 3  # tokens further apart than the coalescing window arrive one by one
    fake.reply("Hello there, friend")
    provider = make(protocol, fake, name="p1")
    text, deltas = await collect(provider.stream("qwen3:8b", req()))
    await provider.aclose()
    assert text == "Hello there, friend"
    assert len(deltas) > 2, "text must arrive in pieces, not at once"
    assert all(d.provider == "p1" and d.model == "qwen3:8b" for d in deltas)
    usage = deltas[-1].usage
    assert usage is not None and deltas[-1].text == ""
    assert (usage.tokens_in, usage.tokens_out) == (1, 3)
    assert usage.first_token_ms is not None and 0 < usage.first_token_ms <= usage.latency_ms


async def test_ollama_request_format(fake: FakeLLM) -> None:
    provider = OllamaProvider("o", fake.url, keep_alive="5m", num_ctx=4096, timeouts=FAST)
    turns = (("system", "Be brief."), ("user", "Q1"), ("assistant", "A1"), ("user", "Q2"))
    await collect(provider.stream("qwen3:8b", req(*turns, temperature=0.2, max_tokens=64)))
    await provider.aclose()
    body = fake.chat_requests()[0].json
    assert fake.chat_requests()[0].path == "/api/chat"
    assert body["messages"] == [{"role": r, "content": c} for r, c in turns]
    assert body["stream"] is True and body["think"] is False and body["keep_alive"] == "5m"
    assert body["options"] == {"num_ctx": 4096, "temperature": 0.2, "num_predict": 64}


async def test_openai_request_format(fake: FakeLLM) -> None:
    provider = make("openai", fake)
    turns = (("system", "Be brief."), ("user", "Q1"), ("assistant", "A1"), ("user", "Q2"))
    await collect(provider.stream("gpt-4o-mini", req(*turns, temperature=0.3, max_tokens=32)))
    await provider.aclose()
    record = fake.chat_requests()[0]
    assert record.path == "/v1/chat/completions"
    assert record.headers["Authorization"] == f"Bearer {SECRET}"
    body = record.json
    assert body["messages"] == [{"role": r, "content": c} for r, c in turns]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("gpt-4o-mini", 0.3, 32)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_think_blocks_are_never_shown(fake: FakeLLM, protocol: str) -> None:
    fake.emit_think = True
    fake.reply("The answer.")
    provider = make(protocol, fake)
    text, deltas = await collect(provider.stream("qwen3:8b", req()))
    await provider.aclose()
    assert text == "The answer."
    assert not any("think" in d.text or "reasoning" in d.text for d in deltas)


# -- failure kinds -----------------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(
    "mode, error",
    [
        ("500", ProviderUnavailable),
        ("429", RateLimited),
        ("not_found", ModelNotFound),
        ("hang", ProviderTimeout),
        ("hang_after_headers", ProviderTimeout),
    ],
)
async def test_failure_before_first_token(fake: FakeLLM, protocol: str, mode: str, error: type) -> None:
    fake.fail(mode, retry_after=7)
    provider = make(protocol, fake, name="p")
    with pytest.raises(error) as info:
        await collect(provider.stream("qwen3:8b", req()))
    await provider.aclose()
    assert type(info.value) is error
    assert (info.value.provider, info.value.model) == ("p", "qwen3:8b")
    if mode == "429":
        assert info.value.retry_after == 7


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_connection_refused_is_unavailable(protocol: str) -> None:
    provider = make(protocol, FakeLLM.refusing_url())
    with pytest.raises(ProviderUnavailable):
        await collect(provider.stream("m", req()))
    await provider.aclose()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_unresolvable_host_is_unavailable(protocol: str) -> None:
    provider = make(protocol, "http://no-such-host.invalid:1")
    with pytest.raises(ProviderUnavailable):
        await collect(provider.stream("m", req()))
    await provider.aclose()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_error_line_before_visible_text_is_unavailable(fake: FakeLLM, protocol: str) -> None:
    fake.emit_think = True  # the only token before the error line is hidden thinking
    fake.fail("error_line")
    provider = make(protocol, fake)
    with pytest.raises(ProviderUnavailable, match="model crashed"):
        await collect(provider.stream("qwen3:8b", req()))
    await provider.aclose()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_error_line_after_text_is_stream_cut(fake: FakeLLM, protocol: str) -> None:
    fake.reply("Alpha beta gamma")
    fake.fail("error_line")
    provider = make(protocol, fake)
    with pytest.raises(StreamCut) as info:
        await collect(provider.stream("qwen3:8b", req()))
    await provider.aclose()
    assert info.value.partial == "Alpha "


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_cut_before_any_token_is_unavailable(fake: FakeLLM, protocol: str) -> None:
    fake.fail("cut", after_tokens=0)
    provider = make(protocol, fake)
    with pytest.raises(ProviderUnavailable):
        await collect(provider.stream("qwen3:8b", req()))
    await provider.aclose()


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_cut_mid_stream_keeps_partial(fake: FakeLLM, protocol: str) -> None:
    fake.reply("one two three four")
    fake.fail("cut", after_tokens=2)
    provider = make(protocol, fake, name="p")
    with pytest.raises(StreamCut) as info:
        await collect(provider.stream("qwen3:8b", req()))
    await provider.aclose()
    assert info.value.partial == "one two "
    assert (info.value.provider, info.value.model) == ("p", "qwen3:8b")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_total_timeout_mid_stream_is_stream_cut(protocol: str) -> None:
    async with FakeLLM(token_delay=0.15) as slow:
        slow.reply("a b c d e f g h i j k l m n o p")
        provider = make(protocol, slow, timeouts=Timeouts(connect=0.5, first_token=0.5, total=0.6))
        with pytest.raises(StreamCut, match="timeout") as info:
            await collect(provider.stream("qwen3:8b", req()))
        await provider.aclose()
    assert info.value.partial.startswith("a ")


@pytest.mark.parametrize(
    "protocol, lines, content_type",
    [
        ("ollama", ['{"model":"m","message":{"role":"assistant","content":""},"done":false}\n'],
         "application/x-ndjson"),
        ("openai", ['data: {"id":"x","object":"chat.completion.chunk","created":0,"model":"m",'
                    '"choices":[{"index":0,"delta":{"content":""},"finish_reason":null}]}\n\n',
                    "data: [DONE]\n\n"], "text/event-stream"),
    ],
)
async def test_clean_end_without_final_chunk(protocol: str, lines: list[str], content_type: str) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await write_lines(request, lines, content_type)

    async with serve(handler) as url:
        provider = make(protocol, url)
        with pytest.raises(ProviderUnavailable, match="final chunk|finish_reason"):
            await collect(provider.stream("m", req()))
        await provider.aclose()


# The last line has no newline: it still counts (and carries the Final).
NDJSON = ['{"model":"m","message":{"role":"assistant","content":"Hi"},"done":false}\n',
          '{"model":"m","message":{"role":"assistant","content":" there"},"done":false}\n',
          '{"model":"m","message":{"role":"assistant","content":""},"done":true,"prompt_eval_count":3,"eval_count":2}']


@pytest.mark.parametrize("path", ["direct", "sdk"])
@pytest.mark.parametrize("compress", [False, True])
async def test_ollama_reads_a_gzipped_stream_and_a_last_line_without_newline(path: str, compress: bool) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        if compress:
            resp.enable_compression(web.ContentCoding.gzip)
        await resp.prepare(request)
        for line in NDJSON:
            await resp.write(line.encode())
        await resp.write_eof()
        return resp

    async with serve(handler) as url:
        provider = OllamaProvider("ollama", url, timeouts=FAST)
        if path == "sdk":
            provider._chat_endpoint = None  # as when a proxy applies: the chat goes through the SDK's httpx
        try:
            text, deltas = await collect(provider.stream("m", req()))
        finally:
            await provider.aclose()
    assert text == "Hi there"
    usage = deltas[-1].usage
    assert usage is not None and (usage.tokens_in, usage.tokens_out) == (3, 2)


async def test_openai_usage_is_estimated_when_absent() -> None:
    chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "m"}

    async def handler(request: web.Request) -> web.StreamResponse:
        parts = [
            {**chunk, "choices": [{"index": 0, "delta": {"content": "12345678"}, "finish_reason": None}]},
            {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        ]
        return await write_lines(request, [f"data: {json.dumps(p)}\n\n" for p in parts] + ["data: [DONE]\n\n"],
                                 "text/event-stream")

    async with serve(handler) as url:
        provider = make("openai", url)
        text, deltas = await collect(provider.stream("m", req(("user", "abcdefgh"))))
        await provider.aclose()
    assert text == "12345678"
    assert deltas[-1].usage is not None
    assert (deltas[-1].usage.tokens_in, deltas[-1].usage.tokens_out) == (2, 2)


async def test_ollama_retries_without_think_when_model_cannot_think() -> None:
    bodies: list[dict] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        bodies.append(body)
        if "think" in body:
            return web.json_response({"error": '"gemma3" does not support thinking'}, status=400)
        lines = [{"message": {"role": "assistant", "content": "hi"}, "done": False},
                 {"message": {"role": "assistant", "content": ""}, "done": True,
                  "prompt_eval_count": 3, "eval_count": 1}]
        return await write_lines(request, [json.dumps(x) + "\n" for x in lines], "application/x-ndjson")

    async with serve(handler) as url:
        provider = OllamaProvider("o", url, timeouts=FAST)
        first, _ = await collect(provider.stream("gemma3", req()))
        second, _ = await collect(provider.stream("gemma3", req()))
        await provider.aclose()
    assert (first, second) == ("hi", "hi")
    # One rejected try, one retry without `think`; the next call remembers and skips `think` at once.
    assert ["think" in b for b in bodies] == [True, False, False]


async def test_api_key_never_appears_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    async def handler(request: web.Request) -> web.Response:
        message = f"Incorrect API key provided: {SECRET}"
        return web.json_response({"error": {"message": message, "type": "invalid_request_error"}}, status=401)

    caplog.set_level(logging.DEBUG)
    async with serve(handler) as url:
        provider = make("openai", url)
        router = ModelRouter({"openai": provider}, {"chat": [Target("openai", "m")]})
        with pytest.raises(AllTargetsFailed) as info:
            await collect(router.stream(req()))
        await router.aclose()
    error = info.value.errors[0]
    assert isinstance(error, ProviderError) and "401" in str(error)
    assert SECRET not in str(info.value) and SECRET not in str(error) and SECRET not in repr(provider)
    assert SECRET not in caplog.text


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_consumer_can_stop_early(fake: FakeLLM, protocol: str) -> None:
    fake.token_delay = 0.01
    fake.reply("many words " * 50)
    provider = make(protocol, fake)
    stream = provider.stream("qwen3:8b", req())
    first = await anext(stream)
    await stream.aclose()
    assert first.text
    fake.reply("again")
    text, _ = await collect(provider.stream("qwen3:8b", req()))
    await provider.aclose()
    assert text == "again"


# -- ModelRouter -------------------------------------------------------------


def two_target_router(fake: FakeLLM, first_url: str | None = None) -> ModelRouter:
    first = OllamaProvider("first", first_url or fake.url, timeouts=FAST)
    second = OpenAICompatProvider("second", fake.openai_url, SECRET, local=True, timeouts=FAST)
    routes = {"chat": [Target("first", "qwen3:8b"), Target("second", "gpt-4o-mini")]}
    return ModelRouter({"first": first, "second": second}, routes)


async def test_router_falls_back_when_first_target_refuses(fake: FakeLLM) -> None:
    fake.reply("from second")
    router = two_target_router(fake, FakeLLM.refusing_url())
    text, deltas = await collect(router.stream(req()))
    await router.aclose()
    assert text == "from second"
    assert {(d.provider, d.model) for d in deltas} == {("second", "gpt-4o-mini")}


@pytest.mark.parametrize("mode", ["500", "429", "hang", "hang_after_headers", "not_found", "error_line", "cut"])
async def test_router_falls_back_on_failure_before_first_token(fake: FakeLLM, mode: str) -> None:
    fake.emit_think = mode == "error_line"  # keeps the token before the error line invisible
    fake.fail(mode, after_tokens=0)
    fake.reply("fallback answer")
    router = two_target_router(fake)
    text, deltas = await collect(router.stream(req()))
    await router.aclose()
    assert text == "fallback answer"
    assert deltas[-1].provider == "second" and deltas[-1].usage is not None
    assert [r.path for r in fake.chat_requests()] == ["/api/chat", "/v1/chat/completions"]


async def test_router_mid_stream_cut_does_not_fall_back(fake: FakeLLM) -> None:
    fake.reply("one two three four")
    fake.fail("cut", after_tokens=2)
    router = two_target_router(fake)
    shown: list[str] = []
    with pytest.raises(StreamCut) as info:
        async for delta in router.stream(req()):
            shown.append(delta.text)
    await router.aclose()
    assert "".join(shown) == info.value.partial == "one two "
    assert info.value.provider == "first"
    assert len(fake.chat_requests()) == 1


async def test_router_all_targets_failed_lists_every_error(fake: FakeLLM) -> None:
    fake.fail("500")
    fake.fail("429")
    router = two_target_router(fake)
    with pytest.raises(AllTargetsFailed) as info:
        await collect(router.stream(req()))
    await router.aclose()
    assert [type(e) for e in info.value.errors] == [ProviderUnavailable, RateLimited]
    assert [e.provider for e in info.value.errors] == ["first", "second"]
    assert "first:qwen3:8b" in str(info.value)


async def test_router_local_only_skips_remote_targets(fake: FakeLLM) -> None:
    remote = OpenAICompatProvider("cloud", fake.openai_url, SECRET, local=False, timeouts=FAST)
    local = OllamaProvider("ollama", fake.url, timeouts=FAST)
    router = ModelRouter({"cloud": remote, "ollama": local},
                         {"chat": [Target("cloud", "gpt-4o-mini"), Target("ollama", "qwen3:8b")]})
    text, deltas = await collect(router.stream(req(("user", "private"), local_only=True)))
    assert text == "echo: private" and deltas[-1].provider == "ollama"
    assert [r.path for r in fake.chat_requests()] == ["/api/chat"]
    with pytest.raises(AllTargetsFailed, match="local-only"):
        await collect(router.stream(req(local_only=True), targets=[Target("cloud", "gpt-4o-mini")]))
    await router.aclose()


async def test_router_with_scripted_providers() -> None:
    broken = ScriptedProvider("a", replies=[ProviderUnavailable("down"), StreamCut("cut", partial="par tial")])
    good = ScriptedProvider("b", replies=["fine thanks", "x"])
    router = ModelRouter({"a": broken, "b": good}, {"chat": [Target("a", "m1"), Target("b", "m2")]})
    assert router.targets("chat") == (Target("a", "m1"), Target("b", "m2"))
    assert router.targets("summarize") == router.targets("chat")  # unrouted tasks use the chat route
    text, _ = await collect(router.stream(req()))
    assert text == "fine thanks"
    with pytest.raises(StreamCut) as info:
        await collect(router.stream(req()))
    assert info.value.partial == "par tial"
    # Explicit targets override the route.
    text, _ = await collect(router.stream(req(("user", "yo")), targets=[Target("b", "m3")]))
    assert text == "x" and good.calls[-1][0] == "m3"
    await router.aclose()
    assert broken.closed and good.closed


async def test_router_turns_late_plain_errors_into_stream_cut() -> None:
    class Late(ScriptedProvider):
        async def stream(self, model: str, request: ChatRequest) -> AsyncIterator[Delta]:
            yield Delta("half ")
            raise ProviderTimeout("slow")

    router = ModelRouter({"late": Late("late"), "b": ScriptedProvider("b")},
                         {"chat": [Target("late", "m"), Target("b", "m")]})
    with pytest.raises(StreamCut) as info:
        await collect(router.stream(req()))
    assert info.value.partial == "half " and info.value.provider == "late"


# -- the real embedded model -------------------------------------------------


@pytest.fixture(scope="session")
def gguf_path(request: pytest.FixtureRequest) -> Path:
    pytest.importorskip("llama_cpp")
    from router.embedded_model import default_model_path

    # Assembled once into pytest's cache, not into a fresh tmp dir on every run (~250 MB).
    return default_model_path(request.config.cache.mkdir("embedded-model"))


@pytest.mark.timeout(180)
async def test_embedded_model_answers_through_router(gguf_path: Path) -> None:
    from router.providers.embedded import EmbeddedProvider

    provider = EmbeddedProvider("embedded", gguf_path, n_ctx=512, n_threads=2)
    router = ModelRouter({"embedded": provider}, {"chat": [Target("embedded", "default")]})
    request = req(("system", "Answer briefly."), ("user", "What is the capital of France?"), max_tokens=8)
    text, deltas = await collect(router.stream(request))
    # Stopping early must stop the worker thread and free the model for the next call.
    stream = router.stream(req(("user", "Tell me a long story."), max_tokens=200))
    await anext(stream)
    await stream.aclose()
    again, _ = await collect(router.stream(request))
    await router.aclose()
    assert text.strip() and again.strip()
    usage = deltas[-1].usage
    assert usage is not None and deltas[-1].provider == "embedded"
    assert usage.tokens_in > 5 and 0 < usage.tokens_out <= 8
    assert usage.first_token_ms is not None
