"""ModelRouter's own cost: routing overhead, skipping an open circuit, a refusing primary vs. an open one.

Run: .venv/bin/python bench/router.py   (prints numbers; asserts nothing; stops by itself in a few seconds)
"""
from __future__ import annotations

import asyncio
import gc
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from router.breaker import BreakerPolicy, CircuitBreakers  # noqa: E402
from router.core import ModelRouter  # noqa: E402
from router.errors import ProviderUnavailable  # noqa: E402
from router.providers.ollama import OllamaProvider  # noqa: E402
from router.providers.openai_compat import OpenAICompatProvider  # noqa: E402
from router.testing import FakeLLM, ScriptedProvider  # noqa: E402
from router.timeouts import Timeouts  # noqa: E402
from router.types import ChatMessage, ChatRequest, Target  # noqa: E402

REQUEST = ChatRequest(messages=(ChatMessage("user", "hi"),))
A, B = Target("a", "m"), Target("b", "m")
OFF = BreakerPolicy(failures=0)
IN_PROCESS = 4_000  # requests per in-process round; 15 rounds, variants interleaved
OVER_HTTP = 200  # requests per FakeLLM measurement


async def drain(stream) -> None:  # type: ignore[no-untyped-def]
    async for _ in stream:
        pass


async def per_request_us(variants: dict, providers: list[ScriptedProvider], n: int, rounds: int = 15) -> dict[str, float]:  # type: ignore[type-arg]
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
    print(f"routing overhead per request (ScriptedProvider answers at once; best of 15 rounds × {IN_PROCESS} requests):")
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
                providers["a"] = OllamaProvider("a", primary_url, timeouts=fast)  # type: ignore[assignment]
            return ModelRouter(providers, {"chat": [A, B] if primary_url else [B]}, breakers=breakers)

        async def latencies(routers: list[ModelRouter]) -> list[list[float]]:
            """Per router, ms per request; requests alternate between routers so drift hits all alike."""
            for r in routers:
                for _ in range(20):  # warm-up: connection pool, SDK imports, first-request costs
                    await drain(r.stream(REQUEST))
            out: list[list[float]] = [[] for _ in routers]
            for _ in range(OVER_HTTP):
                for r, times in zip(routers, out):
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


async def main() -> None:
    logging.disable(logging.WARNING)  # the refused primary logs a warning per request
    await in_process()
    await over_http()


if __name__ == "__main__":
    asyncio.run(main())
