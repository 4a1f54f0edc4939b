"""/start, /help, /reset, /whoami and the answer to unknown commands."""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.message import is_command
from bot.handlers.agent_pick import picker
from bot.texts import t
from bot.turn.context import BotProfile, active_persona, language, remember_user, scope_of
from storage.store import Store


async def start(message: Message, store: Store, personas: AgentsConfig, profile: BotProfile) -> None:
    """Greet, then offer the persona picker."""
    await remember_user(store, profile, message)
    lang = language(message)
    persona, _ = await active_persona(store, personas, profile, scope_of(message, profile))
    name = message.from_user.first_name if message.from_user else ""
    text = t(lang, "start", name=name, agent=f"{persona.emoji} {persona.name}".strip())
    await message.answer(f"{text}\n\n{persona.greeting.get(lang)}",
                         reply_markup=None if profile.locked else picker(personas, persona.key, lang))


async def help_(message: Message, personas: AgentsConfig, profile: BotProfile) -> None:
    """List commands and agents."""
    lang = language(message)
    agents = ", ".join(f"{p.emoji} {p.name} (/agent {p.key})" for p in personas.agents.values())
    await message.answer(t(lang, "help", agents=agents, bot=profile.username))


async def reset(message: Message, store: Store, profile: BotProfile) -> None:
    """Start a new conversation in this chat/topic."""
    await store.reset(scope_of(message, profile), message.chat.type)
    await message.answer(t(language(message), "reset"))


async def whoami(message: Message, store: Store, personas: AgentsConfig, profile: BotProfile) -> None:
    """Show the user's id, the chat and the active agent."""
    lang = language(message)
    scope = scope_of(message, profile)
    persona, _ = await active_persona(store, personas, profile, scope)
    user = message.from_user
    who = (f"@{user.username}" if user and user.username else user.full_name if user else "?")
    thread = f", topic {scope.thread_id}" if scope.thread_id else ""
    await message.answer(t(lang, "whoami", user=who, user_id=user.id if user else "?", chat_id=message.chat.id,
                           chat_type=message.chat.type, thread=thread, agent=f"{persona.emoji} {persona.name}"))


async def unknown(message: Message, profile: BotProfile) -> None:
    """Unknown commands get a pointer to /help; in groups only when the command names this bot."""
    command = (message.text or "").split()[0]
    name, _, target = command.partition("@")
    if target and target.lower() != profile.username.lower():
        return  # another bot's command
    if message.chat.type != "private" and not target:
        return  # in groups a bare unknown command may be meant for another bot
    await message.answer(t(language(message), "unknown_command", command=name))


def router() -> Router:
    """A fresh router (one per Dispatcher); only texts that start with "/" enter it."""
    r = Router(name="commands")
    r.message.filter(is_command)
    r.message(CommandStart())(start)
    r.message(Command("help"))(help_)
    r.message(Command("reset"))(reset)
    r.message(Command("whoami"))(whoami)
    r.message()(unknown)
    return r
