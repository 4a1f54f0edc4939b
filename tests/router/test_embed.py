"""The router's embed mode: providers over real HTTP to FakeLLM, routing, fallback, breakers, privacy, usage rows."""
from __future__ import annotations

import dataclasses
import math
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.views.usage import usage_report
from router.breaker import BreakerPolicy, CircuitBreakers
from router.config import build_router, load_router_config
from router.core import ModelRouter
from router.errors import (
    AllTargetsFailed,
    LocalOnlyUnavailable,
    ModelNotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
)
from router.provider import Embedder, Provider
from router.providers.embedded import EmbeddedProvider
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.quotas import DailyQuota, Price, ProviderLimits, UsageGuard
from router.rules import RouteContext, Rule, match
from router.testing import DEFAULT_MODELS, FakeLLM, ScriptedProvider, fake_embedding
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Embeddings, EmbedRequest, Target
from storage.models import Usage
from storage.records import UsageRow
from storage.usage import UsageLedger

FAST = Timeouts(connect=0.5, first_token=5.0, total=1.0)
API_EMBED = {"text-embedding-3-small": frozenset({"completion", "embedding"})}
MODELS = {**DEFAULT_MODELS, "text-embedding-3-small": {"capabilities": ["embedding"], "dim": 32}}
KYIV_EVENING = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv
DOCS = ("Сонячні панелі на даху школи", "Рецепт борщу з буряком і квасолею")


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=False)) / (math.hypot(*a) * math.hypot(*b))


def texts(*items: str, **kw: object) -> EmbedRequest:
    return EmbedRequest(texts=items or DOCS, **kw)


def routed(providers: dict[str, Provider], *targets: str, **kw: object) -> ModelRouter:
    """A router whose `embed` rule uses `targets`, beside a chat catch-all."""
    embed = Rule(tuple(Target.parse(t) for t in targets), mode=frozenset({"embed"}), name="embed")
    chat = Rule((Target.parse(targets[0]),), index=1, name="chat")
    return ModelRouter(providers, rules=[embed, chat], **kw)


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(models=MODELS) as server:
        yield server


def ollama(url: str, name: str = "ollama") -> OllamaProvider:
    return OllamaProvider(name, url, timeouts=FAST)


def api(url: str, name: str = "api", *, local: bool = False) -> OpenAICompatProvider:
    return OpenAICompatProvider(name, url, "sk-test", local=local, timeouts=FAST, capabilities=API_EMBED)


# -- providers over HTTP -------------------------------------------------------


async def test_ollama_embeds_one_vector_per_text_with_the_models_dim(fake: FakeLLM) -> None:
    router = routed({"ollama": ollama(fake.url)}, "ollama:bge-m3")
    got = await router.embed(texts())
    await router.aclose()
    assert isinstance(got, Embeddings) and (got.provider, got.model) == ("ollama", "bge-m3")
    assert len(got.vectors) == 2 and got.dim == 64 == MODELS["bge-m3"]["dim"]
    assert list(got.vectors[0]) == fake_embedding(DOCS[0], 64)
    assert got.usage is not None and got.usage.tokens_in == 11 and got.usage.tokens_out == 0  # prompt_eval_count
    [sent] = fake.embed_requests()
    assert sent.path == "/api/embed" and sent.json == {"model": "bge-m3", "input": list(DOCS), "keep_alive": "30m"}


async def test_openai_compatible_embeds_a_configured_embedding_model(fake: FakeLLM, tmp_path: Path) -> None:
    config_file = tmp_path / "router.yaml"
    config_file.write_text(f"""
providers:
  gpustack:
    kind: openai
    base_url: {fake.openai_url}
    local: true
    models:
      text-embedding-3-small: {{capabilities: [embedding]}}
rules:
  - when: {{mode: embed}}
    use: [gpustack:text-embedding-3-small]
  - use: [gpustack:gpt-4o-mini]
""")
    router = build_router(load_router_config(config_file, {}), {}, data_dir=tmp_path)
    got = await router.embed(texts())
    await router.aclose()
    assert (got.provider, got.model, got.dim, len(got.vectors)) == ("gpustack", "text-embedding-3-small", 32, 2)
    assert list(got.vectors[1]) == pytest.approx(fake_embedding(DOCS[1], 32))
    assert got.usage is not None and got.usage.tokens_in == 11  # usage.prompt_tokens
    [sent] = fake.embed_requests()
    assert sent.path == "/v1/embeddings" and sent.json is not None
    assert sent.json["input"] == list(DOCS) and sent.json["encoding_format"] == "float"


