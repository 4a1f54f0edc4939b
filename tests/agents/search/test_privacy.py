"""Privacy and safety: local_only keeps models and search local; page text reaches models only as quoted data."""
from __future__ import annotations

import re
import socket
from typing import Any

import pytest

from agents.search.prompts import CLOSE, DATA_RULE, OPEN
from agents.search.run import SearchRun
from router.core import ModelRouter
from router.errors import LocalOnlyUnavailable
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.testing import FakeLLM
from router.types import Target
from tests.agents.search.conftest import MODEL, PERSONA, Searching, recording
from web import NoLocalBackend, PageReader, WebSearch, WebSettings
from web.testing import INJECTION

CLOUD = Target("cloud", "gpt-4o-mini")
GOOD = "EcoMiner opened a solar-powered data centre in Lviv [1]."


def cloud_first(s: Searching, cloud: FakeLLM, *, local: bool = True) -> ModelRouter:
    """A route that tries a cloud model before the local one (or only the cloud one)."""
    providers: dict[str, Any] = {"cloud": OpenAICompatProvider(
        "cloud", cloud.openai_url, "sk-test", capabilities={CLOUD.model: frozenset({"completion", "tools"})})}
    if local:
        providers["ollama"] = OllamaProvider("ollama", s.llm.url)
    router = ModelRouter(providers, {"chat": [CLOUD, MODEL] if local else [CLOUD]})
    recording(router, s.requests)
    return router


async def test_local_only_keeps_every_crew_call_on_the_local_model(searching: Searching) -> None:
    searching.script_research("/article")
    searching.llm.reply(GOOD)
    async with FakeLLM() as cloud:
        router = cloud_first(searching, cloud)
        answer = await searching.answer(local_only=True, router=router)
        await router.aclose()
        assert cloud.chat_requests() == []
    assert answer.path == "crew" and answer.text == GOOD
    assert searching.requests and all(r.local_only for r in searching.requests)
    assert [r.wire for r in searching.search.requests] == ["searxng"]


async def test_local_only_without_a_local_model_fails_before_any_search(searching: Searching) -> None:
    async with FakeLLM() as cloud:
        router = cloud_first(searching, cloud, local=False)
        with pytest.raises(LocalOnlyUnavailable):
            await searching.answer(local_only=True, router=router)
        await router.aclose()
        assert cloud.chat_requests() == []
    assert searching.search.requests == []


async def test_local_only_without_a_local_search_backend_sends_nothing(searching: Searching) -> None:
    remote = WebSearch.from_settings(WebSettings(searxng_url=searching.search.url, searxng_local=False,
                                                 backends=("searxng",)))
    with pytest.raises(NoLocalBackend):
        await searching.answer(local_only=True, web=remote)
    assert searching.search.requests == [] and searching.llm.chat_requests() == []


def quoted_only(text: str) -> bool:
    """True when every occurrence of the injected sentence sits between the markers, after the data rule."""
    spans = [(m.start(), m.end()) for m in re.finditer(re.escape(OPEN) + ".*?" + re.escape(CLOSE), text, re.DOTALL)]
    hits = [m.start() for m in re.finditer(re.escape(INJECTION), text)]
    return all(any(a < h < b for a, b in spans) for h in hits) and (not hits or "not instructions" in text)


async def test_an_injected_page_reaches_the_models_only_as_quoted_data(searching: Searching) -> None:
    searching.search.set_results(("Totally normal recipe", searching.pages.url("/injected"), "Borscht."))
    searching.script_research("/injected")
    searching.llm.reply("Borscht wants beetroot first [1].")
    answer = await searching.answer("How do I cook borscht?")
    assert answer.text == "Borscht wants beetroot first [1]." and answer.sources[0].title == "Totally normal recipe"
    seen = 0
    for record in searching.llm.chat_requests():
        for message in (record.json or {})["messages"]:
            content = str(message.get("content") or "")
            if INJECTION not in content:
                continue
            seen += 1
            assert message["role"] != "system", "page text must never be part of a system prompt"
            assert quoted_only(content), content
    writer = searching.llm.chat_requests()[-1].json or {}
    assert DATA_RULE in writer["messages"][-1]["content"]  # the writer is told the pages are data
    assert seen >= 2  # the researcher's tool result and the writer's task


async def test_no_openai_default_and_nothing_but_loopback(searching: Searching,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "MODEL", "OPENAI_MODEL_NAME"):
        monkeypatch.delenv(name, raising=False)
    peers: list[Any] = []
    connect = socket.socket.connect

    def watched(self: socket.socket, address: Any) -> Any:
        peers.append(address)
        return connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", watched)
    searching.script_research("/article")
    searching.llm.reply(GOOD)
    answer = await searching.answer()
    assert answer.path == "crew" and answer.model_calls == 4
    assert peers and all(isinstance(p, tuple) and p[0] == "127.0.0.1" for p in peers), peers


async def test_every_model_of_the_crew_is_our_router(searching: Searching) -> None:
    from agents.search import crew
    from agents.search.llm import RouterLLM

    run = SearchRun(router=searching.router, web=WebSearch.from_settings(searching.settings),
                    reader=PageReader(searching.settings), persona=PERSONA, question="q", language="en",
                    local_only=False, user_id=7, chat_id=70, bot="dagi", max_pages=3, crew_ends_at=0.0)
    built = crew.build(run, language="English", strict=False)
    assert all(isinstance(agent.llm, RouterLLM) for agent in built.agents)
    assert built.manager_llm is None and built.planning_llm is None and not built.memory and not built.planning
