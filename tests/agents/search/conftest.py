"""Fixtures for the search crew: FakeLLM behind a real router, fake SearXNG and pages, and WebResearch over them.

CrewAI reads its environment at import, so it is set here, before any test module imports the crew.
"""
from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import agents.search
from agents.persona import LocalizedText, Persona
from agents.search.runner import WebResearch
from agents.search.types import SearchAnswer, Stage
from router.core import ModelRouter
from router.providers.ollama import OllamaProvider
from router.testing import FakeLLM
from router.types import ChatRequest, Delta, Target
from web import PageReader, WebSearch, WebSettings
from web.testing import ARTICLE_TITLE, FakePages, FakeSearxng

DATA_DIR = Path(tempfile.mkdtemp(prefix="dagi-search-"))
agents.search.configure(DATA_DIR)
MODEL = Target("ollama", "qwen3:8b")
QUESTION = "What did EcoMiner open in Lviv?"

PERSONA = Persona(
    key="helion", name="Helion", title=LocalizedText(uk="Енергетик", en="Energy expert"),
    description=LocalizedText(uk="Про енергію", en="About energy"), greeting=LocalizedText(uk="Привіт"),
    system_prompt="You are Helion, a cheerful energy engineer. Keep answers short and concrete.")


def pytest_configure(config: pytest.Config) -> None:
    """CrewAI warns about its own deprecated fields on every crew it builds; they say nothing about our code."""
    config.addinivalue_line("filterwarnings", r"ignore::DeprecationWarning:crewai\..*")
    # Its TaskOutput serialised with a list in `raw`: the very reply test_broken feeds it on purpose.
    config.addinivalue_line("filterwarnings", "ignore:Pydantic serializer warnings:UserWarning")


@dataclass
class Searching:
    """Everything one test drives: the fakes, the router (its requests recorded), progress seen."""

    llm: FakeLLM
    search: FakeSearxng
    pages: FakePages
    router: ModelRouter
    settings: WebSettings
    requests: list[ChatRequest] = field(default_factory=list)
    progress: list[tuple[Stage, int]] = field(default_factory=list)

    def research(self, *, deadline: float = 30.0, max_pages: int = 3, web: WebSearch | None = None,
                 router: ModelRouter | None = None) -> WebResearch:
        """WebResearch over these fakes."""
        return WebResearch(router or self.router, web or WebSearch.from_settings(self.settings),
                           PageReader(self.settings), data_dir=DATA_DIR, deadline=deadline,
                           max_pages=max_pages)

    async def answer(self, question: str = QUESTION, *, language: str = "en", local_only: bool = False,
                     deadline: float = 30.0, max_pages: int = 3, web: WebSearch | None = None,
                     router: ModelRouter | None = None) -> SearchAnswer:
        """One search as user 7 in chat 70 of bot "dagi"."""
        async def progress(stage: Stage, n: int = 0) -> None:
            self.progress.append((stage, n))

        research = self.research(deadline=deadline, max_pages=max_pages, web=web, router=router)
        return await research.answer(question, PERSONA, language=language, user_id=7, chat_id=70, bot="dagi",
                                     local_only=local_only, progress=progress)

    def script_research(self, *paths: str) -> None:
        """The researcher searches once, reads `paths` one by one, and says it is done."""
        self.llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
        for path in paths:
            self.llm.reply_tool_call("read_page", {"url": self.pages.url(path)})
        self.llm.reply("read " + ", ".join(f"[{i}]" for i in range(1, len(paths) + 1)))


def recording(router: ModelRouter, into: list[ChatRequest]) -> None:
    """Record every ChatRequest the router streams (who asked, task, tools)."""
    stream = router.stream

    def spy(request: ChatRequest, *, targets: Sequence[Target] | None = None) -> AsyncIterator[Delta]:
        into.append(request)
        return stream(request, targets=targets)

    router.stream = spy  # type: ignore[method-assign]  # a test spy on one instance


@pytest.fixture
async def searching() -> AsyncIterator[Searching]:
    await agents.search.load(DATA_DIR)  # once: CrewAI's import must not eat a test's deadline
    async with FakeLLM() as llm, FakeSearxng() as search, FakePages() as pages:
        search.set_results((ARTICLE_TITLE, pages.url("/article"), "A solar data centre in Lviv."),
                           ("Курс гривні на сьогодні", pages.url("/article-2"), "Курс гривні."))
        settings = WebSettings(searxng_url=search.url, backends=("searxng",),
                               allow_private=(f"127.0.0.1:{pages.port}",))
        router = ModelRouter({"ollama": OllamaProvider("ollama", llm.url)}, {"chat": [MODEL]})
        state = Searching(llm, search, pages, router, settings)
        recording(router, state.requests)
        try:
            yield state
        finally:
            await router.aclose()

