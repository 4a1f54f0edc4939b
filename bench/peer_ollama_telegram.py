"""ruecat/ollama-telegram in issue 14's closed loop, beside bench/overhead.py's numbers for DAGI.

The peer's code is not part of this repository. Get it and its own venv (its pins clash with ours: aiogram 3.13.1):
    git clone https://github.com/ruecat/ollama-telegram /tmp/ollama-telegram
        (or from a bare snapshot: git --git-dir=SNAPSHOT archive HEAD | tar -x -C /tmp/ollama-telegram)
    python3 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install -r /tmp/ollama-telegram/requirements.txt
Run: .venv/bin/python bench/peer_ollama_telegram.py /tmp/ollama-telegram [--python /tmp/peer-venv/bin/python] [--strict]
(prints numbers; asserts nothing). Measured with its commit 8534944.

bench/peers/ollama_telegram.py starts it unchanged but for the Bot API address. The peer does not stream: it sends one
sendMessage per answer, the answer followed by "\\n\\n⚙️ <model>\\nGenerated in X s.", so an answer is complete when a
sendMessage starts with the whole answer and a blank line.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.closed_loop import USERS, closed_loop, until_polled
from bot.testing import FakeTelegram
from router.testing import FakeLLM

TOKEN = "123456:BENCH-token-abcdefghijklmnop"
RUNS = [("warm-up: 50 users × 1 message", 0.0, False, 1), ("0 ms per token", 0.0, False, 4),
        ("20 ms per token", 0.02, False, 4), ("20 ms per token, strict 429 model", 0.02, True, 4)]
BASE = 40_000  # run i uses chats BASE + 1000·i …, as bench/overhead.py does


def whole(sent: str, answer: str) -> bool:
    """The peer's sendMessage carries the answer, a blank line and a footer."""
    return sent.startswith(answer + "\n\n")


async def start_peer(tmp: Path, tg: FakeTelegram, llm: FakeLLM, peer: Path, python: str) -> tuple[
        subprocess.Popen[bytes], float]:
    """Start the peer against the fakes, wait until it polls; the process and spawn → first getUpdates."""
    users = ",".join(str(BASE + 1000 * i + u) for i in range(len(RUNS)) for u in range(USERS))
    llm_url = urlsplit(llm.url)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "TOKEN"))}
    env.update(PEER_DIR=str(peer), TELEGRAM_API_URL=tg.url, TOKEN=TOKEN, ADMIN_IDS="1", USER_IDS=users,
               OLLAMA_BASE_URL=str(llm_url.hostname), OLLAMA_PORT=str(llm_url.port), INITMODEL="qwen3:8b",
               LOG_LEVEL="WARNING", TIMEOUT="3000")
    spawned = time.monotonic()
    with (tmp / "peer.log").open("w") as log:  # its tracebacks (every 429 is one) would drown the numbers
        proc = subprocess.Popen([python, str(ROOT / "bench" / "peers" / "ollama_telegram.py")], cwd=tmp, env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
    return proc, await until_polled(tg, proc, spawned, log=tmp / "peer.log")


async def main(peer: Path, python: str, strict: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as tg, FakeLLM() as llm:
            tg.add_bot(TOKEN, "bench_bot")
            proc, startup = await start_peer(Path(tmp), tg, llm, peer, python)
            ps = psutil.Process(proc.pid)
            try:
                print(f"ollama-telegram: start → first getUpdates: {startup:.2f} s")
                print(f"idle RSS: {ps.memory_info().rss / 2**20:.0f} MB")
                for i, (title, delay, strict_run, per_user) in enumerate(RUNS):
                    if strict_run and not strict:
                        continue
                    print(f"closed loop, 40-token answers, {title}")
                    tg.chat_limit(1 if strict_run else None)
                    # A lost answer never completes: under the strict model the user gives up sooner.
                    await closed_loop(tg, llm, ps, token=TOKEN, base=BASE + 1000 * i, label=f"cl{i}",
                                      token_delay=delay, per_user=per_user, whole=whole,
                                      timeout=10.0 if strict_run else 60.0)
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("peer", type=Path, help="a checkout of ruecat/ollama-telegram")
    parser.add_argument("--python", default="/tmp/peer-venv/bin/python", help="the peer venv's python")
    parser.add_argument("--strict", action="store_true", help="also run under the strict per-chat 429 model")
    args = parser.parse_args()
    asyncio.run(main(args.peer.resolve(), args.python, args.strict))
