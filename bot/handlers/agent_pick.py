"""/agent: switch persona per chat (and per forum topic) by name or with an inline keyboard."""
from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from agents.persona import AgentsConfig, Persona
from bot.filters.message import IsCommand
from bot.flows.buttons import PickAgent
from bot.turn.context import BotProfile, active_persona, scope_of
from i18n import Translator
from storage.store import Store


def picker(personas: AgentsConfig, current: str, lang: str) -> InlineKeyboardMarkup:
    """One button per persona; the active one is marked."""
    kb = InlineKeyboardBuilder()
    for p in personas.agents.values():
        mark = "✅ " if p.key == current else ""
        kb.button(text=f"{mark}{p.emoji} {p.name}".strip(), callback_data=PickAgent(key=p.key))
    kb.adjust(1)
    return kb.as_markup()


def _switched(persona: Persona, tr: Translator) -> str:
    """"You are now talking to …" and the persona's greeting, in the user's language."""
    switched = tr("switched", agent=f"{persona.emoji} {persona.name}".strip(), title=persona.title.get(tr.lang))
    return f"{switched}\n\n{persona.greeting.get(tr.lang)}"


async def agent_command(message: Message, command: CommandObject, store: Store, personas: AgentsConfig,
                        profile: BotProfile, tr: Translator) -> None:
    """`/agent` shows the picker; `/agent helion` switches at once."""
    scope = scope_of(message, profile)
    current, _ = await active_persona(store, personas, profile, scope)
    if profile.locked:
        await message.answer(tr("locked", agent=current.name))
        return
    if not command.args:
        await message.answer(tr("pick", agent=current.name), reply_markup=picker(personas, current.key, tr.lang))
        return
    persona = personas.get(command.args.strip())
    if persona is None:
        await message.answer(tr("unknown_agent", name=command.args.strip(),
                                agents=", ".join(p.key for p in personas.agents.values())))
        return
    await store.set_agent(scope, persona.key, message.chat.type)
    await message.answer(_switched(persona, tr))


async def agent_button(query: CallbackQuery, callback_data: PickAgent, store: Store, personas: AgentsConfig,
                       profile: BotProfile, tr: Translator) -> None:
    """A picker button: switch the chat/topic where the picker was shown."""
    persona = personas.get(callback_data.key)
    message = query.message
    if persona is None or profile.locked or not isinstance(message, Message):
        await query.answer(tr("unknown_agent", name=callback_data.key,
                              agents=", ".join(personas.agents)), show_alert=True)
        return
    await store.set_agent(scope_of(message, profile), persona.key, message.chat.type)
    await query.answer(persona.name)
    try:
        await message.edit_text(_switched(persona, tr), reply_markup=picker(personas, persona.key, tr.lang))
    except TelegramBadRequest as exc:
        if "not modified" not in exc.message.lower():  # a second tap on the same button changes nothing
            raise


def router() -> Router:
    """A fresh router (one per Dispatcher) for /agent and the picker buttons."""
    r = Router(name="agent_pick")
    r.message(IsCommand(), Command("agent"))(agent_command)
    r.callback_query(PickAgent.filter())(agent_button)
    return r
