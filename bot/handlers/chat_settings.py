"""/handoff on|off and /privacy local|cloud: settings of one chat (or forum topic)."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.admin import GroupAdmin
from bot.filters.message import IsCommand
from bot.turn.context import BotProfile, scope_of
from i18n import Translator
from storage.store import ChatState, Store

_HANDOFF = {"on": True, "off": False}
_PRIVACY = {"local": True, "cloud": False}


def _handoff_text(state: ChatState, personas: AgentsConfig, tr: Translator) -> str:
    if not state.handoff:
        return tr("handoff_off")
    fronts = [p for p in personas.agents.values() if p.hands_off_to]
    targets = [personas.agents[k] for k in dict.fromkeys(k for p in fronts for k in p.hands_off_to)]
    return tr("handoff_on", front=", ".join(p.name for p in fronts) or "—",
              targets=", ".join(f"{p.emoji} {p.name}".strip() for p in targets) or "—")


async def handoff(message: Message, command: CommandObject, store: Store, personas: AgentsConfig,
                  profile: BotProfile, tr: Translator) -> None:
    """Show whether DAARWIZZ passes questions to specialists here, or switch it (group admins only)."""
    scope = scope_of(message, profile)
    arg = (command.args or "").strip().lower()
    if not arg:
        await message.answer(_handoff_text(await store.chat_state(scope), personas, tr))
    elif arg not in _HANDOFF:
        await message.answer(tr("handoff_usage"))
    elif not await GroupAdmin()(message):
        await message.answer(tr("admins_handoff"))
    else:
        state = await store.set_chat_flags(scope, message.chat.type, handoff=_HANDOFF[arg])
        await message.answer(_handoff_text(state, personas, tr))


async def privacy(message: Message, command: CommandObject, store: Store, profile: BotProfile, tr: Translator) -> None:
    """Show or switch local-only mode; anyone may make a chat more private, only admins may open it up."""
    scope = scope_of(message, profile)
    arg = (command.args or "").strip().lower()
    if not arg:
        state = await store.chat_state(scope)
        await message.answer(tr("privacy_local" if state.local_only else "privacy_cloud"))
    elif arg not in _PRIVACY:
        await message.answer(tr("privacy_usage"))
    elif not _PRIVACY[arg] and not await GroupAdmin()(message):
        await message.answer(tr("admins_cloud"))
    else:
        state = await store.set_chat_flags(scope, message.chat.type, local_only=_PRIVACY[arg])
        await message.answer(tr("privacy_local" if state.local_only else "privacy_cloud"))


def router() -> Router:
    """A fresh router (one per Dispatcher) for the chat settings commands."""
    r = Router(name="chat_settings")
    r.message.filter(IsCommand())
    r.message(Command("handoff"))(handoff)
    r.message(Command("privacy"))(privacy)
    return r
