"""ScriptedSpeech: an in-memory speech provider (Transcriber and Synthesizer) for tests that need no model at all."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Collection

from router.errors import MissingCapability
from router.provider import SPEECH, TRANSCRIPTION
from router.providers._speech import no_chat
from router.types import ChatRequest, Delta, Speech, SpeechRequest, TranscribeRequest, Transcript, Usage

SECONDS_PER_CHAR = 1 / 15  # how long the fake's speech lasts per character of text (FakeLLM's rate)


class ScriptedSpeech:
    """Plays back scripted transcripts and speech, or raises scripted errors; records every request.

    `transcripts` and `speeches` are used in order (a str, a Transcript / bytes, or an exception to raise); when
    one runs out, the transcript is `default_transcript` and the speech is b"OggS" + the text. Transcripts and
    speech leave `provider` and `model` empty (the router labels them) and carry usage with their seconds.

    Slots work like the Whisper provider's: at most `slots` transcriptions at a time, `busy()` while all are
    taken. Clear `gate` to hold every transcription (and its slot) until the test sets it again.
    """

    def __init__(
        self,
        name: str = "speech",
        *,
        local: bool = True,
        capabilities: frozenset[str] = frozenset({TRANSCRIPTION, SPEECH}),
        transcripts: list[str | Transcript | Exception] | None = None,
        speeches: list[bytes | Exception] | None = None,
        languages: Collection[str] = ("uk", "en"),
        slots: int = 1,
    ) -> None:
        self.name = name
        self.local = local
        self.caps = capabilities
        self.transcripts: list[str | Transcript | Exception] = list(transcripts or [])
        self.speeches: list[bytes | Exception] = list(speeches or [])
        self.default_transcript = "scripted transcript"
        self.languages = frozenset(languages)
        self.slots = slots
        self.running = 0  # transcriptions holding a slot now
        self.gate = asyncio.Event()
        self.gate.set()
        self.heard: list[tuple[str, TranscribeRequest]] = []  # every transcribe() call, waiting for a slot or not
        self.spoken: list[tuple[str, SpeechRequest]] = []  # every speak() call
        self.closed = False
        self._slots = asyncio.Semaphore(slots)

    async def capabilities(self, model: str) -> frozenset[str]:
        """The capabilities given at construction (transcription and speech by default)."""
        return self.caps

    def stream(self, model: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        """Raises MissingCapability: a speech model does not chat."""
        return no_chat(self.name, model)

    def busy(self, model: str) -> bool:
        """True while every slot is taken."""
        return self.running >= self.slots

    async def transcribe(self, model: str, request: TranscribeRequest) -> Transcript:
        """The next scripted transcript (or error), after a free slot and an open gate."""
        self.heard.append((model, request))
        async with self._slots:
            self.running += 1
            try:
                await self.gate.wait()
                item = self.transcripts.pop(0) if self.transcripts else self.default_transcript
            finally:
                self.running -= 1
        if isinstance(item, Exception):
            raise item
        if isinstance(item, Transcript):
            return item
        seconds = request.audio.seconds
        return Transcript(item, request.language, seconds=seconds, usage=Usage(audio_seconds=seconds))

    def speaks(self, model: str, language: str) -> bool:
        """True for a language in `languages` ("en-US" counts as "en")."""
        return language.lower().replace("_", "-").partition("-")[0] in self.languages

    async def speak(self, model: str, request: SpeechRequest) -> Speech:
        """The next scripted speech (or error); MissingCapability for a language it does not speak."""
        self.spoken.append((model, request))
        if not self.speaks(model, request.language):
            raise MissingCapability(f"{model} does not speak {request.language!r}", provider=self.name, model=model)
        item = self.speeches.pop(0) if self.speeches else b"OggS" + request.text.encode()
        if isinstance(item, Exception):
            raise item
        seconds = round(len(request.text) * SECONDS_PER_CHAR, 3)
        return Speech(item, seconds, usage=Usage(audio_seconds=seconds))

    async def aclose(self) -> None:
        """Mark the provider closed."""
        self.closed = True
