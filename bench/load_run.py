"""bench/load.py's machinery: the two fakes, a router per policy from router.yaml text, Poisson arrivals driven
through ModelRouter.stream in this process, and what each request saw."""
from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from base.metrics import NoMetrics, install
from router.config import build_router, load_router_config
from router.core import ModelRouter
from router.providers._pace import WINDOW
from router.testing import FakeLLM
from router.types import ChatMessage, ChatRequest, Target

TOKENS = 20  # words per answer, both fakes
LOCAL_DELAY, CLOUD_DELAY = 0.020, 0.010  # seconds per token: the local GPU and cloud API
SLOTS = 2  # the local server's parallel slots (OLLAMA_NUM_PARALLEL)
LOCAL, CLOUD = "local:qwen3:8b", "cloud:gpt-4o-mini"
REQUEST = ChatRequest(messages=(ChatMessage("user", "hi"),))
GRACE = 0.02  # seconds around a local answer's start and end that still count its slot busy (clocks of two sides)
# The Ollama reader may leave an answer's last line unread for up to one coalescing window, so the router holds a
# slot that long after the server freed it: a cloud request sent then was still an overflow by the router's count.
LATE = GRACE + WINDOW

YAML = """
providers:
  local:
    kind: ollama
    base_url: "${{LOCAL_URL}}"
    max_concurrency: {slots}
    queue_timeout: {queue_timeout}
    max_wait: 900
    timeouts: {{connect: 900, first_token: 900, total: 900}}
  cloud:
    kind: openai
    base_url: "${{CLOUD_URL}}"
    api_key_env: CLOUD_KEY
    timeouts: {{connect: 900, first_token: 900, total: 900}}
rules:
  - use: [{targets}]
"""


@dataclass(frozen=True)
class Policy:
    """What the router may do: its targets, and the local provider's slots as router.yaml gives them."""

    name: str
    targets: tuple[str, ...]
    slots: int = 10_000  # the router never finds the local side full: requests queue inside the server (today)
    queue_timeout: float = 0.5

    def yaml(self) -> str:
        return YAML.format(slots=self.slots, queue_timeout=self.queue_timeout, targets=", ".join(self.targets))


@dataclass
class Cell:
    """One policy at one load: each request's latency (start → last delta) and who served it."""

    policy: Policy
    load: float  # × the local capacity
    rate: float  # requests per second
    latencies: list[float] = field(default_factory=list)
    served: Counter[str] = field(default_factory=Counter)  # provider → requests
    failed: int = 0
    cloud_tokens: int = 0  # in + out, as the cloud reported them
    overflowed: int = 0  # the router's own count: local passed over for the next target
    cloud_while_free: int = 0  # cloud requests sent while the local server had a free slot (its clocks)
    cloud_while_idle: int = 0  # of those, sent when the slot had been free for longer than LATE
    local_busy: float = 0.0  # the local slots' busy time / (slots × the cell's span)

    @property
    def requests(self) -> int:
        return sum(self.served.values()) + self.failed

    @property
    def local_share(self) -> float:
        return self.served["local"] / max(1, self.requests)


class Overflows(NoMetrics):
    """Counts the router's overflow reports (a request passed a busy local target over)."""

    def __init__(self) -> None:
        self.count = 0

    def overflow(self, provider: str, reason: str) -> None:
        self.count += 1


@asynccontextmanager
async def fakes() -> AsyncIterator[tuple[FakeLLM, FakeLLM]]:
    """The local fake (SLOTS parallel, the rest wait inside it) and the cloud fake (any number at once)."""
    answer = " ".join(f"w{i}" for i in range(TOKENS))
    async with FakeLLM(token_delay=LOCAL_DELAY, parallel=SLOTS) as local, FakeLLM(token_delay=CLOUD_DELAY) as cloud:
        local.responder = cloud.responder = lambda messages: answer
        yield local, cloud


