"""Flood control: sliding-window message limits per user and per group chat (in Redis, shared, with REDIS_URL)."""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiogram.types import Message

    from bot.settings import Settings
    from i18n import Translator
    from storage.flood_windows import FloodWindows

log = logging.getLogger(__name__)
QUIET = 60.0  # seconds between two warnings that Redis does not answer: one outage, not one line per message
PATIENCE = 1.0  # seconds a message waits for Redis (redis-py's retries included) before it is let through


@dataclass(frozen=True)
class Verdict:
    """Allowed, or blocked for `retry_after` seconds; `notify` only on the first block of a period."""

    allowed: bool
    retry_after: float = 0.0
    notify: bool = False


@dataclass(slots=True)
class _Key:
    hits: deque[float]
    notified: bool = False  # the sender was told about the current blocking period


@dataclass
class _Window:
    """At most `limit` counted messages per `window` seconds for each key; 0 = no limit."""

    limit: int
    window: float
    keys: dict[Hashable, _Key] = field(default_factory=dict)

    def wait(self, key: Hashable, now: float) -> float:
        """Seconds until `key` may send again (0 = now)."""
        entry = self.keys.get(key)
        if not self.limit or entry is None:
            return 0.0
        while entry.hits and entry.hits[0] <= now - self.window:
            entry.hits.popleft()
        if len(entry.hits) < self.limit:
            entry.notified = False  # room again: the blocking period is over
            return 0.0
        return entry.hits[0] + self.window - now

    def hit(self, key: Hashable, now: float) -> None:
        if self.limit:
            # maxlen keeps each key's memory at `limit` timestamps whatever happens.
            self.keys.setdefault(key, _Key(deque(maxlen=self.limit))).hits.append(now)

    def sweep(self, now: float) -> None:
        """Forget keys with nothing left in the window (idle users and groups)."""
        self.keys = {k: e for k, e in self.keys.items() if e.hits and e.hits[-1] > now - self.window}


class FloodControl:
    """Per-user limit (across all chats) and per-group limit (messages addressed to us there).

    With `shared` (REDIS_URL) `admit` counts in Redis, so replicas share one limit; else in this process (`check`).
    """

    def __init__(self, user_messages: int = 8, group_messages: int = 30, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, shared: FloodWindows | None = None) -> None:
        self.users = _Window(user_messages, window)
        self.groups = _Window(group_messages, window)
        self.window, self.clock, self.shared = window, clock, shared
        self._swept = clock()
        self._warned = -math.inf

    @classmethod
    def from_settings(cls, settings: Settings) -> FloodControl:
        """Limits from FLOOD_USER_MESSAGES, FLOOD_GROUP_MESSAGES and FLOOD_WINDOW; kept in Redis with REDIS_URL."""
        limits = (settings.flood_user_messages, settings.flood_group_messages, settings.flood_window)
        if settings.redis_url is None:
            return cls(*limits)
        from storage.flood_windows import FloodWindows  # redis-py loads only with REDIS_URL (start-up time)
        from storage.redis_link import connect

        return cls(*limits, shared=FloodWindows(connect(settings.redis_url.get_secret_value()), *limits))

    def check(self, user_id: int, chat_id: int, is_group: bool) -> Verdict:
        """Count the message if it fits both limits; a blocked message is not counted."""
        now = self.clock()
        if now - self._swept >= self.window:  # amortised: one pass over the keys per window
            self.users.sweep(now)
            self.groups.sweep(now)
            self._swept = now
        checks = [(self.users, user_id)] + ([(self.groups, chat_id)] if is_group else [])
        blocked = [(w, k, wait) for w, k in checks if (wait := w.wait(k, now)) > 0]
        if not blocked:
            for w, k in checks:
                w.hit(k, now)
            return Verdict(allowed=True)
        notify = False
        for w, k, _ in blocked:
            entry = w.keys[k]
            notify = notify or not entry.notified
            entry.notified = True
        return Verdict(allowed=False, retry_after=max(wait for _, _, wait in blocked), notify=notify)

    def __len__(self) -> int:
        """Keys held in memory (users plus groups)."""
        return len(self.users.keys) + len(self.groups.keys)

    async def verdict(self, user_id: int, chat_id: int, is_group: bool, message: str = "") -> Verdict:
        """`check`, or the shared windows' verdict (a `message` key counted before passes uncounted: a replica
        taking over an update); when Redis does not answer the message is allowed."""
        if self.shared is None:
            return self.check(user_id, chat_id, is_group)
        try:
            async with asyncio.timeout(PATIENCE):  # every message waits for this: a hung Redis must not stall them
                shared = await self.shared.check(user_id, chat_id, is_group, message)
        except Exception as exc:  # noqa: BLE001 - flood control must never make the bot silent
            if (now := self.clock()) - self._warned >= QUIET:
                self._warned = now
                log.warning("flood control is off while Redis does not answer: %r", exc)
            return Verdict(allowed=True)
        return Verdict(shared.allowed, shared.retry_after, shared.notify)

    async def aclose(self) -> None:
        """Close the Redis client of shared windows."""
        if self.shared is not None:
            await self.shared.aclose()

    async def admit(self, message: Message, user_id: int, tr: Translator) -> bool:
        """Count a message; over a limit it is neither stored nor answered, and the user is told once per period."""
        verdict = await self.verdict(user_id, message.chat.id, message.chat.type != "private",
                                     f"{message.chat.id}:{message.message_id}")
        if not verdict.allowed and verdict.notify:
            await message.reply(tr("flood", wait=tr.wait(verdict.retry_after)))
        return verdict.allowed
