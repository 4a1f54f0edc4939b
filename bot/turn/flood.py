"""Flood control: sliding-window message limits per user and per group chat."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiogram.types import Message

    from bot.settings import Settings
    from i18n import Translator


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
    """Per-user limit (across all chats) and per-group limit (messages addressed to us there)."""

    def __init__(self, user_messages: int = 8, group_messages: int = 30, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.users = _Window(user_messages, window)
        self.groups = _Window(group_messages, window)
        self.window, self.clock = window, clock
        self._swept = clock()

    @classmethod
    def from_settings(cls, settings: Settings) -> FloodControl:
        """Limits from FLOOD_USER_MESSAGES, FLOOD_GROUP_MESSAGES and FLOOD_WINDOW."""
        return cls(settings.flood_user_messages, settings.flood_group_messages, settings.flood_window)

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

    async def admit(self, message: Message, user_id: int, tr: Translator) -> bool:
        """Count a message; over a limit it is neither stored nor answered, and the user is told once per period."""
        verdict = self.check(user_id, message.chat.id, message.chat.type != "private")
        if not verdict.allowed and verdict.notify:
            await message.reply(tr("flood", wait=tr.wait(verdict.retry_after)))
        return verdict.allowed
