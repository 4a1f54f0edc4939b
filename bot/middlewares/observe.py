"""Every update counted by type and outcome, and its ids bound for the log lines written while it is handled."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import Chat, TelegramObject, Update, User
from aiogram.types.update import UpdateTypeLookupError

from base.log_context import bind
from base.metrics import metrics


class UpdateObserver(BaseMiddleware):
    """An outer update middleware inside aiogram's error handling: it sees the handler's result or its exception."""

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        chat: Chat | None = data.get("event_chat")  # set by aiogram's own user-context middleware
        user: User | None = data.get("event_from_user")
        update_id = event.update_id if isinstance(event, Update) else None
        bind(update_id=update_id, chat_id=chat.id if chat else None, user_id=user.id if user else None)
        kind = _kind(event)
        try:
            result = await handler(event, data)
        except asyncio.CancelledError:  # the bot stopped while handling it
            metrics().update(kind, "cancelled")
            raise
        except Exception:
            metrics().update(kind, "error")
            raise
        metrics().update(kind, "unhandled" if result is UNHANDLED else "handled")
        return result


def _kind(event: TelegramObject) -> str:
    """message, callback_query, …; "unknown" for a type this aiogram does not know."""
    try:
        return event.event_type if isinstance(event, Update) else type(event).__name__
    except UpdateTypeLookupError:
        return "unknown"
