"""The bot's own overhead: fake Bot API + fake LLM on 127.0.0.1, the bot as a separate process.

Run: .venv/bin/python bench/overhead.py   (prints numbers; asserts nothing)
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.testing import FakeTelegram
from router.testing import FakeLLM

TOKEN = "123456:BENCH-token-abcdefghijklmnop"
ROUTER = """
providers:
  ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true, timeouts: {connect: 5, first_token: 60, total: 300}}
routes:
  chat: [ollama:qwen3:8b]
"""
PACING = 1.0  # UPDATE_INTERVAL default
VISIBLE = {"sendmessage", "editmessagetext", "sendmessagedraft"}


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def start_bot(tmp: Path, tg: FakeTelegram, llm: FakeLLM) -> subprocess.Popen[bytes]:
    """Start `python -m bot run` against the fakes and wait until it polls."""
    (tmp / "router.yaml").write_text(ROUTER)
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "BOT_TOKEN"))}
    env.update(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url, OLLAMA_URL=llm.url, DATA_DIR=str(tmp),
               DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/bench.db", ROUTER_FILE=str(tmp / "router.yaml"),
               AGENTS_FILE=str(ROOT / "config" / "agents.yaml"), PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    # BENCH_PROFILE=/tmp/bot.prof writes a cProfile of the bot process (read it with pstats).
    profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
    proc = subprocess.Popen([sys.executable, *profile, "-m", "bot", "run"], cwd=tmp, env=env)
    await tg.wait_for(lambda: any(c.method.lower() == "getupdates" for c in tg.calls), timeout=60)
    await asyncio.sleep(1.0)
    return proc


async def burst(tg: FakeTelegram, llm: FakeLLM, proc: psutil.Process, users: int, per_user: int, label: str,
                base: int) -> None:
    """`users` × `per_user` messages at once; latency, throughput, API calls, CPU, RSS."""
    rss_peak = proc.memory_info().rss
    calls_before = len(tg.calls)
    cpu0 = sum(proc.cpu_times()[:2])
    pushed: dict[str, float] = {}
    t0 = time.monotonic()
    for k in range(per_user):
        for u in range(users):
            text = f"{label} {u}-{k}"
            tg.send_text(TOKEN, chat_id=base + u, user_id=base + u, text=text)
            pushed[text] = time.monotonic()
    total = users * per_user
    def finished() -> int:
        return sum(1 for c in tg.calls[calls_before:] if c.method.lower() == "sendmessage" and c.ok)

    while finished() < total:
        rss_peak = max(rss_peak, proc.memory_info().rss)
        await asyncio.sleep(0.005)
    wall = time.monotonic() - t0
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    # Per message: the bot's time before the model was asked plus after the model finished,
    # not counting the wait for the previous answer in the same chat (that is queueing, not overhead).
    asked = {r.json["messages"][-1]["content"]: r.at for r in llm.chat_requests()[-total:]}
    finals = {c.params["text"].removeprefix("echo: "): c.at for c in tg.calls[calls_before:]
              if c.method.lower() == "sendmessage" and c.ok}
    added = []
    for u in range(users):
        prev_done = 0.0
        for k in range(per_user):
            text = f"{label} {u}-{k}"
            # Telegram allows ~1 message per second per chat; the pacer's wait is policy, not overhead.
            start = max(pushed[text], prev_done + PACING) if prev_done else pushed[text]
            # 0 ms/token: the model's own time is the fake's few-ms reply, counted in `asked → final`;
            # we subtract nothing for it, so this number is an upper bound of the bot's overhead.
            added.append((finals[text] - start) * 1000)
            prev_done = finals[text]
    api = [c for c in tg.calls[calls_before:] if c.method.lower() not in ("getupdates",)]
    print(f"  {total} messages from {users} users: {total / wall:.0f} msgs/s, wall {wall:.2f} s")
    print(f"  bot-added latency per reply (update → final message, minus same-chat queueing and pacing): "
          f"p50 {pct(added, 50):.1f} ms, p95 {pct(added, 95):.1f} ms, p99 {pct(added, 99):.1f} ms")
    print(f"  Bot API calls per reply: {len(api) / total:.2f}  "
          f"({', '.join(sorted({c.method for c in api}))})")
    print(f"  bot CPU per reply: {cpu / total * 1000:.2f} ms (streaming + persistence + HTTP both ways)")
    print(f"  peak RSS: {rss_peak / 2**20:.0f} MB")
    del asked


async def sequential(tg: FakeTelegram, llm: FakeLLM, proc: psutil.Process, base: int, n: int = 50) -> None:
    """One message at a time in chats the bot already knows: its own latency and CPU, nothing queued."""
    cpu0 = sum(proc.cpu_times()[:2])
    calls_before = len(tg.calls)
    added = []
    for i in range(n):
        chat = base + i  # a different known chat each time: its last answer was > 1 s ago, no pacing wait
        seen = len(tg.sent_texts(chat))
        t0 = time.monotonic()
        tg.send_text(TOKEN, chat_id=chat, user_id=chat, text=f"seq {i}")
        while len(tg.sent_texts(chat)) <= seen:
            await asyncio.sleep(0.0005)
        final = next(c.at for c in reversed(tg.calls) if c.method.lower() == "sendmessage"
                     and c.params.get("chat_id") in (chat, str(chat)))
        asked = next(r for r in reversed(llm.chat_requests()) if r.json["messages"][-1]["content"] == f"seq {i}")
        # The fake model answers 3 tokens at 0 ms: its own time is inside `asked → final` and is
        # not subtracted, so this is an upper bound of what the bot adds.
        added.append((final - t0) * 1000)
        del asked
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    api = [c for c in tg.calls[calls_before:] if c.method.lower() != "getupdates"]
    print(f"  {n} messages one at a time: bot-added latency p50 {pct(added, 50):.1f} ms, "
          f"p95 {pct(added, 95):.1f} ms, p99 {pct(added, 99):.1f} ms; CPU per reply {cpu / n * 1000:.2f} ms; "
          f"Bot API calls per reply {len(api) / n:.2f}")


async def first_visible(tg: FakeTelegram, llm: FakeLLM, proc: psutil.Process, n: int = 20, tokens: int = 60) -> None:
    """20 ms per token: model's first token → first text the user sees, and updates per second."""
    cpu0 = sum(proc.cpu_times()[:2])
    llm.token_delay = 0.02
    llm.responder = lambda msgs: " ".join(f"w{i}" for i in range(tokens))
    base = len(llm.chat_requests())
    calls_before = len(tg.calls)
    chats = [20_000 + i for i in range(n)]
    for chat in chats:
        tg.send_text(TOKEN, chat_id=chat, user_id=chat, text=f"slow {chat}")
        await asyncio.sleep(0.05)
    for chat in chats:
        await tg.wait_for(lambda chat=chat: len(tg.sent_texts(chat)) >= 1, timeout=120)
    cpu = sum(proc.cpu_times()[:2]) - cpu0
    reqs = {r.json["messages"][-1]["content"]: r.at for r in llm.chat_requests()[base:]}
    delays, rates = [], []
    for chat in chats:
        first_token = reqs[f"slow {chat}"] + llm.token_delay  # the fake waits one delay before each token
        visible = [c.at for c in tg.calls[calls_before:] if c.method.lower() in VISIBLE
                   and c.params.get("chat_id") in (chat, str(chat))]
        delays.append((visible[0] - first_token) * 1000)
        gaps = [b - a for a, b in zip(visible, visible[1:], strict=False)]
        rates.append(1 / min(gaps) if gaps else 0.0)
    print(f"  {n} chats, {tokens} tokens at 20 ms: first visible text after the model's first token: "
          f"p50 {pct(delays, 50):.0f} ms, max {max(delays):.0f} ms")
    print(f"  visible updates per chat: at most {max(rates):.2f} per second")
    print(f"  bot CPU per streamed reply of {tokens} tokens: {cpu / n * 1000:.2f} ms (drafts + final + persistence)")


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as tg, FakeLLM() as llm:
            tg.add_bot(TOKEN, "bench_bot")
            proc = await start_bot(Path(tmp), tg, llm)
            ps = psutil.Process(proc.pid)
            try:
                print(f"idle RSS (no embedded model): {ps.memory_info().rss / 2**20:.0f} MB")
                print("warm-up: 50 messages")
                await burst(tg, llm, ps, users=50, per_user=1, label="warm", base=10_000)
                print("burst: 200 messages from 50 users at once, 0 ms per token")
                await burst(tg, llm, ps, users=50, per_user=4, label="msg", base=30_000)
                print("one at a time: 50 known chats, 0 ms per token")
                await sequential(tg, llm, ps, base=10_000)
                print("streaming: 20 ms per token")
                await first_visible(tg, llm, ps)
            finally:
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
