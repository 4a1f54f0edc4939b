"""The bot as deployed (`python -m bot run` in its own process) for the crash tests: start, wait, kill -9."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bot.testing import FakeTelegram
from router.testing import FakeLLM
from storage.db import open_engine
from tests.harness import TOKEN

ROOT = Path(__file__).resolve().parents[2]


def start_bot(tmp: Path, tg: FakeTelegram, llm: FakeLLM, router_yaml: str,
              extra: dict[str, str] | None = None, *, database_url: str | None = None) -> subprocess.Popen[bytes]:
    """The bot on the fakes, its log in `tmp` and its database at `database_url` (default: a SQLite file in `tmp`),
    so a second start finds what the first left."""
    (tmp / "router.yaml").write_text(router_yaml)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "BOT_TOKEN"))}
    env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url, OLLAMA_URL=llm.url, DATA_DIR=str(tmp / "data"),
               DATABASE_URL=database_url or f"sqlite+aiosqlite:///{tmp}/dagi.db", ROUTER_FILE=str(tmp / "router.yaml"),
               AGENTS_FILE=str(ROOT / "config" / "agents.yaml"), PYTHONPATH=str(ROOT), FIRST_UPDATE_DELAY="0")
    env.update(extra or {})
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "bot.log", "ab"))


def stored(database_url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of a query on the bot's database (SQLite or Postgres), read while the bot runs or after it died."""
    engine = open_engine(database_url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


async def until(cond: Callable[[], bool], proc: subprocess.Popen[bytes], tmp: Path, timeout: float) -> None:
    """Wait for `cond()`; fail at once with the bot's log if the process died."""
    for _ in range(int(timeout * 20)):
        if cond():
            return
        if proc.poll() is not None:
            raise AssertionError("bot exited:\n" + (tmp / "bot.log").read_text()[-3000:])
        await asyncio.sleep(0.05)
    raise AssertionError("timed out; bot log:\n" + (tmp / "bot.log").read_text()[-3000:])


def kill(proc: subprocess.Popen[bytes]) -> None:
    """kill -9: no shutdown handler runs."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
