"""A bot killed with messages in flight answers each of them exactly once after it restarts."""
from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

from bot.testing import FakeTelegram
from router.testing import FakeLLM
from tests.e2e.processes import start_bot, stored, until
from tests.harness import TOKEN

ROUTER = """
providers:
  # Three answers hang at once below: more than the two slots a local Ollama gets by default.
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, max_concurrency: 4,
           timeouts: {connect: 2, first_token: 60, total: 120}}
routes:
  chat: [ollama:qwen3:8b]
  search: [ollama:qwen3:8b]
"""


def _start(tmp: Path, tg: FakeTelegram, llm: FakeLLM, url: str,
           extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return start_bot(tmp, tg, llm, ROUTER, extra, database_url=url)


def _statuses(url: str) -> dict[str, str]:
    return dict(stored(url, "select text, status from messages where role = 'user'"))


async def test_killed_bot_answers_in_flight_messages_exactly_once_after_restart(tmp_path: Path,
                                                                                database_url: str) -> None:
    users = [2001, 2002, 2003]
    async with FakeTelegram() as tg, FakeLLM() as llm:
        tg.add_bot(TOKEN, "dagi_bot")
        llm.fail("hang", count=len(users))
        first = _start(tmp_path, tg, llm, database_url)
        try:
            for uid in users:
                tg.send_text(TOKEN, chat_id=uid, user_id=uid, text=f"питання {uid}")
            await until(lambda: len(llm.chat_requests()) >= len(users), first, tmp_path, 60)
            assert set(_statuses(database_url).values()) == {"pending"}
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        llm.release()
        assert not any(tg.sent_texts(uid) for uid in users), "nothing was answered before the crash"

        second = _start(tmp_path, tg, llm, database_url)
        try:
            for uid in users:
                await until(lambda uid=uid: len(tg.sent_texts(uid)) >= 1, second, tmp_path, 60)
            # A fresh message in each chat is answered after the recovered one: nothing else is queued.
            for uid in users:
                tg.send_text(TOKEN, chat_id=uid, user_id=uid, text=f"ще {uid}")
            for uid in users:
                await until(lambda uid=uid: len(tg.sent_texts(uid)) >= 2, second, tmp_path, 30)
            await asyncio.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        for uid in users:
            texts = tg.sent_texts(uid)
            assert texts == [f"echo: питання {uid}", f"echo: ще {uid}"], texts
        assert set(_statuses(database_url).values()) == {"done"}


async def test_a_search_in_flight_when_the_bot_is_killed_is_answered_once_after_restart(tmp_path: Path,
                                                                                       database_url: str) -> None:
    """kill -9 while the crew waits on the model: after the restart the /search is answered once, with its source."""
    from web.testing import ARTICLE_TITLE, FakePages, FakeSearxng

    async with FakeTelegram() as tg, FakeLLM() as llm, FakeSearxng() as search, FakePages() as pages:
        tg.add_bot(TOKEN, "dagi_bot")
        search.set_results((ARTICLE_TITLE, pages.url("/article"), "A solar data centre in Lviv."))
        web = {"SEARXNG_URL": search.url, "SEARCH_BACKENDS": "searxng",
               "SEARCH_ALLOW_PRIVATE": f"127.0.0.1:{pages.port}", "SEARCH_AUTO": "false"}
        llm.fail("hang", count=1)  # the researcher's first model call
        first = _start(tmp_path, tg, llm, database_url, web)
        try:
            tg.send_text(TOKEN, chat_id=2001, user_id=2001, text="/search What did EcoMiner open in Lviv?",
                         language_code="en")
            await until(lambda: len(llm.chat_requests()) >= 1, first, tmp_path, 90)
            assert set(_statuses(database_url).values()) == {"pending"}
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        llm.release()
        assert not any("Lviv" in t for t in tg.sent_texts(2001)), "nothing was answered before the crash"

        llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
        llm.reply_tool_call("read_page", {"url": pages.url("/article")})
        llm.reply("read [1]")
        llm.reply("EcoMiner opened a solar-powered data centre in Lviv [1].")
        second = _start(tmp_path, tg, llm, database_url, web)
        try:
            await until(lambda: any("Lviv [1]" in t for t in tg.sent_texts(2001)), second, tmp_path, 90)
            await asyncio.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        answers = [t for t in tg.sent_texts(2001) if "Lviv [1]" in t]
        assert len(answers) == 1, answers
        assert f"[1] {ARTICLE_TITLE} — {pages.url('/article')}" in answers[0]
        assert set(_statuses(database_url).values()) == {"done"}
