"""Circuit breakers per target: opening, skipping, half-open probes, Retry-After, cancellation, config."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from base import ConfigError
from router.breaker import BreakerPolicy, BreakerState, CircuitBreakers, CircuitOpen
from router.config import build_router, load_router_config
from router.core import ModelRouter
from router.errors import AllTargetsFailed, ProviderUnavailable, RateLimited, StreamCut
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.testing import FakeLLM, ScriptedProvider
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Delta, Target

A, B = Target("a", "m1"), Target("b", "m2")
T0 = 1000.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Gated(ScriptedProvider):
    """A ScriptedProvider whose calls wait for `gate` before answering; `entered` counts every call."""

    def __init__(self, name: str, *, replies: list[str | Exception]) -> None:
        super().__init__(name, replies=replies)
        self.gate = asyncio.Event()
        self.gate.set()
        self.entered = 0

    async def stream(self, model: str, request: ChatRequest) -> AsyncIterator[Delta]:
        self.entered += 1
        await self.gate.wait()
        async for delta in super().stream(model, request):
            yield delta


def down(n: int = 1) -> list[str | Exception]:
    return [ProviderUnavailable("down") for _ in range(n)]


def req(text: str = "hi") -> ChatRequest:
    return ChatRequest(messages=(ChatMessage("user", text),))


async def ask(router: ModelRouter, text: str = "hi") -> tuple[str, str]:
    """The answer's text and the provider that gave it."""
    deltas = [d async for d in router.stream(req(text))]
    return "".join(d.text for d in deltas), deltas[-1].provider


def setup(a: ScriptedProvider, clock: Clock, **policy: float) -> tuple[ModelRouter, CircuitBreakers]:
    """A router over [a, b] where b always answers (echo)."""
    breakers = CircuitBreakers(BreakerPolicy(**policy), clock=clock)
    return ModelRouter({"a": a, "b": ScriptedProvider("b")}, {"chat": [A, B]}, breakers=breakers), breakers


async def trip(router: ModelRouter, n: int = 3) -> None:
    for _ in range(n):
        assert (await ask(router))[1] == "b"


async def test_opens_after_consecutive_failures_and_skips_the_target() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=down(3))
    router, breakers = setup(a, clock)
    await trip(router)
    assert len(a.calls) == 3
    assert breakers.state(A) == BreakerState("open", 3, T0 + 30)
    clock.advance(29.9)
    assert await ask(router, "4th") == ("echo: 4th", "b")
    assert len(a.calls) == 3, "an open target is not called"
    assert breakers.state(B) == BreakerState("closed", 0, None)


async def test_skipped_target_is_listed_in_all_targets_failed() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=down(3))
    breakers = CircuitBreakers(BreakerPolicy(), clock=clock)
    router = ModelRouter({"a": a}, {"chat": [A]}, breakers=breakers)
    for _ in range(3):
        with pytest.raises(AllTargetsFailed):
            await ask(router)
    with pytest.raises(AllTargetsFailed) as info:
        await ask(router)
    [error] = info.value.errors
    assert isinstance(error, CircuitOpen) and isinstance(error, ProviderUnavailable)
    assert (error.provider, error.model) == ("a", "m1")
    assert "circuit open" in str(info.value) and "next try in 30.0 s" in str(error)
    assert len(a.calls) == 3


async def test_a_success_in_between_resets_the_count() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=[*down(2), "ok", *down(2)])
    router, breakers = setup(a, clock)
    assert [(await ask(router))[1] for _ in range(5)] == ["b", "b", "a", "b", "b"]
    assert breakers.state(A) == BreakerState("closed", 2, None)
    await ask(router)
    assert len(a.calls) == 6, "two failures after a success do not open the circuit"


async def test_half_open_probe_success_closes_and_resets_the_cooldown() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=[*down(3), ProviderUnavailable("still down"), "back", *down(3)])
    router, breakers = setup(a, clock, cooldown=10, max_cooldown=100)
    await trip(router)
    clock.advance(10)
    assert breakers.state(A).status == "half_open"
    assert (await ask(router))[1] == "b"  # the probe fails: open again for 20 s
    assert breakers.state(A) == BreakerState("open", 4, clock.now + 20)
    clock.advance(20)
    assert await ask(router, "x") == ("back", "a")
    assert breakers.state(A) == BreakerState("closed", 0, None)
    await trip(router)  # three new failures open it for the base cool-down again, not 40 s
    assert breakers.state(A) == BreakerState("open", 3, clock.now + 10)


