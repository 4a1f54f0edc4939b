"""In-process speech-to-text on faster-whisper (CTranslate2): the local first choice of route `stt`."""
from __future__ import annotations

import asyncio
import importlib.util
import io
import logging
import threading
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from router.errors import BadAudio, ProviderBusy, ProviderError, ProviderTimeout, ProviderUnavailable
from router.provider import TRANSCRIPTION
from router.providers._speech import FIX, in_thread, labelled, no_chat
from router.timeouts import Timeouts
from router.types import ChatRequest, Delta, TranscribeRequest, Transcript, Usage

log = logging.getLogger(__name__)

# Measured on espeak-ng English (12 sentences, 38 s, 2 cores): beam 5 took no longer than greedy decoding
# on base (RTF 0.26-0.33 both) and cut WER from 0.105 to 0.081 (tiny.en: 0.153 → 0.105, ~15% slower).
BEAM_SIZE = 5
NO_SPEECH = 0.6  # a segment Whisper itself thinks more likely silence than speech
# Uncertain below these, tuned on espeak-ng speech with base (beam 5). English with the words right:
# avg_logprob -0.24 … -0.78 (one-word "Yes." -0.94), language probability 0.41 … 0.96 (short phrases low).
# Other languages it garbled: -0.95 … -1.47, or a language guess of 0.26 … 0.31; tiny.en hearing
# "Thank you very much." in Ukrainian: -0.91. The usual (-1.0, 0.5) let 3 of 8 garbled clips through
# and marked 4 right English phrases; these catch 7 of 8 and mark only "Yes.".
MIN_LOGPROB = -0.9
MIN_LANGUAGE_PROBABILITY = 0.35


@dataclass(frozen=True, slots=True)
class Heard:
    """What the model returned, before it is judged: segments as (text, avg_logprob, tokens, no_speech_prob)."""

    segments: tuple[tuple[str, float, int, float], ...]
    language: str
    language_probability: float
    duration: float
    multilingual: bool


def judge(heard: Heard) -> tuple[str, bool]:
    """The transcript's text ("" for no speech) and whether it is uncertain."""
    spoken = [s for s in heard.segments if s[3] <= NO_SPEECH]
    text = " ".join(t for s in spoken if (t := s[0].strip()))
    if not text:
        return "", False
    tokens = sum(max(s[2], 1) for s in spoken)
    logprob = sum(s[1] * max(s[2], 1) for s in spoken) / tokens  # per token, so a short aside weighs little
    unsure_language = heard.multilingual and heard.language_probability < MIN_LANGUAGE_PROBABILITY
    return text, unsure_language or logprob < MIN_LOGPROB


