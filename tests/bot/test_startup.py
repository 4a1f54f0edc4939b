"""Starting the bot loads only what a first message needs; the rest waits until polling has begun."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from aiogram import methods

from bot import startup
from bot.testing import FakeTelegram
from router.testing import FakeLLM
from tests.harness import TOKEN

ROOT = Path(__file__).resolve().parents[2]
# Optional and heavy: loaded at the first /search, document, photo OCR or embedded-model answer, never at start.
HEAVY = {"crewai", "litellm", "llama_cpp", "qdrant_client", "qdrant_edge", "fastembed", "onnxruntime", "numpy",
         "trafilatura", "ddgs", "lxml", "pytesseract", "fitz", "pymupdf", "pypdf", "docx", "openpyxl", "openai",
         "tiktoken",
         # the Ollama SDK and httpx (chats post through aiohttp), Pillow (the first photo), httpx's CLI extras
         "ollama", "httpx", "httpcore", "httpx_aiohttp", "PIL", "rich", "click"}
# Loaded while starting only when needed, never by the import: Alembic (and Mako, Pygments under it) when the
# database lacks a migration, APScheduler once the bot polls.
LATER = {"alembic", "mako", "pygments", "apscheduler"}
CODE = """
import gc, sys
import bot.app, bot.services
print(sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:])), gc.isenabled())
"""
ROUTER = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 2, first_token: 30, total: 60}}
routes:
  chat: [ollama:qwen3:8b]
"""


def test_importing_the_bot_loads_no_optional_heavy_module() -> None:
    out = subprocess.run([sys.executable, "-c", CODE, *sorted(HEAVY | LATER)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    # and the import leaves garbage collection as it found it (it is paused only while aiogram loads)
    assert out.stdout.strip() == "[] True"


def _start(tmp: Path, tg: FakeTelegram, llm: FakeLLM) -> subprocess.Popen[bytes]:
    (tmp / "router.yaml").write_text(ROUTER)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "BOT_TOKEN"))}
    env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url, OLLAMA_URL=llm.url, DATA_DIR=str(tmp / "data"),
               DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/dagi.db", ROUTER_FILE=str(tmp / "router.yaml"),
               AGENTS_FILE=str(ROOT / "config" / "agents.yaml"), PYTHONPATH=str(ROOT), SEARCH_AUTO="false")
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "bot.log", "ab"))


async def test_a_started_bot_answers_its_first_message_and_sets_its_menus_after_it_polls(tmp_path: Path) -> None:
    async with FakeTelegram() as tg, FakeLLM() as llm:
        tg.add_bot(TOKEN, "dagi_bot")
        tg.send_text(TOKEN, chat_id=5005, user_id=5005, text="привіт")  # waiting before the bot starts
        proc = _start(tmp_path, tg, llm)
        try:
            await tg.wait_for(lambda: tg.sent_texts(5005) != [] or proc.poll() is not None, timeout=60)
            assert proc.poll() is None, (tmp_path / "bot.log").read_text()[-3000:]
            assert tg.sent_texts(5005) == ["echo: привіт"]
            await tg.wait_for(lambda: len(tg.calls_of("setMyCommands")) >= 4, timeout=30)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
    methods = [c.method.lower() for c in tg.calls]
    assert methods.count("getme") == 1  # aiogram's polling reuses the answer the start-up got
    assert methods.index("getupdates") < methods.index("setmycommands")  # menus wait until the bot listens
    assert proc.returncode == 0


async def _start_up_work(monkeypatch: pytest.MonkeyPatch, first_poll) -> tuple[list[str], list[str]]:
    """Run after_first_poll beside `first_poll(FirstPoll)`; return the models it built and what else it did."""
    built: list[str] = []
    done: list[str] = []
    monkeypatch.setattr(startup, "response_model", lambda method: built.append(method.__name__))

    async def menus() -> None:
        done.append("menus")
    poll = startup.FirstPoll()
    work = asyncio.create_task(startup.after_first_poll(poll, menus, lambda: done.append("started")))
    await asyncio.sleep(0.05)
    assert done == [] and built == []  # nothing before the bot asks for updates
    await first_poll(poll, work)
    return built, done


async def test_start_up_work_builds_the_answer_models_while_the_first_poll_waits(monkeypatch) -> None:
    async def idle(poll: startup.FirstPoll, work: asyncio.Task[None]) -> None:
        gate = asyncio.Event()

        async def long_poll(bot, method):
            await gate.wait()
            return []
        call = asyncio.create_task(poll(long_poll, None, methods.GetUpdates(timeout=10)))
        await work  # done while the poll still waits
        gate.set()
        assert await call == []
    built, done = await _start_up_work(monkeypatch, idle)
    assert built == [m.__name__ for m in startup.WARM] and built[0] == "GetUpdates"
    assert done == ["started", "menus"]


async def test_start_up_work_gives_way_to_updates_that_are_waiting(monkeypatch) -> None:
    async def busy(poll: startup.FirstPoll, work: asyncio.Task[None]) -> None:
        async def updates(bot, method):
            return ["an update"]
        assert await poll(updates, None, methods.GetUpdates(timeout=10)) == ["an update"]
        await work
    built, done = await _start_up_work(monkeypatch, busy)
    assert built == []  # the handlers build the models they use; nothing else runs ahead of them
    assert done == ["started", "menus"]


async def test_the_scheduler_starts_once_the_bot_polls_before_anything_else_runs(monkeypatch) -> None:
    monkeypatch.setattr(startup, "response_model", lambda method: done.append("model"))
    done: list[str] = []

    async def menus() -> None:
        done.append("menus")

    async def jobs() -> None:
        done.append("jobs")
    poll = startup.FirstPoll()
    work = asyncio.create_task(startup.after_first_poll(poll, menus, lambda: done.append("started"), jobs=jobs))
    await asyncio.sleep(0.05)
    assert done == []  # APScheduler is not even imported before the bot asks for updates

    async def updates(bot, method):
        return ["an update"]
    await poll(updates, None, methods.GetUpdates(timeout=10))
    await work
    assert done == ["jobs", "started", "menus"]
