"""Photos and image files → the persona's answer about them; albums once; `/ocr` reads documents."""
from __future__ import annotations

import re
from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.addressing import Addressed
from bot.filters.message import FromHuman, IsImage, sender_id
from bot.flows.states import Ocr, begin, take
from bot.settings import Settings
from bot.turn.albums import PhotoDesk
from bot.turn.context import BotProfile, active_persona, for_us, remember_user, scope_of, sink_for
from bot.turn.conversation import Conversations
from bot.turn.file_limits import FileLimits, over
from bot.turn.flood import FloodControl
from i18n import Translator
from storage.store import Inbound, Store

_OCR_CAPTION = re.compile(r"^\s*/?(ocr|окр|розпізнай)\b[\s,:.-]*", re.IGNORECASE)


def file_ref(message: Message, max_side: int) -> tuple[str, int]:
    """The file id to download and its size: of a photo, the smallest size that still fills `max_side`."""
    if message.photo:
        sizes = sorted(message.photo, key=lambda p: p.width * p.height)
        best = next((p for p in sizes if max(p.width, p.height) >= max_side), sizes[-1])
        return best.file_id, best.file_size or 0
    doc = message.document
    if doc is None:  # IsImage lets only photos and files through
        raise ValueError("an image message with neither a photo nor a file")
    return doc.file_id, doc.file_size or 0


async def on_image(message: Message, desk: PhotoDesk, profile: BotProfile, **deps: Any) -> None:
    """One photo now; an album's items wait for each other and are answered once."""
    if message.media_group_id:
        key = (profile.key, message.chat.id, message.media_group_id)
        await desk.take(key, message, lambda items: answer_images(items, profile=profile, **deps))
        return
    await answer_images([message], profile=profile, **deps)


async def answer_images(items: list[Message], *, profile: BotProfile, store: Store,
                        personas: AgentsConfig, conversations: Conversations, settings: Settings,
                        flood: FloodControl, file_limits: FileLimits, tr: Translator, by_command: bool = False,
                        state: FSMContext | None = None, **_: object) -> None:
    """Ask the chat's persona about the images (or read them as a document in OCR mode)."""
    first = next((m for m in items if m.caption), items[0])
    target = Addressed("") if by_command else for_us(first, profile, personas, first.caption or "")
    if target is None:
        return  # a group photo not addressed to the bot
    scope = scope_of(first, profile)
    user_id = sender_id(first)
    ticket = conversations.ticket(scope)  # before the flood check's await: answers keep the order messages arrived in
    try:
        if not await flood.admit(first, user_id, tr):
            return
        refs = [file_ref(m, settings.image_max_side) for m in items]
        if any(over(size, file_limits.image) for _, size in refs):
            await first.reply(tr("image_too_large", mb=file_limits.image))  # refused before any download
            return
        text, ocr = target.text, by_command or await take(state, Ocr.photo) is not None
        if (match := _OCR_CAPTION.match(text)) is not None:
            text, ocr = text[match.end():].strip(), True
        await remember_user(store, profile, first)
        persona, conversation = await active_persona(store, personas, profile, scope)
        inbound = Inbound(scope=scope, user_id=user_id, text=text,
                          agent=(target.persona or persona).key, conversation=conversation,
                          tg_message_id=items[0].message_id, language=tr.lang, chat_type=first.chat.type,
                          pinned=target.persona is not None or profile.locked is not None or ocr,
                          attachments=tuple(ref for ref, _ in refs), mode="ocr" if ocr else "chat")
        sink = sink_for(profile, inbound, reply_to=None if first.chat.type == "private" else first.message_id)
        await conversations.handle(inbound, sink, ticket)
    finally:
        conversations.release(ticket)


async def ocr_command(message: Message, profile: BotProfile, state: FSMContext, tr: Translator, **deps: Any) -> None:
    """`/ocr` as a reply to a photo reads that photo; otherwise the next photo here is read."""
    reply = message.reply_to_message
    if reply is not None and await IsImage()(reply):
        # The photo is the replied-to message's; the asker, the message id (exactly-once) and the reply are the
        # command's.
        photo = reply.model_copy(update={"from_user": message.from_user, "caption": None, "media_group_id": None,
                                         "message_id": message.message_id})
        await answer_images([photo], profile=profile, by_command=True, tr=tr, **deps)
        return
    await begin(state, Ocr.photo)
    await message.reply(tr("ocr_ready"))


def router() -> Router:
    """Photos, image files, albums and `/ocr`."""
    r = Router(name="photos")
    r.message.filter(FromHuman())
    r.message(Command("ocr"))(ocr_command)
    r.message(IsImage())(on_image)
    return r
