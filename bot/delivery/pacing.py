"""Telegram's retry policy, and the session middlewares that apply it and tell the pacer about 429s."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
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

from base.metrics import metrics
from bot.delivery.budget import ChatPacer, Kind

T = TypeVar("T")
log = logging.getLogger(__name__)

# Set while a streaming preview is sent: a preview refused with 429 is dropped (newer text follows), not retried.
_ONCE: ContextVar[bool] = ContextVar("telegram_call_once", default=False)


@contextmanager
def once() -> Iterator[None]:
    """Calls made inside are tried once: a 429 reaches the caller at once instead of being waited out."""
    token = _ONCE.set(True)
    try:
        yield
    finally:
        _ONCE.reset(token)


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


async def retried(attempt: Callable[[], Awaitable[T]], kinds: tuple[type[Exception], ...] = RETRYABLE, *,
                  attempts: int = 5, max_wait: float = 120.0) -> T:
    """`attempt()` under the retry policy; the first try runs bare (building the policy costs ~40 µs a call)."""
    try:
        return await attempt()
    except kinds as exc:
        if attempts <= 1 or (isinstance(exc, TelegramRetryAfter) and exc.retry_after > max_wait):
            raise
        wait = float(exc.retry_after) if isinstance(exc, TelegramRetryAfter) else 0.5
        if isinstance(exc, TelegramRetryAfter):
            log.info("Telegram asked to wait %s s", exc.retry_after)
    await asyncio.sleep(wait)

    async def again() -> T:  # tenacity awaits only what it sees is a coroutine function, not a lambda's result
        return await attempt()
    result: T = await retrying(kinds, attempts=attempts - 1, max_wait=max_wait)(again)
    return result


async def with_retries(call: Callable[[], Awaitable[T]], *, attempts: int = 5) -> T:
    """Deliver a final answer through 429s, network errors and 5xx."""
    return await retried(call, attempts=attempts)


class RetryAfterMiddleware(BaseRequestMiddleware):
    """Every Bot API call (commands, menus, callbacks too) waits out a 429 and tries again."""

    def __init__(self, attempts: int = 4, max_wait: float = 120.0) -> None:
        self.attempts, self.max_wait = attempts, max_wait

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        polling = isinstance(method, GetUpdates)  # a separate flag keeps mypy from narrowing `method`
        if polling or _ONCE.get():
            return await make_request(bot, method)  # polling has its own backoff; previews are not retried
        response: Response[TelegramType] = await retried(partial(make_request, bot, method), (TelegramRetryAfter,),
                                                         attempts=self.attempts, max_wait=self.max_wait)
        return response


_KINDS: dict[str, Kind] = {"sendMessageDraft": "draft", "editMessageText": "edit", "editMessageCaption": "edit",
                           "editMessageMedia": "edit", "editMessageReplyMarkup": "edit"}


class PaceObserver(BaseRequestMiddleware):
    """Tells the chat's pacer and the metrics about every 429 Telegram answers, whoever called (retried or not)."""

    def __init__(self, pacer: ChatPacer) -> None:
        self.pacer = pacer

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as exc:
            metrics().telegram_429(method.__api_method__)
            chat_id = getattr(method, "chat_id", None)
            if isinstance(chat_id, int):
                kind = _KINDS.get(method.__api_method__, "send")
                self.pacer.penalize(chat_id, float(exc.retry_after), kind)
            raise
