"""bench/voice.py's model side: each local Whisper model on espeak-ng speech (in a fresh process, so its memory is its
own), and the local TTS engines' time per second of speech."""
from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.voice_text import Heard
from router.providers.whisper import WhisperProvider
from router.types import Audio, SpeechRequest, TranscribeRequest, Transcript

Clips = dict[str, list[tuple[str, Audio]]]  # set name → (reference sentence, voice note)


def clips(sentences: tuple[str, ...], voice: str) -> list[tuple[str, Audio]]:
    """Each sentence spoken by espeak-ng's `voice`, as an OGG/Opus voice note like Telegram's."""
    from router.testing.speech import spoken_ogg

    return [(s, spoken_ogg(s, voice)) for s in sentences]


@dataclass(frozen=True, slots=True)
class ModelRun:
    """One Whisper model in its own process: load, memory and every clip heard."""

    model: str
    locate: float  # seconds to find the model (and, for base, assemble it on the first run ever)
    load: float  # first call − the same clip again: loading the model and its first-call warm-up
    rss_libs_mb: float  # the process after importing faster-whisper and PyAV, before any model
    rss_load_mb: float  # growth after the first transcription (the model loaded)
    rss_end_mb: float  # growth after every clip
    heard: dict[str, list[Heard]] = field(default_factory=dict)


def run_stt(model: str, data_dir: Path, threads: int, sets: Clips) -> ModelRun:
    """Transcribe `sets` with `model` in a fresh process (spawned: no memory or threads shared with this one)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_stt_child, model, data_dir, threads, sets).result()


def _stt_child(model: str, data_dir: Path, threads: int, sets: Clips) -> ModelRun:
    return asyncio.run(_stt(model, data_dir, threads, sets))


async def _stt(model: str, data_dir: Path, threads: int, sets: Clips) -> ModelRun:
    import av  # noqa: F401  # loaded before the baseline: the libraries' memory is not the model's
    import faster_whisper  # noqa: F401

    from router.whisper_model import whisper_model_dir

    me = psutil.Process()
    t = time.perf_counter()
    whisper_model_dir(model, data_dir)
    locate = time.perf_counter() - t
    rss0 = me.memory_info().rss
    provider = WhisperProvider(data_dir=data_dir, threads=threads)
    warm = next(iter(sets.values()))[0][1]
    first, again = (await _timed(provider, model, warm))[1], (await _timed(provider, model, warm))[1]
    rss1 = me.memory_info().rss
    heard: dict[str, list[Heard]] = {}
    for name, items in sets.items():
        heard[name] = []
        for reference, audio in items:
            transcript, seconds = await _timed(provider, model, audio)
            heard[name].append(Heard(reference, transcript.text, transcript.uncertain, transcript.language,
                                     audio.seconds, seconds))
    mb = 2**20
    return ModelRun(model, locate, first - again, rss0 / mb, (rss1 - rss0) / mb, (me.memory_info().rss - rss0) / mb,
                    heard)


async def _timed(provider: WhisperProvider, model: str, audio: Audio) -> tuple[Transcript, float]:
    t = time.perf_counter()
    transcript = await provider.transcribe(model, TranscribeRequest(audio))
    return transcript, time.perf_counter() - t


@dataclass(frozen=True, slots=True)
class TtsRun:
    """One TTS engine and language: the first call (with any load), then seconds of work per second of speech."""

    engine: str
    language: str
    first: float
    first_speech: float
    per_second: float  # warm calls: processing time / speech produced
    p50_call: float
    speech: float  # seconds of speech of the warm calls
    rss_mb: float  # this process's growth over the first call (the voice loaded)


async def run_tts(engine: str, language: str, sentences: tuple[str, ...]) -> TtsRun:
    """Speak `sentences` (the first call apart: it loads the voice) and time it."""
    from router.providers.espeak_tts import EspeakProvider
    from router.providers.piper_tts import PiperProvider

    provider = PiperProvider() if engine == "piper" else EspeakProvider()
    model = "joe" if engine == "piper" else "default"
    me = psutil.Process()
    rss0 = me.memory_info().rss
    times, spoken = [], []
    for text in sentences:
        t = time.perf_counter()
        speech = await provider.speak(model, SpeechRequest(text, language=language))
        times.append(time.perf_counter() - t)
        spoken.append(speech.seconds)
        if len(times) == 1:
            rss1 = me.memory_info().rss
    await provider.aclose()
    warm, warm_speech = times[1:], sum(spoken[1:])
    return TtsRun(engine, language, times[0], spoken[0], sum(warm) / warm_speech if warm_speech else float("nan"),
                  statistics.median(warm) if warm else float("nan"), warm_speech, (rss1 - rss0) / 2**20)
