"""Who may do what: `/admin …` commands and group admins."""
from __future__ import annotations

import logging
from typing import Any

from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import BaseFilter
from aiogram.types import Message

log = logging.getLogger(__name__)
_ADMINS = {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR}


class AdminCommand(BaseFilter):
    """`/admin [args]`, or with names `/admin <name> [args]`: then passes `sub`, its words `args` and the raw `rest`."""

    def __init__(self, *names: str) -> None:
        self.names = {n.lower() for n in names}

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        words = (message.text or "").split()
        if not words or words[0].split("@")[0].lower() != "/admin":
            return False
        if not self.names:
            return True
        if len(words) < 2 or words[1].lower() not in self.names:
            return False
        return {"sub": words[1].lower(), "args": words[2:], "rest": (message.text or "").split(None, 2)[2:]}


class GroupAdmin(BaseFilter):
    """A private chat is the user's own; in a group Telegram says whether the sender is an admin."""

    async def __call__(self, message: Message) -> bool:
        if message.chat.type == "private":
            return True
        if message.sender_chat is not None and message.sender_chat.id == message.chat.id:
            return True  # an anonymous admin writes as the group itself
        if message.from_user is None or message.bot is None:
            return False
        try:
            member = await message.bot.get_chat_member(message.chat.id, message.from_user.id)
        except TelegramAPIError as exc:
            log.warning("could not check admin rights in chat %s: %s", message.chat.id, exc)
            return False  # unknown rights: keep the safer setting
        return member.status in _ADMINS