class WhisperProvider:
    """Whisper models in this process; at most `max_concurrency` transcriptions at a time."""

    def __init__(self, name: str = "whisper", data_dir: str | Path = "data", *, local: bool = True,
                 max_concurrency: int = 1, threads: int = 2, timeouts: Timeouts = Timeouts(),
                 beam_size: int = BEAM_SIZE) -> None:
        self.name = name
        self.local = local
        self.data_dir = Path(data_dir)
        self.max_concurrency = max_concurrency
        self.threads = threads
        self.timeouts = timeouts
        self.beam_size = beam_size
        self.loads = 0  # models loaded so far (tests and the benchmark read it)
        self._models: dict[str, asyncio.Future[Any]] = {}
        self._slots = asyncio.Semaphore(max_concurrency)
        self._running = 0

    async def capabilities(self, model: str) -> frozenset[str]:
        """Speech to text only."""
        return frozenset({TRANSCRIPTION})

    def stream(self, model: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        """Raises MissingCapability: a speech model does not chat."""
        return no_chat(self.name, model)

    def busy(self, model: str) -> bool:
        """True while every slot is taken (the slots are the provider's: its models share the same cores)."""
        return self._running >= self.max_concurrency

    async def transcribe(self, model: str, request: TranscribeRequest) -> Transcript:
        """What `request.audio` says; BadAudio when it cannot be decoded, ProviderBusy when no slot frees within
        timeouts.total, ProviderTimeout when the work itself takes longer than that."""
        began = time.perf_counter()
        deadline = asyncio.get_running_loop().time() + self.timeouts.total
        try:
            heard = await self._transcribe(model, request.audio.data, deadline)
        except ProviderError as exc:
            raise labelled(exc, self.name, model) from None
        text, uncertain = judge(heard)
        latency = (time.perf_counter() - began) * 1000
        language = heard.language if text else ""  # a guess made on silence says nothing
        return Transcript(text, language, uncertain, heard.duration, self.name, model,
                          Usage(latency_ms=latency, audio_seconds=heard.duration))

    async def _transcribe(self, model: str, data: bytes, deadline: float) -> Heard:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError:
            # Busy, not broken: no breaker verdict (router.speech), and the user hears "try again later".
            raise ProviderBusy(f"every slot stayed busy for {self.timeouts.total:g}s") from None
        deadline = loop.time() + self.timeouts.total  # the wait for a slot does not eat into the work's own time
        self._running += 1
        handed = False
        try:
            try:
                async with asyncio.timeout_at(deadline):
                    whisper = await self._load(model)
            except TimeoutError:
                raise ProviderTimeout(f"model {model} did not load within {self.timeouts.total:g}s") from None
            handed = True  # from here the worker thread frees the slot when it ends
            return await in_thread(lambda stop: _run(whisper, data, self.beam_size, stop),
                                   total=max(0.0, deadline - loop.time()), release=self._release)
        finally:
            if not handed:
                self._release()

    def _release(self) -> None:
        self._running -= 1
        self._slots.release()

    async def _load(self, model: str) -> Any:
        loading = self._models.get(model)
        if loading is None:
            loading = self._models[model] = asyncio.ensure_future(asyncio.to_thread(self._load_sync, model))
        try:
            # Shielded: a caller timing out must not throw away a load that is half done.
            return await asyncio.shield(loading)
        except ProviderError:
            if self._models.get(model) is loading:
                del self._models[model]  # let a later call try again (e.g. after installing the package)
            raise

    def _load_sync(self, model: str) -> Any:
        from base import ConfigError
        from router.whisper_model import whisper_model_dir

        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ProviderUnavailable(f"faster-whisper is not installed; {FIX}") from None
        try:
            path = whisper_model_dir(model, self.data_dir)
        except (ConfigError, OSError) as exc:  # OSError: a data dir it cannot write the assembled model into
            raise ProviderUnavailable(str(exc)) from None
        began = time.perf_counter()
        try:
            # num_workers: CTranslate2 runs that many transcriptions truly in parallel, one per slot.
            whisper = WhisperModel(str(path), device="cpu", compute_type="int8", cpu_threads=self.threads,
                                   num_workers=self.max_concurrency, local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ProviderUnavailable(f"cannot load Whisper model {path}: {exc}") from None
        self.loads += 1
        log.info("Whisper %s loaded from %s in %.1fs (threads=%d)", model, path, time.perf_counter() - began,
                 self.threads)
        return whisper

    async def ping(self) -> None:
        """Cheap: faster-whisper is installed (loading a model would take seconds)."""
        if importlib.util.find_spec("faster_whisper") is None:
            raise ProviderUnavailable(f"faster-whisper is not installed; {FIX}", provider=self.name)

    async def aclose(self) -> None:
        """Forget the loaded models; a transcription still running keeps its own reference until it ends."""
        self._models.clear()


def _run(whisper: Any, data: bytes, beam_size: int, stop: threading.Event) -> Heard:
    """Worker thread: decode the recording and transcribe it, stopping between segments once `stop` is set."""
    import av
    from faster_whisper import decode_audio

    try:
        audio = decode_audio(io.BytesIO(data))
    except (av.FFmpegError, IndexError, ValueError) as exc:  # IndexError: a container without an audio stream
        raise BadAudio(f"cannot decode the recording: {exc}") from None
    if not audio.size:
        raise BadAudio("the recording holds no audio")
    multilingual = bool(whisper.model.is_multilingual)
    # An English-only model is told so. A multilingual one detects the language: forcing the user's usual
    # language onto speech in another makes Whisper translate or garble it instead of transcribing.
    kept = []
    try:
        segments, info = whisper.transcribe(audio, language=None if multilingual else "en", beam_size=beam_size,
                                            vad_filter=True)
        for s in segments:  # a generator: each 30 s window is decoded only when asked for
            kept.append((s.text, s.avg_logprob, len(s.tokens), s.no_speech_prob))
            if stop.is_set():
                break
    except (RuntimeError, ValueError, MemoryError, OSError) as exc:  # CTranslate2/ONNX failing: the model's fault,
        # a ProviderError so the route goes on to its next target and the breaker hears of it
        raise ProviderUnavailable(f"Whisper failed: {type(exc).__name__}: {exc}") from None
    return Heard(tuple(kept), info.language, info.language_probability, info.duration, multilingual)
