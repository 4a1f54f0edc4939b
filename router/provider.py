"""The Provider protocol: one streamed chat method and a close."""
from __future__ import annotations

from typing import AsyncIterator, Protocol, runtime_checkable

from router.types import ChatRequest, Delta


@runtime_checkable
class Provider(Protocol):
    """A model backend; `stream` yields text deltas, the last one carrying usage."""

    name: str
    local: bool

    def stream(self, model: str, request: ChatRequest) -> AsyncIterator[Delta]:
        """Stream one answer; raise a `router.errors.ProviderError` on failure."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...
