"""The Notifier ops code sends through: this process's aiogram bots, by key."""
from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError, TelegramNotFound

from bot.delivery.pacing import with_retries
from ops.notify import Sent

log = logging.getLogger(__name__)
_GONE = ("chat not found", "user is deactivated", "bot was kicked", "not enough rights to send", "have no rights")


class TelegramNotifier:
    """Plain-text sends and edits; 429s are waited out by the session, network errors retried."""

    def __init__(self, bots: dict[str, Bot]) -> None:
        self._bots = bots

    @property
    def bots(self) -> list[str]:
        return list(self._bots)

    async def send(self, bot: str, chat_id: int, text: str, *, thread_id: int = 0) -> Sent:
        """Send one message; blocked and failed sends are reported, not raised."""
        target = self._bots.get(bot) or next(iter(self._bots.values()))
        try:
            msg = await with_retries(lambda: target.send_message(chat_id, text, message_thread_id=thread_id or None))
        except TelegramAPIError as exc:
            return _failure(exc, chat_id)
        return Sent("delivered", msg.message_id)

    async def edit(self, bot: str, chat_id: int, message_id: int, text: str) -> Sent:
        """Edit a message this bot sent."""
        target = self._bots.get(bot) or next(iter(self._bots.values()))
        try:
            await with_retries(lambda: target.edit_message_text(text, chat_id=chat_id, message_id=message_id))
        except TelegramAPIError as exc:
            if "not modified" in str(exc):
                return Sent("delivered", message_id)
            return _failure(exc, chat_id)
        return Sent("delivered", message_id)


def _failure(exc: TelegramAPIError, chat_id: int) -> Sent:
    """Blocked: the user blocked the bot, deleted the account, or the bot left the group; otherwise failed."""
    text = str(exc).lower()
    if isinstance(exc, TelegramForbiddenError) or (
            isinstance(exc, (TelegramBadRequest, TelegramNotFound)) and any(g in text for g in _GONE)):
        log.info("chat %s cannot be reached: %s", chat_id, exc)
        return Sent("blocked", error=str(exc)[:200])
    log.warning("message to chat %s failed: %s", chat_id, exc)
    return Sent("failed", error=str(exc)[:200])
