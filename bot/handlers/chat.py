"""Text messages → the active persona's streamed answer; everything else gets a clear word."""
from __future__ import annotations

from aiogram import Router
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.message import FromHuman, HasText, sender_id
from bot.settings import Settings
from bot.turn.context import (
    BotProfile,
    active_persona,
    for_us,
    remember_user,
    scope_of,
    sink_for,
)
from bot.turn.conversation import Conversations
from bot.turn.flood import FloodControl
from i18n import Translator
from storage.store import Inbound, Store


async def on_text(message: Message, store: Store, personas: AgentsConfig, profile: BotProfile,
                  conversations: Conversations, settings: Settings, flood: FloodControl, tr: Translator) -> None:
    """Answer a text addressed to the bot, streaming the reply."""
    target = for_us(message, profile, personas, message.text or "")
    if target is None:
        return  # group chatter that is not for us
    user_id = sender_id(message)
    scope = scope_of(message, profile)
    # Before any await (a shared flood check waits for Redis): answers keep the order messages arrived in.
    ticket = conversations.ticket(scope)
    try:
        if not await flood.admit(message, user_id, tr):  # not stored: crash recovery must not answer it later
            return
        if not target.text or len(target.text) > settings.max_message_chars:
            await message.reply(tr("empty") if not target.text else
                                tr("too_long", length=len(target.text), limit=settings.max_message_chars))
            return
        await remember_user(store, profile, message)
        persona, conversation = await active_persona(store, personas, profile, scope)
        inbound = Inbound(scope=scope, user_id=user_id, text=target.text,
                          agent=(target.persona or persona).key, conversation=conversation,
                          tg_message_id=message.message_id, language=tr.lang, chat_type=message.chat.type,
                          # A persona named by the user ("Helion, …") or a persona's own bot answers itself.
                          pinned=target.persona is not None or profile.locked is not None)
        sink = sink_for(profile, inbound, reply_to=None if message.chat.type == "private" else message.message_id)
        await conversations.handle(inbound, sink, ticket)
    finally:
        conversations.release(ticket)  # no-op when handle() already finished its turn


async def unsupported(message: Message, personas: AgentsConfig, profile: BotProfile, tr: Translator) -> None:
    """Stickers, voice, files…: explained in private or when addressed; ignored in group chatter."""
    if message.chat.type != "private" and for_us(message, profile, personas, message.caption or "") is None:
        return
    await message.reply(tr("unsupported"))


def router() -> Router:
    """A fresh router (one per Dispatcher) for conversation messages."""
    r = Router(name="chat")
    # Other bots (and anonymous admins / channels posting as GroupAnonymousBot) are ignored on purpose:
    # two bots answering each other would loop.
    r.message.filter(FromHuman())
    r.message(HasText())(on_text)
    r.message()(unsupported)
    return r
