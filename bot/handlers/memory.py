"""/memory: what the bot remembers of this conversation beyond the messages it still sees word for word."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters.message import IsCommand
from bot.turn.context import BotProfile, scope_of
from bot.turn.conversation import Conversations
from i18n import Translator
from storage.store import Store


async def memory(message: Message, store: Store, conversations: Conversations, profile: BotProfile,
                 tr: Translator) -> None:
    """The current conversation's summary in this chat or topic (a group's is the group's), or why there is none."""
    mind = conversations.memory
    if mind is None or not mind.settings.enabled:
        await message.answer(tr("memory_off"))
        return
    scope = scope_of(message, profile)
    state = await store.chat_state(scope)
    summary = await mind.show(scope, state.conversation)
    if summary is None:
        await message.answer(tr("memory_empty"))
        return
    await message.answer(tr("memory_show", turns=summary.turns, summary=summary.text))


def router() -> Router:
    """The /memory command."""
    r = Router(name="memory")
    r.message.register(memory, Command("memory"), IsCommand())
    return r
