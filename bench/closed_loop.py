"""Issue 14's closed loop: 50 users in private chats, each sends its next message once the previous answer is complete.

4 messages each (200 in all), 40-token answers from the fake model. An answer is complete when a sendMessage (or an
edit) carrying the whole answer has been answered ok by the fake Bot API. Used by bench/overhead.py for DAGI and by
bench/peer_ollama_telegram.py for the peer; prints numbers, asserts nothing.
"""
from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bot.testing import FakeTelegram
from router.testing import FakeLLM, RecordedRequest

USERS, PER_USER, TOKENS = 50, 4, 40
VISIBLE = {"sendmessage", "editmessagetext", "sendmessagedraft"}
MESSAGES = {"sendmessage", "editmessagetext"}  # what stays in the chat; a draft is a preview that goes away

Whole = Callable[[str, str], bool]  # (text the bot sent, the model's answer) → the user sees the whole answer


def exact(sent: str, answer: str) -> bool:
    """DAGI sends the model's answer as it is."""
    return sent == answer


async def until_polled(tg: FakeTelegram, proc: subprocess.Popen[bytes], spawned: float,
                       log: Path | None = None) -> float:
    """Wait for the process's first getUpdates (then one idle second); spawn → first getUpdates in seconds."""
    await tg.wait_for(lambda: proc.poll() is not None or any(c.method.lower() == "getupdates" for c in tg.calls),
                      timeout=60)
    if proc.poll() is not None:
        why = f":\n{log.read_text()}" if log is not None and log.exists() else ""
        raise SystemExit(f"the process exited ({proc.returncode}) before it polled{why}")
    first_poll = next(c.at for c in tg.calls if c.method.lower() == "getupdates")
    await asyncio.sleep(1.0)
    return first_poll - spawned


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def answer_for(tag: str) -> str:
    """The fake model's answer to the message `tag`: the tag and 39 more words, 40 tokens."""
    return " ".join([tag, *(f"w{i}" for i in range(1, TOKENS))])


