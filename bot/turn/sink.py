"""Where an answer goes (a Telegram chat or the terminal), and how a sink is built for a stored message."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from storage.store import Inbound


class ReplySink(Protocol):
    """Where an answer goes: a Telegram chat or the terminal."""

    async def start(self) -> None:
        """The answer is being worked on now (show "typing…")."""

    async def update(self, text: str) -> None:
        """The answer so far; the sink decides when to show it."""

    async def finish(self, text: str) -> None:
        """The whole answer: show it in full."""

    async def notify(self, text: str) -> None:
        """A short notice instead of (or after) an answer."""

    async def status(self, text: str) -> None:
        """Progress of slow work ("🔎 Шукаю…"), shown apart from the answer and replaced by the next; "" removes it."""

    async def attach(self, files: Sequence[tuple[str, bytes]]) -> None:
        """Files that go with the answer (OCR's result.json and result.csv)."""

    async def voice(self, data: bytes, seconds: float) -> None:
        """The answer spoken (OGG/Opus of `seconds`), after its text; the text stands if it cannot be sent."""

    async def close(self) -> None:
        """Stop any background activity (typing indicator, timers)."""


class SinkFactory(Protocol):
    """Builds a sink for a stored inbound message (used after a restart)."""

    def __call__(self, inbound: Inbound) -> ReplySink: ...
