"""Tool calls over both wires: our providers and the official clients against FakeLLM, streamed and not."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import ollama
import openai
import pytest
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from router.errors import BadToolCall, ProviderError, StreamCut
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.testing import FakeLLM, Reply, ScriptedCall
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Delta, Tool, ToolCall

FAST = Timeouts(connect=0.5, first_token=1.0, total=3.0)
PROTOCOLS = ["ollama", "openai"]
MODEL = {"ollama": "qwen3:8b", "openai": "gpt-4o-mini"}  # both tool-capable in the fake's model table
SEARCH = Tool("web_search", "Search the web; returns titles, links and snippets.",
              {"type": "object", "properties": {"query": {"type": "string", "description": "what to look up"}},
               "required": ["query"]})
READ = Tool("read_page", "Fetch a page and return its text.",
            {"type": "object", "properties": {"url": {"type": "string"}}, "required": ["url"]})


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


def provider(protocol: str, llm: FakeLLM) -> OllamaProvider | OpenAICompatProvider:
    if protocol == "ollama":
        return OllamaProvider("ollama", llm.url, timeouts=FAST)
    return OpenAICompatProvider("api", llm.openai_url, "sk-test", timeouts=FAST)


def ask(*turns: ChatMessage, tools: tuple[Tool, ...] = (SEARCH, READ)) -> ChatRequest:
    return ChatRequest(messages=turns or (ChatMessage("user", "який курс гривні сьогодні?"),), tools=tools,
                       task="search")


async def run(protocol: str, llm: FakeLLM, request: ChatRequest) -> tuple[str, list[ToolCall], list[Delta]]:
    p = provider(protocol, llm)
    try:
        deltas = [d async for d in p.stream(MODEL[protocol], request)]
    finally:
        await p.aclose()
    return "".join(d.text for d in deltas), [c for d in deltas for c in d.tool_calls], deltas


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_reply_with_only_a_tool_call_is_a_whole_answer_with_usage(protocol: str, llm: FakeLLM) -> None:
    llm.reply_tool_call("web_search", {"query": "курс гривні"})
    text, calls, deltas = await run(protocol, llm, ask())
    assert text == ""
    [call] = calls
    assert (call.name, dict(call.arguments)) == ("web_search", {"query": "курс гривні"}) and call.id
    last = deltas[-1]
    assert last.tool_calls == (call,), "complete calls leave with the last delta"
    assert last.usage is not None and last.usage.tokens_out > 0 and last.usage.first_token_ms is not None
    [record] = llm.chat_requests()
    assert llm.tools_of(record) == ["web_search", "read_page"]
    declared = record.json["tools"][0]
    assert declared["type"] == "function" and declared["function"]["parameters"]["required"] == ["query"]
    assert declared["function"]["parameters"]["properties"]["query"]["type"] == "string"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_text_then_two_calls_arrive_in_order(protocol: str, llm: FakeLLM) -> None:
    llm.reply("Шукаю і читаю.", tool_calls=[("web_search", {"query": "EcoMiner news"}),
                                            ("read_page", {"url": "https://example.com/a?b=1"})])
    text, calls, _ = await run(protocol, llm, ask())
    assert text == "Шукаю і читаю."
    assert [(c.name, dict(c.arguments)) for c in calls] == [
        ("web_search", {"query": "EcoMiner news"}), ("read_page", {"url": "https://example.com/a?b=1"})]
    assert len({c.id for c in calls}) == 2, "each call has its own id"


async def test_openai_fragments_are_assembled_by_index_and_keep_the_servers_ids(llm: FakeLLM) -> None:
    long_query = "новини про EcoMiner цього тижня, " * 5  # many 8-character fragments
    llm.reply(tool_calls=[ScriptedCall("web_search", {"query": long_query}, "call_a"),
                          ScriptedCall("read_page", {"url": "https://e.com"}, "call_b")])
    _, calls, _ = await run("openai", llm, ask())
    assert [(c.id, c.name, dict(c.arguments)) for c in calls] == [
        ("call_a", "web_search", {"query": long_query}), ("call_b", "read_page", {"url": "https://e.com"})]


async def test_an_older_ollama_that_answers_tools_in_one_done_chunk(llm: FakeLLM) -> None:
    llm.ollama_unstreamed_tools = True
    llm.reply("Ось.", tool_calls=[("web_search", {"query": "x"})])
    text, calls, deltas = await run("ollama", llm, ask())
    assert text == "Ось." and [c.name for c in calls] == ["web_search"]
    assert deltas[-1].usage is not None and deltas[-1].usage.tokens_out > 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_assistant_calls_and_tool_results_go_back_in_each_wires_form(protocol: str, llm: FakeLLM) -> None:
    llm.reply_tool_call("web_search", {"query": "курс"})
    _, [call], _ = await run(protocol, llm, ask())
    llm.reply("Курс — 41,2 грн за долар [1].")
    history = (ChatMessage("system", "Answer with sources."), ChatMessage("user", "який курс?"),
               ChatMessage("assistant", "", tool_calls=(call,)),
               ChatMessage("tool", "[1] НБУ: 41,2 грн/$", tool_call_id=call.id))
    text, calls, _ = await run(protocol, llm, ask(*history))
    assert text == "Курс — 41,2 грн за долар [1]." and calls == []
    record = llm.chat_requests()[-1]
    assert llm.tool_results_of(record) == ["[1] НБУ: 41,2 грн/$"]
    assistant, tool = record.json["messages"][2:]
    fn = assistant["tool_calls"][0]["function"]
    if protocol == "ollama":  # arguments as an object; the tool turn names its tool
        assert fn == {"name": "web_search", "arguments": {"query": "курс"}}
        assert tool == {"role": "tool", "content": "[1] НБУ: 41,2 грн/$", "tool_name": "web_search"}
    else:  # arguments as JSON text; the tool turn pairs with the call by id
        assert fn["name"] == "web_search" and json.loads(fn["arguments"]) == {"query": "курс"}
        assert assistant["tool_calls"][0]["id"] == call.id and assistant["content"] is None
        assert tool == {"role": "tool", "tool_call_id": call.id, "content": "[1] НБУ: 41,2 грн/$"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_bad_arguments_are_a_bad_tool_call_error(protocol: str, llm: FakeLLM) -> None:
    llm.reply_tool_call("web_search", '{"query": "курс')  # cut-off JSON (OpenAI) / a string, not an object (Ollama)
    with pytest.raises(BadToolCall) as info:
        await run(protocol, llm, ask())
    assert info.value.kind == "bad_tool_call" and info.value.model == MODEL[protocol]
    assert "web_search" in str(info.value) or protocol == "ollama"


async def test_arguments_that_are_json_but_not_an_object_are_refused(llm: FakeLLM) -> None:
    llm.reply_tool_call("web_search", '["курс"]')
    with pytest.raises(BadToolCall, match="must be a JSON object"):
        await run("openai", llm, ask())


async def test_bad_arguments_after_text_cut_the_stream(llm: FakeLLM) -> None:
    llm.reply_tool_call("web_search", "{oops", text="Зараз пошукаю.")
    with pytest.raises(StreamCut) as info:
        await run("openai", llm, ask())
    assert info.value.partial == "Зараз пошукаю." and "not valid JSON" in str(info.value)


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_call_without_arguments_parses_to_an_empty_object(protocol: str, llm: FakeLLM) -> None:
    llm.reply_tool_call("now")
    _, [call], _ = await run(protocol, llm, ask(tools=(Tool("now", "The time.", {}),)))
    assert (call.name, dict(call.arguments)) == ("now", {})
    declared = llm.chat_requests()[0].json["tools"][0]["function"]["parameters"]
    assert declared["type"] == "object", "an empty schema goes out as an object without properties"


@pytest.mark.parametrize(("protocol", "model"), [("ollama", "llava:7b"), ("openai", "gemma2-9b-it")])
async def test_the_fake_refuses_tools_to_a_model_without_them_like_a_server(protocol: str, model: str,
                                                                           llm: FakeLLM) -> None:
    llm.reply("never sent")
    p = provider(protocol, llm)
    with pytest.raises(ProviderError, match="does not support tools") as info:
        _ = [d async for d in p.stream(model, ask())]
    await p.aclose()
    assert info.value.kind == "error"  # a 400: this target cannot serve, the router moves on
    assert llm._replies, "a refused request consumes no scripted reply"


# -- the official clients, without our providers: the fake speaks each wire as its server does --------------


async def test_official_openai_client_not_streamed_gets_whole_tool_calls(llm: FakeLLM) -> None:
    llm.reply(tool_calls=[("web_search", {"query": "a"}), ("read_page", {"url": "u"})])
    client = openai.AsyncOpenAI(base_url=llm.openai_url, api_key="k", max_retries=0)
    tools: list[Any] = [{"type": "function", "function": {"name": "web_search", "parameters": {"type": "object"}}}]
    done = await client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "q"}],
                                                tools=tools)
    await client.close()
    choice = done.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    calls = choice.message.tool_calls or []
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls
            if isinstance(c, ChatCompletionMessageFunctionToolCall)
            ] == [("call_1", "web_search", {"query": "a"}), ("call_2", "read_page", {"url": "u"})]
    assert done.usage is not None and done.usage.completion_tokens > 0


async def test_official_openai_client_streamed_sees_fragments_by_index(llm: FakeLLM) -> None:
    llm.reply_tool_call("web_search", {"query": "довгий запит про сонячні станції"}, id="call_x")
    client = openai.AsyncOpenAI(base_url=llm.openai_url, api_key="k", max_retries=0)
    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "q"}], stream=True,
        tools=[{"type": "function", "function": {"name": "web_search"}}])
    pieces, finish = [], None
    async for chunk in stream:
        for choice in chunk.choices:
            for frag in choice.delta.tool_calls or []:
                pieces.append((frag.index, frag.id, frag.function.name if frag.function else None,
                               frag.function.arguments if frag.function else None))
            finish = choice.finish_reason or finish
    await client.close()
    assert pieces[0] == (0, "call_x", "web_search", "") and finish == "tool_calls"
    assert all(p[1] is None and p[2] is None for p in pieces[1:]) and len(pieces) > 3
    assert json.loads("".join(p[3] or "" for p in pieces)) == {"query": "довгий запит про сонячні станції"}


@pytest.mark.parametrize("stream", [False, True])
async def test_official_ollama_client_gets_tool_calls_as_objects(stream: bool, llm: FakeLLM) -> None:
    llm.reply(Reply.of("Шукаю.", [("web_search", {"query": "a", "limit": 3})]))
    client = ollama.AsyncClient(host=llm.url)
    tools = [{"type": "function", "function": {"name": "web_search", "description": "d",
                                               "parameters": {"type": "object", "properties": {}}}}]
    if stream:
        parts = [p async for p in await client.chat(model="qwen3:8b", messages=[{"role": "user", "content": "q"}],
                                                    tools=tools, stream=True)]
    else:
        parts = [await client.chat(model="qwen3:8b", messages=[{"role": "user", "content": "q"}], tools=tools)]
    text = "".join(p.message.content or "" for p in parts)
    calls = [c for p in parts for c in p.message.tool_calls or []]
    assert text == "Шукаю." and parts[-1].done and (parts[-1].eval_count or 0) > 0
    assert [(c.function.name, dict(c.function.arguments)) for c in calls] == [("web_search",
                                                                                {"query": "a", "limit": 3})]


async def test_the_fake_refuses_a_tool_turn_that_answers_no_call(llm: FakeLLM) -> None:
    client = openai.AsyncOpenAI(base_url=llm.openai_url, api_key="k", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="role 'tool'"):
        await client.chat.completions.create(model="gpt-4o-mini", messages=[
            {"role": "user", "content": "q"}, {"role": "tool", "tool_call_id": "nope", "content": "r"}])
    await client.close()


def test_fragments_from_lenient_servers_still_assemble() -> None:
    from router.providers._tools import CallAssembler

    calls = CallAssembler()
    calls.feed(None, id="g1", name="web_search", arguments={"query": "a"})  # Gemini: no index, an object
    calls.feed(None, id="g2", name="read_page", arguments="")
    calls.feed(None, name="read_page", arguments='{"url": ')  # no id: continues the last call; name repeated
    calls.feed(None, arguments='"u"}')
    calls.feed(5, id="s", name="no")  # a name split over fragments
    calls.feed(5, name="w")
    assert [(c.id, c.name, dict(c.arguments)) for c in calls.calls()] == [
        ("g1", "web_search", {"query": "a"}), ("g2", "read_page", {"url": "u"}), ("s", "now", {})]
    nameless = CallAssembler()
    nameless.feed(0, id="x", arguments="{}")
    with pytest.raises(BadToolCall, match="names no function"):
        nameless.calls()
