"""Message filters as BaseFilter classes.

aiogram runs every synchronous filter (magic `F.…` filters included) through `asyncio.to_thread`:
a thread hop per filter per message. These filters are coroutines, so the checks stay on the event
loop (measured with bench/overhead.py: ~5 thread hops per message saved).
"""
from __future__ import annotations

from pathlib import PurePath

from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff"}


class HasText(BaseFilter):
    """A text message (not a sticker, photo, …)."""

    async def __call__(self, message: Message) -> bool:
        return message.text is not None


class IsCommand(BaseFilter):
    """Text that starts with a slash."""

    async def __call__(self, message: Message) -> bool:
        return (message.text or "").startswith("/")


class FromHuman(BaseFilter):
    """Sent by a person: other bots (and anonymous group admins posting as a bot) are left alone."""

    async def __call__(self, message: Message) -> bool:
        return message.from_user is not None and not message.from_user.is_bot


def sender_id(event: Message | CallbackQuery) -> int:
    """The sender's id, for handlers behind FromHuman or RequireAdmin (neither lets a sender-less message through)."""
    if event.from_user is None:
        raise ValueError("a message without a sender reached a handler that needs one")
    return event.from_user.id


class IsDocument(BaseFilter):
    """A file (images among them: the photo router, included first, takes those)."""

    async def __call__(self, message: Message) -> bool:
        return message.document is not None


class IsImage(BaseFilter):
    """A photo, or a file that says it is an image (by MIME type or name)."""

    async def __call__(self, message: Message) -> bool:
        if message.photo:
            return True
        doc = message.document
        if doc is None:
            return False
        suffix = PurePath(doc.file_name or "").suffix.lower()
        return (doc.mime_type or "").startswith("image/") or suffix in IMAGE_SUFFIXES


AUDIO_SUFFIXES = {".ogg", ".oga", ".opus", ".mp3", ".m4a", ".wav", ".flac", ".webm", ".aac"}


class IsAudio(BaseFilter):
    """A voice note, an audio file, a round video note, or a file that says it is audio."""

    async def __call__(self, message: Message) -> bool:
        return audio_ref(message) is not None


def audio_ref(message: Message) -> tuple[str, int, int] | None:
    """The recording of a message: its file id, claimed length in seconds (0 = unknown) and size in bytes."""
    media = message.voice or message.audio or message.video_note
    if media is not None:
        return media.file_id, media.duration or 0, media.file_size or 0
    doc = message.document
    if doc is not None and ((doc.mime_type or "").startswith("audio/")
                            or PurePath(doc.file_name or "").suffix.lower() in AUDIO_SUFFIXES):
        return doc.file_id, 0, doc.file_size or 0
    return None
