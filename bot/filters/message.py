"""Message filters as coroutines.

aiogram runs every synchronous filter (magic `F.…` filters included) through
`asyncio.to_thread`: a thread hop per filter per message. These coroutines do the same checks
on the event loop (measured with bench/overhead.py: ~5 thread hops per message saved).
"""
from __future__ import annotations

from aiogram.types import Message


async def has_text(message: Message) -> bool:
    """A text message (not a sticker, photo, …)."""
    return message.text is not None


async def is_command(message: Message) -> bool:
    """Text that starts with a slash."""
    return (message.text or "").startswith("/")


async def from_human(message: Message) -> bool:
    """Sent by a person: other bots (and anonymous group admins posting as a bot) are left alone."""
    return message.from_user is not None and not message.from_user.is_bot
