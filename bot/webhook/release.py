"""Polling after webhook mode: Telegram refuses getUpdates while a webhook is set; remove it, keep the updates."""
from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import GetUpdates
from aiogram.methods.base import Response, TelegramMethod, TelegramType

log = logging.getLogger(__name__)


class WebhookOff(BaseRequestMiddleware):
    """On getUpdates' "webhook is active" conflict: deleteWebhook without dropping pending updates, poll again.

    Asked only when Telegram says so, not before every start: a bot that polls already pays nothing.
    """

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramConflictError as exc:
            polls = isinstance(method, GetUpdates)  # a flag, so mypy does not narrow `method`
            if not polls or "webhook" not in exc.message.lower():
                raise  # e.g. another process polls the same token
            log.warning("bot id=%s had a webhook set (webhook mode before?): removed to poll, pending updates kept",
                        bot.id)
            await bot.delete_webhook(drop_pending_updates=False)
            return await make_request(bot, method)
