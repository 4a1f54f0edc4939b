"""Voice notes, audio files and video notes → the persona's answer; `/transcribe` and `/voice on|off`."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.admin import GroupAdmin
from bot.filters.message import FromHuman, IsAudio, IsCommand, audio_ref, sender_id
from bot.turn.context import BotProfile, active_persona, for_us, remember_user, scope_of, sink_for
from bot.turn.conversation import Conversations
from bot.turn.file_limits import over
from bot.turn.flood import FloodControl
from bot.turn.sink import ReplySink
from bot.turn.voice import Listener, VoiceRefused, VoiceTurn, shown_sink
from i18n import Translator, translator
from router.core import ModelRouter
from router.provider import SPEECH
from storage.store import Inbound, Store

if TYPE_CHECKING:
    from agents.persona import Persona

_SWITCH = {"on": True, "off": False}


async def on_audio(message: Message, store: Store, personas: AgentsConfig, profile: BotProfile,
                   conversations: Conversations, flood: FloodControl, tr: Translator) -> None:
    """Hear a recording and answer it like typed text; in groups only when it is for the bot."""
    ref = audio_ref(message)
    voice = conversations.voice
    if ref is None or voice is None:
        return
    file_id, claimed, size = ref
    target = for_us(message, profile, personas, message.caption or "")
    if target is None and message.chat.type == "private":
        return
    scope = scope_of(message, profile)
    user_id = sender_id(message)
    persona, conversation = await active_persona(store, personas, profile, scope)
    inbound = Inbound(scope=scope, user_id=user_id, text=target.text if target else "",
                      agent=(target.persona if target is not None and target.persona else persona).key,
                      conversation=conversation, tg_message_id=message.message_id, language=tr.lang,
                      chat_type=message.chat.type, pinned=target is not None and target.persona is not None,
                      attachments=(file_id,), mode="voice")
    reply_to = None if message.chat.type == "private" else message.message_id
    if target is None:
        # Group chatter: heard before it takes a place in the chat's queue (the group's other messages never wait
        # for it); it is ours only when the transcript opens with a name.
        heard = await _heard_by_name(message, voice, conversations, profile, personas, inbound)
        if heard is None or not await flood.admit(message, user_id, tr):
            return
        inbound, shown = heard
        await remember_user(store, profile, message)
        await conversations.handle(inbound, shown(sink_for(profile, inbound, reply_to=reply_to)))
        return
    ticket = conversations.ticket(scope)  # before the flood check's await: answers keep the order messages arrived in
    try:
        if not await flood.admit(message, user_id, tr):
            return
        if refusal := _too_big(claimed, size, voice, tr):
            await message.reply(refusal)  # Telegram said how long or big it is: no download to find out
            return
        await remember_user(store, profile, message)
        await conversations.handle(inbound, sink_for(profile, inbound, reply_to=reply_to), ticket)
    finally:
        conversations.release(ticket)


async def _heard_by_name(message: Message, voice: VoiceTurn, conversations: Conversations, profile: BotProfile,
                         personas: AgentsConfig,
                         inbound: Inbound) -> tuple[Inbound, Callable[[ReplySink], ReplySink]] | None:
    """A group recording transcribed first; it is ours when the transcript starts with the bot's or a persona's name.

    Nothing is said about chatter that cannot be heard (too long, over the day's seconds, no speech): it may never
    have been meant for the bot. Recordings whose addressing is unknown cost the group's seconds like any other.
    """
    _, claimed, size = audio_ref(message) or ("", 0, 0)
    if claimed > voice.max_seconds or over(size, voice.max_mb):
        return None
    state = await conversations.store.chat_state(inbound.scope)
    who = Listener(inbound.scope.bot, inbound.scope.chat_id, inbound.user_id, inbound.chat_type, inbound.agent,
                   inbound.language, state.local_only)
    try:
        transcript = await voice.hear(conversations.media, inbound.attachments[0], who)
    except VoiceRefused:
        return None  # chatter we could not hear gets no notice: it may never have been meant for us
    text, persona = _named(transcript.text, profile, personas)
    if text is None:
        return None
    heard = replace(inbound, text=text or transcript.text, agent=persona.key if persona else inbound.agent,
                    pinned=persona is not None, attachments=(), mode="chat")
    return heard, lambda sink: shown_sink(sink, transcript, translator(inbound.language))


def _named(transcript: str, profile: BotProfile, personas: AgentsConfig) -> tuple[str | None, Persona | None]:
    """The words after a persona's or the bot's name that opens the transcript; (None, None) when none does."""
    named = personas.match_alias(transcript)
    if named is not None and (profile.locked is None or named[0].key == profile.locked):
        return named[1], named[0]
    stem = re.sub(r"_?bot$", "", profile.username, flags=re.IGNORECASE).replace("_", " ").strip()
    match = re.match(rf"\W*{re.escape(stem)}\b[\s,.:!?-]*", transcript, re.IGNORECASE) if stem else None
    if match is None:
        return None, None
    return transcript[match.end():].strip(), None


def _too_big(claimed: int, size: int, voice: VoiceTurn, tr: Translator) -> str | None:
    """The refusal for a recording Telegram already says is too long or too big to download."""
    if claimed > voice.max_seconds:
        return tr("voice_too_long", limit=tr.wait(voice.max_seconds))
    if over(size, voice.max_mb):
        return tr("voice_too_large", mb=voice.max_mb)
    return None


async def transcribe(message: Message, conversations: Conversations, store: Store, profile: BotProfile,
                     personas: AgentsConfig, tr: Translator) -> None:
    """`/transcribe` as a reply to a recording: just its transcript (nothing goes to the chat model)."""
    reply = message.reply_to_message
    ref = audio_ref(reply) if reply is not None else None
    voice = conversations.voice
    if ref is None or voice is None:
        await message.reply(tr("transcribe_usage" if voice is not None else "voice_stt_unavailable"))
        return
    file_id, claimed, size = ref
    if refusal := _too_big(claimed, size, voice, tr):
        await message.reply(refusal)
        return
    scope = scope_of(message, profile)
    persona, _ = await active_persona(store, personas, profile, scope)
    state = await store.chat_state(scope)
    who = Listener(scope.bot, scope.chat_id, sender_id(message), message.chat.type, persona.key, tr.lang,
                   state.local_only)
    try:
        transcript = await voice.hear(conversations.media, file_id, who)
    except VoiceRefused as exc:
        await message.reply(exc.text)
        return
    shown = (tr("transcript_unsure", text=transcript.text) if transcript.uncertain
             else tr("transcript", text=transcript.text))
    for piece in _pieces(shown):
        await message.reply(piece)


def _pieces(text: str, limit: int = 4000) -> list[str]:
    """A long transcript in messages Telegram takes (4096 characters each), cut between words."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip()
    return [*pieces, text]


async def voice_switch(message: Message, command: CommandObject, store: Store, profile: BotProfile,
                       model_router: ModelRouter, tr: Translator) -> None:
    """`/voice on|off`: answers here also come as voice messages (group admins switch it for a group)."""
    scope = scope_of(message, profile)
    arg = (command.args or "").strip().lower()
    state = await store.chat_state(scope)
    if arg not in _SWITCH:
        await message.answer(tr("voice_state_on" if state.voice else "voice_state_off"))
        return
    if not await GroupAdmin()(message):
        await message.answer(tr("admins_voice"))
        return
    if _SWITCH[arg] and not await _can_speak(model_router, state.local_only):
        await message.answer(tr("voice_tts_missing"))
        return
    state = await store.set_chat_flags(scope, message.chat.type, voice=_SWITCH[arg])
    await message.answer(tr("voice_on" if state.voice else "voice_off"))


async def _can_speak(model_router: ModelRouter, local_only: bool) -> bool:
    """True when a target of the `tts` route speaks (a catch-all rule also names its chat models for `tts`), on
    this host when the chat is local-only."""
    for target in model_router.targets("tts"):
        provider = model_router.providers.get(target.provider)
        if provider is None or (local_only and not provider.local):
            continue
        caps = await provider.capabilities(target.model)
        if caps is not None and SPEECH in caps:
            return True
    return False


def router() -> Router:
    """Recordings, `/transcribe` and `/voice`."""
    r = Router(name="voice")
    r.message.filter(FromHuman())
    r.message(Command("transcribe"), IsCommand())(transcribe)
    r.message(Command("voice"), IsCommand())(voice_switch)
    r.message(IsAudio())(on_audio)
    return r