async def test_failed_probes_multiply_the_cooldown_up_to_the_cap() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=down(10))
    router, breakers = setup(a, clock, cooldown=10, max_cooldown=25, factor=2)
    await trip(router)
    waits = []
    for _ in range(4):
        state = breakers.state(A)
        waits.append(state.retry_at - clock.now)
        clock.advance(waits[-1] - 0.1)
        calls = len(a.calls)
        await ask(router)
        assert len(a.calls) == calls, "still skipped just before the cool-down ends"
        clock.advance(0.1)
        await ask(router)
        assert len(a.calls) == calls + 1, "one probe after the cool-down"
    assert waits == pytest.approx([10, 20, 25, 25])
    assert breakers.state(A).status == "open"


async def test_only_one_probe_at_a_time() -> None:
    clock = Clock()
    a = Gated("a", replies=[*down(3), "probe answer"])
    router, breakers = setup(a, clock)
    await trip(router)
    a.gate.clear()
    clock.advance(30)
    probe = asyncio.create_task(ask(router, "probe"))
    while a.entered < 4:
        await asyncio.sleep(0)
    others = await asyncio.gather(*(ask(router, f"other {i}") for i in range(5)))
    assert [who for _, who in others] == ["b"] * 5
    assert a.entered == 4, "concurrent requests skip the target while the probe is in flight"
    assert breakers.state(A).status == "half_open"
    a.gate.set()
    assert await probe == ("probe answer", "a")
    assert breakers.state(A) == BreakerState("closed", 0, None)
    assert (await ask(router))[1] == "a"


async def test_retry_after_keeps_the_circuit_open_longer() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=[*down(2), RateLimited("slow down", retry_after=120)])
    router, breakers = setup(a, clock, cooldown=30)
    await trip(router)
    assert breakers.state(A) == BreakerState("open", 3, T0 + 120)
    clock.advance(60)
    await ask(router)
    assert len(a.calls) == 3, "the cool-down is over but Retry-After is not"
    clock.advance(60)
    assert (await ask(router))[1] == "a"


async def test_a_single_429_with_retry_after_opens_for_that_long() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=[RateLimited("slow down", retry_after=5), RateLimited("again")])
    router, breakers = setup(a, clock)
    await ask(router)
    assert breakers.state(A) == BreakerState("open", 1, T0 + 5)
    await ask(router)
    assert len(a.calls) == 1
    clock.advance(5)
    assert (await ask(router))[1] == "b"  # the probe gets a 429 without Retry-After: open for the base cool-down
    assert breakers.state(A) == BreakerState("open", 2, clock.now + 30)


async def test_stream_cut_counts_as_a_failure() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=[StreamCut("cut", partial="half ") for _ in range(3)])
    router, breakers = setup(a, clock)
    for _ in range(3):
        with pytest.raises(StreamCut):
            await ask(router)
    assert breakers.state(A).status == "open"
    assert (await ask(router))[1] == "b"
    assert len(a.calls) == 3


async def test_a_probe_closed_by_the_caller_frees_the_probe_slot() -> None:
    clock = Clock()
    a = ScriptedProvider("a", replies=[*down(3), "many words in the probe", "second probe"])
    router, breakers = setup(a, clock)
    await trip(router)
    clock.advance(30)
    stream = router.stream(req())
    first = await anext(stream)
    assert first.provider == "a"
    await stream.aclose()  # GeneratorExit: neither success nor failure
    assert breakers.state(A) == BreakerState("half_open", 3, T0 + 30)
    assert await ask(router) == ("second probe", "a"), "the next request is the probe"
    assert breakers.state(A).status == "closed"


