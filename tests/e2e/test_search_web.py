"""/search through the fake Bot API with the real crew: SSRF refusals, failover, an injected page, bad input.

Real CrewAI over our router and the fake LLM, fake search engines and pages on 127.0.0.1; each test asserts what
the user sees in the chat (every text sent or edited), and what the model and the engines received.
"""
from __future__ import annotations

import functools
import re

import pytest

import web.search as web_search
from agents.search.prompts import CLOSE, DATA_RULE, OPEN
from tests.e2e.search_web import GOOD, QUESTION, ask, fake_web, helion, research, shown, sources, web_rows
from tests.harness import prompt_of, running_bot
from web.brave_tavily import BraveBackend, TavilyBackend
from web.testing import ARTICLE_TITLE, INJECTION, FakeSearxng

pytest.importorskip("crewai")  # the `search` extra


@pytest.fixture
async def web(monkeypatch):
    async with fake_web(monkeypatch) as fakes:
        yield fakes


# SSRF: a hit that redirects to the metadata service or to another loopback port is never read nor cited.

async def test_hits_redirecting_to_private_addresses_are_not_read_and_never_cited(tmp_path, tg, llm, monkeypatch,
                                                                                 web):
    search, pages = web
    search.set_results(("Cloud metadata", pages.url("/to-metadata"), "EcoMiner keys."),
                       ("Internal panel", pages.url("/to-local"), "EcoMiner admin."),
                       (ARTICLE_TITLE, pages.url("/article"), "A solar data centre in Lviv."))
    llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
    llm.reply(tool_calls=[("read_page", {"url": pages.url("/to-metadata")}),
                          ("read_page", {"url": pages.url("/to-local")})])
    llm.reply_tool_call("read_page", {"url": pages.url("/article")})
    llm.reply("read [1]")
    llm.reply("EcoMiner opened a solar data centre in Lviv [1], its keys are in the panel [2][3].")
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        answer = await ask(bot, QUESTION)
        assert answer == helion("EcoMiner opened a solar data centre in Lviv [1], its keys are in the panel.",
                                pages, "/article")
        assert pages.other_hits == 0, "the internal server was never reached"
        seen = "\n".join(shown(tg))
        assert "169.254" not in seen and pages.other_url.split("/secret")[0] not in seen
        assert "to-local" not in seen and "to-metadata" not in seen and "secrets" not in seen
        refused = [r for r in llm.tool_results_of(llm.chat_requests()[2]) if "could not be read" in r]
        assert len(refused) == 2 and all("private_address" in r for r in refused)
        assert (await web_rows(bot)).count(("read", "127.0.0.1", False)) == 2


# Failover: the first engine answers garbage or 429, the next one answers.

@pytest.mark.parametrize(("mode", "second"), [("garbage", "brave"), ("429", "tavily")])
async def test_a_failing_first_engine_fails_over_to_the_next(tmp_path, tg, llm, monkeypatch, web, mode, second):
    first, pages = web
    async with FakeSearxng() as other:
        other.set_results((ARTICLE_TITLE, pages.url("/article"), "A solar data centre in Lviv."))
        first.fail(mode, count=5)
        key = f"{second}-secret-key-0123456789"
        monkeypatch.setenv("SEARCH_BACKENDS", f"searxng,{second}")
        monkeypatch.setenv(f"{second.upper()}_API_KEY", key)
        # The API backends' production URLs, pointed at the second fake (its Brave and Tavily wires).
        monkeypatch.setattr(web_search, "BraveBackend", functools.partial(BraveBackend, url=other.brave_url))
        monkeypatch.setattr(web_search, "TavilyBackend", functools.partial(TavilyBackend, url=other.tavily_url))
        research(llm, pages, "/article")
        llm.reply(GOOD)
        async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
            assert await ask(bot, QUESTION) == helion(GOOD, pages, "/article")
            assert first.queries() == ["EcoMiner Lviv"] and [r.wire for r in other.requests] == [second]
            rows = await web_rows(bot)
            assert [r for r in rows if r[0] != "question"] == [("search", "searxng", False), ("search", second, True),
                                                               ("read", "127.0.0.1", True)]
            assert ("question", "command", True) in rows
            assert not any(key in t or "rate_limited" in t or "bad_json" in t for t in shown(tg))


