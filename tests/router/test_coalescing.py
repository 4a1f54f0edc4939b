"""Streamed text is coalesced: the first text at once, then a few deltas instead of one per token, all of it exact."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from router.core import ModelRouter
from router.errors import StreamCut
from router.providers._pace import Pace
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.testing import FakeLLM, tokenize
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Delta, Target

PROTOCOLS = ["ollama", "openai"]
ANSWER = " ".join(f"word{i}" for i in range(40))
TIMEOUTS = Timeouts(connect=2.0, first_token=5.0, total=30.0)


def make(protocol: str, llm: FakeLLM) -> OllamaProvider | OpenAICompatProvider:
    if protocol == "ollama":
        return OllamaProvider("p", llm.url, timeouts=TIMEOUTS)
    return OpenAICompatProvider("p", llm.openai_url, "sk-test", timeouts=TIMEOUTS)


def ask() -> ChatRequest:
    return ChatRequest(messages=(ChatMessage("user", "tell me"),))


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM(token_delay=0.02) as server:
        yield server


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_forty_tokens_arrive_in_far_fewer_deltas_and_exactly(llm: FakeLLM, protocol: str) -> None:
    llm.reply(ANSWER)
    router = ModelRouter({"p": make(protocol, llm)}, {"chat": [Target("p", "qwen3:8b")]})
    deltas: list[Delta] = [d async for d in router.stream(ask())]
    await router.aclose()
    texts = [d.text for d in deltas if d.text]
    assert "".join(texts) == ANSWER
    assert len(texts) <= len(tokenize(ANSWER)) // 2, f"{len(texts)} deltas for 40 tokens"
    assert texts[0] == tokenize(ANSWER)[0], "the first token goes out alone, at once"
    last = deltas[-1]
    assert last.text == "" and last.usage is not None and last.usage.tokens_out == 40


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_stream_cut_midway_reports_all_text_received(llm: FakeLLM, protocol: str) -> None:
    llm.reply(ANSWER)
    llm.fail("cut", after_tokens=25)
    provider = make(protocol, llm)
    seen: list[str] = []
    with pytest.raises(StreamCut) as info:
        async for delta in provider.stream("qwen3:8b", ask()):
            seen.append(delta.text)
    await provider.aclose()
    partial = "".join(tokenize(ANSWER)[:25])
    assert info.value.partial == partial, "text held back for the next delta is part of the partial answer"
    assert partial.startswith("".join(seen))


async def test_tool_calls_still_leave_with_the_last_delta(llm: FakeLLM) -> None:
    llm.reply_tool_call("web_search", {"query": "курс"}, text="Зараз пошукаю курс гривні.")
    provider = make("ollama", llm)
    deltas = [d async for d in provider.stream("qwen3:8b", ask())]
    await provider.aclose()
    assert "".join(d.text for d in deltas) == "Зараз пошукаю курс гривні."
    assert all(not d.tool_calls for d in deltas[:-1])
    assert [(c.name, dict(c.arguments)) for c in deltas[-1].tool_calls] == [("web_search", {"query": "курс"})]


def test_pace_sends_the_first_text_at_once_then_once_a_window() -> None:
    pace = Pace(window=0.05)
    assert pace.due(10.0) and pace.hold_until(10.0) is None
    pace.sent(10.0)
    assert not pace.due(10.01) and pace.hold_until(10.01) is None, "the first window is read eagerly"
    assert pace.due(10.06)
    pace.sent(10.06)
    assert pace.hold_until(10.07) == pytest.approx(10.11), "later, the socket rests until the window is over"
    assert pace.hold_until(10.2) is None
