"""How ops code sends a message to a chat without knowing Telegram: the Notifier protocol."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Status = Literal["delivered", "blocked", "failed"]


@dataclass(frozen=True, slots=True)
class Sent:
    """What became of one message: delivered, blocked (the user blocked the bot / left the chat) or failed."""

    status: Status
    message_id: int | None = None
    error: str | None = None


class Notifier(Protocol):
    """Sends and edits plain-text messages through one of this process's bots (by bot key)."""

    @property
    def bots(self) -> list[str]:
        """Keys of the bots this process serves; the first is the main one."""
        ...

    async def send(self, bot: str, chat_id: int, text: str, *, thread_id: int = 0) -> Sent:
        """Send a message (429s are waited out); never raises for Telegram errors."""
        ...

    async def edit(self, bot: str, chat_id: int, message_id: int, text: str) -> Sent:
        """Edit a message the bot sent before."""
        ...
