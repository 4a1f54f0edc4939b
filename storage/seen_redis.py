"""The webhook guard's fast path with replicas (REDIS_URL): updates already claimed, remembered in Redis for a day.

A second delivery Redis has seen is refused without touching the database (storage.updates.Fronted). Redis
only ever says "seen" for an update the database holds, so a Redis that lost its keys (restarted, evicted)
costs a database query, never a double answer; one that does not answer is skipped the same way.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from storage.redis_link import key

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
DAY = 86400  # Telegram stops delivering an update again well within a day
QUIET = 60.0  # seconds between warnings while Redis is down
PATIENCE = 0.3  # seconds Telegram's 200 may wait for Redis: a hung Redis must not hold every update back


class RedisSeen:
    """storage.updates.SeenCache on Redis: one GET to ask, one SET with a day's expiry to tell."""

    def __init__(self, client: Redis) -> None:
        self.client = client
        self._warned = 0.0

    async def seen(self, bot: str, update_id: int) -> bool:
        try:
            async with asyncio.timeout(PATIENCE):
                return bool(await self.client.exists(key("update", bot, update_id)))
        except Exception as exc:  # noqa: BLE001 - the database decides alone while Redis is away
            self._warn(exc)
            return False

    async def remember(self, bot: str, update_id: int) -> None:
        try:
            async with asyncio.timeout(PATIENCE):
                await self.client.set(key("update", bot, update_id), b"1", ex=DAY)
        except Exception as exc:  # noqa: BLE001 - as in seen(): a lost hint, not a lost update
            self._warn(exc)

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= QUIET:
            self._warned = now
            log.warning("Redis did not answer the webhook's duplicate check (%s); the database decides alone",
                        type(exc).__name__)
