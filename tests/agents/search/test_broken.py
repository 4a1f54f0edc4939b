"""Small models break CrewAI's format; real CrewAI over scripted replies: each case still ends in a sourced answer."""
from __future__ import annotations

import json
import logging

import pytest

from agents.search.prompts import NO_TEXT_CALLS, PLAIN_ONLY
from agents.search.types import Source
from tests.agents.search.conftest import Searching
from web.testing import ARTICLE_TITLE

GOOD = "EcoMiner opened a solar-powered data centre in Lviv [1]."
PLAIN = "From the pages: a solar data centre in Lviv [1], and the hryvnia at 41.25 [2]."
CALL = {"name": "web_search", "arguments": {"query": "EcoMiner Lviv"}}
BROKEN = {  # what a small model writes instead of an answer
    "tool_call_text": f"<tool_call>\n{json.dumps(CALL)}\n</tool_call>",
    "tool_call_json": json.dumps(CALL),
    "fenced_json": f"```json\n{json.dumps(CALL, indent=2)}\n```",
    "empty": "",
}
REASON = {"fenced_json": "tool_call_json"}  # the guard's name for each case, where it differs
REACT = "Thought: I need more.\nAction: web_search\nAction Input: {\"query\": \"EcoMiner\"}"


def article(s: Searching) -> Source:
    return Source(1, ARTICLE_TITLE, s.pages.url("/article"))


def user_texts(s: Searching, index: int) -> str:
    body = s.llm.chat_requests()[index].json or {}
    return "\n".join(str(m.get("content") or "") for m in body["messages"] if m["role"] in ("system", "user"))


async def test_thinking_never_reaches_the_answer(searching: Searching) -> None:
    searching.script_research("/article")
    searching.llm.reply("<think>The page says Lviv; cite it.</think>\n\n" + GOOD)
    answer = await searching.answer()
    assert (answer.path, answer.text, answer.sources) == ("crew", GOOD, (article(searching),))


@pytest.fixture(autouse=True)
def _reasons(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="agents.search.runner")


def reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Why each crew attempt gave no answer, as the runner logged it."""
    return [r.getMessage().rpartition("(")[2].rstrip(")") for r in caplog.records if "gave no answer" in r.getMessage()]


@pytest.mark.parametrize("case", sorted(BROKEN))
async def test_a_non_answer_is_retried_once_with_stricter_instructions(searching: Searching, case: str,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    searching.script_research("/article")
    searching.llm.reply(BROKEN[case])
    searching.llm.reply("read [1]")  # the strict retry: page [1] is already read
    searching.llm.reply(GOOD)
    answer = await searching.answer()
    assert (answer.path, answer.text, answer.sources, answer.partial) == ("crew", GOOD, (article(searching),), False)
    assert answer.model_calls == 6
    assert NO_TEXT_CALLS in user_texts(searching, 4) and "Already read" in user_texts(searching, 4)
    assert PLAIN_ONLY in user_texts(searching, 5)
    assert reasons(caplog) == [REASON.get(case, case)]


@pytest.mark.parametrize("case", sorted(BROKEN))
async def test_broken_twice_falls_back_to_the_plain_path(searching: Searching, case: str,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    searching.script_research("/article")
    searching.llm.reply(BROKEN[case])
    searching.llm.reply("read [1]")
    searching.llm.reply(BROKEN[case])
    searching.llm.reply(PLAIN)
    answer = await searching.answer(max_pages=2)
    assert answer.path == "plain" and answer.text == PLAIN and not answer.partial
    second = Source(2, "Курс гривні на сьогодні", searching.pages.url("/article-2"))
    assert answer.sources == (article(searching), second)
    assert answer.model_calls == 7 and searching.llm.tools_of(searching.llm.chat_requests()[-1]) == []
    assert reasons(caplog) == [REASON.get(case, case)] * 2


async def test_a_writer_answering_with_a_react_action_is_asked_again_by_crewai(searching: Searching) -> None:
    searching.script_research("/article")
    searching.llm.reply(REACT)  # parsed as a call of a tool the writer lacks; CrewAI forces a final answer
    searching.llm.reply(GOOD)
    answer = await searching.answer()
    assert (answer.path, answer.text, answer.model_calls) == ("crew", GOOD, 5)


async def test_a_researcher_writing_its_call_as_text_reads_nothing_so_the_plain_path_answers(
        searching: Searching, caplog: pytest.LogCaptureFixture) -> None:
    for _ in range(2):  # both attempts: the "call" is the researcher's final text; the writer has no page
        searching.llm.reply(BROKEN["tool_call_text"])
        searching.llm.reply("EcoMiner is probably a mining company.")
    searching.llm.reply(PLAIN)
    answer = await searching.answer(max_pages=2)
    assert answer.path == "plain" and answer.text == PLAIN and len(answer.sources) == 2
    assert searching.llm.tools_of(searching.llm.chat_requests()[0]) == ["web_search", "read_page"]
    assert reasons(caplog) == ["no_page_read"] * 2


async def test_the_same_call_until_max_iter_reads_nothing_and_is_retried(searching: Searching,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    for _ in range(3):
        searching.llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
    searching.llm.reply("Done searching.")  # CrewAI's forced final answer after max_iter
    searching.llm.reply("EcoMiner is something in Lviv.")  # the writer, without a page read
    searching.script_research("/article")
    searching.llm.reply(GOOD)
    answer = await searching.answer()
    assert (answer.path, answer.text, answer.sources) == ("crew", GOOD, (article(searching),))
    repeats = searching.llm.tool_results_of(searching.llm.chat_requests()[3])
    assert [r.startswith("You already ran this search") for r in repeats] == [False, True, True]
    assert reasons(caplog) == ["repeated_call"]


async def test_a_final_reply_still_carrying_tool_calls_is_retried(searching: Searching,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    searching.llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
    searching.llm.reply_tool_call("read_page", {"url": searching.pages.url("/article")})
    searching.llm.reply_tool_call("read_page", {"url": searching.pages.url("/article-2")})
    # CrewAI's forced final answer offers no tools, yet the model calls one: kickoff raises ValidationError.
    searching.llm.reply_tool_call("read_page", {"url": searching.pages.url("/plain")})
    searching.llm.reply("read [1], [2]")
    searching.llm.reply("Solar in Lviv [1]; the hryvnia at 41.25 [2].")
    answer = await searching.answer()
    assert answer.path == "crew" and answer.text == "Solar in Lviv [1]; the hryvnia at 41.25 [2]."
    assert [s.n for s in answer.sources] == [1, 2] and answer.model_calls == 6
    assert reasons(caplog) == ["tool_calls_in_final"]


async def test_a_call_with_broken_arguments_is_retried(searching: Searching,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    searching.llm.reply_tool_call("web_search", '{"query": ')
    searching.script_research("/article")
    searching.llm.reply(GOOD)
    answer = await searching.answer()
    assert (answer.path, answer.text, answer.sources) == ("crew", GOOD, (article(searching),))
    assert reasons(caplog) == ["malformed_call"]
