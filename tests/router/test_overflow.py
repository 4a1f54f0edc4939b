"""The router under load, over real HTTP to FakeLLM servers with Ollama-like parallel slots: bounded local
slots, overflow to the cloud, local-only waits, pools, waiting lines, mode shares, tiny models and reloads."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from router.config import build_router, load_router_config
from router.core import ModelRouter
from router.testing import FakeLLM
from router.types import ChatMessage, ChatRequest, Target
from tests.router.conftest import Recorder

TIMEOUTS = "timeouts: {connect: 1, first_token: 20, total: 30}"


@dataclass
class Answer:
    text: str
    provider: str
    queued: int  # queued deltas seen before the text


@pytest.fixture
async def local() -> AsyncIterator[FakeLLM]:
    """A local Ollama answering two requests at once, as OLLAMA_NUM_PARALLEL=2."""
    async with FakeLLM(parallel=2) as fake:
        yield fake


@pytest.fixture
async def cloud() -> AsyncIterator[FakeLLM]:
    """A cloud API with no limit of its own."""
    async with FakeLLM() as fake:
        yield fake


def router_from(tmp_path: Path, yaml: str, **urls: str) -> ModelRouter:
    """A router built from router.yaml text, as the bot builds it; ${NAME} come from `urls`."""
    path = tmp_path / "router.yaml"
    path.write_text(yaml, encoding="utf-8")
    env = {**urls, "CLOUD_KEY": "sk-test"}
    return build_router(load_router_config(path, env), env, data_dir=tmp_path)


def overflow_yaml(local_extra: str = "", routes: str = "chat: [ollama:qwen3:8b, cloud:gpt-4o-mini]") -> str:
    return f"""
providers:
  ollama: {{kind: ollama, base_url: "${{LOCAL_URL}}", max_concurrency: 2, queue_timeout: 0.2, {local_extra}{TIMEOUTS}}}
  cloud: {{kind: openai, base_url: "${{CLOUD_URL}}", api_key_env: CLOUD_KEY, {TIMEOUTS}}}
routes:
  {routes}
