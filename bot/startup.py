"""Start-up work a first message does not need, done once the bot polls: answer models built while idle, menus.

aiogram parses every Bot API answer as `Response[T]`, a pydantic model built at its first use
(~0.25 s CPU for the dozen a chat uses, ~80 ms of it `list[Update]`). Built before polling they
delayed the first getUpdates; built at first use they delay the first answer. So they are built
while the first getUpdates waits for updates, and no longer once updates come in: handlers then
build what they use, and nothing they do not need runs ahead of them.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, methods
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods.base import Response, TelegramMethod, TelegramType

from bot.lazy_types import keep_generic_models

# The answers a first message needs, in the order it needs them: its update, then the reply; then the rest.
WARM = (methods.GetUpdates, methods.SendChatAction, methods.SendMessageDraft, methods.SendMessage,
        methods.EditMessageText, methods.AnswerCallbackQuery, methods.DeleteMessage, methods.EditMessageReplyMarkup,
        methods.GetFile, methods.SendDocument, methods.GetChatMember, methods.SetMyCommands, methods.GetMe)
_KEPT: list[type] = []


def share_generic_cache() -> None:
    """Keep every `Response[T]` once built, shared by every task started from this one (see keep_generic_models)."""
    if not keep_generic_models() and not _KEPT:  # another pydantic: build them all now and hold them here
        _KEPT.extend(response_model(m) for m in WARM)


def response_model(method: type[methods.TelegramMethod[Any]]) -> type:
    """aiogram's model of `method`'s answer, built on first use."""
    return Response[method.__returning__]  # type: ignore[name-defined]  # a type argument known only at runtime


class FirstPoll(BaseRequestMiddleware):
    """Tells start-up work when a bot first asks for updates (`polling`) and when updates first come (`busy`)."""

    def __init__(self) -> None:
        self.polling, self.busy = asyncio.Event(), asyncio.Event()

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        polls = isinstance(method, methods.GetUpdates)  # a flag, so mypy does not narrow `method`
        if polls:
            self.polling.set()
        result = await make_request(bot, method)  # the session's chain passes the result, not the envelope
        if polls and result:
            self.busy.set()
        return result


async def after_first_poll(poll: FirstPoll, menus: Callable[[], Awaitable[None]],
                           started: Callable[[], None] | None = None, *,
                           jobs: Callable[[], Awaitable[None]] | None = None) -> None:
    """Once the bot polls: `jobs()` (the scheduler), `started()`, the answer models while no update is being
    handled, then `menus()`."""
    await poll.polling.wait()
    await asyncio.sleep(0.02)  # let the getUpdates request leave before this work takes the loop
    if jobs is not None:  # first: scheduled runs, reminders due while the bot was down, come as soon as it listens
        await jobs()
    if started is not None:
        started()
    for method in WARM:
        if poll.busy.is_set():  # updates came: their handlers build the models they use, nothing else goes first
            break
        response_model(method)
        await asyncio.sleep(0)
    await menus()
