"""The crew over FakeLLM and fake web: an answer citing only pages it read, every call through our router."""
from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from agents.search.types import Source, Stage
from router.testing import Reply
from tests.agents.search.conftest import PERSONA, QUESTION, Searching
from web import SearchUnavailable
from web.testing import ARTICLE_TITLE


async def test_crew_answer_cites_only_the_pages_it_read(searching: Searching) -> None:
    searching.script_research("/article")
    searching.llm.reply("EcoMiner opened a solar-powered data centre in Lviv [1], with 1,200 servers planned [2].")
    answer = await searching.answer()
    assert answer.path == "crew" and not answer.partial
    assert answer.sources == (Source(1, ARTICLE_TITLE, searching.pages.url("/article")),)
    # [2] was a search hit never read: not a source, so its citation goes.
    assert answer.text == "EcoMiner opened a solar-powered data centre in Lviv [1], with 1,200 servers planned."
    assert answer.model_calls == 4 and answer.tokens_out > 0
    assert searching.progress == [("searching", 0), ("reading", 1), ("writing", 0)]
    assert all(r.task == "search" and r.user_id == 7 and r.chat_id == 70 and r.bot == "dagi"
               and r.agent == PERSONA.key for r in searching.requests)
    offered = [searching.llm.tools_of(r) for r in searching.llm.chat_requests()]
    assert offered == [["web_search", "read_page"]] * 3 + [[]]
    writer = searching.llm.chat_requests()[-1].json or {}
    system, user = (m["content"] for m in writer["messages"])
    assert system.startswith("You are Helion.") and PERSONA.system_prompt in system
    assert QUESTION in user and "EcoMiner, a Ukrainian start-up, opened its first data centre" in user


async def test_braces_in_the_question_and_a_failing_progress_callback_change_nothing(searching: Searching) -> None:
    searching.script_research("/article")
    searching.llm.reply("It is a solar data centre [1].")

    async def broken(stage: Stage, n: int = 0) -> None:
        raise RuntimeError("the status message is gone")

    research = searching.research()
    answer = await research.answer("What is {EcoMiner} {0}?", PERSONA, language="uk", user_id=7, chat_id=70,
                                   bot="dagi", local_only=False, progress=broken)
    assert answer.text == "It is a solar data centre [1]." and answer.path == "crew"
    writer = searching.llm.chat_requests()[-1].json or {}
    assert "What is {EcoMiner} {0}?" in writer["messages"][-1]["content"]
    assert "in Ukrainian" in writer["messages"][-1]["content"]


async def test_every_search_backend_down_is_raised_after_one_model_call(searching: Searching) -> None:
    searching.search.fail("500", count=5)
    searching.script_research("/article")
    with pytest.raises(SearchUnavailable):
        await searching.answer()
    assert len(searching.llm.chat_requests()) == 1


async def test_searches_at_once_keep_their_own_pages_and_answers(searching: Searching) -> None:
    article = searching.pages.url("/article")

    def responder(messages: list[dict[str, Any]]) -> str | Reply:
        """The researcher searches, reads one page, is done; the writer names the question it was given."""
        if str(messages[0]["content"]).startswith("You are Web researcher"):
            done = sum(m["role"] == "tool" for m in messages)
            if done == 0:
                return Reply.of("", [("web_search", {"query": "q"})])
            return Reply.of("", [("read_page", {"url": article})]) if done == 1 else "read [1]"
        question = re.search(r"question:\n<<<\n(.*?)\n>>>", str(messages[-1]["content"]), re.DOTALL)
        return f"About {question.group(1) if question else '?'} [1]."

    searching.llm.responder = responder
    questions = [f"Question number {i}?" for i in range(3)]
    answers = await asyncio.gather(*(searching.answer(q) for q in questions))
    assert [a.text for a in answers] == [f"About {q} [1]." for q in questions]
    assert all(a.path == "crew" and [s.url for s in a.sources] == [article] and a.model_calls == 4 for a in answers)