"""


@pytest.fixture
async def routed(tmp_path: Path, local: FakeLLM, cloud: FakeLLM) -> AsyncIterator[Callable[..., ModelRouter]]:
    """Builds routers on `local` and `cloud` from router.yaml text; closes them after the test."""
    built: list[ModelRouter] = []

    def make(yaml: str, **urls: str) -> ModelRouter:
        router = router_from(tmp_path, yaml, LOCAL_URL=local.url, CLOUD_URL=cloud.openai_url, **urls)
        built.append(router)
        return router

    yield make
    local.resume()
    for router in built:
        await router.aclose()


def ask(text: str, **kw: object) -> ChatRequest:
    return ChatRequest(messages=(ChatMessage("user", text),), **kw)  # type: ignore[arg-type]


async def answer(router: ModelRouter, request: ChatRequest | str, seen: list[str] | None = None) -> Answer:
    """The whole answer, who gave it, and how many queued deltas came first; `seen` gets "queued" as it comes."""
    request = ask(request) if isinstance(request, str) else request
    text, provider, queued = "", "", 0
    async for delta in router.stream(request):
        if delta.queued:
            assert not text, "queued comes before any text"
            queued += 1
            if seen is not None:
                seen.append("queued")
        text += delta.text
        provider = delta.provider or provider
    return Answer(text, provider, queued)


def start(router: ModelRouter, *requests: ChatRequest | str) -> list[asyncio.Task[Answer]]:
    return [asyncio.create_task(answer(router, r)) for r in requests]


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (polling) until `check()` holds; fail after `timeout` s."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.005)


# -- the fake's slots ----------------------------------------------------------------------------------------


async def test_the_fake_answers_parallel_requests_at_once_and_queues_the_rest_in_order(local: FakeLLM) -> None:
    local.pause()
    url = local.url + "/api/chat"
    async with aiohttp.ClientSession() as http:
        async def chat(text: str) -> str:
            body = {"model": "qwen3:8b", "messages": [{"role": "user", "content": text}], "stream": False}
            async with http.post(url, json=body) as resp:
                return str((await resp.json())["message"]["content"])

        tasks = []
        for i in range(5):
            tasks.append(asyncio.create_task(chat(f"q{i}")))
            await local.wait_requests(i + 1)  # arrival order is the order of the line
        assert (local.slots.in_flight, local.slots.waiting) == (2, 3)
        local.resume()
        assert await asyncio.gather(*tasks) == [f"echo: q{i}" for i in range(5)]
    assert (local.slots.max_in_flight, local.slots.waited, local.slots.in_flight) == (2, 3, 0)
    assert [r.done_at for r in local.chat_requests()] == sorted(r.done_at for r in local.chat_requests()), \
        "first come, first served"


async def test_the_fake_is_unlimited_by_default_and_more_slots_start_the_line(cloud: FakeLLM) -> None:
    assert cloud.parallel is None
    cloud.parallel = 1
    cloud.pause()
    async with aiohttp.ClientSession() as http:
        body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
        tasks = [asyncio.create_task(http.post(cloud.openai_url + "/chat/completions", json=body)) for _ in range(3)]
        await until(lambda: cloud.slots.waiting == 2)
        cloud.parallel = 3
        assert (cloud.slots.in_flight, cloud.slots.waiting) == (3, 0)
        cloud.resume()
        for resp in await asyncio.gather(*tasks):
            assert resp.status == 200
            resp.release()
    assert cloud.slots.max_in_flight == 3 and cloud.slots.waited == 2


# -- overflow --------------------------------------------------------------------------------------------------


async def test_a_burst_keeps_two_requests_local_and_overflows_the_rest_to_the_cloud(
        routed: Callable[..., ModelRouter], local: FakeLLM, cloud: FakeLLM, recorded: Recorder) -> None:
    router = routed(overflow_yaml())
    local.pause()  # the two local answers take as long as the test needs: the others find no free slot
    tasks = start(router, *(f"q{i}" for i in range(6)))
    await cloud.wait_requests(4)
    local.resume()
    answers = await asyncio.gather(*tasks)
    assert sorted(a.provider for a in answers) == ["cloud"] * 4 + ["ollama"] * 2
    assert all(a.text == f"echo: q{i}" and not a.queued for i, a in enumerate(answers))
    assert local.slots.max_in_flight == 2 and local.slots.waited == 0, "the router never queued inside Ollama"
    assert len(local.chat_requests()) == 2 and len(cloud.chat_requests()) == 4
    assert recorded.overflows == [("ollama", "busy")] * 4
    assert recorded.waits == ["ollama", "ollama"]
    assert router.capacity.in_flight["ollama"] == 0

    tasks = start(router, "calm again")  # the burst is over: local first again
    assert (await tasks[0]).provider == "ollama"


async def test_a_local_only_request_waits_for_a_slot_tells_the_caller_once_and_never_overflows(
        routed: Callable[..., ModelRouter], local: FakeLLM, cloud: FakeLLM, recorded: Recorder) -> None:
    router = routed(overflow_yaml())
    local.pause()
    holders = start(router, "h1", "h2")
    await local.wait_requests(2)
    seen: list[str] = []
    private = asyncio.create_task(answer(router, ask("my secret", local_only=True), seen))
    await until(lambda: seen == ["queued"])
    assert cloud.chat_requests() == []
    local.resume()
    result = await private
    assert (result.text, result.provider, result.queued) == ("echo: my secret", "ollama", 1)
    assert [a.provider for a in await asyncio.gather(*holders)] == ["ollama", "ollama"]
    assert cloud.chat_requests() == [] and len(local.chat_requests()) == 3
    assert local.slots.max_in_flight == 2
    assert ("ollama", "busy") not in recorded.overflows, "a local-only request passes nothing over: it waits"


async def test_a_full_waiting_line_overflows_at_once(routed: Callable[..., ModelRouter], local: FakeLLM,
                                                     cloud: FakeLLM, recorded: Recorder) -> None:
    # A long queue_timeout: only max_queue can send the fourth request on before a slot frees.
    router = routed(overflow_yaml("max_queue: 1, ").replace("queue_timeout: 0.2", "queue_timeout: 30"))
    local.pause()
    holders = start(router, "h1", "h2")
    await local.wait_requests(2)
    third = start(router, "third")[0]
    await until(lambda: router.capacity.waiting["ollama"] == 1)
    fourth = await start(router, "fourth")[0]
    assert (fourth.text, fourth.provider) == ("echo: fourth", "cloud")
    assert recorded.overflows == [("ollama", "queue_full")]
    local.resume()
    assert (await third).provider == "ollama", "the one in line got the first slot that freed"
    assert [a.provider for a in await asyncio.gather(*holders)] == ["ollama", "ollama"]


async def test_a_mode_share_keeps_a_photo_burst_from_taking_the_slots_text_chats_need(
        routed: Callable[..., ModelRouter], local: FakeLLM, cloud: FakeLLM) -> None:
    router = routed(overflow_yaml("shares: {vision: 0.5}, ",
                                  routes="vision: [ollama:llava:7b, cloud:gpt-4o-mini]\n"
                                         "  chat: [ollama:qwen3:8b, cloud:gpt-4o-mini]"))
    local.pause()
    photos = start(router, ask("photo 1", task="vision"), ask("photo 2", task="vision"))
    done, held = await asyncio.wait(photos, return_when=asyncio.FIRST_COMPLETED)  # one found vision's share full
    assert [t.result().provider for t in done] == ["cloud"] and local.slots.in_flight == 1
    chat = start(router, "a text question")[0]
    await local.wait_requests(2)
    assert local.slots.in_flight == 2, "the text chat took the slot the photos could not"
    local.resume()
    assert (await chat).provider == "ollama" and (await held.pop()).provider == "ollama"
    assert [r.json["model"] for r in local.chat_requests() if r.json] == ["llava:7b", "qwen3:8b"]
    assert [r.json["model"] for r in cloud.chat_requests() if r.json] == ["gpt-4o-mini"]


async def test_a_tiny_model_is_never_where_a_burst_overflows_only_a_fallback_for_failures(
        routed: Callable[..., ModelRouter], local: FakeLLM, cloud: FakeLLM) -> None:
    # The tiny model served by the cloud fake's Ollama side: any request there shows.
    yaml = overflow_yaml(routes="chat: [ollama:qwen3:8b, tiny:qwen3:0.6b]").replace(
        "  cloud:", '  tiny: {kind: ollama, base_url: "${TINY_URL}", tiny: true}\n  cloud:')
    router = routed(yaml, TINY_URL=cloud.url)
    local.pause()
    seen: list[str] = []
    tasks = [asyncio.create_task(answer(router, f"q{i}", seen)) for i in range(4)]
    await until(lambda: seen == ["queued", "queued"])  # two wait for ollama, told so, rather than go to the tiny one
    local.resume()
    answers = await asyncio.gather(*tasks)
    assert [a.provider for a in answers] == ["ollama"] * 4
    assert sorted(a.queued for a in answers) == [0, 0, 1, 1], "the two that waited were told so"
    assert cloud.chat_requests() == [] and local.slots.max_in_flight == 2

    local.fail("500")
    failed_over = await start(router, "after a failure")[0]
    assert failed_over.provider == "tiny", "a failure still falls back to the tiny model"


# -- pools -----------------------------------------------------------------------------------------------------

POOL_YAML = f"""
providers:
  gpu1: {{kind: ollama, base_url: "${{GPU1_URL}}", max_concurrency: 2, queue_timeout: 0.2, {TIMEOUTS}}}
  gpu2: {{kind: ollama, base_url: "${{GPU2_URL}}", max_concurrency: 2, queue_timeout: 0.2, {TIMEOUTS}}}
  cloud: {{kind: openai, base_url: "${{CLOUD_URL}}", api_key_env: CLOUD_KEY, {TIMEOUTS}}}