async def test_a_cancelled_probe_task_frees_the_probe_slot() -> None:
    clock = Clock()
    a = Gated("a", replies=[*down(3), "second probe"])
    router, breakers = setup(a, clock)
    await trip(router)
    a.gate.clear()
    clock.advance(30)
    probe = asyncio.create_task(ask(router))
    while a.entered < 4:
        await asyncio.sleep(0)
    probe.cancel()  # CancelledError while the probe waits for its first token
    with pytest.raises(asyncio.CancelledError):
        await probe
    assert breakers.state(A) == BreakerState("half_open", 3, T0 + 30)
    a.gate.set()
    assert await ask(router) == ("second probe", "a")
    assert a.entered == 5 and breakers.state(A).status == "closed"


async def test_failures_zero_switches_the_breakers_off() -> None:
    a = ScriptedProvider("a", replies=[*down(5), RateLimited("x", retry_after=60)])
    router, breakers = setup(a, Clock(), failures=0)
    await trip(router, 6)
    assert len(a.calls) == 6 and breakers.state(A).status == "closed"


def test_default_router_has_default_breakers_and_policy_is_checked() -> None:
    router = ModelRouter({"a": ScriptedProvider("a")}, {"chat": [A]})
    assert router.breakers.policy == BreakerPolicy(3, 30.0, 600.0, 2.0)
    with pytest.raises(ValueError, match="max_cooldown"):
        BreakerPolicy(cooldown=60, max_cooldown=30)
    with pytest.raises(ValueError, match="cooldown"):
        BreakerPolicy(cooldown=0)


# -- router.yaml -------------------------------------------------------------

PROVIDERS = "providers: {o: {kind: ollama, base_url: 'http://127.0.0.1:1'}}\nroutes: {chat: [o:m]}\n"


def test_breaker_section_reaches_the_router(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(PROVIDERS + "breaker: {failures: 5, cooldown: 10, max_cooldown: 100, factor: 3}\n")
    router = build_router(load_router_config(path, {}), {}, data_dir=tmp_path)
    assert router.breakers.policy == BreakerPolicy(5, 10, 100, 3)
    path.write_text(PROVIDERS + "breaker:\n")  # an empty section: the defaults
    assert build_router(load_router_config(path, {}), {}, data_dir=tmp_path).breakers.policy == BreakerPolicy()


@pytest.mark.parametrize(
    "section, where, what",
    [
        ("{cooldwn: 5}", "breaker.cooldwn", "Extra inputs"),
        ("{cooldown: 0}", "breaker.cooldown", "greater than 0"),
        ("{failures: -1}", "breaker.failures", "greater than or equal to 0"),
        ("{factor: 0.5}", "breaker.factor", "greater than or equal to 1"),
        ("{cooldown: 60, max_cooldown: 30}", "breaker.max_cooldown", "at least cooldown (60)"),
        ("5", "breaker", "valid dictionary"),
    ],
)
def test_breaker_section_errors_name_the_key(tmp_path: Path, section: str, where: str, what: str) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(PROVIDERS + f"breaker: {section}\n")
    with pytest.raises(ConfigError) as info:
        load_router_config(path, {})
    assert str(info.value).startswith(f"{path}: {where}: ")
    assert what in str(info.value)


# -- end to end through FakeLLM ------------------------------------------------


async def test_failing_primary_is_skipped_after_three_failures(llm: FakeLLM) -> None:
    fast = Timeouts(connect=0.5, first_token=0.5, total=2.0)
    primary = OllamaProvider("ollama", llm.url, timeouts=fast)
    backup = OpenAICompatProvider("backup", llm.openai_url, "sk-test", local=True, timeouts=fast)
    router = ModelRouter({"ollama": primary, "backup": backup},
                         {"chat": [Target("ollama", "qwen3:8b"), Target("backup", "gpt-4o-mini")]})
    try:
        for i in range(4):
            if i < 3:
                llm.fail("500")  # failures are queued per chat request: only the primary's call fails
            assert await ask(router, f"q{i}") == (f"echo: q{i}", "backup")
    finally:
        await router.aclose()
    paths = [r.path for r in llm.chat_requests()]
    assert paths == ["/api/chat", "/v1/chat/completions"] * 3 + ["/v1/chat/completions"]
    assert router.breakers.state(Target("ollama", "qwen3:8b")).status == "open"
