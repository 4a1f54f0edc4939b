"""The bot's own overhead: fake Bot API + fake LLM on 127.0.0.1, the bot as a separate process.

Run: .venv/bin/python bench/overhead.py   (prints numbers; asserts nothing)
The closed loop of issue 14 (bench/closed_loop.py) runs last; bench/peer_ollama_telegram.py runs it for the peer.
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

from bench.closed_loop import VISIBLE, closed_loop, pct, until_polled
from bench.startup import TOKEN, bot_env
from bot.testing import FakeTelegram
from router.testing import FakeLLM


async def start_bot(tmp: Path, tg: FakeTelegram, llm: FakeLLM) -> tuple[subprocess.Popen[bytes], float]:
    """Start `python -m bot run` against the fakes, wait until it polls; the process and spawn → first getUpdates."""
    env = bot_env(tmp, tg, llm)
    # BENCH_PROFILE=/tmp/bot.prof writes a cProfile of the bot process (read it with pstats).
    profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
    spawned = time.monotonic()
    proc = subprocess.Popen([sys.executable, *profile, "-m", "bot", "run"], cwd=tmp, env=env)
    return proc, await until_polled(tg, proc, spawned)


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
    # Per message: update → final message, not counting the wait for the previous answer in the same chat
    # (answers go out in order: that is queueing). Pacing waits are counted: the user waits for them too.
    asked = {r.json["messages"][-1]["content"]: r.at for r in llm.chat_requests()[-total:]}
    finals = {c.params["text"].removeprefix("echo: "): c.at for c in tg.calls[calls_before:]
              if c.method.lower() == "sendmessage" and c.ok}
    added = []
    for u in range(users):
        prev_done = 0.0
        for k in range(per_user):
            text = f"{label} {u}-{k}"
            start = max(pushed[text], prev_done)
            # 0 ms/token: the model's own time is the fake's few-ms reply, counted in `asked → final`;
            # we subtract nothing for it, so this number is an upper bound of the bot's overhead.
            added.append((finals[text] - start) * 1000)
            prev_done = finals[text]
    api = [c for c in tg.calls[calls_before:] if c.method.lower() not in ("getupdates",)]
    print(f"  {total} messages from {users} users: {total / wall:.0f} msgs/s, wall {wall:.2f} s")
    print(f"  bot-added latency per reply (update → final message, minus same-chat queueing; pacing counted): "
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
    reqs = {r.json["messages"][-1]["content"]: r for r in llm.chat_requests()[base:]}
    delays, rates, tails = [], [], []
    for chat in chats:
        req = reqs[f"slow {chat}"]
        first_token = req.first_at or req.at + llm.token_delay  # when the fake wrote the model's first token
        visible = [c for c in tg.calls[calls_before:] if c.method.lower() in VISIBLE
                   and c.params.get("chat_id") in (chat, str(chat))]
        delays.append((visible[0].at - first_token) * 1000)
        # Drafts are paced among themselves; the final message follows the model at once, not the last draft.
        drafts = [c.at for c in visible if c.method.lower() == "sendmessagedraft"]
        gaps = [b - a for a, b in zip(drafts, drafts[1:], strict=False)]
        rates.append(1 / min(gaps) if gaps else 0.0)
        final = next(c.at for c in visible if c.method.lower() == "sendmessage")
        tails.append((final - (req.done_at or final)) * 1000)
    print(f"  {n} chats, {tokens} tokens at 20 ms: first visible text after the model's first token: "
          f"p50 {pct(delays, 50):.0f} ms, max {max(delays):.0f} ms")
    print(f"  drafts per chat: at most {max(rates):.2f} per second; model done → final message: "
          f"p50 {pct(tails, 50):.0f} ms, max {max(tails):.0f} ms")
    print(f"  bot CPU per streamed reply of {tokens} tokens: {cpu / n * 1000:.2f} ms (drafts + final + persistence)")


async def closed_loops(tg: FakeTelegram, llm: FakeLLM, ps: psutil.Process) -> None:
    """Issue 14's closed loop at 0 and 20 ms per token, then at 20 ms under the strict per-chat 429 model."""
    for i, (delay, strict) in enumerate([(0.0, False), (0.02, False), (0.02, True)]):
        print(f"closed loop: 50 users × 4 messages, 40-token answers at {delay * 1000:.0f} ms per token"
              + (", strict 429 model (1 send/edit per chat per second)" if strict else ""))
        tg.chat_limit(1 if strict else None)
        await closed_loop(tg, llm, ps, token=TOKEN, base=40_000 + 1_000 * i, label=f"cl{i}", token_delay=delay)
    tg.chat_limit(None)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram() as tg, FakeLLM() as llm:
            tg.add_bot(TOKEN, "bench_bot")
            proc, startup = await start_bot(Path(tmp), tg, llm)
            ps = psutil.Process(proc.pid)
            try:
                print(f"start → first getUpdates: {startup:.2f} s")
                print(f"idle RSS (no embedded model): {ps.memory_info().rss / 2**20:.0f} MB")
                print("warm-up: 50 messages")
                await burst(tg, llm, ps, users=50, per_user=1, label="warm", base=10_000)
                print("burst: 200 messages from 50 users at once, 0 ms per token")
                await burst(tg, llm, ps, users=50, per_user=4, label="msg", base=30_000)
                print("one at a time: 50 known chats, 0 ms per token")
                await sequential(tg, llm, ps, base=10_000)
                print("streaming: 20 ms per token")
                await first_visible(tg, llm, ps)
                await closed_loops(tg, llm, ps)
            finally:
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
