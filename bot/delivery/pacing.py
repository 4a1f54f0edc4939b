"""Per-chat pacing of visible updates and Telegram retry policy."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

T = TypeVar("T")
log = logging.getLogger(__name__)


class ChatPacer:
    """At most one visible update per `interval` per chat; a 429 blocks the chat for `retry_after`."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._next: dict[int, float] = {}

    def wait_time(self, chat_id: int) -> float:
        """Seconds until the chat may see another update (0 = now)."""
        return max(0.0, self._next.get(chat_id, 0.0) - time.monotonic())

    def mark(self, chat_id: int, extra: float = 0.0) -> None:
        """Record a visible update (or a 429) now."""
        now = time.monotonic()
        self._next[chat_id] = max(self._next.get(chat_id, 0.0), now + self.interval + extra)
        if len(self._next) > 50_000:  # drop chats whose slot passed long ago
            self._next = {k: v for k, v in self._next.items() if v > now}


def _wait(state: RetryCallState) -> float:
    """429: exactly what Telegram asked; network errors and 5xx: exponential backoff."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, TelegramRetryAfter):
        return float(exc.retry_after)
    return min(0.5 * 2 ** (state.attempt_number - 1), 8.0)


async def with_retries(call: Callable[[], Awaitable[T]], *, attempts: int = 5) -> T:
    """Deliver a final answer through network errors and 5xx (429s are waited out by the middleware)."""
    retrying = AsyncRetrying(
        retry=retry_if_exception_type((TelegramRetryAfter, TelegramNetworkError, TelegramServerError)),
        wait=_wait, stop=stop_after_attempt(attempts), reraise=True)
    async for attempt in retrying:
        with attempt:
            result = await call()
    return result


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Every Bot API call (commands, menus, callbacks too) waits out a 429 and tries again."""

    def __init__(self, attempts: int = 4, max_wait: float = 120.0) -> None:
        self.attempts, self.max_wait = attempts, max_wait

    async def __call__(self, make_request, bot, method):  # type: ignore[no-untyped-def,override]
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if isinstance(method, GetUpdates) or attempt == self.attempts or exc.retry_after > self.max_wait:
                    raise  # polling has its own backoff; a very long ban is reported, not slept through
                log.info("Telegram asked to wait %s s before %s", exc.retry_after, type(method).__name__)
                await asyncio.sleep(exc.retry_after)
        raise AssertionError("unreachable")
