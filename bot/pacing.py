"""Per-chat pacing of visible updates and Telegram retry policy."""
from __future__ import annotations

import time
from typing import Awaitable, Callable, TypeVar

from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

T = TypeVar("T")


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
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, TelegramRetryAfter):
        return float(exc.retry_after)
    return min(0.5 * 2 ** (state.attempt_number - 1), 8.0)


async def with_retries(call: Callable[[], Awaitable[T]], *, attempts: int = 5) -> T:
    """Run a Bot API call, honouring 429 `retry_after` and retrying network/5xx errors."""
    retrying = AsyncRetrying(
        retry=retry_if_exception_type((TelegramRetryAfter, TelegramNetworkError, TelegramServerError)),
        wait=_wait, stop=stop_after_attempt(attempts), reraise=True)
    async for attempt in retrying:
        with attempt:
            result = await call()
    return result  # noqa: F821 - set inside the last successful attempt
