"""bench/replicas.py's load against real replica processes (bench/replica_cluster.py), and the fakes' set-up.

A closed loop: every chat sends its next message as soon as the previous one is answered (after one warm-up
message per chat, not counted). Latency is from the moment the bench POSTs an update to a replica to the moment
the fake Bot API receives the sendMessage carrying the whole answer.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import psutil

from bench.closed_loop import pct
from bench.replica_cluster import Cluster, Counters, ServiceCpu
from bench.startup import TOKEN
from bot.testing import Call, FakeTelegram
from router.testing import FakeLLM
from router.testing.server import RecordedRequest

WORDS, TOKEN_DELAY = 8, 0.01  # each answer: 8 tokens at 10 ms, ~80 ms of "generation"


def answer_for(tag: str) -> str:
    return " ".join([tag, *(f"w{i}" for i in range(1, WORDS))])


def question_of(messages: list[dict[str, Any]]) -> str:
    """The last user message a chat request carries: the message being answered."""
    return str(next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")).strip()


class Answers(list[Call]):
    """FakeTelegram.calls that also resolves the wait of the chat whose whole answer has just arrived (the driver
    learns of it as the fake records it, instead of polling the list; no failures are scripted, so `ok` holds)."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[int, tuple[str, asyncio.Future[float]]] = {}
        self.finals: Counter[str] = Counter()  # whole answers received, by text (a second one is a double answer)

    def append(self, call: Call) -> None:
        super().append(call)
        if call.method.lower() != "sendmessage":
            return
        sent = str(call.params.get("text", ""))
        self.finals[sent] += 1
        tag, done = self.waiting.get(call.params.get("chat_id"), ("", None))  # type: ignore[arg-type]
        if done is not None and not done.done() and sent == answer_for(tag):
            done.set_result(call.at)


def fakes(tg: FakeTelegram, llm: FakeLLM) -> Answers:
    """Set the fakes up for the bench: deliveries by hand, answers named by the message they answer."""
    tg.add_bot(TOKEN, "bench_bot")
    tg.auto_deliver = False
    llm.token_delay = TOKEN_DELAY
    llm.responder = lambda messages: answer_for(question_of(messages))
    answers = Answers()
    tg.calls = answers
    return answers


@dataclass
class LoadRun:
    """One setup's numbers: answers, wall time, latencies (s), CPU seconds of the bots, the servers, this process."""

    name: str
    chats: int
    each: int
    latencies: list[float] = field(default_factory=list)
    answered: dict[str, float] = field(default_factory=dict)  # message → when its whole answer arrived
    wall: float = 0.0
    missing: int = 0
    doubles: int = 0
    refused: int = 0  # posts a replica did not answer 200 (then posted to another)
    bot_cpu: float = 0.0
    services_cpu: float = 0.0
    driver_cpu: float = 0.0
    # Where each answer's time went (s): POST → the model called, the model's own time, model done → answer sent.
    to_model: list[float] = field(default_factory=list)
    model: list[float] = field(default_factory=list)
    after_model: list[float] = field(default_factory=list)
    transactions: int | None = None  # Postgres transactions in the measured loop (None: SQLite, not counted)
    redis_commands: int | None = None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def p(self, q: float) -> float:
        return pct(self.latencies, q) * 1000


async def post(tg: FakeTelegram, cluster: Cluster, update_id: int, first: int) -> int:
    """Deliver to replica `first`, then to the others until one answers 200; how many refused it."""
    n = len(cluster.procs)
    for k in range(n):
        try:
            if await tg.post_update(TOKEN, update_id, url=cluster.url((first + k) % n)) == 200:
                return k
        except aiohttp.ClientError:
            pass
    raise RuntimeError(f"no replica took update {update_id}")


async def load(run: LoadRun, tg: FakeTelegram, llm: FakeLLM, answers: Answers, cluster: Cluster,
               services: ServiceCpu, counters: Counters, *, timeout: float = 60.0) -> LoadRun:
    """The closed loop on a started cluster; fills `run`."""
    rng = random.Random(16)
    chats = [50_000 + c for c in range(run.chats)]  # each setup has fakes of its own
    loop = asyncio.get_running_loop()

    posts: dict[str, float] = {}

    async def one(chat: int, tag: str, record: bool) -> None:
        done: asyncio.Future[float] = loop.create_future()
        answers.waiting[chat] = (tag, done)
        update_id = tg.send_text(TOKEN, chat_id=chat, user_id=chat, text=tag)
        posted = posts[tag] = time.monotonic()
        run.refused += await post(tg, cluster, update_id, rng.randrange(len(cluster.procs)))
        try:
            at = await asyncio.wait_for(done, timeout)
        except TimeoutError:
            run.missing += record
            return
        if record:
            run.latencies.append(at - posted)
            run.answered[tag] = at

    async def user(chat: int) -> None:
        for k in range(run.each):
            await one(chat, f"{run.name}-{chat}-{k}", True)

    await asyncio.gather(*(one(c, f"{run.name}-{c}-warm", False) for c in chats))
    await asyncio.sleep(1.0)  # Postgres publishes a backend's counts within a second
    me, asked = psutil.Process(), len(llm.chat_requests())
    before = await counters.read()
    bot0, svc0, me0, t0 = cluster.cpu(), services.sample(), sum(me.cpu_times()[:2]), time.monotonic()
    await asyncio.gather(*(user(c) for c in chats))
    run.wall = time.monotonic() - t0
    run.bot_cpu, run.services_cpu = cluster.cpu() - bot0, ServiceCpu.spent(svc0, services.sample())
    run.driver_cpu = sum(me.cpu_times()[:2]) - me0
    await asyncio.sleep(1.0)  # a second answer to any message would have arrived by now; the counts are published
    after = await counters.read()
    run.transactions, run.redis_commands = (None if a is None or b is None else b - a
                                            for a, b in zip(before, after, strict=True))
    _split(run, posts, llm.chat_requests()[asked:])
    tags = {f"{run.name}-{c}-{k}" for c in chats for k in range(run.each)}
    run.doubles = sum(n - 1 for text, n in answers.finals.items() if n > 1 and text.split(" ", 1)[0] in tags)
    return run


def _split(run: LoadRun, posts: dict[str, float], requests: list[RecordedRequest]) -> None:
    """Each answer's time: POST → model called → model done → answer sent."""
    for r in requests:
        tag = question_of((r.json or {}).get("messages") or [])
        if tag in run.answered and r.done_at is not None:
            run.to_model.append(r.at - posts[tag])
            run.model.append(r.done_at - r.at)
            run.after_model.append(run.answered[tag] - r.done_at)