async def test_similar_texts_are_closer_than_unrelated_ones(fake: FakeLLM) -> None:
    router = routed({"ollama": ollama(fake.url)}, "ollama:bge-m3")
    query, near, far = (await router.embed(texts(
        "сонячних панелей на дахах", "Сонячні панелі на даху школи", "Рецепт борщу з буряком"))).vectors
    await router.aclose()
    # Inflections share their 5-letter stems; unrelated words meet only by a hash collision (~1/sqrt(dim)).
    assert cosine(query, near) > 0.6 and cosine(query, near) > cosine(query, far) + 0.3
    assert fake_embedding("Борщ, буряк!") == fake_embedding("борщ буряк")
    assert fake_embedding("") == fake_embedding("  ") and math.isclose(math.hypot(*fake_embedding("")), 1.0)


@pytest.mark.parametrize("make", [ollama, lambda url: api(url + "/v1")], ids=["ollama", "openai"])
@pytest.mark.parametrize(("fail", "model", "error", "kind"), [
    (None, "nope:1b", ModelNotFound, "not_found"),  # unknown model: 404
    (None, "qwen3:8b", ProviderError, "error"),  # a chat model: 400 "does not support embeddings"
    ("500", "bge-m3", ProviderUnavailable, "unavailable"),
    ("429", "bge-m3", RateLimited, "rate_limited"),
    ("hang", "bge-m3", ProviderTimeout, "timeout"),  # the total timeout; first-token does not apply
])
async def test_provider_errors_are_translated_like_chat(
    fake: FakeLLM, make: object, fail: str | None, model: str, error: type[ProviderError], kind: str
) -> None:
    provider = make(fake.url)
    if fail:
        fake.fail(fail, retry_after=7)
    with pytest.raises(error) as err:
        await provider.embed(model, ["a"])
    await provider.aclose()
    assert err.value.kind == kind and (err.value.provider, err.value.model) == (provider.name, model)
    if kind == "rate_limited":
        assert err.value.retry_after == 7


@pytest.mark.parametrize("make", [ollama, lambda url: api(url + "/v1")], ids=["ollama", "openai"])
async def test_a_refused_connection_is_unavailable(make: object) -> None:
    provider = make(FakeLLM.refusing_url())
    with pytest.raises(ProviderUnavailable) as err:
        await provider.embed("bge-m3", ["a"])
    await provider.aclose()
    assert err.value.kind == "unavailable"


async def test_the_fake_reports_embedding_length_and_drops_a_cut_embed(fake: FakeLLM) -> None:
    import ollama as sdk

    client = sdk.AsyncClient(host=fake.url)
    shown = await client.show("bge-m3")
    await client.close()
    assert shown.capabilities == ["embedding"] and any(
        k.endswith(".embedding_length") and v == 64 for k, v in (shown.modelinfo or {}).items())
    provider = ollama(fake.url)
    fake.fail("cut")
    with pytest.raises(ProviderUnavailable):
        await provider.embed("bge-m3", ["a"])
    await provider.aclose()


# -- routing -------------------------------------------------------------------


async def test_a_model_without_embedding_gets_no_embed_request(fake: FakeLLM) -> None:
    router = routed({"ollama": ollama(fake.url)}, "ollama:qwen3:8b", "ollama:bge-m3")
    got = await router.embed(texts())
    await router.aclose()
    assert got.model == "bge-m3"
    assert [r.json["model"] for r in fake.embed_requests() if r.json] == ["bge-m3"]


async def test_the_embedded_chat_model_is_never_asked_to_embed(fake: FakeLLM, tmp_path: Path) -> None:
    embedded = EmbeddedProvider("embedded", tmp_path / "absent.gguf")
    assert not isinstance(embedded, Embedder) and "embedding" not in await embedded.capabilities("default")
    router = routed({"embedded": embedded, "ollama": ollama(fake.url)}, "embedded:default", "ollama:bge-m3")
    assert (await router.embed(texts())).provider == "ollama"
    await router.aclose()


