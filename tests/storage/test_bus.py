"""The replica bus on a real Redis: others hear a message, the sender does not; a lost Redis is waited out."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from storage.bus import CHANNEL, Bus, Handler
from storage.redis_link import connect
from tests.services import RedisServer, free_port

WAIT = 60.0  # generous: redis-py's own retries take seconds while Redis is down


async def until(check: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        await asyncio.sleep(0.02)


class Replica:
    """A bus that follows in the background and records what its handlers got."""

    def __init__(self, url: str, **backoff: float) -> None:
        self.bus = Bus(connect(url), **backoff)
        self.got: list[tuple[str, dict[str, Any]]] = []
        self.subscriptions = 0
        self.task = asyncio.create_task(self.bus.follow(self.handlers(), on_subscribed=self.subscribed))

    def handlers(self) -> dict[str, Handler]:
        async def later(data: dict[str, Any]) -> None:
            await asyncio.sleep(0)
            self.got.append(("async", data))

        def broken(data: dict[str, Any]) -> None:
            raise RuntimeError("a handler's bug")

        return {"sync": lambda data: self.got.append(("sync", data)), "async": later, "broken": broken}

    def subscribed(self) -> None:
        self.subscriptions += 1

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.bus.aclose()


@contextlib.asynccontextmanager
async def replicas(*urls: str, **backoff: float) -> AsyncIterator[list[Replica]]:
    started = [Replica(url, **backoff) for url in urls]
    try:
        yield started
    finally:
        for replica in started:
            await replica.stop()


async def test_other_replicas_hear_a_message_and_the_sender_does_not(redis_url: str) -> None:
    async with replicas(redis_url, redis_url, redis_url) as (a, b, c):
        await until(lambda: a.subscriptions == b.subscriptions == c.subscriptions == 1, "three subscriptions")
        await a.bus.publish("sync", {"n": 1})
        await until(lambda: len(b.got) == len(c.got) == 1, "b and c hearing a")
        await b.bus.publish("async", {"n": 2})
        await until(lambda: len(a.got) == 1 and len(c.got) == 2, "a and c hearing b")
        # Redis delivers a channel's messages in order: a's own message would have come before b's.
        assert a.got == [("async", {"n": 2})]
        assert b.got == [("sync", {"n": 1})]
        assert c.got == [("sync", {"n": 1}), ("async", {"n": 2})]


async def test_strangers_bad_messages_and_failing_handlers_do_not_stop_the_bus(redis_url: str) -> None:
    async with replicas(redis_url, redis_url) as (a, b):
        await until(lambda: a.subscriptions == b.subscriptions == 1, "both subscribed")
        await a.bus.client.publish(CHANNEL, b"not json")
        await a.bus.client.publish(CHANNEL, b'{"no": "topic"}')
        await a.bus.publish("unknown", {})
        await a.bus.publish("broken", {})
        await a.bus.publish("sync", {"n": 3})
        await until(lambda: b.got == [("sync", {"n": 3})], "b hearing the last message")
        assert not b.task.done()


async def test_publishing_without_redis_loses_the_news_but_does_not_fail(caplog: pytest.LogCaptureFixture) -> None:
    bus = Bus(connect(f"redis://127.0.0.1:{free_port()}/0"))
    try:
        await bus.publish("admin", {})
    finally:
        await bus.aclose()
    assert "could not tell the other replicas (admin)" in caplog.text


async def test_the_follower_waits_out_an_unreachable_redis_and_resumes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="storage.bus")
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    async with replicas(url, backoff=0.1, max_backoff=0.5) as (a,):
        await until(lambda: "replica bus: Redis unreachable" in caplog.text, "a warning")
        assert not a.task.done(), "the follower is still running"
        server = RedisServer.start(port)
        try:
            await until(lambda: a.subscriptions == 1, "the follower subscribing once Redis is there")
            async with replicas(url) as (b,):
                await until(lambda: b.subscriptions == 1, "b subscribed")
                await b.bus.publish("sync", {"n": 1})
                await until(lambda: a.got == [("sync", {"n": 1})], "a hearing b")
        finally:
            server.stop()


async def test_the_follower_survives_a_redis_restart() -> None:
    server = RedisServer.start()
    port = int(server.url.rsplit(":", 1)[1].split("/")[0])
    try:
        async with replicas(server.url, server.url, backoff=0.1, max_backoff=0.5) as (a, b):
            await until(lambda: a.subscriptions == b.subscriptions == 1, "both subscribed")
            server.stop()
            server = RedisServer.start(port)
            await until(lambda: a.subscriptions == b.subscriptions == 2, "both subscribed again")
            await b.bus.publish("sync", {"after": "restart"})
            await until(lambda: a.got == [("sync", {"after": "restart"})], "a hearing b after the restart")
            assert not a.task.done() and not b.task.done()
    finally:
        server.stop()
