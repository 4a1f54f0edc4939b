"""Two replicas on one Redis and one database: a dead provider found by one is skipped by the other, and an admin's
switch on one applies on the other at once (no keep_in_sync running here)."""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from ops.control import reload, set_route, set_target
from ops.metrics import CircuitCollector
from ops.services import Ops
from ops.shared_state import share
from router.testing import FakeLLM
from router.types import Target
from storage.bus import CHANNEL, Bus
from storage.redis_link import connect
from tests.ops.test_control import BACKUP_FIRST, answer, opened

OLLAMA = Target("ollama", "qwen3:8b")
WAIT = 30.0  # generous; these normally take milliseconds


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def sharing(redis_url: str, *replicas: Ops) -> AsyncIterator[None]:
    """Each replica shares through a bus of its own until the block ends."""
    buses = [Bus(connect(redis_url)) for _ in replicas]
    tasks = [asyncio.create_task(share(ops, bus)) for ops, bus in zip(replicas, buses, strict=True)]
    probe = connect(redis_url)
    try:
        while (await probe.pubsub_numsub(CHANNEL))[0][1] < len(replicas):  # a message to no one is lost
            await asyncio.sleep(0.02)
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for bus in buses:
            await bus.aclose()
        await probe.aclose()


def ollama_calls(llm: FakeLLM) -> int:
    return sum(r.path == "/api/chat" for r in llm.chat_requests())


def circuit_gauge(ops: Ops) -> dict[str, float]:
    [family] = CircuitCollector(ops.router).collect()
    return {s.labels["provider"]: s.value for s in family.samples}


async def test_a_provider_that_died_on_one_replica_is_skipped_on_the_other(tmp_path: Path, llm: FakeLLM,
                                                                           redis_url: str) -> None:
    async with (opened(tmp_path, llm, ollama_url=FakeLLM.refusing_url()) as a, opened(tmp_path, llm) as b,
                sharing(redis_url, a, b)):
        for _ in range(3):  # a's Ollama refuses: three failures open its circuit
            assert await answer(a) == ("echo: hi", "backup")
        assert a.router.breakers.state(OLLAMA).status == "open"
        await until(lambda: b.router.breakers.state(OLLAMA).status == "open", "b hearing of the opening")
        assert circuit_gauge(b) == {"ollama": 2, "backup": 0}, "/metrics shows it open on b too"
        before = ollama_calls(llm)
        assert await answer(b) == ("echo: hi", "backup")
        assert ollama_calls(llm) == before, "b did not try the dead provider itself"
        assert b.router.breakers.state(OLLAMA).failures == 3
        assert b.router.breakers.state(OLLAMA).retry_at is not None


async def test_openings_still_reach_the_other_replica_after_a_reload(tmp_path: Path, llm: FakeLLM,
                                                                    redis_url: str) -> None:
    async with (opened(tmp_path, llm, ollama_url=FakeLLM.refusing_url()) as a, opened(tmp_path, llm) as b,
                sharing(redis_url, a, b)):
        assert (await reload(a, grace=0)).ok and (await reload(b, grace=0)).ok
        for _ in range(3):
            await answer(a)
        await until(lambda: b.router.breakers.state(OLLAMA).status == "open", "b hearing of the opening")
        assert (await answer(b))[1] == "backup"


async def test_an_admin_switch_on_one_replica_applies_on_the_other_at_once(tmp_path: Path, llm: FakeLLM,
                                                                          redis_url: str) -> None:
    async with opened(tmp_path, llm) as a, opened(tmp_path, llm) as b, sharing(redis_url, a, b):
        assert (await set_target(a, "ollama:qwen3:8b", False, by=42)).ok
        await until(lambda: b.router.switched_off(OLLAMA), "b switching ollama off")
        assert await answer(b) == ("echo: hi", "backup")
        assert (await set_route(b, "greenfood", ["ollama:qwen3:8b"], by=42)).ok
        await until(lambda: "greenfood" in a.router.overrides.routes, "a taking b's agent route")
        assert (await set_target(b, "ollama:qwen3:8b", True, by=42)).ok
        await until(lambda: not a.router.switched_off(OLLAMA), "a switching ollama back on")
        assert await answer(a, agent="greenfood") == ("echo: hi", "ollama")


async def test_stopping_the_follower_unhooks_it_and_admin_changes_are_announced(tmp_path: Path,
                                                                                    llm: FakeLLM,
                                                                                    redis_url: str) -> None:
    sent: list[tuple[str, dict[str, Any]]] = []

    class Recorder:
        async def publish(self, topic: str, payload: dict[str, Any]) -> None:
            sent.append((topic, dict(payload)))

    async with opened(tmp_path, llm) as a:
        async with sharing(redis_url, a):
            assert a.router.breakers.on_open is not None and a.publisher is not None
        assert a.router.breakers.on_open is None and a.publisher is None, "unhooked when the follower stops"
        assert (await set_target(a, "ollama", False)).ok  # no publisher: stored, nothing sent, nothing fails
        a.publisher = Recorder()
        assert (await set_target(a, "ollama", True)).ok
        assert (await set_route(a, "helion", None)).ok
        assert sent == [("admin", {}), ("admin", {})]


async def test_a_reload_on_one_replica_reloads_the_others(tmp_path: Path, llm: FakeLLM, redis_url: str) -> None:
    async with opened(tmp_path, llm) as a, opened(tmp_path, llm) as b, sharing(redis_url, a, b):
        assert await answer(b) == ("echo: hi", "ollama")
        (tmp_path / "router.yaml").write_text(BACKUP_FIRST)  # the config volume both replicas mount
        assert (await reload(a, grace=0)).ok
        deadline = time.monotonic() + WAIT
        while (await answer(b))[1] != "backup":
            assert time.monotonic() < deadline, "b never re-read its router.yaml"
            await asyncio.sleep(0.05)