async def test_first_target_refuses_connections_second_serves(fake: FakeLLM, ledger: UsageLedger) -> None:
    providers = {"down": api(FakeLLM.refusing_url() + "/v1", "down"), "ollama": ollama(fake.url)}
    router = routed(providers, "down:text-embedding-3-small", "ollama:bge-m3",
                    usage=UsageGuard(ledger, now=lambda: KYIV_EVENING))
    got = await router.embed(texts(user_id=7))
    await router.aclose()
    assert got.provider == "ollama" and got.dim == 64
    rows = await usage_rows(ledger)
    assert [(r.provider, r.mode, r.outcome) for r in rows] == [("down", "embed", "unavailable"),
                                                                ("ollama", "embed", "ok")]


async def test_circuit_opens_after_failures_and_the_target_is_skipped(fake: FakeLLM) -> None:
    now = [0.0]
    breakers = CircuitBreakers(BreakerPolicy(failures=2, cooldown=30), clock=lambda: now[0])
    async with FakeLLM(models=MODELS) as spare:
        router = routed({"flaky": ollama(fake.url, "flaky"), "spare": ollama(spare.url, "spare")},
                        "flaky:bge-m3", "spare:bge-m3", breakers=breakers)
        fake.fail("500", count=2)
        for _ in range(3):
            assert (await router.embed(texts())).provider == "spare"
        assert len(fake.embed_requests()) == 2, "the third embed skipped the open circuit"
        assert breakers.state(Target("flaky", "bge-m3")).status == "open"
        now[0] += 31  # cool-down over: one probe, which succeeds and closes the circuit
        assert (await router.embed(texts())).provider == "flaky"
        assert breakers.state(Target("flaky", "bge-m3")).status == "closed"
        await router.aclose()


async def test_local_only_skips_a_non_local_provider(fake: FakeLLM) -> None:
    router = routed({"api": api(fake.openai_url), "ollama": ollama(fake.url)},
                    "api:text-embedding-3-small", "ollama:bge-m3")
    assert (await router.embed(texts(local_only=True))).provider == "ollama"
    assert [r.path for r in fake.embed_requests()] == ["/api/embed"]
    await router.aclose()


async def test_local_only_with_nothing_local_left_sends_nothing_out(fake: FakeLLM) -> None:
    router = routed({"api": api(fake.openai_url), "ollama": ollama(FakeLLM.refusing_url())},
                    "api:text-embedding-3-small", "ollama:bge-m3")
    with pytest.raises(LocalOnlyUnavailable):
        await router.embed(texts(local_only=True))
    await router.aclose()
    assert fake.requests == [], "the document never left the machine"


async def test_all_targets_failing_raises_with_every_error(fake: FakeLLM) -> None:
    router = routed({"ollama": ollama(fake.url)}, "ollama:qwen3:8b", "ollama:bge-m3")
    fake.fail("500")
    with pytest.raises(AllTargetsFailed) as err:
        await router.embed(texts())
    await router.aclose()
    assert not isinstance(err.value, LocalOnlyUnavailable)
    assert [(e.model, e.kind) for e in err.value.errors] == [("qwen3:8b", "capability"), ("bge-m3", "unavailable")]


async def test_pinned_targets_and_no_texts() -> None:
    a = ScriptedProvider("a", capabilities=frozenset({"embedding"}), dim=4)
    b = ScriptedProvider("b", capabilities=frozenset({"embedding"}), dim=4)
    router = routed({"a": a, "b": b}, "a:e5", "b:e5")
    got = await router.embed(texts("x"), targets=[Target("b", "e5")])  # the model a collection was built with
    assert (got.provider, got.dim, a.embeds) == ("b", 4, [])
    empty = await router.embed(EmbedRequest(texts=()))
    assert (empty.vectors, empty.dim, b.embeds) == ((), 0, [("e5", ("x",))])


