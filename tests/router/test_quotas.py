"""Usage rows, provider quotas (daily tokens, RPM), user and group quotas, privacy and capabilities in the router."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from router.core import ModelRouter
from router.errors import AllTargetsFailed, LocalOnlyUnavailable, ProviderUnavailable, QuotaExceeded
from router.providers.ollama import OllamaProvider
from router.quotas import DailyQuota, Price, ProviderLimits, UsageGuard
from router.testing import FakeLLM, ScriptedProvider
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Target
from storage.models import Usage
from storage.store import open_store
from storage.usage import UsageLedger

KYIV_EVENING = datetime(2026, 11, 24, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv (UTC+2)


class Clock:
    """A frozen clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def ask(text: str = "привіт", **kw: object) -> ChatRequest:
    fields: dict[str, object] = {"agent": "helion", "user_id": 7, "chat_id": 7, "bot": "main", **kw}
    return ChatRequest(messages=(ChatMessage("user", text),), **fields)


async def answer(router: ModelRouter, request: ChatRequest) -> tuple[str, str]:
    text, provider = "", ""
    async for delta in router.stream(request):
        text += delta.text
        provider = delta.provider
    return text, provider


async def usage_rows(ledger: UsageLedger) -> list:
    return await ledger.db.run(lambda c: c.execute(select(Usage).order_by(Usage.id)).all())


def make_router(ledger: UsageLedger, clock: Clock, providers: dict, targets: list[str], **guard: object) -> ModelRouter:
    return ModelRouter(providers, {"chat": [Target.parse(t) for t in targets]},
                       usage=UsageGuard(ledger, tz="Europe/Kyiv", now=clock, **guard))


async def test_every_call_leaves_a_usage_row_with_cost_and_outcome(ledger: UsageLedger) -> None:
    down = ScriptedProvider("groq", replies=[ProviderUnavailable("refused")], local=False)
    local = ScriptedProvider("ollama", replies=["сонячна станція"])
    limits = {"groq": ProviderLimits(price=Price(1.0, 2.0)), "ollama": ProviderLimits()}
    router = make_router(ledger, Clock(KYIV_EVENING), {"groq": down, "ollama": local},
                         ["groq:llama", "ollama:qwen3:8b"], limits=limits)
    assert (await answer(router, ask()))[0] == "сонячна станція"
    failed, ok = await usage_rows(ledger)
    assert (failed.provider, failed.outcome, failed.tokens_in + failed.tokens_out) == ("groq", "unavailable", 0)
    assert (ok.provider, ok.model, ok.outcome, ok.user_id, ok.chat_id, ok.agent) == (
        "ollama", "qwen3:8b", "ok", 7, 7, "helion")
    assert ok.tokens_out > 0 and ok.day == "2026-11-24" and ok.cost == 0.0 and ok.latency_ms >= 0


async def test_exhausted_daily_token_quota_moves_to_the_next_target_until_midnight(ledger: UsageLedger) -> None:
    clock = Clock(KYIV_EVENING)
    groq, local = ScriptedProvider("groq", local=False), ScriptedProvider("ollama")
    router = make_router(ledger, clock, {"groq": groq, "ollama": local}, ["groq:llama", "ollama:qwen3:8b"],
                         limits={"groq": ProviderLimits(daily_tokens=10, price=Price(0.5, 1.0))})
    assert (await answer(router, ask("раз два три чотири п'ять шість сім")))[1] == "groq"
    assert (await usage_rows(ledger))[0].cost > 0
    assert (await answer(router, ask("ще")))[1] == "ollama", "the free tier is used up: local model answers"
    assert len(groq.calls) == 1
    clock.at += timedelta(minutes=31)  # 00:01 in Kyiv: a new quota day
    assert (await answer(router, ask("новий день")))[1] == "groq"


async def test_requests_per_minute_limit_skips_then_recovers(ledger: UsageLedger) -> None:
    clock = Clock(KYIV_EVENING)
    groq, local = ScriptedProvider("groq", local=False), ScriptedProvider("ollama")
    router = make_router(ledger, clock, {"groq": groq, "ollama": local}, ["groq:llama", "ollama:qwen3:8b"],
                         limits={"groq": ProviderLimits(rpm=2)})
    served = [(await answer(router, ask(f"q{i}")))[1] for i in range(3)]
    assert served == ["groq", "groq", "ollama"]
    clock.at += timedelta(seconds=61)
    assert (await answer(router, ask("later")))[1] == "groq"


async def test_user_over_quota_is_refused_before_any_model_call(ledger: UsageLedger) -> None:
    clock = Clock(KYIV_EVENING)
    local = ScriptedProvider("ollama")
    router = make_router(ledger, clock, {"ollama": local}, ["ollama:qwen3:8b"], user=DailyQuota(requests=2))
    for i in range(2):
        await answer(router, ask(f"q{i}"))
    with pytest.raises(QuotaExceeded) as err:
        await answer(router, ask("третє"))
    assert (err.value.scope, err.value.requests, err.value.limit_requests) == ("user", 2, 2)
    assert err.value.resets_at == datetime(2026, 11, 25, 0, 0, tzinfo=router.usage.tz)
    assert len(local.calls) == 2, "nothing was sent to a model"
    await ledger.set_override("user", 7, tokens=None, requests=5)  # an admin raises this user's limit
    assert (await answer(router, ask("тепер можна")))[0]
    await ledger.set_override("user", 7, tokens=1, requests=None)  # …or cuts it to one token
    with pytest.raises(QuotaExceeded):
        await answer(router, ask("ні"))


