"""Health checks feed the breakers; admins switch targets off and give agents routes; a reload swaps in place."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from router.breaker import PASS, BreakerPolicy, BreakerState, CircuitBreakers
from router.core import ModelRouter
from router.errors import AllTargetsFailed, ProviderTimeout, ProviderUnavailable
from router.providers.embedded import EmbeddedProvider
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.rules import RouteContext
from router.testing import FakeLLM, ScriptedProvider
from router.types import ChatMessage, ChatRequest, Target
from tests.router.test_breaker import Clock, Gated

A, B = Target("a", "m1"), Target("b", "m2")


def req(text: str = "hi", *, agent: str = "", task: str = "chat") -> ChatRequest:
    return ChatRequest(messages=(ChatMessage("user", text),), agent=agent, task=task)


async def ask(router: ModelRouter, text: str = "hi", **kw: str) -> tuple[str, str]:
    deltas = [d async for d in router.stream(req(text, **kw))]
    return "".join(d.text for d in deltas), deltas[-1].provider


def two(clock: Clock | None = None) -> tuple[ModelRouter, ScriptedProvider, ScriptedProvider]:
    a, b = ScriptedProvider("a"), ScriptedProvider("b")
    breakers = CircuitBreakers(BreakerPolicy(), clock=clock or Clock())
    return ModelRouter({"a": a, "b": b}, {"chat": [A, B]}, breakers=breakers), a, b


# -- the breaker's two health methods ------------------------------------------------------------------


def test_probe_now_makes_an_open_circuit_half_open_but_leaves_others_alone() -> None:
    clock = Clock()
    breakers = CircuitBreakers(BreakerPolicy(failures=1, cooldown=30), clock=clock)
    assert breakers.probe_now(A) is False and breakers.state(A).status == "closed"
    breakers.failed(A, PASS, ProviderUnavailable("down"))
    assert breakers.state(A).status == "open"
    assert breakers.probe_now(A) is True
    assert breakers.state(A) == BreakerState("half_open", 1, clock.now)
    assert breakers.admit(A) == "probe", "the next request probes it; the circuit is not simply closed"
    assert breakers.probe_now(A) is False, "a probe already in flight is left to decide"


def test_check_failed_counts_then_acts_as_the_due_probe() -> None:
    clock = Clock()
    breakers = CircuitBreakers(BreakerPolicy(failures=3, cooldown=10, factor=2), clock=clock)
    for _ in range(3):
        breakers.check_failed(A, ProviderUnavailable("refused"))
    assert breakers.state(A) == BreakerState("open", 3, clock.now + 10)
    clock.advance(10)
    breakers.check_failed(A, ProviderUnavailable("refused"))
    assert breakers.state(A) == BreakerState("open", 4, clock.now + 20), "a failed check at probe time re-opens longer"


# -- providers answer a ping -----------------------------------------------------------------------------


async def test_real_providers_ping_the_fake_server(llm: FakeLLM) -> None:
    ollama = OllamaProvider("ollama", llm.url)
    openai = OpenAICompatProvider("backup", llm.openai_url, "sk-x")
    no_models = OpenAICompatProvider("llamacpp", llm.url + "/no-models-here", "none")  # a 404 is still an answer
    dead = OllamaProvider("dead", FakeLLM.refusing_url())
    try:
        for provider in (ollama, openai, no_models):
            await provider.ping()
        assert {r.path for r in llm.requests} >= {"/api/tags", "/v1/models"}
        with pytest.raises(ProviderUnavailable):
            await dead.ping()
    finally:
        for provider in (ollama, openai, no_models, dead):
            await provider.aclose()


async def test_embedded_ping_checks_the_model_file_without_loading_it(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp")
    with pytest.raises(ProviderUnavailable, match="does not exist"):
        await EmbeddedProvider("embedded", tmp_path / "missing.gguf").ping()
    (tmp_path / "model.gguf").write_bytes(b"GGUF")
    await EmbeddedProvider("embedded", tmp_path / "model.gguf").ping()


# -- ModelRouter.health feeds the breakers ---------------------------------------------------------------


async def test_a_stopped_server_opens_its_circuit_by_checks_alone(llm: FakeLLM) -> None:
    providers = {"ollama": OllamaProvider("ollama", FakeLLM.refusing_url()),
                 "backup": OpenAICompatProvider("backup", llm.openai_url, "sk-x")}
    primary, backup = Target("ollama", "qwen3:8b"), Target("backup", "gpt-4o-mini")
    router = ModelRouter(providers, {"chat": [primary, backup]})
    try:
        for _ in range(3):
            results = await router.health(timeout=2)
        assert results["ollama"].healthy is False and "unavailable" in results["ollama"].detail
        assert results["backup"].healthy is True
        assert router.breakers.state(primary).status == "open"
        assert router.breakers.state(backup).status == "closed"
        assert await ask(router) == ("echo: hi", "backup")
        assert [r.path for r in llm.chat_requests()] == ["/v1/chat/completions"], "no user request paid for it"
    finally:
        await router.aclose()


async def test_a_healthy_check_makes_the_open_circuit_due_and_a_request_closes_it() -> None:
    router, a, _ = two()
    a.ping_error = ProviderUnavailable("refused")
    for _ in range(3):
        await router.health()
    assert router.breakers.state(A).status == "open"
    assert await ask(router) == ("echo: hi", "b")
    a.ping_error = None
    await router.health()
    assert router.breakers.state(A).status == "half_open"
    assert await ask(router) == ("echo: hi", "a"), "the probe request went to the recovered target"
    assert router.breakers.state(A) == BreakerState("closed", 0, None)


class Hanging(ScriptedProvider):
    async def ping(self) -> None:
        await asyncio.Event().wait()


class Buggy(ScriptedProvider):
    async def ping(self) -> None:
        raise RuntimeError("bug")


async def test_a_hung_or_buggy_check_is_a_failure_and_never_blocks_the_others() -> None:
    router = ModelRouter({"a": Hanging("a"), "b": Buggy("b"), "c": ScriptedProvider("c")},
                         {"chat": [A, B, Target("c", "m")]})
    results = await router.health(timeout=0.05)
    assert isinstance(results["a"].error, ProviderTimeout) and results["a"].healthy is False
    assert results["b"].healthy is False and "RuntimeError" in results["b"].detail
    assert results["c"].healthy is True
    assert router.breakers.state(A).failures == 1 and router.breakers.state(B).failures == 1


# -- targets switched off, agent routes ------------------------------------------------------------------


async def test_a_switched_off_target_is_skipped_with_a_clear_reason() -> None:
    router, a, b = two()
    router.switch("a:m1", False)
    assert router.switched_off(A) and not router.switched_off(B)
    assert await ask(router) == ("echo: hi", "b")
    assert a.calls == []
    router.switch("b", False)  # a whole provider
    with pytest.raises(AllTargetsFailed) as info:
        await ask(router)
    assert str(info.value).count("switched off by an admin") == 2
    assert len(b.calls) == 1, "a switched-off provider is not called"
    router.switch("a:m1", True)
    assert await ask(router) == ("echo: hi", "a")
    with pytest.raises(KeyError):
        router.switch("nope:x", False)


async def test_an_agent_route_comes_before_every_rule_for_that_agent_only() -> None:
    router, _, _ = two()
    router.set_agent_route("helion", [B])
    assert await ask(router, agent="helion") == ("echo: hi", "b")
    assert await ask(router, agent="greenfood") == ("echo: hi", "a")
    assert await ask(router, agent="helion", task="vision") == ("echo: hi", "a"), "photos keep their own route"
    rule = router.rule_for(RouteContext(agent="helion"))
    assert rule is not None and rule.targets == (B,) and rule.describe().startswith("admin route of helion")
    assert router.targets_of("b") == (B,)
    router.set_agent_route("helion", [])
    assert await ask(router, agent="helion") == ("echo: hi", "a")
    with pytest.raises(KeyError):
        router.set_agent_route("helion", [Target("nope", "x")])


# -- replace_with: a reload in place ---------------------------------------------------------------------


async def test_replace_with_swaps_in_place_keeps_overrides_and_never_cuts_an_answer() -> None:
    old = Gated("a", replies=["old answer"])
    router = ModelRouter({"a": old, "b": ScriptedProvider("b")}, {"chat": [A, B]})
    router.switch("b", False)
    router.set_agent_route("helion", [A])
    old.gate.clear()
    streaming = asyncio.create_task(ask(router))
    while old.entered < 1:
        await asyncio.sleep(0)
    new_a = ScriptedProvider("a", replies=["new answer"])
    new = ModelRouter({"a": new_a, "b": ScriptedProvider("b")}, {"chat": [Target("a", "m9"), B]})
    assert router.replace_with(new, grace=0) == []
    await asyncio.sleep(0.01)
    assert not old.closed, "an answer is still streaming from the old provider"
    old.gate.set()
    assert await streaming == ("old answer", "a")
    assert await ask(router) == ("new answer", "a")
    assert router.providers["a"] is new_a and router.known_targets() == (Target("a", "m9"), B)
    assert router.switched_off(B) and router.rule_for(RouteContext(agent="helion")).targets == (A,)
    await asyncio.wait_for(router.retirement.settled(), 5)
    assert old.closed
    await router.aclose()


async def test_replace_with_drops_overrides_of_providers_that_are_gone() -> None:
    router, _, _ = two()
    router.switch("b:m2", False)
    router.set_agent_route("helion", [B])
    dropped = router.replace_with(ModelRouter({"a": ScriptedProvider("a")}, {"chat": [A]}), grace=0)
    assert sorted(dropped) == ["b:m2", "route of helion"]
    assert await ask(router, agent="helion") == ("echo: hi", "a")
    await router.aclose()

