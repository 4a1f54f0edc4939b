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
