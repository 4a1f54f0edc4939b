"""ModelRouter's own cost: routing overhead, usage rows and quota checks, a refusing or hanging primary,
an open circuit, and throughput with 100 concurrent requests against the OpenAI client called directly.

Run: .venv/bin/python bench/router.py   (prints numbers; asserts nothing; stops by itself in under a minute)
"""
from __future__ import annotations

import asyncio
import gc
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import openai

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router.breaker import BreakerPolicy, CircuitBreakers
from router.core import ModelRouter
from router.errors import ProviderUnavailable
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.quotas import DailyQuota, ProviderLimits, UsageGuard
from router.testing import FakeLLM, ScriptedProvider
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Target
from storage.store import open_store
from storage.usage import UsageLedger

REQUEST = ChatRequest(messages=(ChatMessage("user", "hi"),))
GROUP_REQUEST = ChatRequest(messages=(ChatMessage("user", "hi"),), agent="helion", chat="group",
                            user_id=7, chat_id=-100, bot="main")
A, B = Target("a", "m"), Target("b", "m")
OFF = BreakerPolicy(failures=0)
IN_PROCESS = 4_000  # requests per in-process round; 15 rounds, variants interleaved
OVER_HTTP = 200  # requests per FakeLLM measurement


async def drain(stream) -> None:
    async for _ in stream:
        pass


async def per_request_us(variants: dict[str, Any], providers: list[ScriptedProvider], n: int,
                         rounds: int = 15) -> dict[str, float]:
    """Mean µs to drain each variant's stream, n times per round; rounds interleave variants, the best counts."""
    best = {name: float("inf") for name in variants}
    gc.disable()  # a collection landing in one variant's loop would be charged to it alone
    try:
        for _ in range(rounds):
            for name, make_stream in variants.items():
                t0 = time.perf_counter()
                for _ in range(n):
                    await drain(make_stream())
                best[name] = min(best[name], (time.perf_counter() - t0) / n * 1e6)
                for provider in providers:
                    provider.calls.clear()
                gc.collect()
    finally:
        gc.enable()
    return best


def tripped() -> CircuitBreakers:
    """Breakers whose circuit of A is open for an hour."""
    breakers = CircuitBreakers(BreakerPolicy(cooldown=3600, max_cooldown=3600))
    for _ in range(breakers.policy.failures):
        breakers.failed(A, breakers.admit(A), ProviderUnavailable("down"))
    return breakers


async def in_process() -> None:
    """ScriptedProvider answers instantly, so every µs measured is the router's."""
    a, b = ScriptedProvider("a"), ScriptedProvider("b")
    off = ModelRouter({"b": b}, {"chat": [B]}, breakers=CircuitBreakers(OFF))
    on = ModelRouter({"b": b}, {"chat": [B]})
    skipping = ModelRouter({"a": a, "b": b}, {"chat": [A, B]}, breakers=tripped())
    t = await per_request_us({
        "direct": lambda: b.stream("m", REQUEST),
        "off": lambda: off.stream(REQUEST),
        "on": lambda: on.stream(REQUEST),
        "skip": lambda: skipping.stream(REQUEST),
    }, [a, b], IN_PROCESS)
    print("routing overhead per request (ScriptedProvider answers at once; "
          f"best of 15 rounds × {IN_PROCESS} requests):")
    print(f"  provider alone {t['direct']:.2f} µs; router with breakers off {t['off']:.2f} µs "
          f"(+{t['off'] - t['direct']:.2f}); router with a closed breaker {t['on']:.2f} µs "
          f"(+{t['on'] - t['direct']:.2f}; difference {t['on'] - t['off']:+.2f}, within noise)")

    closed, n = CircuitBreakers(), 1_000_000
    t0 = time.perf_counter()
    for _ in range(n):
        closed.succeeded(B, closed.admit(B))
    closed_us = (time.perf_counter() - t0) / n * 1e6
    print(f"  the breaker's own work per request when closed, admit() + succeeded(): {closed_us:.3f} µs")

    breakers = tripped()
    t0 = time.perf_counter()
    for _ in range(n):
        breakers.admit(A)
    admit_us = (time.perf_counter() - t0) / n * 1e6
    print("skipping an open target:")
    print(f"  breakers.admit() on an open circuit: {admit_us:.3f} µs per call ({n} calls)")
    print(f"  route [open a, b] {t['skip']:.2f} µs vs. route [b] {t['on']:.2f} µs: "
          f"{t['skip'] - t['on']:+.2f} µs per request (a was called {len(a.calls)} times)")


