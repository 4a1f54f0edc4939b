"""The Provider protocol: a streamed chat method, what a model can do, and a close; Embedder for backends that embed."""
from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Protocol, runtime_checkable

from router.types import ChatRequest, Delta, Speech, SpeechRequest, TranscribeRequest, Transcript, Usage


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


TRANSCRIPTION = "transcription"  # the capability of a speech-to-text model
SPEECH = "speech"  # the capability of a text-to-speech model


@runtime_checkable
class Transcriber(Protocol):
    """A backend that turns speech into text (router mode `stt`)."""

    name: str
    local: bool

    def busy(self, model: str) -> bool:
        """True when every slot is taken: a route may try its next target instead of queueing here."""
        ...

    async def transcribe(self, model: str, request: TranscribeRequest) -> Transcript:
        """The transcript (text "" when there is no speech); raise a `router.errors.ProviderError` on failure."""
        ...


@runtime_checkable
class Synthesizer(Protocol):
    """A backend that speaks text (router mode `tts`), as OGG/Opus."""

    name: str
    local: bool

    def speaks(self, model: str, language: str) -> bool:
        """True when `model` has a voice for `language` (uk, en…); known before anything is sent."""
        ...

    async def speak(self, model: str, request: SpeechRequest) -> Speech:
        """The spoken text; raise `router.errors.MissingCapability` for a language it cannot speak."""
        ...
