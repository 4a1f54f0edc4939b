"""/search through the real stack: CrewAI over our router and the fake LLM, fake SearXNG and pages on 127.0.0.1."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storage.models import Usage, WebUse
from tests.e2e.search_fakes import STATUS
from tests.harness import running_bot
from web.testing import ARTICLE_TITLE, FakePages, FakeSearxng

pytest.importorskip("crewai")  # the `search` extra


@pytest.fixture
async def web(monkeypatch):
    """The bot's web settings point at fake SearXNG and pages; the pages' loopback port is explicitly allowed."""
    async with FakeSearxng() as search, FakePages() as pages:
        search.set_results((ARTICLE_TITLE, pages.url("/article"), "A solar data centre in Lviv."),
                           ("Курс гривні на сьогодні", pages.url("/article-2"), "Курс гривні."))
        monkeypatch.setenv("SEARXNG_URL", search.url)
        monkeypatch.setenv("SEARCH_BACKENDS", "searxng")
        monkeypatch.setenv("SEARCH_ALLOW_PRIVATE", f"127.0.0.1:{pages.port}")
        yield search, pages


async def test_search_answers_through_the_crew_with_the_pages_it_read(tmp_path, tg, llm, monkeypatch, web):
    search, pages = web
    llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
    llm.reply_tool_call("read_page", {"url": pages.url("/article")})
    llm.reply("read [1]")
    llm.reply("EcoMiner opened a solar-powered data centre in Lviv [1].")
    async with running_bot(tmp_path, tg=tg, llm=llm, monkeypatch=monkeypatch) as bot:
        bot.say("/search What did EcoMiner open in Lviv?", language_code="en", message_id=900)
        await tg.wait_for(lambda: any("Lviv [1]" in t for t in tg.sent_texts(1001)), timeout=60)
        answer = [c for c in tg.calls_of("sendMessage", chat_id=1001) if "Lviv [1]" in c.params["text"]][0]
        # DAARWIZZ hands an EcoMiner question to Helion, who searches in its own voice.
        assert answer.params["text"] == ("→ ⚡ Helion\n\nEcoMiner opened a solar-powered data centre in Lviv [1].\n\n"
                                         f"Sources:\n[1] {ARTICLE_TITLE} — {pages.url('/article')}")
        assert answer.params["reply_parameters"]["message_id"] == 900
        assert [r.query for r in search.requests] == ["EcoMiner Lviv"]
        statuses = [t for t in tg.sent_texts(1001) if STATUS.fullmatch(t)]
        assert statuses == ["🔎 Searching…"], "one status message, edited after that"

        await bot.services.search_use.flush()
        rows = await bot.services.store.db.run(lambda c: c.execute(select(WebUse).order_by(WebUse.id)).all())
        assert sorted((r.kind, r.backend, r.ok) for r in rows) == [
            ("question", "command", True), ("read", "127.0.0.1", True), ("search", "searxng", True)]
        assert {(r.user_id, r.chat_id, r.agent) for r in rows} == {(1001, 1001, "helion")}
        calls = await bot.services.ledger.db.run(lambda c: c.execute(select(Usage)).all())
        assert {(r.mode, r.user_id, r.agent) for r in calls} == {("search", 1001, "helion")} and len(calls) == 4
        bot.say("/usage", language_code="en")
        report = (await bot.replies(1001, 3))[-1]
        assert re.search(r"Helion — 4 requests", report) and "1 search (limit: 20 searches a day)" in report
