"""Photos and image files → the persona's answer about them; albums once; `/ocr` reads documents."""
from __future__ import annotations

import re
from pathlib import PurePath

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from agents.persona import AgentsConfig
from bot.filters.addressing import Addressed
from bot.filters.message import from_human
from bot.settings import Settings
from bot.texts import t, wait_text
from bot.turn.albums import PhotoDesk
from bot.turn.context import BotProfile, active_persona, for_us, language, remember_user, scope_of, sink_for
from bot.turn.conversation import Conversations
from bot.turn.flood import FloodControl
from bot.turn.media import TELEGRAM_DOWNLOAD_LIMIT
from storage.store import Inbound, Store

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
_OCR_CAPTION = re.compile(r"^\s*/?(ocr|окр|розпізнай)\b[\s,:.-]*", re.IGNORECASE)


async def is_image(message: Message) -> bool:
    """A photo, or a file that says it is an image (by MIME type or name)."""
    doc = message.document
    if message.photo:
        return True
    if doc is None:
        return False
    return (doc.mime_type or "").startswith("image/") or PurePath(doc.file_name or "").suffix.lower() in IMAGE_SUFFIXES


def file_ref(message: Message, max_side: int) -> tuple[str, int]:
    """The file id to download and its size: of a photo, the smallest size that still fills `max_side`."""
    if message.photo:
        sizes = sorted(message.photo, key=lambda p: p.width * p.height)
        best = next((p for p in sizes if max(p.width, p.height) >= max_side), sizes[-1])
        return best.file_id, best.file_size or 0
    doc = message.document
    return doc.file_id, doc.file_size or 0  # type: ignore[union-attr]


async def on_image(message: Message, desk: PhotoDesk, profile: BotProfile, **deps: object) -> None:
    """One photo now; an album's items wait for each other and are answered once."""
    if message.media_group_id:
        key = (profile.key, message.chat.id, message.media_group_id)
        desk.collect(key, message, lambda items: answer_images(items, desk=desk, profile=profile, **deps))
        return
    await answer_images([message], desk=desk, profile=profile, **deps)


async def answer_images(items: list[Message], *, desk: PhotoDesk, profile: BotProfile, store: Store,
                        personas: AgentsConfig, conversations: Conversations, settings: Settings,
                        flood: FloodControl, by_command: bool = False, **_: object) -> None:
    """Ask the chat's persona about the images (or read them as a document in OCR mode)."""
    first = next((m for m in items if m.caption), items[0])
    target = Addressed("") if by_command else for_us(first, profile, personas, first.caption or "")
    if target is None:
        return  # a group photo not addressed to the bot
    lang, scope = language(first), scope_of(first, profile)
    verdict = flood.check(first.from_user.id, first.chat.id, first.chat.type != "private")  # type: ignore[union-attr]
    if not verdict.allowed:
        if verdict.notify:
            await first.reply(t(lang, "flood", wait=wait_text(lang, verdict.retry_after)))
        return
    refs = [file_ref(m, settings.image_max_side) for m in items]
    if any(size > TELEGRAM_DOWNLOAD_LIMIT for _, size in refs):
        await first.reply(t(lang, "image_too_large"))  # Telegram would refuse the download anyway
        return
    text, ocr = target.text, by_command or desk.take_ocr(scope)
    if (match := _OCR_CAPTION.match(text)) is not None:
        text, ocr = text[match.end():].strip(), True
    ticket = conversations.ticket(scope)
    try:
        await remember_user(store, profile, first)
        persona, conversation = await active_persona(store, personas, profile, scope)
        inbound = Inbound(scope=scope, user_id=first.from_user.id, text=text,  # type: ignore[union-attr]
                          agent=(target.persona or persona).key, conversation=conversation,
                          tg_message_id=items[0].message_id, language=lang, chat_type=first.chat.type,
                          pinned=target.persona is not None or profile.locked is not None or ocr,
                          attachments=tuple(ref for ref, _ in refs), mode="ocr" if ocr else "chat")
        sink = sink_for(profile, inbound, reply_to=None if first.chat.type == "private" else first.message_id)
        await conversations.handle(inbound, sink, ticket)
    finally:
        conversations.release(ticket)


async def ocr_command(message: Message, desk: PhotoDesk, profile: BotProfile, **deps: object) -> None:
    """`/ocr` as a reply to a photo reads that photo; otherwise the next photo here is read."""
    reply = message.reply_to_message
    if reply is not None and await is_image(reply):
        # The photo is the replied-to message's; the asker, the message id (exactly-once) and the reply are the command's.
        photo = reply.model_copy(update={"from_user": message.from_user, "caption": None, "media_group_id": None,
                                         "message_id": message.message_id})
        await answer_images([photo], desk=desk, profile=profile, by_command=True, **deps)  # type: ignore[arg-type]
        return
    desk.want_ocr(scope_of(message, profile))
    await message.reply(t(language(message), "ocr_ready"))


def router() -> Router:
    """Photos, image files, albums and `/ocr`."""
    r = Router(name="photos")
    r.message.filter(from_human)
    r.message(Command("ocr"))(ocr_command)
    r.message(is_image)(on_image)
    return r
