"""Per-chat pacing of visible updates and Telegram retry policy."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

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


RETRYABLE = (TelegramRetryAfter, TelegramNetworkError, TelegramServerError)


def _wait(state: RetryCallState) -> float:
    """429: exactly what Telegram asked; network errors and 5xx: exponential backoff."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, TelegramRetryAfter):
        return float(exc.retry_after)
    return min(0.5 * 2 ** (state.attempt_number - 1), 8.0)


def _log(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, TelegramRetryAfter):
        log.info("Telegram asked to wait %s s", exc.retry_after)


def retrying(kinds: tuple[type[Exception], ...] = RETRYABLE, *, attempts: int = 5,
             max_wait: float = 120.0) -> AsyncRetrying:
    """The one retry policy: a 429 waits exactly `retry_after`, other `kinds` back off; a very long ban is raised."""
    def worth_it(exc: BaseException) -> bool:
        if isinstance(exc, TelegramRetryAfter) and exc.retry_after > max_wait:
            return False
        return isinstance(exc, kinds)
    return AsyncRetrying(retry=retry_if_exception(worth_it), wait=_wait, stop=stop_after_attempt(attempts),
                         before_sleep=_log, reraise=True)


async def with_retries(call: Callable[[], Awaitable[T]], *, attempts: int = 5) -> T:
    """Deliver a final answer through 429s, network errors and 5xx."""
    async def attempt() -> T:  # tenacity awaits only what it sees is a coroutine function, not a lambda's result
        return await call()
    result: T = await retrying(attempts=attempts)(attempt)
    return result


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Every Bot API call (commands, menus, callbacks too) waits out a 429 and tries again."""

    def __init__(self, attempts: int = 4, max_wait: float = 120.0) -> None:
        self.attempts, self.max_wait = attempts, max_wait

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        polling = isinstance(method, GetUpdates)  # a separate flag keeps mypy from narrowing `method`
        if polling:
            return await make_request(bot, method)  # polling has its own backoff
        policy = retrying((TelegramRetryAfter,), attempts=self.attempts, max_wait=self.max_wait)
        response: Response[TelegramType] = await policy(make_request, bot, method)
        return response
