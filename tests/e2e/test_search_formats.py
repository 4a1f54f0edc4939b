"""/search through the fake Bot API with the real crew when a small model breaks CrewAI's format.

Real CrewAI over our router and the fake LLM (scripted researcher and writer), fake SearXNG and pages on 127.0.0.1;
each case still ends in an answer with sources, and the user never sees the broken output.
"""
from __future__ import annotations

import json
import logging

import pytest

from tests.e2e.search_web import GOOD, QUESTION, ask, fake_web, helion, research, shown, sources
from tests.harness import running_bot

pytest.importorskip("crewai")  # the `search` extra

CALL = {"name": "web_search", "arguments": {"query": "EcoMiner Lviv"}}


@pytest.fixture
async def web(monkeypatch):
    async with fake_web(monkeypatch) as fakes:
        yield fakes


@pytest.fixture
def reasons(caplog):
    """Why each crew attempt gave no answer, as the runner logged it (proves which guard a test went through)."""
    caplog.set_level(logging.INFO, logger="agents.search.runner")
    return lambda: [r.getMessage().rpartition("(")[2].rstrip(")") for r in caplog.records
                    if r.name == "agents.search.runner" and "gave no answer" in r.getMessage()]


@pytest.mark.parametrize("where", ["in_the_answer", "in_every_reply"])
async def test_thinking_is_never_shown(tmp_path, tg, llm, monkeypatch, web, reasons, where):
    _, pages = web
    research(llm, pages, "/article")
    if where == "in_every_reply":  # qwen3 thinking aloud before each call and answer, as the fake streams it
        llm.emit_think = True
        llm.reply(GOOD)
    else:
        llm.reply("<think>The user wants Lviv. My secret plan: cite page one.</think>\n\n" + GOOD)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        assert await ask(bot, QUESTION) == helion(GOOD, pages, "/article")
        assert not any("think>" in t or "secret plan" in t or "reasoning" in t for t in shown(tg))
        assert len(llm.chat_requests()) == 4 and reasons() == [], "no retry needed"


async def test_a_tool_call_written_as_the_answer_is_asked_again_strictly(tmp_path, tg, llm, monkeypatch, web,
                                                                        reasons):
    _, pages = web
    research(llm, pages, "/article")
    llm.reply(f"<tool_call>\n{json.dumps(CALL)}\n</tool_call>")  # the writer's "answer"
    llm.reply("read [1]")  # the strict retry: the page is already read
    llm.reply(GOOD)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        assert await ask(bot, QUESTION) == helion(GOOD, pages, "/article")
        assert not any("tool_call" in t or '"arguments"' in t for t in shown(tg))
        assert len(llm.chat_requests()) == 6 and reasons() == ["tool_call_text"]


async def test_tool_calls_written_as_text_every_time_fall_back_to_the_plain_path(tmp_path, tg, llm, monkeypatch, web,
                                                                                 reasons):
    _, pages = web
    for _ in range(2):  # both crew attempts: the researcher writes its call as text and reads nothing
        llm.reply(f"<tool_call>\n{json.dumps(CALL)}\n</tool_call>")
        llm.reply("EcoMiner is probably a mining company.")  # the writer, with no page to cite
    plain = "A solar data centre in Lviv [1]; the hryvnia at 41.25 [2]."
    llm.reply(plain)  # search → read → one model call
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        assert await ask(bot, QUESTION) == helion(plain, pages, "/article", "/article-2")
        assert not any("tool_call" in t or "mining company" in t for t in shown(tg))
        assert llm.tools_of(llm.chat_requests()[-1]) == [], "the plain path offers no tools"
        assert reasons() == ["no_page_read"] * 2


async def test_the_same_call_until_max_iter_is_retried_and_answered(tmp_path, tg, llm, monkeypatch, web, reasons):
    search, pages = web
    for _ in range(3):  # the researcher's max_iter, the same search each time
        llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
    llm.reply("Done searching.")  # CrewAI's forced final answer
    llm.reply("EcoMiner is something in Lviv.")  # the writer, without a page read: not an answer to show
    research(llm, pages, "/article")
    llm.reply(GOOD)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        assert await ask(bot, QUESTION) == helion(GOOD, pages, "/article")
        assert not any("something in Lviv" in t for t in shown(tg))
        repeats = llm.tool_results_of(llm.chat_requests()[3])
        assert [r.startswith("You already ran this search") for r in repeats] == [False, True, True]
        assert search.queries() == ["EcoMiner Lviv"] * 4 and reasons() == ["repeated_call"]


async def test_a_final_reply_still_carrying_tool_calls_is_retried(tmp_path, tg, llm, monkeypatch, web, reasons):
    _, pages = web
    llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
    llm.reply_tool_call("read_page", {"url": pages.url("/article")})
    llm.reply_tool_call("read_page", {"url": pages.url("/article-2")})
    # CrewAI's forced final answer offers no tools, yet the model calls one: kickoff raises a ValidationError.
    llm.reply_tool_call("read_page", {"url": pages.url("/plain")})
    llm.reply("read [1], [2]")
    both = "Solar in Lviv [1]; the hryvnia at 41.25 [2]."
    llm.reply(both)
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        assert await ask(bot, QUESTION) == helion(both, pages, "/article", "/article-2")
        assert not any("ValidationError" in t or "read_page" in t for t in shown(tg))
        assert len(llm.chat_requests()) == 6 and reasons() == ["tool_calls_in_final"]


async def test_a_model_that_never_writes_an_answer_leaves_the_sources_and_says_so(tmp_path, tg, llm, monkeypatch,
                                                                                   web, reasons):
    _, pages = web
    llm.reply("", "", "<tool_call>{}</tool_call>")  # both crew attempts, then the plain path's one call
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        answer = await ask(bot, QUESTION)
        assert answer == ("→ ⚡ Helion\n\n⚠️ I couldn't write an answer from these pages; here they are, so you can "
                          "read them yourself.\n\n" + sources(pages, "/article", "/article-2"))
        assert not any("tool_call" in t or "ran out" in t for t in shown(tg)), "in time: not called partial"
        assert reasons() == ["empty"] * 2