async def over_http() -> None:
    """The backup on FakeLLM (127.0.0.1); the primary refuses connections, then has an open circuit."""
    fast = Timeouts(connect=1.0, first_token=5.0, total=10.0)
    async with FakeLLM() as llm:
        def router(primary_url: str | None, breakers: CircuitBreakers) -> ModelRouter:
            backup = OpenAICompatProvider("b", llm.openai_url, "sk-bench", local=True, timeouts=fast)
            providers = {"b": backup}
            if primary_url is not None:
                providers["a"] = OllamaProvider("a", primary_url, timeouts=fast)
            return ModelRouter(providers, {"chat": [A, B] if primary_url else [B]}, breakers=breakers)

        async def latencies(routers: list[ModelRouter]) -> list[list[float]]:
            """Per router, ms per request; requests alternate between routers so drift hits all alike."""
            for r in routers:
                for _ in range(20):  # warm-up: connection pool, SDK imports, first-request costs
                    await drain(r.stream(REQUEST))
            out: list[list[float]] = [[] for _ in routers]
            for _ in range(OVER_HTTP):
                for r, times in zip(routers, out, strict=False):
                    t0 = time.perf_counter()
                    await drain(r.stream(REQUEST))
                    times.append((time.perf_counter() - t0) * 1000)
            for r in routers:
                await r.aclose()
            return out

        refusing = FakeLLM.refusing_url()
        alone, refused, skipped = map(statistics.median, await latencies([
            router(None, CircuitBreakers(OFF)), router(refusing, CircuitBreakers(OFF)), router(refusing, tripped()),
        ]))
        print(f"primary refuses connections (FakeLLM backup on 127.0.0.1, {OVER_HTTP} requests each, p50):")
        print(f"  backup alone {alone:.2f} ms")
        print(f"  primary refused every time (breakers off): {refused:.2f} ms ({refused - alone:+.2f} ms per request)")
        print(f"  primary's circuit open: {skipped:.2f} ms ({skipped - alone:+.2f} ms per request)")


async def with_usage() -> None:
    """What a usage row and the quota checks add per request, on a SQLite file (the default database)."""
    b = ScriptedProvider("b")
    n = 300
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(f"sqlite:///{tmp}/usage.db")
        ledger = UsageLedger(store.db)
        bare = ModelRouter({"b": b}, {"chat": [B]})
        rows = ModelRouter({"b": b}, {"chat": [B]}, usage=UsageGuard(ledger))
        checked = ModelRouter({"b": b}, {"chat": [B]}, usage=UsageGuard(
            ledger, limits={"b": ProviderLimits(daily_tokens=10**12, rpm=10**9)},
            user=DailyQuota(10**12, 10**9), group=DailyQuota(10**12, 10**9)))
        variants = {"bare": bare, "rows": rows, "checked": checked}
        for r in variants.values():  # warm-up: the engine, the first statements
            for _ in range(20):
                await drain(r.stream(GROUP_REQUEST))
        wall: dict[str, list[float]] = {k: [] for k in variants}
        cpu: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(n):
            for name, r in variants.items():
                t0, c0 = time.perf_counter(), time.process_time()
                await drain(r.stream(GROUP_REQUEST))
                wall[name].append((time.perf_counter() - t0) * 1e6)
                cpu[name].append((time.process_time() - c0) * 1e6)
            b.calls.clear()
        await store.close()
    med = {k: statistics.median(v) for k, v in wall.items()}
    cpu_mean = {k: statistics.fmean(v) for k, v in cpu.items()}
    print(f"usage rows and quotas on a SQLite file ({n} requests each, interleaved; p50 wall, mean CPU):")
    print(f"  no usage guard {med['bare']:.0f} µs wall / {cpu_mean['bare']:.0f} µs CPU")
    print(f"  + one usage row per call: {med['rows']:.0f} µs wall (+{med['rows'] - med['bare']:.0f}) / "
          f"{cpu_mean['rows']:.0f} µs CPU (+{cpu_mean['rows'] - cpu_mean['bare']:.0f})")
    print(f"  + user, group, provider daily-token and RPM checks: {med['checked']:.0f} µs wall "
          f"(+{med['checked'] - med['bare']:.0f}) / {cpu_mean['checked']:.0f} µs CPU "
          f"(+{cpu_mean['checked'] - cpu_mean['bare']:.0f})")


