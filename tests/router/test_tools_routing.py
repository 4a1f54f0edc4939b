"""Tool requests in the router: capability checks and skips, failover, usage rows and quotas, config, search mode."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from base import ConfigError
from router.config import build_router, load_router_config
from router.core import ModelRouter
from router.errors import AllTargetsFailed, BadToolCall, QuotaExceeded
from router.providers.embedded import EmbeddedProvider
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.quotas import DailyQuota, UsageGuard
from router.specs import OpenAISpec
from router.testing import FakeLLM, Reply, ScriptedCall, ScriptedProvider
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Delta, Target, Tool, ToolCall
from storage.models import Usage
from storage.usage import UsageLedger

REPO = Path(__file__).resolve().parents[2]
FAST = Timeouts(connect=0.5, first_token=1.0, total=3.0)
SEARCH = Tool("web_search", "Search the web.", {"type": "object", "properties": {"query": {"type": "string"}}})
TOOLS = frozenset({"completion", "tools"})


def ask(text: str = "news about EcoMiner this week", *, tools: tuple[Tool, ...] = (SEARCH,)) -> ChatRequest:
    return ChatRequest(messages=(ChatMessage("user", text),), tools=tools, task="search", user_id=7, chat_id=7,
                       bot="main", agent="helion")


async def answer(router: ModelRouter, request: ChatRequest) -> tuple[str, list[ToolCall], list[Delta]]:
    deltas = [d async for d in router.stream(request)]
    return "".join(d.text for d in deltas), [c for d in deltas for c in d.tool_calls], deltas


def targets(*specs: str) -> list[Target]:
    return [Target.parse(s) for s in specs]


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


# -- capabilities ------------------------------------------------------------------------------------------


async def test_ollama_reads_tools_from_api_show(llm: FakeLLM) -> None:
    p = OllamaProvider("ollama", llm.url, timeouts=FAST)
    assert "tools" in (await p.capabilities("qwen3:8b") or ())
    assert "tools" not in (await p.capabilities("llava:7b") or ())
    await p.aclose()


async def test_a_model_without_tools_is_skipped_unasked_and_the_next_answers(llm: FakeLLM) -> None:
    router = ModelRouter({"ollama": OllamaProvider("ollama", llm.url, timeouts=FAST)},
                         {"chat": targets("ollama:llava:7b", "ollama:qwen3:8b")})
    llm.reply_tool_call("web_search", {"query": "EcoMiner"})
    text, [call], deltas = await answer(router, ask())
    assert text == "" and call.name == "web_search" and deltas[-1].model == "qwen3:8b"
    assert [r.json["model"] for r in llm.chat_requests()] == ["qwen3:8b"], "llava was never sent the tools"
    await router.aclose()


async def test_the_same_model_still_chats_when_no_tools_are_offered(llm: FakeLLM) -> None:
    router = ModelRouter({"ollama": OllamaProvider("ollama", llm.url, timeouts=FAST)},
                         {"chat": targets("ollama:llava:7b")})
    text, calls, _ = await answer(router, ask("привіт", tools=()))
    assert text == "echo: привіт" and calls == []
    await router.aclose()


async def test_no_tool_capable_target_is_a_capability_failure(llm: FakeLLM) -> None:
    api = OpenAICompatProvider("api", llm.openai_url, "k", timeouts=FAST)  # nothing configured: text only
    embedded = EmbeddedProvider("embedded", llm.refusing_url())  # never loaded: the capability check says no
    router = ModelRouter({"api": api, "embedded": embedded}, {"chat": targets("api:gpt-4o-mini", "embedded:default")})
    with pytest.raises(AllTargetsFailed) as info:
        await answer(router, ask())
    assert [e.kind for e in info.value.errors] == ["capability", "capability"]
    assert "lacks tools" in str(info.value) and llm.chat_requests() == []
    await router.aclose()


async def test_failover_from_a_model_that_is_down_to_a_tool_model(llm: FakeLLM) -> None:
    router = ModelRouter({"ollama": OllamaProvider("ollama", llm.url, timeouts=FAST),
                          "api": OpenAICompatProvider("api", llm.openai_url, "k", timeouts=FAST,
                                                      capabilities={"gpt-4o-mini": TOOLS})},
                         {"chat": targets("ollama:qwen3:8b", "api:gpt-4o-mini")})
    llm.fail("500")
    llm.reply_tool_call("web_search", {"query": "x"})
    _, [call], deltas = await answer(router, ask())
    assert call.name == "web_search" and deltas[-1].provider == "api"
    await router.aclose()


@pytest.mark.parametrize("after", [1, 3])
async def test_a_stream_cut_inside_the_calls_runs_no_tool_and_fails_over(llm: FakeLLM, after: int) -> None:
    api = OpenAICompatProvider("api", llm.openai_url, "k", timeouts=FAST, default_capabilities=TOOLS)
    router = ModelRouter({"api": api, "ollama": OllamaProvider("ollama", llm.url, timeouts=FAST)},
                         {"chat": targets("api:gpt-4o-mini", "ollama:qwen3:8b")})
    llm.fail("cut", after_tokens=after)  # the first call's fragments (or its whole chunk) only, then the line drops
    llm.reply(tool_calls=[("web_search", {"query": "a long enough query"}), ("read_page", {"url": "u"})])
    _, calls, deltas = await answer(router, ask())
    assert [c.name for c in calls] == ["web_search", "read_page"] and deltas[-1].provider == "ollama"
    assert sum(bool(d.tool_calls) for d in deltas) == 1, "the broken answer's half calls never surfaced"
    await router.aclose()


# -- bad tool calls and usage ------------------------------------------------------------------------------


async def test_bad_arguments_fail_over_and_leave_usage_rows(llm: FakeLLM, ledger: UsageLedger) -> None:
    api = OpenAICompatProvider("api", llm.openai_url, "k", timeouts=FAST, default_capabilities=TOOLS)
    router = ModelRouter({"api": api, "ollama": OllamaProvider("ollama", llm.url, timeouts=FAST)},
                         {"chat": targets("api:gpt-4o-mini", "ollama:qwen3:8b")}, usage=UsageGuard(ledger))
    llm.reply_tool_call("web_search", '{"query": ')
    llm.reply_tool_call("web_search", {"query": "ok"})
    text, [call], _ = await answer(router, ask())
    assert text == "" and dict(call.arguments) == {"query": "ok"}
    bad, good = await ledger.db.run(lambda c: c.execute(select(Usage).order_by(Usage.id)).all())
    assert (bad.provider, bad.outcome) == ("api", "bad_tool_call") and "not valid JSON" in (bad.error or "")
    assert (good.provider, good.outcome, good.mode) == ("ollama", "ok", "search") and good.tokens_out > 0
    await router.aclose()


async def test_a_tool_only_answer_counts_against_the_users_quota(ledger: UsageLedger) -> None:
    calls = [Reply.of(tool_calls=[("web_search", {"query": "a"})]), Reply.of(tool_calls=[("read_page", {})])]
    local = ScriptedProvider("ollama", replies=list(calls), capabilities=TOOLS)
    guard = UsageGuard(ledger, user=DailyQuota(requests=1), now=lambda: datetime(2026, 5, 1, 12, tzinfo=UTC))
    router = ModelRouter({"ollama": local}, {"chat": targets("ollama:qwen3:8b")}, usage=guard)
    _, [call], deltas = await answer(router, ask())
    assert call == ToolCall("call_1", "web_search", {"query": "a"}) and deltas[-1].usage is not None
    [row] = await ledger.db.run(lambda c: c.execute(select(Usage)).all())
    assert row.outcome == "ok" and row.tokens_out == deltas[-1].usage.tokens_out > 0
    with pytest.raises(QuotaExceeded):
        await answer(router, ask())


async def test_scripted_provider_plays_tool_calls_and_refuses_bad_arguments() -> None:
    p = ScriptedProvider(replies=[Reply.of("so", [ScriptedCall("read_page", {"url": "u"}, "c1")]),
                                  Reply.of(tool_calls=[("read_page", "{bad")])], capabilities=TOOLS)
    deltas = [d async for d in p.stream("m", ask())]
    assert [d.text for d in deltas] == ["so", ""] and deltas[-1].tool_calls == (ToolCall("c1", "read_page",
                                                                                         {"url": "u"}),)
    with pytest.raises(BadToolCall):
        _ = [d async for d in p.stream("m", ask())]
    assert p.calls[0][1].tools == (SEARCH,), "the request (and its tools) is recorded"


# -- FakeLLM scripting -------------------------------------------------------------------------------------


async def test_a_responder_can_answer_with_tool_calls_and_think_blocks_stay_hidden(llm: FakeLLM) -> None:
    seen: list[int] = []

    def responder(messages: list[dict[str, object]]) -> str | Reply:
        seen.append(len(messages))
        done = any(m.get("role") == "tool" for m in messages)
        return "Готово [1]." if done else Reply.of(tool_calls=[("web_search", {"query": "q"})])

    llm.responder, llm.emit_think = responder, True
    p = OllamaProvider("ollama", llm.url, timeouts=FAST)
    first = [d async for d in p.stream("qwen3:8b", ask())]
    [call] = first[-1].tool_calls
    assert "".join(d.text for d in first) == "", "the think block is hidden; only the call is left"
    turns = (ChatMessage("user", "q"), ChatMessage("assistant", "", tool_calls=(call,)),
             ChatMessage("tool", "result", tool_call_id=call.id))
    second = [d async for d in p.stream("qwen3:8b", ChatRequest(turns, tools=(SEARCH,)))]
    assert "".join(d.text for d in second) == "Готово [1]." and seen == [1, 3]
    await p.aclose()


async def test_reply_with_tool_calls_takes_at_most_one_text(llm: FakeLLM) -> None:
    with pytest.raises(ValueError, match="at most one text"):
        llm.reply("a", "b", tool_calls=[("web_search", {})])


# -- config -------------------------------------------------------------------------------------------------


def test_tools_flags_in_router_yaml(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text("""
providers:
  groq:  {kind: openai, base_url: http://g/v1, tools: true, models: {gemma: {capabilities: [completion]}}}
  other: {kind: openai, base_url: http://o/v1, models: {m1: {tools: true}, m2: {capabilities: [tools]}, m3: {}}}
rules:
  - use: [groq:llama, other:m1]
""", encoding="utf-8")
    config = load_router_config(path, {})
    groq, other = config.providers["groq"], config.providers["other"]
    assert isinstance(groq, OpenAISpec) and isinstance(other, OpenAISpec)
    assert groq.default_capabilities() == TOOLS and "tools" in groq.capabilities()["gemma"]
    assert other.capabilities() == {"m1": TOOLS, "m2": TOOLS, "m3": frozenset({"completion"})}
    router = build_router(config, {}, data_dir=tmp_path)
    assert isinstance(router.providers["other"], OpenAICompatProvider)


async def test_provider_wide_tools_reach_the_built_provider(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text("providers:\n  groq: {kind: openai, base_url: http://g/v1, tools: true}\n"
                    "rules:\n  - use: [groq:llama]\n", encoding="utf-8")
    router = build_router(load_router_config(path, {}), {}, data_dir=tmp_path)
    assert await router.providers["groq"].capabilities("any-model") == TOOLS
    await router.aclose()


def test_tools_flag_is_refused_where_the_server_says_it(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text("providers:\n  ollama: {kind: ollama, base_url: http://o, tools: true}\n"
                    "rules:\n  - use: [ollama:qwen3:8b]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="providers.ollama.tools"):
        load_router_config(path, {})


def test_search_mode_routes_like_chat_in_the_shipped_config(tmp_path: Path) -> None:
    config = load_router_config(REPO / "config" / "router.yaml", {})
    rules = config.compiled_rules()
    search = next(r for r in rules if r.when.get("mode") == "search")
    assert search.targets == config.profiles["local"] == tuple(targets("ollama:qwen3:8b", "embedded:default"))
    router = ModelRouter({"ollama": ScriptedProvider("ollama"), "embedded": ScriptedProvider("embedded")},
                         rules=[r for r in rules if all(t.provider in ("ollama", "embedded") for t in r.targets)])
    assert router.targets_for(ask()) == router.targets_for(ChatRequest((ChatMessage("user", "hi"),)))
