"""How fast the bot starts: spawn → first getUpdates, idle RSS, and the slowest imports of the bot process.

Run: .venv/bin/python bench/startup.py [runs]   (prints numbers; asserts nothing)
"""
from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.testing import FakeTelegram
from router.testing import FakeLLM

TOKEN = "123456:BENCH-token-abcdefghijklmnop"
ROUTER = """
providers:
  # Slots enough for every user at once: these benches measure the bot's own cost, not a model's capacity
  # (bench/load.py measures that); a local Ollama would otherwise get the default 2.
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, max_concurrency: 256,
           timeouts: {connect: 5, first_token: 60, total: 300}}
routes:
  chat: [ollama:qwen3:8b]
"""
CHAT = 4242
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| *(\S+)")


@dataclass
class Start:
    """One start: seconds from spawn to the first getUpdates and to the answer of a message sent before the start,
    the bot's CPU seconds at the first getUpdates, RSS then and once idle, and how long the first message sent
    after that idle second waited for its answer."""

    to_poll: float
    to_answer: float
    cpu: float
    rss_mb: float
    idle_rss_mb: float
    idle_first: float
    stderr: str


def bot_env(tmp: Path, tg: FakeTelegram, llm: FakeLLM) -> dict[str, str]:
    """The environment of `python -m bot run` against the fakes, its files in `tmp`."""
    (tmp / "router.yaml").write_text(ROUTER)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "BOT_TOKEN"))}
    env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url, OLLAMA_URL=llm.url, DATA_DIR=str(tmp),
               DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/bench.db", ROUTER_FILE=str(tmp / "router.yaml"),
               AGENTS_FILE=str(ROOT / "config" / "agents.yaml"), PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    return env


async def start_once(*, importtime: bool = False, settle: float = 1.0, data: Path | None = None,
                     chat: int = CHAT, waiting: bool = True) -> Start:
    """Start the bot in a fresh DATA_DIR and database (or in `data`, kept: a restart); measure, then stop it.

    `waiting`: a message waits for the bot when it starts (else `to_answer` is 0 and the bot starts idle).

    A restart needs a new `chat`: each fake numbers its messages from 1, and the bot skips a message id it has.
    """
    with tempfile.TemporaryDirectory() as fresh:
        tmp = str(data or fresh)
        async with FakeTelegram() as tg, FakeLLM() as llm:
            tg.add_bot(TOKEN, "bench_bot")
            if waiting:
                tg.send_text(TOKEN, chat_id=chat, user_id=chat, text="hello")  # as after a restart
            env = bot_env(Path(tmp), tg, llm)
            flags = ["-X", "importtime"] if importtime else []
            t0 = time.monotonic()
            log = (Path(tmp) / "stderr.txt").open("w")  # a file, not a pipe: -X importtime writes ~100 kB
            proc = subprocess.Popen([sys.executable, *flags, "-m", "bot", "run"], cwd=tmp, env=env, stderr=log)
            try:
                await tg.wait_for(lambda: any(c.method.lower() == "getupdates" for c in tg.calls), timeout=60)
                first = next(c.at for c in tg.calls if c.method.lower() == "getupdates")
                ps = psutil.Process(proc.pid)
                cpu, rss = sum(ps.cpu_times()[:2]), ps.memory_info().rss / 2**20
                answered = t0
                if waiting:
                    await tg.wait_for(lambda: tg.sent_texts(chat) != [], timeout=60)
                    answered = tg.calls_of("sendMessage", chat_id=chat)[0].at
                await asyncio.sleep(settle)  # background start-up work (menus, recovery, scheduler) ends
                idle = ps.memory_info().rss / 2**20
                sent = time.monotonic()
                tg.send_text(TOKEN, chat_id=chat + 1, user_id=chat + 1, text="and now?")
                await tg.wait_for(lambda: tg.sent_texts(chat + 1) != [], timeout=60)
                idle_first = tg.calls_of("sendMessage", chat_id=chat + 1)[0].at - sent
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)
                log.close()
            return Start(first - t0, answered - t0, cpu, rss, idle, idle_first, (Path(tmp) / "stderr.txt").read_text())


async def time_to_first_poll(runs: int = 5, *, restart: bool = False) -> float:
    """The median of `first_poll_times`: seconds from spawn to the first getUpdates."""
    return statistics.median(await first_poll_times(runs, restart=restart))


async def first_poll_times(runs: int = 5, *, restart: bool = False) -> list[float]:
    """Seconds from spawn to the first getUpdates, one per run: each in a fresh database, or restarts of one."""
    with tempfile.TemporaryDirectory() as kept:
        data = Path(kept) if restart else None
        if data is not None:
            await start_once(settle=0.2, data=data, chat=CHAT - 2)  # the first start creates the database
        return [(await start_once(settle=0.2, data=data, chat=CHAT + 2 * i)).to_poll for i in range(runs)]


async def idle_rss_mb(settle: float = 2.0) -> float:
    """The bot's resident memory in MB once started and idle."""
    return (await start_once(settle=settle)).idle_rss_mb


def top_imports(stderr: str, n: int = 15) -> list[tuple[float, str]]:
    """The `n` largest cumulative import times (ms, module) in `-X importtime` output."""
    rows = [(int(m.group(2)) / 1000, m.group(3)) for m in map(_IMPORT_LINE.match, stderr.splitlines()) if m]
    return sorted(rows, key=lambda r: -r[0])[:n]


async def main(runs: int) -> None:
    starts = [await start_once() for _ in range(runs)]
    polls = [s.to_poll for s in starts]
    print(f"spawn → first getUpdates over {runs} first starts (new database): median {statistics.median(polls):.2f} s, "
          f"min {min(polls):.2f} s, max {max(polls):.2f} s")
    answers = [s.to_answer for s in starts]
    print(f"spawn → answer to a message sent before the start: median {statistics.median(answers):.2f} s, "
          f"min {min(answers):.2f} s, max {max(answers):.2f} s")
    print(f"bot CPU (user + sys) at the first getUpdates: median {statistics.median(s.cpu for s in starts):.2f} s "
          "(steadier than wall time on a shared machine)")
    print(f"RSS at the first getUpdates: median {statistics.median(s.rss_mb for s in starts):.0f} MB; "
          f"idle 1 s later: median {statistics.median(s.idle_rss_mb for s in starts):.0f} MB")
    idle_first = statistics.median(s.idle_first for s in starts) * 1000
    idle = [await start_once(waiting=False) for _ in range(runs)]
    idle_start = statistics.median(s.idle_first for s in idle) * 1000
    print(f"1 s after the start, the first new message → its answer: median {idle_first:.0f} ms after a start with "
          f"a message waiting, {idle_start:.0f} ms after an idle start")
    again = await first_poll_times(runs, restart=True)
    print(f"restarts (the database exists): median {statistics.median(again):.2f} s, "
          f"min {min(again):.2f} s, max {max(again):.2f} s")
    profiled = await start_once(importtime=True)
    print(f"with -X importtime (slower): spawn → first getUpdates {profiled.to_poll:.2f} s; "
          "top-15 cumulative import times:")
    for ms, name in top_imports(profiled.stderr):
        print(f"  {ms:8.1f} ms  {name}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
