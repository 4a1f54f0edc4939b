"""Shared by the real-crew /search tests: fake engines and pages, and what the user was shown."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from storage.models import WebUse
from tests.e2e.search_fakes import STATUS
from web.testing import ARTICLE_TITLE, FakePages, FakeSearxng

USER = 1001
GOOD = "EcoMiner opened a solar-powered data centre in Lviv [1]."
QUESTION = "/search What did EcoMiner open in Lviv?"
HRYVNIA = "Курс гривні на сьогодні"


@contextlib.asynccontextmanager
async def fake_web(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[FakeSearxng, FakePages]]:
    """The bot searches fake SearXNG and reads fake pages; only the pages' own loopback port is allowed."""
    async with FakeSearxng() as search, FakePages() as pages:
        search.set_results((ARTICLE_TITLE, pages.url("/article"), "A solar data centre in Lviv."),
                           (HRYVNIA, pages.url("/article-2"), "Курс гривні."))
        monkeypatch.setenv("SEARXNG_URL", search.url)
        monkeypatch.setenv("SEARCH_BACKENDS", "searxng")
        monkeypatch.setenv("SEARCH_ALLOW_PRIVATE", f"127.0.0.1:{pages.port}")
        yield search, pages


def shown(tg, chat_id: int = USER) -> list[str]:
    """Every text the user was ever shown in the chat: messages sent and their edits."""
    return [c.params.get("text", "") for c in tg.calls if c.ok and c.method in ("sendMessage", "editMessageText")
            and c.params.get("chat_id") == chat_id]


async def ask(bot, text: str, *, language_code: str = "en", timeout: float = 60) -> str:
    """Send `text`; the next final message in the chat (status lines skipped)."""
    before = len(bot.tg.sent_texts(USER))
    bot.say(text, language_code=language_code)

    def answered() -> list[str]:
        return [t for t in bot.tg.sent_texts(USER)[before:] if not STATUS.fullmatch(t)]
    await bot.tg.wait_for(lambda: bool(answered()), timeout=timeout)
    return answered()[0]


def sources(pages: FakePages, *paths: str) -> str:
    """The English "Sources:" block for the pages at `paths`, numbered in that order."""
    titles = {"/article": ARTICLE_TITLE, "/article-2": HRYVNIA, "/injected": "Totally normal recipe"}
    return "Sources:\n" + "\n".join(f"[{n}] {titles[p]} — {pages.url(p)}" for n, p in enumerate(paths, 1))


def helion(text: str, pages: FakePages, *paths: str) -> str:
    """Helion's answer as the user sees it: DAARWIZZ hands EcoMiner questions over."""
    return f"→ ⚡ Helion\n\n{text}\n\n{sources(pages, *paths)}"


async def web_rows(bot) -> list[tuple[str, str, bool]]:
    await bot.services.search_use.flush()
    rows = await bot.services.store.db.run(lambda c: c.execute(select(WebUse).order_by(WebUse.id)).all())
    return [(r.kind, r.backend, r.ok) for r in rows]


def research(llm, pages: FakePages, *paths: str) -> None:
    """The researcher searches once, reads `paths`, and says it is done."""
    llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
    for path in paths:
        llm.reply_tool_call("read_page", {"url": pages.url(path)})
    llm.reply("read " + ", ".join(f"[{i}]" for i in range(1, len(paths) + 1)))

