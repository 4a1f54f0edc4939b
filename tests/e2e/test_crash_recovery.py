"""A bot killed with messages in flight answers each of them exactly once after it restarts."""
from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.testing import FakeTelegram
from router.testing import FakeLLM
from tests.harness import TOKEN

ROOT = Path(__file__).resolve().parents[2]
ROUTER = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 2, first_token: 60, total: 120}}
routes:
  chat: [ollama:qwen3:8b]
  search: [ollama:qwen3:8b]
"""


def _start(tmp: Path, tg: FakeTelegram, llm: FakeLLM, extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    (tmp / "router.yaml").write_text(ROUTER)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "BOT_TOKEN"))}
    env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url, OLLAMA_URL=llm.url, DATA_DIR=str(tmp / "data"),
               DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/dagi.db", ROUTER_FILE=str(tmp / "router.yaml"),
               AGENTS_FILE=str(ROOT / "config" / "agents.yaml"), PYTHONPATH=str(ROOT), FIRST_UPDATE_DELAY="0")
    env.update(extra or {})
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "bot.log", "ab"))


async def _until(cond, proc: subprocess.Popen[bytes], tmp: Path, timeout: float) -> None:
    """Wait for `cond()`; fail at once with the bot's log if the process died."""
    for _ in range(int(timeout * 20)):
        if cond():
            return
        if proc.poll() is not None:
            raise AssertionError("bot exited:\n" + (tmp / "bot.log").read_text()[-3000:])
        await asyncio.sleep(0.05)
    raise AssertionError("timed out; bot log:\n" + (tmp / "bot.log").read_text()[-3000:])


def _statuses(tmp: Path) -> dict[str, str]:
    with sqlite3.connect(tmp / "dagi.db") as db:
        return dict(db.execute("select text, status from messages where role = 'user'").fetchall())


async def test_killed_bot_answers_in_flight_messages_exactly_once_after_restart(tmp_path: Path) -> None:
    users = [2001, 2002, 2003]
    async with FakeTelegram() as tg, FakeLLM() as llm:
        tg.add_bot(TOKEN, "dagi_bot")
        llm.fail("hang", count=len(users))
        first = _start(tmp_path, tg, llm)
        try:
            for uid in users:
                tg.send_text(TOKEN, chat_id=uid, user_id=uid, text=f"питання {uid}")
            await _until(lambda: len(llm.chat_requests()) >= len(users), first, tmp_path, 60)
            assert set(_statuses(tmp_path).values()) == {"pending"}
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        llm.release()
        assert not any(tg.sent_texts(uid) for uid in users), "nothing was answered before the crash"

        second = _start(tmp_path, tg, llm)
        try:
            for uid in users:
                await _until(lambda uid=uid: len(tg.sent_texts(uid)) >= 1, second, tmp_path, 60)
            # A fresh message in each chat is answered after the recovered one: nothing else is queued.
            for uid in users:
                tg.send_text(TOKEN, chat_id=uid, user_id=uid, text=f"ще {uid}")
            for uid in users:
                await _until(lambda uid=uid: len(tg.sent_texts(uid)) >= 2, second, tmp_path, 30)
            await asyncio.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        for uid in users:
            texts = tg.sent_texts(uid)
            assert texts == [f"echo: питання {uid}", f"echo: ще {uid}"], texts
        assert set(_statuses(tmp_path).values()) == {"done"}


async def test_a_search_in_flight_when_the_bot_is_killed_is_answered_once_after_restart(tmp_path: Path) -> None:
    """kill -9 while the crew waits on the model: after the restart the /search is answered once, with its source."""
    from web.testing import ARTICLE_TITLE, FakePages, FakeSearxng

    async with FakeTelegram() as tg, FakeLLM() as llm, FakeSearxng() as search, FakePages() as pages:
        tg.add_bot(TOKEN, "dagi_bot")
        search.set_results((ARTICLE_TITLE, pages.url("/article"), "A solar data centre in Lviv."))
        web = {"SEARXNG_URL": search.url, "SEARCH_BACKENDS": "searxng",
               "SEARCH_ALLOW_PRIVATE": f"127.0.0.1:{pages.port}", "SEARCH_AUTO": "false"}
        llm.fail("hang", count=1)  # the researcher's first model call
        first = _start(tmp_path, tg, llm, web)
        try:
            tg.send_text(TOKEN, chat_id=2001, user_id=2001, text="/search What did EcoMiner open in Lviv?",
                         language_code="en")
            await _until(lambda: len(llm.chat_requests()) >= 1, first, tmp_path, 90)
            assert set(_statuses(tmp_path).values()) == {"pending"}
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait()
        llm.release()
        assert not any("Lviv" in t for t in tg.sent_texts(2001)), "nothing was answered before the crash"

        llm.reply_tool_call("web_search", {"query": "EcoMiner Lviv"})
        llm.reply_tool_call("read_page", {"url": pages.url("/article")})
        llm.reply("read [1]")
        llm.reply("EcoMiner opened a solar-powered data centre in Lviv [1].")
        second = _start(tmp_path, tg, llm, web)
        try:
            await _until(lambda: any("Lviv [1]" in t for t in tg.sent_texts(2001)), second, tmp_path, 90)
            await asyncio.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        answers = [t for t in tg.sent_texts(2001) if "Lviv [1]" in t]
        assert len(answers) == 1, answers
        assert f"[1] {ARTICLE_TITLE} — {pages.url('/article')}" in answers[0]
        assert set(_statuses(tmp_path).values()) == {"done"}