def router_for(policy: Policy, local: FakeLLM, cloud: FakeLLM, tmp: Path) -> ModelRouter:
    """The router an operator gets from this router.yaml."""
    (tmp / "router.yaml").write_text(policy.yaml())
    env = {"LOCAL_URL": local.url, "CLOUD_URL": cloud.openai_url, "CLOUD_KEY": "sk-bench"}
    return build_router(load_router_config(tmp / "router.yaml", env), env, data_dir=tmp)


async def one(router: ModelRouter, cell: Cell) -> None:
    """A request from start to its last delta."""
    start = time.monotonic()
    provider, tokens = "", 0
    try:
        async for delta in router.stream(REQUEST):
            provider = delta.provider or provider
            if delta.usage is not None:
                tokens = delta.usage.tokens_in + delta.usage.tokens_out
    except Exception:  # noqa: BLE001 - a failed request is counted, not fatal to the run
        cell.failed += 1
        return
    cell.latencies.append(time.monotonic() - start)
    cell.served[provider] += 1
    if provider == "cloud":
        cell.cloud_tokens += tokens


def arrivals(rate: float, duration: float, seed: int) -> list[float]:
    """Poisson arrival times (seconds from the start) at `rate` per second within `duration`."""
    rng, at, out = random.Random(seed), 0.0, []
    while (at := at + rng.expovariate(rate)) < duration:
        out.append(at)
    return out


async def warm(router: ModelRouter, targets: Sequence[str]) -> None:
    """One request to each target at once: connections open, clients built, before anything is timed."""
    async def drain(target: str) -> None:
        async for _ in router.stream(REQUEST, targets=[Target.parse(target)]):
            pass
    await asyncio.gather(*(drain(t) for t in targets))


async def unloaded(samples: int) -> tuple[float, float]:
    """Median seconds of one request alone: the local fake, then the cloud fake."""
    out = []
    async with fakes() as (local, cloud):
        with tempfile.TemporaryDirectory(prefix="dagi-load-") as tmp:
            for target in (LOCAL, CLOUD):
                router = router_for(Policy(target, (target,)), local, cloud, Path(tmp))
                await warm(router, (target,))
                cell = Cell(Policy(target, (target,)), 0.0, 0.0)
                for _ in range(samples):
                    await one(router, cell)
                await router.aclose()
                out.append(statistics.median(cell.latencies))
    return out[0], out[1]


async def run_cell(policy: Policy, load: float, rate: float, duration: float, seed: int) -> Cell:
    """Poisson arrivals at `rate` for `duration` seconds, every request driven to its end."""
    cell = Cell(policy, load, rate)
    async with fakes() as (local, cloud):
        with tempfile.TemporaryDirectory(prefix="dagi-load-") as tmp:
            router = router_for(policy, local, cloud, Path(tmp))
            await warm(router, policy.targets)
            local.requests.clear()
            cloud.requests.clear()
            overflows = Overflows()
            install(overflows)
            loop = asyncio.get_running_loop()
            t0, tasks = loop.time() + 0.05, []
            try:
                for at in arrivals(rate, duration, seed):
                    await asyncio.sleep(max(0.0, t0 + at - loop.time()))
                    tasks.append(asyncio.create_task(one(router, cell)))
                await asyncio.gather(*tasks)
            finally:
                install(None)
                await router.aclose()
            cell.overflowed = overflows.count
            # When the server generated each local answer: from its slot (a token before the first) to the last.
            busy = [(r.first_at - LOCAL_DELAY, r.done_at) for r in local.chat_requests() if r.first_at and r.done_at]
            cell.cloud_while_free = sum(_in(busy, r.at, GRACE) < SLOTS for r in cloud.chat_requests())
            cell.cloud_while_idle = sum(_in(busy, r.at, LATE) < SLOTS for r in cloud.chat_requests())
            span = (max((end for _, end in busy), default=t0) - t0) or 1.0
            cell.local_busy = sum(end - start for start, end in busy) / (SLOTS * span)
    return cell


def _in(busy: Sequence[tuple[float, float]], at: float, grace: float) -> int:
    """Local answers being generated at `at`, give or take `grace` seconds."""
    return sum(start - grace <= at <= end + grace for start, end in busy)
