"""/memory: what the bot remembers of this conversation beyond the messages it still sees word for word."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters.message import IsCommand
from bot.turn.context import BotProfile, scope_of
from bot.turn.conversation import Conversations
from bot.turn.memory import shown
from i18n import Translator
from storage.store import Store


async def memory(message: Message, store: Store, conversations: Conversations, profile: BotProfile,
                 tr: Translator) -> None:
    """The current conversation's summary in this chat or topic (a group's is the group's), or why there is none."""
    scope = scope_of(message, profile)
    state = await store.chat_state(scope)
    await message.answer(await shown(conversations.memory, scope, state.conversation, tr))


def router() -> Router:
    """The /memory command."""
    r = Router(name="memory")
    r.message.register(memory, Command("memory"), IsCommand())
    return r
