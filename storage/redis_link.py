"""Redis for the state replicas share (REDIS_URL): one client per process, every key under one prefix.

redis-py is imported by `connect`, so a bot without REDIS_URL never loads it (start-up time is measured).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis.asyncio import Redis

PREFIX = "dagi"  # the FSM's keys (bot/app.py) use the same prefix: one Redis may serve other programs too


def key(*parts: object) -> str:
    """A namespaced key, e.g. key("lock", "main", 42, 0) -> "dagi:lock:main:42:0"."""
    return ":".join([PREFIX, *map(str, parts)])


def connect(url: str, *, timeout: float = 5.0) -> Redis:
    """A client for REDIS_URL (connections are opened on first use and pooled); bytes in, bytes out."""
    from redis.asyncio import Redis

    return Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout, health_check_interval=30)
