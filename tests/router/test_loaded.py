"""Ollama's own parallelism read from /api/ps: a local Ollama whose slots router.yaml leaves unset gets as many as
its loaded models show, at the next health check; keep_alive is read too. Over real HTTP to FakeLLM."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from router.config import build_router, load_router_config
from router.core import ModelRouter
from router.loaded import Loaded, parse_ps, slots_of
from router.providers.ollama import OllamaProvider
from router.testing import FakeLLM
from router.types import ChatMessage, ChatRequest

TIMEOUTS = "timeouts: {connect: 1, first_token: 20, total: 30}"


def yaml(local: str = "") -> str:
    return f"""
providers:
  ollama: {{kind: ollama, base_url: "${{LOCAL_URL}}", num_ctx: 4096, queue_timeout: 0.05, {local}{TIMEOUTS}}}
  cloud: {{kind: openai, base_url: "${{CLOUD_URL}}", api_key_env: CLOUD_KEY, {TIMEOUTS}}}
routes:
  chat: [ollama:qwen3:8b, cloud:gpt-4o-mini]
"""


@pytest.fixture
async def local() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as fake:
        yield fake


@pytest.fixture
async def cloud() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as fake:
        yield fake


@pytest.fixture
async def routed(tmp_path: Path, local: FakeLLM, cloud: FakeLLM) -> AsyncIterator[Callable[[str], ModelRouter]]:
    """Builds routers from router.yaml text on `local` and `cloud`, as the bot does; closes them after the test."""
    built: list[ModelRouter] = []

    def make(text: str) -> ModelRouter:
        path = tmp_path / "router.yaml"
        path.write_text(text, encoding="utf-8")
        env = {"LOCAL_URL": local.url, "CLOUD_URL": cloud.openai_url, "CLOUD_KEY": "sk-test"}
        router = build_router(load_router_config(path, env), env, data_dir=tmp_path)
        built.append(router)
        return router

    yield make
    local.resume()
    for router in built:
        await router.aclose()


async def burst(router: ModelRouter, local: FakeLLM, n: int) -> list[str]:
    """`n` requests at once while the local answers are held: who answered each (sorted)."""
    local.pause()
    before = len(local.chat_requests())

    async def one(i: int) -> str:
        provider = ""
        async for delta in router.stream(ChatRequest(messages=(ChatMessage("user", f"q{i}"),))):
            provider = delta.provider or provider
        return provider

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    async with asyncio.timeout(10):  # until each is held by the local server or answered by the cloud
        while len(local.chat_requests()) - before + sum(t.done() for t in tasks) < n:
            await asyncio.sleep(0.005)
    local.resume()
    return sorted(await asyncio.gather(*tasks))


@pytest.mark.parametrize("entry, expected", [
    ({"context_length": 4 * 4096}, 4),  # an older Ollama: num_ctx × OLLAMA_NUM_PARALLEL
    ({"context_length": 4096}, None),  # one num_ctx: a newer server, or parallel 1 — nothing is known
    ({"context_length": 10_000}, None),  # not a multiple of our num_ctx: loaded by someone else's settings
    ({"context_length": 4096, "num_parallel": 3}, 3),  # a server that says its parallel is taken at its word
    ({"context_length": 4 * 4096, "parallel": 1}, 1),
    ({}, None),
])
def test_the_parallel_a_loaded_model_shows(entry: dict[str, object], expected: int | None) -> None:
    [loaded] = parse_ps({"models": [{"name": "qwen3:8b", **entry}]}, num_ctx=4096)
    assert loaded.parallel == expected


def test_only_the_models_the_router_sends_to_count_and_the_smallest_wins() -> None:
    loaded = [Loaded("qwen3:8b", parallel=4), Loaded("bge-m3:latest", parallel=2), Loaded("other", parallel=1)]
    assert slots_of(loaded, {"qwen3:8b"}) == 4
    assert slots_of(loaded, {"qwen3:8b", "bge-m3"}) == 2  # `bge-m3` is listed as bge-m3:latest
    assert slots_of(loaded, {"llava:7b"}) is None


async def test_the_provider_reads_loaded_models_and_their_keep_alive(local: FakeLLM) -> None:
    local.load("qwen3:8b", context_length=3 * 8192, keep_alive=600)
    local.load("llava:7b", context_length=2048, num_parallel=2)
    provider = OllamaProvider("ollama", local.url, num_ctx=8192)
    try:
        loaded = {m.model: m for m in await provider.ps()}
        local.loaded.clear()  # keep_alive ran out: nothing is loaded
        assert await provider.ps() == []
    finally:
        await provider.aclose()
    assert (loaded["qwen3:8b"].context_length, loaded["qwen3:8b"].parallel) == (3 * 8192, 3)
    assert loaded["llava:7b"].parallel == 2
    expires = loaded["qwen3:8b"].expires_at
    assert expires is not None and expires > datetime.now(UTC)  # unloaded in about ten minutes, not now


async def test_a_health_check_sizes_defaulted_slots_by_what_ollama_has_loaded(
        routed: Callable[[str], ModelRouter], local: FakeLLM, cloud: FakeLLM) -> None:
    router = routed(yaml())
    assert (router.capacity.policies["ollama"].size, router.capacity.policies["ollama"].origin) == (2, "default")
    assert await burst(router, local, 4) == ["cloud", "cloud", "ollama", "ollama"]  # 2 slots: the rest overflow

    local.load("qwen3:8b", context_length=4 * 4096)  # OLLAMA_NUM_PARALLEL=4 on an older Ollama
    await router.health(timeout=2)
    policy = router.capacity.policies["ollama"]
    assert (policy.size, policy.origin) == (4, "/api/ps")
    assert await burst(router, local, 4) == ["ollama"] * 4  # four at once locally, nothing to the cloud
    assert len(cloud.chat_requests()) == 2

    router.replace_with(routed(yaml()))  # a reload of an unchanged router.yaml keeps what was learned
    assert router.capacity.policies["ollama"].size == 4


async def test_a_configured_size_a_server_without_ps_and_other_models_keep_their_slots(
        routed: Callable[[str], ModelRouter], local: FakeLLM) -> None:
    configured = routed(yaml("max_concurrency: 1, "))
    local.load("qwen3:8b", context_length=4 * 4096)
    await configured.health(timeout=2)
    assert configured.capacity.policies["ollama"].size == 1  # router.yaml's word stands

    defaulted = routed(yaml())
    local.loaded.clear()
    local.load("llava:7b", context_length=8 * 4096)  # loaded, but no rule sends there: says nothing of ours
    await defaulted.health(timeout=2)
    assert defaulted.capacity.policies["ollama"].size == 2
    local.ps_missing = True  # a server too old for /api/ps
    await defaulted.health(timeout=2)
    assert (defaulted.capacity.policies["ollama"].size, defaulted.capacity.policies["ollama"].origin) == (2, "default")


async def test_a_server_that_is_down_is_not_asked_and_keeps_its_slots(
        routed: Callable[[str], ModelRouter], local: FakeLLM) -> None:
    router = routed(yaml())
    local.load("qwen3:8b", context_length=4 * 4096)
    await router.health(timeout=2)
    assert router.capacity.policies["ollama"].size == 4
    await local.stop()  # the server goes away: the size it showed stays until it says otherwise
    results = await router.health(timeout=2)
    assert results["ollama"].healthy is False
    assert router.capacity.policies["ollama"].size == 4