def _last_user_text(messages: list[dict]) -> str:
    return str(next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")).strip()


@dataclass
class _Loop:
    """One run's bookkeeping: when each message was pushed and when its whole answer was seen."""

    tg: FakeTelegram
    whole: Whole
    chats: set[int]
    pushed: dict[str, float] = field(default_factory=dict)
    complete: dict[str, float] = field(default_factory=dict)
    waiting: dict[int, tuple[str, asyncio.Future[None]]] = field(default_factory=dict)

    async def user(self, token: str, chat: int, label: str, per_user: int, timeout: float) -> None:
        """Send `per_user` messages, each as soon as the previous answer is complete (or `timeout` passed)."""
        for k in range(per_user):
            tag = f"{label}-{chat}-{k}"
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.waiting[chat] = (tag, done)
            self.pushed[tag] = time.monotonic()
            self.tg.send_text(token, chat_id=chat, user_id=chat, text=tag)
            try:
                await asyncio.wait_for(done, timeout)
            except TimeoutError:
                pass  # counted as not complete; the user goes on

    async def watch(self, start: int) -> None:
        """Resolve a user's wait when the whole answer reaches its chat (checked every millisecond)."""
        seen = start
        while True:
            calls = self.tg.calls
            for c in calls[seen:]:
                chat = c.params.get("chat_id")
                if c.ok and c.method.lower() in MESSAGES and chat in self.waiting:
                    tag, done = self.waiting[chat]
                    if not done.done() and self.whole(str(c.params.get("text", "")), answer_for(tag)):
                        self.complete[tag] = c.at
                        done.set_result(None)
            seen = len(calls)
            await asyncio.sleep(0.001)


def _cpu(proc: psutil.Process) -> float:
    return sum(proc.cpu_times()[:2])


async def closed_loop(tg: FakeTelegram, llm: FakeLLM, proc: psutil.Process, *, token: str, base: int, label: str,
                      token_delay: float, per_user: int = PER_USER, whole: Whole = exact,
                      timeout: float = 60.0) -> None:
    """Run the loop in chats base … base+49 and print throughput, latency, first text, CPU and delivery."""
    llm.token_delay = token_delay
    llm.responder = lambda messages: answer_for(_last_user_text(messages))
    calls0, reqs0, limited0 = len(tg.calls), len(llm.requests), len(tg.rate_limited)
    loop = _Loop(tg, whole, {base + u for u in range(USERS)})
    watcher = asyncio.create_task(loop.watch(calls0))
    me = psutil.Process()
    cpu0, mine0, t0 = _cpu(proc), _cpu(me), time.monotonic()
    await asyncio.gather(*(loop.user(token, chat, label, per_user, timeout) for chat in sorted(loop.chats)))
    cpu, mine = _cpu(proc) - cpu0, _cpu(me) - mine0
    watcher.cancel()
    total = USERS * per_user
    wall = max(loop.complete.values(), default=time.monotonic()) - t0
    requests = {_last_user_text((r.json or {}).get("messages") or []): r for r in llm.chat_requests()[reqs0:]}
    calls = [c for c in tg.calls[calls0:] if c.params.get("chat_id") in loop.chats]
    _report(loop, requests, calls, total=total, wall=wall, cpu=cpu, limited=len(tg.rate_limited) - limited0)
    # Near 100 % the harness, not the bot, would be what limits messages/s.
    print(f"    fakes + driver (this process): {mine / (time.monotonic() - t0) * 100:.0f} % of one core")


def _report(loop: _Loop, requests: dict[str, RecordedRequest], calls: list, *, total: int, wall: float, cpu: float,
            limited: int) -> None:
    """Print one run's numbers."""
    latency = [(at - loop.pushed[tag]) * 1000 for tag, at in loop.complete.items()]
    done_to_whole = [(at - r.done_at) * 1000 for tag, at in loop.complete.items()
                     if (r := requests.get(tag)) is not None and r.done_at is not None]
    first_visible: dict[str, float] = {}
    for c in calls:
        tag = str(c.params.get("text", "")).split(" ", 1)[0].strip()
        if c.ok and c.method.lower() in VISIBLE and tag in loop.pushed and tag not in first_visible:
            first_visible[tag] = c.at
    first = [(at - r.first_at) * 1000 for tag, at in first_visible.items()
             if (r := requests.get(tag)) is not None and r.first_at is not None]
    api = [c for c in calls if c.method.lower() != "getupdates"]
    print(f"    {len(loop.complete)}/{total} answers complete: {len(loop.complete) / wall:.0f} messages/s "
          f"(wall {wall:.2f} s)")
    print(f"    message → complete answer: p50 {pct(latency, 50):.0f} ms, p95 {pct(latency, 95):.0f} ms")
    print(f"    model done → whole answer visible: p50 {pct(done_to_whole, 50):.0f} ms, "
          f"p99 {pct(done_to_whole, 99):.0f} ms")
    print(f"    first visible text − model's first token ({len(first)} answers): p50 {pct(first, 50):.0f} ms, "
          f"p99 {pct(first, 99):.0f} ms, max {max(first, default=float('nan')):.0f} ms")
    print(f"    bot CPU per reply: {cpu / total * 1000:.2f} ms; Bot API calls per reply {len(api) / total:.2f}")
    _delivery(loop, calls, total=total, limited=limited)


def _delivery(loop: _Loop, calls: list, *, total: int, limited: int) -> None:
    """Answers complete, truncated (only part of it left in the chat) or missing; 429s; notices never delivered."""
    partial, notices, delivered = set(), set(), set()
    for c in calls:
        if c.method.lower() not in MESSAGES:
            continue
        text = str(c.params.get("text", ""))
        tag = text.split(" ", 1)[0].strip()
        if tag in loop.pushed:
            if c.ok and tag not in loop.complete:
                partial.add(tag)
        else:  # anything else the bot says in these chats: a notice
            notices.add((c.params.get("chat_id"), text))
            if c.ok:
                delivered.add((c.params.get("chat_id"), text))
    missing = total - len(loop.complete) - len(partial)
    print(f"    delivery: {len(loop.complete)}/{total} complete, {len(partial)} truncated, {missing} missing; "
          f"429s answered by the fake {limited}; notices {len(notices)}, lost {len(notices - delivered)}")