# A page that tries to change the persona's rules reaches the model only as quoted data.

def quoted_only(text: str) -> bool:
    """Every occurrence of the injected sentence sits between the data markers."""
    spans = [(m.start(), m.end()) for m in re.finditer(re.escape(OPEN) + ".*?" + re.escape(CLOSE), text, re.DOTALL)]
    return all(any(a < m.start() < b for a, b in spans) for m in re.finditer(re.escape(INJECTION), text))


async def test_an_injected_instruction_reaches_the_model_only_as_quoted_data(tmp_path, tg, llm, monkeypatch, web):
    search, pages = web
    search.set_results(("Totally normal recipe", pages.url("/injected"), "Borscht."))
    llm.reply_tool_call("web_search", {"query": "EcoMiner borscht"})
    llm.reply_tool_call("read_page", {"url": pages.url("/injected")})
    llm.reply("read [1]")
    llm.reply("Simmer the beetroot first [1].")
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        answer = await ask(bot, "/search How does EcoMiner's canteen cook borscht?")
        assert answer == helion("Simmer the beetroot first [1].", pages, "/injected")
        assert not any(INJECTION in t or "pirate" in t for t in shown(tg))
        persona = prompt_of(bot, "helion")
        seen = 0
        for record in llm.chat_requests():
            for message in record.json["messages"]:
                content = str(message.get("content") or "")
                if message["role"] == "system":
                    assert INJECTION not in content, "page text never becomes part of a system prompt"
                if INJECTION in content:
                    seen += 1
                    assert quoted_only(content), content
        assert seen >= 2, "the researcher's tool result and the writer's task"
        writer = llm.chat_requests()[-1].json["messages"]
        assert writer[0]["role"] == "system" and persona in writer[0]["content"], "the persona's rules are intact"
        assert DATA_RULE in writer[-1]["content"]


# Bad input: an unexpected script, the only engine answering garbage.

async def test_questions_in_unexpected_scripts_are_answered_with_sources(tmp_path, tg, llm, monkeypatch, web):
    search, pages = web
    chinese = "EcoMiner在利沃夫开了什么？"
    llm.reply_tool_call("web_search", {"query": chinese})
    llm.reply_tool_call("read_page", {"url": pages.url("/article")})
    llm.reply("read [1]")
    llm.reply("EcoMiner在利沃夫开设了一个太阳能数据中心 [1]。")
    arabic = "ما هو سعر صرف الهريفنيا اليوم؟"
    llm.reply("", "")  # the researcher answers nothing, twice: the plain path searches the Arabic question itself
    llm.reply("السعر الرسمي 41.25 [2].")
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        answer = await ask(bot, f"/search {chinese}", language_code="zh-hans")
        assert answer == helion("EcoMiner在利沃夫开设了一个太阳能数据中心 [1]。", pages, "/article")
        answer = await ask(bot, f"/search {arabic}", language_code="ar")
        assert answer == "السعر الرسمي 41.25 [2].\n\n" + sources(pages, "/article", "/article-2")
        assert search.queries()[0] == chinese and search.queries()[-1] == arabic, "sent intact, not mangled"
        assert not any("Traceback" in t or "Error" in t for t in shown(tg))
        assert await ask(bot, "/whoami"), "the bot is alive"


async def test_the_only_engine_answering_garbage_is_a_clear_message(tmp_path, tg, llm, monkeypatch, web):
    search, pages = web
    search.fail("garbage")
    llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        notice = await ask(bot, QUESTION)
        assert notice == "The search services are not answering right now. Please try again in a few minutes."
        assert not any("not json" in t or "Bad gateway" in t or "bad_json" in t for t in shown(tg))
        assert len(llm.chat_requests()) == 1 and len(search.requests) == 1, "the crew stopped at the failed search"
        research(llm, pages, "/article")  # the engine is back: the bot answers the next search
        llm.reply(GOOD)
        assert await ask(bot, QUESTION) == helion(GOOD, pages, "/article")
