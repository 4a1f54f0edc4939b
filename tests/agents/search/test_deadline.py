"""The deadline: past it the user gets what was found so far, marked partial, or a clear SearchTimeout."""
from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from agents.search import runner
from agents.search.types import SearchTimeout
from tests.agents.search.conftest import Searching

LATE = "So far: a solar data centre in Lviv [1]."


@pytest.fixture(autouse=True)
def _short_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "MIN_WRITE", 0.2)  # tests use deadlines of a few seconds


def research_then_hang(s: Searching, *paths: str) -> None:
    """Search, read `paths` one per reply; the last, /slow, never answers, so the crew is still busy at the deadline."""
    s.llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
    for path in paths:
        s.llm.reply_tool_call("read_page", {"url": s.pages.url(path)})


async def test_a_late_crew_answers_from_the_pages_read_marked_partial(searching: Searching) -> None:
    research_then_hang(searching, "/article", "/slow")
    searching.llm.reply(LATE)  # the one call over the pages read, after the crew is called off
    started = time.monotonic()
    answer = await searching.answer(deadline=2.0)
    assert time.monotonic() - started < 2.3
    assert (answer.text, answer.partial, answer.path) == (LATE, True, "plain")
    assert [s.n for s in answer.sources] == [1] and answer.model_calls == 4
    assert searching.progress[-1] == ("writing", 0)


async def test_with_no_time_left_to_write_the_sources_come_alone(searching: Searching,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "MIN_WRITE", 5.0)
    research_then_hang(searching, "/article", "/slow")
    answer = await searching.answer(deadline=2.0)
    assert (answer.text, answer.partial, [s.n for s in answer.sources]) == ("", True, [1])


async def test_a_writer_too_slow_for_the_deadline_leaves_the_sources(searching: Searching) -> None:
    research_then_hang(searching, "/article", "/slow")

    async def hang_the_writer() -> None:
        await searching.llm.wait_requests(3)  # the crew is reading /slow now
        searching.llm.fail("hang")  # so the late writer's call never answers either

    started = time.monotonic()
    answer, _ = await asyncio.gather(searching.answer(deadline=2.0), hang_the_writer())
    assert time.monotonic() - started < 2.3
    assert (answer.text, answer.partial, [s.n for s in answer.sources]) == ("", True, [1])
    searching.llm.release()


async def test_nothing_read_by_the_deadline_is_a_search_timeout(searching: Searching) -> None:
    research_then_hang(searching, "/slow")
    started = time.monotonic()
    with pytest.raises(SearchTimeout):
        await searching.answer(deadline=1.5)
    assert time.monotonic() - started < 1.8


async def test_the_abandoned_crew_thread_ends_on_its_own(searching: Searching) -> None:
    research_then_hang(searching, "/slow")
    searching.llm.reply("Never asked for.")
    with pytest.raises(SearchTimeout):
        await searching.answer(deadline=1.0)
    await asyncio.sleep(0.3)  # its next model call raises Stopped instead of reaching the router
    assert len(searching.llm.chat_requests()) == 2


async def test_a_caller_cancelling_the_search_stops_the_crew(searching: Searching,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.search import crew

    ended = threading.Event()
    kickoff = crew.kickoff

    def watched(*args: Any, **kwargs: Any) -> str:
        try:
            return kickoff(*args, **kwargs)
        finally:
            ended.set()

    monkeypatch.setattr(crew, "kickoff", watched)
    research_then_hang(searching, "/slow")  # /slow would hold the crew for the reader's 15 s time-out
    searching.llm.reply("Never asked for.")
    task = asyncio.create_task(searching.answer(deadline=30.0))
    await searching.llm.wait_requests(2)
    await asyncio.sleep(0.2)  # the crew is reading /slow
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(ended.wait, 3.0)
    assert len(searching.llm.chat_requests()) == 2
