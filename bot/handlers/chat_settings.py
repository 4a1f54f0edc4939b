"""/handoff on|off and /privacy local|cloud: settings of one chat (or forum topic)."""
from __future__ import annotations

import logging

from aiogram import Router
from aiogram.enums import ChatMemberStatus
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.message import is_command
from bot.texts import t
from bot.turn.context import BotProfile, language, scope_of
from storage.store import ChatState, Store

log = logging.getLogger(__name__)
_ADMINS = {ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR}
_HANDOFF = {"on": True, "off": False}
_PRIVACY = {"local": True, "cloud": False}


async def is_admin(message: Message) -> bool:
    """A private chat is the user's own; in a group Telegram says whether the sender is an admin."""
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


def _handoff_text(lang: str, state: ChatState, personas: AgentsConfig) -> str:
    if not state.handoff:
        return t(lang, "handoff_off")
    fronts = [p for p in personas.agents.values() if p.hands_off_to]
    targets = [personas.agents[k] for k in dict.fromkeys(k for p in fronts for k in p.hands_off_to)]
    return t(lang, "handoff_on", front=", ".join(p.name for p in fronts) or "—",
             targets=", ".join(f"{p.emoji} {p.name}".strip() for p in targets) or "—")


async def handoff(message: Message, command: CommandObject, store: Store, personas: AgentsConfig,
                  profile: BotProfile) -> None:
    """Show whether DAARWIZZ passes questions to specialists here, or switch it (group admins only)."""
    lang, scope = language(message), scope_of(message, profile)
    arg = (command.args or "").strip().lower()
    if not arg:
        await message.answer(_handoff_text(lang, await store.chat_state(scope), personas))
    elif arg not in _HANDOFF:
        await message.answer(t(lang, "handoff_usage"))
    elif not await is_admin(message):
        await message.answer(t(lang, "admins_handoff"))
    else:
        state = await store.set_chat_flags(scope, message.chat.type, handoff=_HANDOFF[arg])
        await message.answer(_handoff_text(lang, state, personas))


async def privacy(message: Message, command: CommandObject, store: Store, profile: BotProfile) -> None:
    """Show or switch local-only mode; anyone may make a chat more private, only admins may open it up."""
    lang, scope = language(message), scope_of(message, profile)
    arg = (command.args or "").strip().lower()
    if not arg:
        state = await store.chat_state(scope)
        await message.answer(t(lang, "privacy_local" if state.local_only else "privacy_cloud"))
    elif arg not in _PRIVACY:
        await message.answer(t(lang, "privacy_usage"))
    elif not _PRIVACY[arg] and not await is_admin(message):
        await message.answer(t(lang, "admins_cloud"))
    else:
        state = await store.set_chat_flags(scope, message.chat.type, local_only=_PRIVACY[arg])
        await message.answer(t(lang, "privacy_local" if state.local_only else "privacy_cloud"))


def router() -> Router:
    """A fresh router (one per Dispatcher) for the chat settings commands."""
    r = Router(name="chat_settings")
    r.message.filter(is_command)
    r.message(Command("handoff"))(handoff)
    r.message(Command("privacy"))(privacy)
    return r
