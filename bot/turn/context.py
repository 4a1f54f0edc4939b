"""Per-bot profile and helpers that turn an aiogram Message into our own seams."""
from __future__ import annotations

from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.types import Message

from agents.persona import AgentsConfig, Persona
from bot.delivery.stream import DeliveryOptions, TelegramSink
from bot.filters.addressing import Addressed, Mention, addressed
from storage.store import Inbound, Scope, Store


@dataclass
class BotProfile:
    """One Telegram bot this process serves: shared (all personas) or locked to one persona."""

    key: str
    bot: Bot
    delivery: DeliveryOptions
    locked: str | None = None
    username: str = ""
    seen_users: set[int] = field(default_factory=set)


def scope_of(message: Message, profile: BotProfile) -> Scope:
    """Chat plus forum topic: each topic keeps its own persona and history."""
    thread = message.message_thread_id if message.is_topic_message else 0
    return Scope(profile.key, message.chat.id, thread or 0)


def mentions(message: Message) -> list[Mention]:
    """Mention entities of a text or caption."""
    ents = message.entities or message.caption_entities or []
    return [Mention(e.offset, e.length, e.user.id if e.user else None)
            for e in ents if e.type in ("mention", "text_mention")]


def for_us(message: Message, profile: BotProfile, personas: AgentsConfig, text: str) -> Addressed | None:
    """The cleaned text and named persona when the message is for this bot; None for group chatter."""
    reply = message.reply_to_message
    return addressed(
        text, private=message.chat.type == "private", mentions=mentions(message), bot_username=profile.username,
        bot_id=profile.bot.id, reply_to_user_id=reply.from_user.id if reply and reply.from_user else None,
        personas=personas, locked=profile.locked)


async def active_persona(store: Store, personas: AgentsConfig, profile: BotProfile,
                         scope: Scope) -> tuple[Persona, int]:
    """The persona answering in this chat/topic and the current conversation number."""
    state = await store.chat_state(scope)
    key = profile.locked or state.agent or personas.default_agent
    return personas.get(key) or personas.default, state.conversation


def sink_for(profile: BotProfile, inbound: Inbound, *, reply_to: int | None) -> TelegramSink:
    """A delivery sink for one answer in the inbound message's chat."""
    return TelegramSink(profile.bot, profile.delivery, chat_id=inbound.scope.chat_id,
                        thread_id=inbound.scope.thread_id, private=inbound.chat_type == "private",
                        reply_to=reply_to)


async def remember_user(store: Store, profile: BotProfile, message: Message) -> None:
    """Store the sender's profile once per process (cheap on the hot path)."""
    user = message.from_user
    if user is None or user.id in profile.seen_users:
        return
    await store.save_user(user.id, user.username, user.first_name, user.language_code)
    profile.seen_users.add(user.id)