def test_the_shipped_config_routes_embeds_to_bge_m3() -> None:
    config = load_router_config(Path(__file__).resolve().parents[2] / "config" / "router.yaml", {})
    rule = match(config.compiled_rules(), RouteContext(mode="embed"))
    assert rule.targets == (Target("ollama", "bge-m3"),)


# -- usage rows and quotas -----------------------------------------------------


async def usage_rows(ledger: UsageLedger) -> list:
    return await ledger.db.run(lambda c: c.execute(select(Usage).order_by(Usage.id)).all())


async def test_embeds_leave_usage_rows_but_spend_no_user_or_group_quota(fake: FakeLLM, ledger: UsageLedger) -> None:
    guard = UsageGuard(ledger, tz="Europe/Kyiv", now=lambda: KYIV_EVENING, user=DailyQuota(requests=1),
                       limits={"ollama": ProviderLimits(price=Price(2.0, 8.0))})
    router = routed({"ollama": ollama(fake.url)}, "ollama:bge-m3", usage=guard)
    day = guard.day()
    async for _ in router.stream(ChatRequest((ChatMessage("user", "привіт"),), user_id=7, agent="helion")):
        pass  # the user's one request of the day
    before = (await ledger.totals("user", 7, day), await usage_report(guard, ledger, 7, "en", {}))
    fake.fail("500")
    with pytest.raises(AllTargetsFailed):
        await router.embed(texts(user_id=7, chat_id=-100, agent="helion", bot="main"))
    got = await router.embed(texts(user_id=7, chat_id=-100, agent="helion", bot="main"))
    assert got.dim == 64, "a user over their chat quota still has documents embedded"
    assert (await ledger.totals("user", 7, day), await usage_report(guard, ledger, 7, "en", {})) == before
    assert (await ledger.totals("chat", -100, day)).tokens == 0
    *_, failed, ok = await usage_rows(ledger)
    assert (failed.mode, failed.outcome, failed.tokens_in) == ("embed", "unavailable", 0)
    assert (ok.mode, ok.outcome, ok.provider, ok.model, ok.user_id, ok.chat_id, ok.agent, ok.bot) == (
        "embed", "ok", "ollama", "bge-m3", 7, -100, "helion", "main")
    assert (ok.tokens_in, ok.tokens_out, ok.cost) == (11, 0, pytest.approx(11 * 2.0 / 1_000_000))
    with pytest.raises(QuotaExceeded):  # …while their chat quota stays used up
        async for _ in router.stream(ChatRequest((ChatMessage("user", "ще"),), user_id=7)):
            pass
    await router.aclose()


async def test_embeds_count_toward_the_providers_daily_tokens(fake: FakeLLM, ledger: UsageLedger) -> None:
    guard = UsageGuard(ledger, now=lambda: KYIV_EVENING, limits={"ollama": ProviderLimits(daily_tokens=20)})
    router = routed({"ollama": ollama(fake.url)}, "ollama:bge-m3", usage=guard)
    await router.embed(texts())
    assert await ledger.provider_tokens("ollama", guard.day()) == 11
    await router.embed(texts())  # 22 ≥ 20: the quota is used up
    with pytest.raises(AllTargetsFailed) as err:
        await router.embed(texts())
    await router.aclose()
    assert [e.kind for e in err.value.errors] == ["quota"] and len(fake.embed_requests()) == 2


async def test_ledger_keeps_embed_rows_out_of_user_and_chat_sums(ledger: UsageLedger) -> None:
    day = "2026-11-30"
    at = datetime(2026, 11, 30, 10, tzinfo=UTC)
    row = UsageRow(at=at, day=day, provider="ollama", model="m", outcome="ok", user_id=7, chat_id=-5, agent="helion")
    await ledger.record(dataclasses.replace(row, tokens_in=10, tokens_out=5))
    await ledger.record(dataclasses.replace(row, mode="embed", tokens_in=100))
    assert (await ledger.totals("user", 7, day)).tokens == 15
    assert (await ledger.totals("chat", -5, day)).tokens == 15
    assert await ledger.provider_tokens("ollama", day) == 115
    [line] = await ledger.by_agent(7, day)
    assert (line.requests, line.tokens_in) == (1, 10)