async def test_an_override_limits_a_user_even_without_a_default_quota(ledger: UsageLedger) -> None:
    local = ScriptedProvider("ollama")
    router = make_router(ledger, Clock(KYIV_EVENING), {"ollama": local}, ["ollama:qwen3:8b"])  # no default limits
    for i in range(3):
        await answer(router, ask(f"q{i}"))  # nothing can refuse these: no sums are read for them
    await ledger.set_override("user", 7, tokens=None, requests=3)  # an admin limits this one user
    with pytest.raises(QuotaExceeded) as err:
        await answer(router, ask("четверте"))
    assert (err.value.scope, err.value.requests, err.value.limit_requests) == ("user", 3, 3)
    await ledger.set_override("user", 7, tokens=None, requests=0)  # …and lifts it again (0 = unlimited)
    assert (await answer(router, ask("знову можна")))[0]
    assert len(local.calls) == 4


async def test_group_quota_counts_every_member(ledger: UsageLedger) -> None:
    router = make_router(ledger, Clock(KYIV_EVENING), {"ollama": ScriptedProvider("ollama")}, ["ollama:qwen3:8b"],
                         group=DailyQuota(requests=2))
    for user in (1, 2):
        await answer(router, ask(chat="group", chat_id=-100, user_id=user))
    with pytest.raises(QuotaExceeded) as err:
        await answer(router, ask(chat="group", chat_id=-100, user_id=3))
    assert err.value.scope == "chat"
    assert (await answer(router, ask(user_id=3)))[0], "the same user in private is not limited by the group"


async def test_two_routers_on_one_database_share_the_quota(database_url: str) -> None:
    stores = [await open_store(database_url), await open_store(database_url)]
    clock = Clock(KYIV_EVENING)
    routers = [make_router(UsageLedger(s.db), clock, {"groq": ScriptedProvider("groq", local=False),
                                                       "ollama": ScriptedProvider("ollama")},
                           ["groq:llama", "ollama:qwen3:8b"], limits={"groq": ProviderLimits(daily_tokens=10)},
                           user=DailyQuota(requests=3)) for s in stores]
    assert (await answer(routers[0], ask("раз два три чотири п'ять шість сім")))[1] == "groq"
    assert (await answer(routers[1], ask("друга репліка")))[1] == "ollama", "replica 2 sees replica 1's tokens"
    await answer(routers[0], ask("третє"))
    with pytest.raises(QuotaExceeded):
        await answer(routers[1], ask("четверте"))
    for s in stores:
        await s.close()


async def test_local_only_request_never_reaches_a_cloud_target(ledger: UsageLedger) -> None:
    cloud = ScriptedProvider("groq", local=False)
    router = make_router(ledger, Clock(KYIV_EVENING), {"groq": cloud}, ["groq:llama"])
    with pytest.raises(LocalOnlyUnavailable):
        await answer(router, ask(local_only=True))
    assert cloud.calls == [] and await usage_rows(ledger) == []


async def test_a_text_only_model_is_never_sent_an_image_request() -> None:
    async with FakeLLM() as fake:
        ollama = OllamaProvider("ollama", fake.url, timeouts=Timeouts(1, 3, 10))
        router = ModelRouter({"ollama": ollama}, {"chat": [Target("ollama", "qwen3:8b"), Target("ollama", "llava:7b")]})
        text, _ = await answer(router, ask("що на фото?", has_image=True))
        assert text
        assert [r.json["model"] for r in fake.chat_requests()] == ["llava:7b"]
        assert [r.json["model"] for r in fake.requests if r.path == "/api/show"] == ["qwen3:8b", "llava:7b"]
        await answer(router, ask("ще фото", has_image=True))
        assert len([r for r in fake.requests if r.path == "/api/show"]) == 2, "capabilities are asked once per model"
        text_only = ModelRouter({"ollama": ollama}, {"chat": [Target("ollama", "qwen3:8b")]})
        with pytest.raises(AllTargetsFailed, match="lacks vision"):
            await answer(text_only, ask("фото", has_image=True))
        assert len(fake.chat_requests()) == 2
        await ollama.aclose()


async def test_a_request_needing_tools_skips_a_model_configured_without_them() -> None:
    plain = ScriptedProvider("api", local=False)
    tooled = ScriptedProvider("tools", local=False, capabilities=frozenset({"completion", "tools"}))
    router = ModelRouter({"api": plain, "tools": tooled}, {"chat": [Target("api", "m"), Target("tools", "m")]})
    assert (await answer(router, ask(needs=frozenset({"tools"}))))[1] == "tools"
    assert plain.calls == []
    assert (await answer(router, ask()))[1] == "api", "a plain request still goes to the first target"
