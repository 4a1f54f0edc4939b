"""Messages between replicas over Redis pub/sub (REDIS_URL): one channel, JSON messages tagged with a topic.

Best effort: a message sent while a replica is not subscribed is lost, so what must converge is also kept elsewhere
(admin switches in the database) and re-read after each (re)subscription. redis-py loads with the client (`connect`).
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from storage.redis_link import key

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

CHANNEL = key("bus")
PUBLISH_TIMEOUT = 2.0  # seconds an admin command or a breaker opening may wait for Redis before giving up the news
READ_WAIT = 1.0  # each read waits at most this long: below the client's socket timeout, so quiet is not an error
Handler = Callable[[dict[str, Any]], Awaitable[None] | None]


class Publisher(Protocol):
    """The sending side of the bus; it never raises because Redis is down (the news is lost, nothing else)."""

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None: ...


def replica_id() -> str:
    """This process's name on the bus: host, pid and a random part (two buses in one process differ too)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Bus:
    """Publish to every other replica and follow what they publish; a replica never hears its own messages."""

    def __init__(self, client: Redis, *, replica: str | None = None, backoff: float = 1.0,
                 max_backoff: float = 30.0) -> None:
        self.client = client
        self.replica = replica or replica_id()
        self.backoff, self.max_backoff = backoff, max_backoff

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> None:
        """Send `payload` (JSON-able) under `topic`; a Redis failure is logged and swallowed."""
        from redis.exceptions import RedisError

        message = json.dumps({"from": self.replica, "topic": topic, "data": dict(payload)})
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT):
                await self.client.publish(CHANNEL, message)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("could not tell the other replicas (%s): %s", topic, exc)

    async def follow(self, handlers: Mapping[str, Handler], *,
                     on_subscribed: Callable[[], Awaitable[None] | None] | None = None) -> None:
        """Dispatch other replicas' messages to `handlers` by topic until cancelled; `on_subscribed` runs after
        each (re)subscription. A dropped or unreachable Redis is retried with growing pauses, never raised."""
        wait, failing = self.backoff, False
        while True:
            pubsub = self.client.pubsub()
            try:
                await pubsub.subscribe(CHANNEL)
                while True:
                    message = await pubsub.get_message(timeout=READ_WAIT)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":  # also when redis-py reconnected and subscribed on its own
                        if failing:
                            log.info("replica bus: Redis is back")
                        wait, failing = self.backoff, False
                        await _safely("after subscribing", on_subscribed)
                    elif message["type"] == "message":
                        await self._dispatch(message["data"], handlers)
            except Exception as exc:  # noqa: BLE001 - whatever Redis does, the bot goes on (keep_in_sync remains)
                (log.debug if failing else log.warning)(
                    "replica bus: Redis unreachable (%s); trying again in %.1f s, meanwhile changes made on other "
                    "replicas arrive within a minute", exc, wait)
                failing = True
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]  # redis-py leaves it unannotated
            await asyncio.sleep(wait)
            wait = min(wait * 2, self.max_backoff)

    async def _dispatch(self, raw: bytes, handlers: Mapping[str, Handler]) -> None:
        try:
            message = json.loads(raw)
            sender, topic, data = message["from"], message["topic"], message["data"]
        except (ValueError, KeyError, TypeError):
            log.warning("replica bus: ignored a message that is not ours: %.80r", raw)
            return
        handler = handlers.get(topic)
        if sender != self.replica and handler is not None:
            await _safely(f"handling {topic}", handler, data)

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()


async def _safely(doing: str, fn: Callable[..., Awaitable[None] | None] | None, *args: Any) -> None:
    """Call a sync or async callback; its failure is logged, so one bad message does not stop the bus."""
    try:
        result = fn(*args) if fn is not None else None
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.warning("replica bus: failed %s", doing, exc_info=True)
