"""The Provider protocol: a streamed chat method, what a model can do, and a close; Embedder for backends that embed."""
from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Protocol, runtime_checkable

from router.types import ChatRequest, Delta, Usage


@runtime_checkable
class Provider(Protocol):
    """A model backend; `stream` yields text deltas, the last one carrying usage."""

    name: str
    local: bool

    def stream(self, model: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        """Stream one answer; raise a `router.errors.ProviderError` on failure."""
        ...

    async def capabilities(self, model: str) -> frozenset[str] | None:
        """What `model` supports, in Ollama's words ("completion", "vision", "tools", "embedding"); None if unknown.

        The router sends a request only to a model whose known capabilities cover what the request needs.
        """
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """A backend that turns texts into vectors; providers may implement it beside Provider."""

    name: str
    local: bool

    async def embed(self, model: str, texts: Sequence[str]) -> tuple[list[list[float]], Usage]:
        """One vector per text, in order, and the call's usage; raise a `router.errors.ProviderError` on failure."""
        ...


@runtime_checkable
class Pingable(Protocol):
    """A backend that can say cheaply whether it is reachable (the periodic health check)."""

    name: str

    async def ping(self) -> None:
        """Return when the backend answers; raise a `router.errors.ProviderError` when it does not."""
        ...
