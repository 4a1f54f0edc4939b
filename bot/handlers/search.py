"""/search <question>: an answer from the web with its sources; /search on|off: web search in this chat or topic.

Turning web search off is anyone's choice (it only keeps queries in); turning it on in a group sends the
group's questions to search engines and spends its quota, so only group admins may — as with /privacy cloud.
"""
from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.admin import GroupAdmin
from bot.filters.message import FromHuman, IsCommand, sender_id
from bot.settings import Settings
from bot.turn.context import BotProfile, active_persona, remember_user, scope_of, sink_for
from bot.turn.conversation import Conversations
from bot.turn.flood import FloodControl
from i18n import Translator
from storage.store import Inbound, Store

_SWITCH = {"on": True, "off": False}


async def switch(message: Message, store: Store, profile: BotProfile, on: bool, tr: Translator) -> None:
    """/search on|off for this chat or forum topic."""
    if on and not await GroupAdmin()(message):
        await message.answer(tr("admins_search"))
        return
    state = await store.set_chat_flags(scope_of(message, profile), message.chat.type, web_search=on)
    await message.answer(tr("search_on" if state.web_search else "search_off"))


async def search(message: Message, command: CommandObject, store: Store, personas: AgentsConfig,
                 profile: BotProfile, conversations: Conversations, settings: Settings, flood: FloodControl,
                 tr: Translator) -> None:
    """Store the question as a search message and answer it in the chat's turn, like any message."""
    question = " ".join((command.args or "").split())
    scope = scope_of(message, profile)
    if question.lower() in _SWITCH:
        await switch(message, store, profile, _SWITCH[question.lower()], tr)
        return
    if not question:
        state = await store.chat_state(scope)
        await message.reply(tr("search_usage", state="on" if state.web_search else "off"))
        return
    if len(question) > settings.search_max_chars:
        await message.reply(tr("search_too_long", length=len(question), limit=settings.search_max_chars))
        return
    user_id = sender_id(message)
    ticket = conversations.ticket(scope)  # before the flood check's await: answers keep the order messages arrived in
    try:
        if not await flood.admit(message, user_id, tr):
            return
        await remember_user(store, profile, message)
        persona, conversation = await active_persona(store, personas, profile, scope)
        pinned = profile.locked is not None  # a persona's own bot answers itself
        named = personas.match_alias(question)  # "/search Helion, тарифи на газ" asks Helion
        if named is not None and named[1] and (profile.locked is None or named[0].key == profile.locked):
            (persona, question), pinned = named, True
        inbound = Inbound(scope=scope, user_id=user_id, text=question, agent=persona.key, conversation=conversation,
                          tg_message_id=message.message_id, language=tr.lang, chat_type=message.chat.type,
                          pinned=pinned, mode="search")
        await conversations.handle(inbound, sink_for(profile, inbound, reply_to=message.message_id), ticket)
    finally:
        conversations.release(ticket)


def router() -> Router:
    """A fresh router (one per Dispatcher) for /search."""
    r = Router(name="search")
    r.message.filter(FromHuman(), IsCommand())
    r.message(Command("search"))(search)
    return r