pools:
  gpus: [gpu1:qwen3:8b, gpu2:qwen3:8b]
breaker: {{failures: 1, cooldown: 60}}
routes:
  chat: [pool:gpus, cloud:gpt-4o-mini]
"""


@pytest.fixture
async def second() -> AsyncIterator[FakeLLM]:
    """A second local GPU server, also two slots."""
    async with FakeLLM(parallel=2) as fake:
        yield fake


async def test_a_pool_of_two_local_servers_shares_a_burst_by_their_load(
        routed: Callable[..., ModelRouter], local: FakeLLM, second: FakeLLM, cloud: FakeLLM) -> None:
    router = routed(POOL_YAML, GPU1_URL=local.url, GPU2_URL=second.url)
    local.pause()
    second.pause()
    tasks = start(router, *(f"q{i}" for i in range(4)))
    await until(lambda: local.slots.in_flight + second.slots.in_flight == 4)
    assert (local.slots.in_flight, second.slots.in_flight) == (2, 2)
    local.resume()
    second.resume()
    answers = await asyncio.gather(*tasks)
    assert sorted(a.provider for a in answers) == ["gpu1", "gpu1", "gpu2", "gpu2"]
    assert cloud.chat_requests() == []
    assert local.slots.waited == second.slots.waited == 0


async def test_a_dead_pool_member_costs_no_answer_and_is_then_skipped_by_its_breaker(
        routed: Callable[..., ModelRouter], local: FakeLLM, second: FakeLLM, cloud: FakeLLM) -> None:
    router = routed(POOL_YAML, GPU1_URL=local.url, GPU2_URL=second.url)
    local.fail("500", count=10)  # gpu1 is down
    first = await start(router, "first")[0]  # gpu1 is listed first and idle: tried, fails, the other member serves
    assert (first.text, first.provider) == ("echo: first", "gpu2")
    assert router.breakers.state(Target("gpu1", "qwen3:8b")).status == "open"
    second.pause()
    tasks = start(router, "q1", "q2")
    await second.wait_requests(3)
    assert second.slots.in_flight == 2, "both go to the live member although the dead one is idle"
    second.resume()
    assert [a.provider for a in await asyncio.gather(*tasks)] == ["gpu2", "gpu2"]
    assert len(local.chat_requests()) == 1, "the open circuit keeps requests off the dead member"
    assert cloud.chat_requests() == []


# -- reload ----------------------------------------------------------------------------------------------------


async def test_a_reload_keeps_the_requests_in_flight_counted(routed: Callable[..., ModelRouter], local: FakeLLM,
                                                            cloud: FakeLLM) -> None:
    router = routed(overflow_yaml())
    local.pause()
    holders = start(router, "h1", "h2")
    await local.wait_requests(2)
    router.replace_with(routed(overflow_yaml()), grace=0)  # /admin reload with both slots busy
    assert router.capacity.in_flight["ollama"] == 2
    assert (await start(router, "after the reload")[0]).provider == "cloud", "still full after the reload"

    local.parallel = 3
    router.replace_with(routed(overflow_yaml().replace("max_concurrency: 2", "max_concurrency: 3")), grace=0)
    third = start(router, "a third slot")[0]
    await local.wait_requests(3)
    assert router.capacity.in_flight["ollama"] == 3, "the new third slot, beside the two still held"
    local.resume()
    assert [a.provider for a in await asyncio.gather(*holders, third)] == ["ollama"] * 3
    assert router.capacity.in_flight["ollama"] == 0
