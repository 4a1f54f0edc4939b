"""Gives every handler `tr`: the translator bound to the language of whoever sent the update."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from i18n import translator


class I18nMiddleware(BaseMiddleware):
    """Resolves the sender's Telegram language once per update (i18n.resolve) and injects its translator."""

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")  # set by aiogram's own user-context middleware
        data["tr"] = translator(user.language_code if user else None)
        return await handler(event, data)
