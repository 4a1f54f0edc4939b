"""Applies a hand-off to one answer: the specialist persona answers and the user sees who it is."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agents.handoff import HandoffRules
from bot.turn.sink import ReplySink

if TYPE_CHECKING:
    from agents.persona import Persona
    from storage.records import ChatState, Inbound


class MarkedSink:
    """Puts the hand-off line above the answer in every preview and the final text; notices stay plain."""

    def __init__(self, inner: ReplySink, marker: str) -> None:
        self.inner = inner
        self.prefix = f"{marker}\n\n"

    async def start(self) -> None:
        """Forwarded as is."""
        await self.inner.start()

    async def update(self, text: str) -> None:
        """The answer so far, under the marker."""
        await self.inner.update(self.prefix + text)

    async def finish(self, text: str) -> None:
        """The whole answer, under the marker."""
        await self.inner.finish(self.prefix + text)

    async def notify(self, text: str) -> None:
        """A notice ("model unavailable") is not the specialist's answer: no marker."""
        await self.inner.notify(text)

    async def status(self, text: str) -> None:
        """Progress lines stay plain too."""
        await self.inner.status(text)

    async def attach(self, files: Sequence[tuple[str, bytes]]) -> None:
        """Files go with the specialist's answer as they are."""
        await self.inner.attach(files)

    async def voice(self, data: bytes, seconds: float) -> None:
        """The spoken answer goes as it is."""
        await self.inner.voice(data, seconds)

    async def close(self) -> None:
        """Forwarded as is."""
        await self.inner.close()


def hand_off(rules: HandoffRules, persona: Persona, inbound: Inbound, state: ChatState,
             sink: ReplySink) -> tuple[Persona, ReplySink]:
    """The persona that answers this message and the sink to answer into (one hop at most)."""
    if inbound.pinned or not state.handoff:
        return persona, sink
    decision = rules.decide(persona, inbound.text)
    if decision is None:
        return persona, sink
    return decision.persona, MarkedSink(sink, decision.marker)
