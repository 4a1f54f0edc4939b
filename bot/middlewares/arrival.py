"""A chat's updates reach their handlers in the order they arrived, whatever awaits lie between.

Updates are handled as concurrent tasks, and the middlewares before a handler may await the network (aiogram's
FSM middleware reads the flow state from Redis with REDIS_URL; the access check may read the database), so a
chat's second message could reach its handler, and take its place in the chat's answer queue, before the first.
`Arrival` (outermost, before the FSM middleware) holds an update until the chat's previous one has reached its
handler; `Reached` (an inner middleware, right before a handler) lets the next one go. A long handler (a document
being read) does not hold the next message back: only the way to the handler is kept in order.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import Chat, TelegramObject

_REACHED: ContextVar[asyncio.Future[None] | None] = ContextVar("dagi_reached", default=None)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class Arrival(BaseMiddleware):
    """Outer update middleware: a chat's update waits until the one before it reached its handler."""

    def __init__(self) -> None:
        self._last: dict[tuple[int, int], asyncio.Future[None]] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")  # set by aiogram's user-context middleware, which runs first
        bot: Bot | None = data.get("bot")
        if chat is None or bot is None:
            return await handler(event, data)
        key = (bot.id, chat.id)
        before, mine = self._last.get(key), asyncio.get_running_loop().create_future()
        self._last[key] = mine
        token = _REACHED.set(mine)
        try:
            if before is not None:
                await asyncio.shield(before)
            return await handler(event, data)
        finally:
            _REACHED.reset(token)
            if not mine.done():
                mine.set_result(None)  # no handler took it (filtered out, refused, failed)
            if self._last.get(key) is mine:
                del self._last[key]


class Reached(BaseMiddleware):
    """Inner middleware: the update is at its handler; the chat's next update may go on."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if (reached := _REACHED.get()) is not None and not reached.done():
            reached.set_result(None)
        return await handler(event, data)