async def hanging_primary() -> None:
    """The primary accepts the request and never answers: bounded by first_token, then skipped by its circuit."""
    first_token = 0.5
    async with FakeLLM() as backup_llm, FakeLLM() as hung:
        hung.fail("hang", count=10_000)
        timeouts = Timeouts(connect=1.0, first_token=first_token, total=10.0)
        primary = OllamaProvider("a", hung.url, timeouts=timeouts)
        backup = OpenAICompatProvider("b", backup_llm.openai_url, "sk-bench", local=True, timeouts=timeouts)
        breakers = CircuitBreakers(BreakerPolicy(failures=3, cooldown=3600, max_cooldown=3600))
        router = ModelRouter({"a": primary, "b": backup}, {"chat": [A, B]}, breakers=breakers)
        alone = ModelRouter({"b": backup}, {"chat": [B]}, breakers=CircuitBreakers(OFF))
        for _ in range(20):
            await drain(alone.stream(REQUEST))
        hung_ms = []
        for _ in range(breakers.policy.failures):
            t0 = time.perf_counter()
            await drain(router.stream(REQUEST))
            hung_ms.append((time.perf_counter() - t0) * 1000)
        base, skipped = [], []
        for _ in range(OVER_HTTP):
            for r, times in ((alone, base), (router, skipped)):
                t0 = time.perf_counter()
                await drain(r.stream(REQUEST))
                times.append((time.perf_counter() - t0) * 1000)
        hung.release()
        await router.aclose()
    p_base, p_skip = statistics.median(base), statistics.median(skipped)
    print(f"primary hangs (accepts, never answers; first_token timeout {first_token:.1f} s, circuit opens after "
          f"{breakers.policy.failures}):")
    print(f"  requests while the circuit was closed: {', '.join(f'{t:.0f}' for t in hung_ms)} ms "
          f"(each bounded by the timeout, then the backup answered)")
    print(f"  circuit open, {OVER_HTTP} requests p50: {p_skip:.2f} ms vs. backup alone {p_base:.2f} ms "
          f"({p_skip - p_base:+.2f} ms)")


async def concurrent() -> None:
    """100 concurrent streamed requests through the router vs. the official OpenAI client called directly."""
    concurrency, batches = 100, 8
    async with FakeLLM() as llm:
        provider = OpenAICompatProvider("b", llm.openai_url, "sk-bench", local=True)
        router = ModelRouter({"b": provider}, {"chat": [B]})
        client = openai.AsyncOpenAI(base_url=llm.openai_url, api_key="sk-bench", max_retries=0)
        aio_client = openai.AsyncOpenAI(base_url=llm.openai_url, api_key="sk-bench", max_retries=0,
                                        http_client=openai.DefaultAioHttpClient())

        async def call(c: openai.AsyncOpenAI) -> None:
            stream = await c.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True)
            async for _ in stream:
                pass

        async def direct() -> None:
            await call(client)

        async def direct_aio() -> None:
            await call(aio_client)

        async def routed() -> None:
            await drain(router.stream(REQUEST))

        async def batch(call) -> float:
            t0 = time.perf_counter()
            await asyncio.gather(*(call() for _ in range(concurrency)))
            return time.perf_counter() - t0

        variants = {"direct": direct, "aio": direct_aio, "router": routed}
        for fn in variants.values():  # warm-up: pools opened to full size
            await batch(fn)
        took: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(batches):
            for name, fn in variants.items():
                took[name].append(await batch(fn))
        await router.aclose()
        await client.close()
        await aio_client.close()
    rate = {k: concurrency / statistics.median(v) for k, v in took.items()}
    print(f"throughput, {concurrency} concurrent streamed requests to FakeLLM (median of {batches} batches; "
          f"the fake server shares the 2 cores):")
    print(f"  openai.AsyncOpenAI directly (its default httpx transport) {rate['direct']:.0f} req/s")
    print(f"  openai.AsyncOpenAI directly on aiohttp (the transport our provider uses) {rate['aio']:.0f} req/s")
    print(f"  through the router (rules, breaker, fallback, stream guard) {rate['router']:.0f} req/s: "
          f"{rate['router'] / rate['direct']:.2f}× the default client, {rate['router'] / rate['aio']:.2f}× the same "
          f"transport called directly")


async def main() -> None:
    logging.disable(logging.WARNING)  # the refused primary logs a warning per request
    await in_process()
    await with_usage()
    await over_http()
    await hanging_primary()
    await concurrent()


if __name__ == "__main__":
    asyncio.run(main())
