"""Web search: CrewAI's crew against the plain "search → read → one call" path, on fakes at 0 ms.

Prints, per search: wall time, CPU time, time inside CrewAI's own orchestration (kickoff minus the time its thread
waited on our router and web calls), model calls and tokens; the event-loop stall while crewai is first imported
(in a fresh process); and the auto-search decision's precision, recall and cost (bench/search_decision.py).
Asserts nothing.  Run: .venv/bin/python bench/search.py
"""
from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import agents.search
from agents.persona import LocalizedText, Persona
from agents.search import plain
from agents.search.run import SearchRun
from agents.search.runner import WebResearch
from agents.search.types import SearchAnswer
from router.core import ModelRouter
from router.providers.ollama import OllamaProvider
from router.testing import FakeLLM
from router.types import Target
from web import PageReader, WebSearch, WebSettings
from web.testing import ARTICLE_TITLE, FakePages, FakeSearxng

ROUNDS = 8
QUESTION = "What did EcoMiner open in Lviv?"
PERSONA = Persona(
    key="helion", name="Helion", title=LocalizedText(uk="Енергетик", en="Energy expert"),
    description=LocalizedText(uk="Про енергію", en="About energy"), greeting=LocalizedText(uk="Привіт"),
    system_prompt="You are Helion, a cheerful energy engineer. Keep answers short and concrete.")
ANSWER = "EcoMiner opened a solar-powered data centre in Lviv [1]; the hryvnia rate is on the second page [2]."

STALL = """
import asyncio, resource, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import agents.search

async def main():
    gaps, done = [], False
    async def tick():
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.005)
            now = time.perf_counter(); gaps.append(now - last - 0.005); last = now
    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await agents.search.load(Path(tempfile.mkdtemp()))
    took = time.perf_counter() - started
    done = True
    await ticker
    print(f"{took:.2f} {max(gaps) * 1000:.0f} {sum(g > 0.05 for g in gaps)} "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
asyncio.run(main())
"""


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


async def searches() -> None:
    async with FakeLLM() as llm, FakeSearxng() as search, FakePages() as pages:
        search.set_results((ARTICLE_TITLE, pages.url("/article"), "A solar data centre in Lviv."),
                           ("Курс гривні на сьогодні", pages.url("/article-2"), "Курс гривні."))
        settings = WebSettings(searxng_url=search.url, backends=("searxng",),
                               allow_private=(f"127.0.0.1:{pages.port}",))
        router = ModelRouter({"ollama": OllamaProvider("ollama", llm.url)}, {"chat": [Target("ollama", "qwen3:8b")]})
        web, reader = WebSearch.from_settings(settings), PageReader(settings)
        research = WebResearch(router, web, reader, data_dir=Path(tempfile.mkdtemp()), deadline=60)
        await agents.search.load(Path(tempfile.mkdtemp()))  # the import is measured on its own, below

        async def crew_once() -> tuple[float, float, SearchAnswer]:
            llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
            llm.reply_tool_call("read_page", {"url": pages.url("/article")})
            llm.reply_tool_call("read_page", {"url": pages.url("/article-2")})
            llm.reply("read [1], [2]")
            llm.reply(ANSWER)
            wall, cpu = time.perf_counter(), time.process_time()
            answer = await research.answer(QUESTION, PERSONA, language="en", user_id=7, chat_id=70, bot="dagi",
                                           local_only=False)
            return time.perf_counter() - wall, time.process_time() - cpu, answer

        async def plain_once() -> tuple[float, float, SearchRun]:
            llm.reply(ANSWER)
            run = SearchRun(router=router, web=web, reader=reader, persona=PERSONA, question=QUESTION,
                            language="en", local_only=False, user_id=7, chat_id=70, bot="dagi", max_pages=2,
                            crew_ends_at=time.monotonic() + 60)
            wall, cpu = time.perf_counter(), time.process_time()
            await plain.answer(run, language="English")
            return time.perf_counter() - wall, time.process_time() - cpu, run

        await crew_once()  # warm-up: first kickoff builds CrewAI's caches
        crew = [await crew_once() for _ in range(ROUNDS)]
        flat = [await plain_once() for _ in range(ROUNDS)]
        await router.aclose()

    print(f"\nper search, p50 of {ROUNDS} (fake LLM and fake SearXNG/pages on 127.0.0.1, 0 ms per token)")
    print("| path | wall ms | CPU ms | in CrewAI's orchestration ms | model calls | tokens in / out | sources |")
    print("|---|---|---|---|---|---|---|")
    answers = [a for _, _, a in crew]
    print(f"| crew (researcher + writer) | {p50([w for w, _, _ in crew]) * 1000:.0f} "
          f"| {p50([c for _, c, _ in crew]) * 1000:.0f} | {p50([a.crew_ms for a in answers]):.0f} "
          f"| {p50([a.model_calls for a in answers]):.0f} "
          f"| {p50([a.tokens_in for a in answers]):.0f} / {p50([a.tokens_out for a in answers]):.0f} "
          f"| {len(answers[-1].sources)} |")
    runs = [r for _, _, r in flat]
    print(f"| plain (search → read → one call) | {p50([w for w, _, _ in flat]) * 1000:.0f} "
          f"| {p50([c for _, c, _ in flat]) * 1000:.0f} | 0 | {p50([r.model_calls for r in runs]):.0f} "
          f"| {p50([r.tokens_in for r in runs]):.0f} / {p50([r.tokens_out for r in runs]):.0f} "
          f"| {len(runs[-1].pages)} |")


def first_import() -> None:
    """A fresh process: how long importing crewai takes and how long the event loop stalls meanwhile."""
    out = subprocess.run([sys.executable, "-c", STALL, str(ROOT)], capture_output=True, text=True, check=True)
    took, stall, over, rss = out.stdout.split()
    print(f"\nfirst import of crewai, off the event loop: {took} s; longest event-loop stall {stall} ms "
          f"({over} stalls over 50 ms); process RSS after it {rss} MB")


def decision() -> None:
    script = ROOT / "bench" / "search_decision.py"
    if script.exists():
        print("\nauto-search decision (bench/search_decision.py):")
        print(subprocess.run([sys.executable, str(script)], capture_output=True, text=True).stdout.rstrip())


if __name__ == "__main__":
    first_import()
    asyncio.run(searches())
    decision()
