"""The bot as deployed (`python -m bot run` in its own process) for the crash tests: start, wait, kill -9."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.testing import FakeTelegram
from router.testing import FakeLLM
from tests.harness import TOKEN

ROOT = Path(__file__).resolve().parents[2]


def start_bot(tmp: Path, tg: FakeTelegram, llm: FakeLLM, router_yaml: str,
              extra: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """The bot on the fakes, its SQLite file and log in `tmp` (so a second start finds what the first left)."""
    (tmp / "router.yaml").write_text(router_yaml)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "BOT_TOKEN"))}
    env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url, OLLAMA_URL=llm.url, DATA_DIR=str(tmp / "data"),
               DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/dagi.db", ROUTER_FILE=str(tmp / "router.yaml"),
               AGENTS_FILE=str(ROOT / "config" / "agents.yaml"), PYTHONPATH=str(ROOT), FIRST_UPDATE_DELAY="0")
    env.update(extra or {})
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "bot.log", "ab"))


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
