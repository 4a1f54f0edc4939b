"""/start, /help, /reset, /whoami and the answer to unknown commands and buttons."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import CallbackQuery, Message

from agents.persona import AgentsConfig
from bot.filters.message import IsCommand
from bot.handlers.agent_pick import picker
from bot.turn.context import BotProfile, active_persona, remember_user, scope_of
from bot.turn.conversation import Conversations
from bot.turn.memory import new_conversation
from i18n import Translator
from storage.store import Store


async def start(message: Message, store: Store, personas: AgentsConfig, profile: BotProfile, tr: Translator) -> None:
    """Greet, then offer the persona picker."""
    await remember_user(store, profile, message)
    persona, _ = await active_persona(store, personas, profile, scope_of(message, profile))
    name = message.from_user.first_name if message.from_user else ""
    text = tr("start", name=name, agent=f"{persona.emoji} {persona.name}".strip())
    await message.answer(f"{text}\n\n{persona.greeting.get(tr.lang)}",
                         reply_markup=None if profile.locked else picker(personas, persona.key, tr.lang))


async def help_(message: Message, personas: AgentsConfig, profile: BotProfile, tr: Translator) -> None:
    """List commands and agents."""
    agents = ", ".join(f"{p.emoji} {p.name} (/agent {p.key})" for p in personas.agents.values())
    await message.answer(tr("help", agents=agents, bot=profile.username))


async def reset(message: Message, store: Store, conversations: Conversations, profile: BotProfile,
                tr: Translator) -> None:
    """Start a new conversation in this chat/topic (its summary goes: the new one starts clean)."""
    await new_conversation(store, conversations.memory, scope_of(message, profile), message.chat.type)
    await message.answer(tr("reset"))


async def whoami(message: Message, store: Store, personas: AgentsConfig, profile: BotProfile, tr: Translator) -> None:
    """Show the user's id, the chat and the active agent."""
    scope = scope_of(message, profile)
    persona, _ = await active_persona(store, personas, profile, scope)
    user = message.from_user
    who = (f"@{user.username}" if user and user.username else user.full_name if user else "?")
    thread = f", topic {scope.thread_id}" if scope.thread_id else ""
    await message.answer(tr("whoami", user=who, user_id=user.id if user else "?", chat_id=message.chat.id,
                            chat_type=message.chat.type, thread=thread, agent=f"{persona.emoji} {persona.name}"))


async def unknown(message: Message, profile: BotProfile, tr: Translator) -> None:
    """Unknown commands get a pointer to /help; in groups only when the command names this bot."""
    command = (message.text or "").split()[0]
    name, _, target = command.partition("@")
    if target and target.lower() != profile.username.lower():
        return  # another bot's command
    if message.chat.type != "private" and not target:
        return  # in groups a bare unknown command may be meant for another bot
    await message.answer(tr("unknown_command", command=name))


async def stale_button(query: CallbackQuery) -> None:
    """A button whose data no handler parses (forged, or drawn by an older version): just stop its spinner."""
    await query.answer()


def router() -> Router:
    """A fresh router (one per Dispatcher); only texts that start with "/" enter it, and buttons nobody took."""
    r = Router(name="commands")
    r.message.filter(IsCommand())
    r.message(CommandStart())(start)
    r.message(Command("help"))(help_)
    r.message(Command("reset"))(reset)
    r.message(Command("whoami"))(whoami)
    r.message()(unknown)
    r.callback_query()(stale_button)
    return r
