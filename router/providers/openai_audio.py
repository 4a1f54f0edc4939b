"""Speech over an OpenAI-compatible API: /audio/transcriptions (Whisper on Groq, OpenAI, vLLM…) and /audio/speech."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import openai

from router.errors import AudioTooLarge, ProviderError, ProviderUnavailable
from router.providers._errors import one_shot
from router.types import Speech, SpeechRequest, TranscribeRequest, Transcript, Usage

if TYPE_CHECKING:
    from router.timeouts import Timeouts

MAX_UPLOAD_BYTES = 25 * 1024 * 1024  # OpenAI's and Groq's (free tier) upload limit for /audio/transcriptions
DEFAULT_VOICE = "alloy"  # one of OpenAI's built-in voices; every one of them speaks Ukrainian and English

# Whisper servers that report the language (vLLM, faster-whisper servers, verbose forms) name it in full.
_LANGUAGE_CODES = {
    "english": "en", "ukrainian": "uk", "russian": "ru", "polish": "pl", "german": "de", "french": "fr",
    "spanish": "es", "italian": "it", "portuguese": "pt", "czech": "cs", "slovak": "sk", "romanian": "ro",
    "hungarian": "hu", "belarusian": "be", "turkish": "tr", "hebrew": "he", "japanese": "ja", "chinese": "zh",
}

Translate = Callable[[BaseException], ProviderError]


async def transcribe(client: openai.AsyncOpenAI, model: str, request: TranscribeRequest, *, provider: str,
                     translate: Translate, timeouts: Timeouts) -> Transcript:
    """The text heard in `request.audio`, as multipart `file`, `model`, `language`, `response_format=json`."""
    audio = request.audio
    if len(audio.data) > MAX_UPLOAD_BYTES:
        # Refused here: the server would read the whole upload only to answer 413.
        raise AudioTooLarge(f"{len(audio.data) / 2**20:.1f} MB is over the API's {MAX_UPLOAD_BYTES // 2**20} MB",
                            limit=MAX_UPLOAD_BYTES, provider=provider, model=model)
    started = time.perf_counter()
    async with one_shot(translate, provider=provider, model=model, total=timeouts.total):
        # The file name's extension is how the server tells the container (ogg, mp3, m4a…).
        result = await client.audio.transcriptions.create(
            file=(f"voice.{audio.format or 'ogg'}", audio.data), model=model,
            language=request.language or openai.omit, response_format="json",
        )
    seconds = audio.seconds or _reported_seconds(result)  # what we measured, so every target counts alike
    return Transcript(
        text=(result.text or "").strip(), language=_reported_language(result) or request.language, seconds=seconds,
        provider=provider, model=model,
        usage=Usage(latency_ms=(time.perf_counter() - started) * 1000, audio_seconds=seconds),
    )


async def speak(client: openai.AsyncOpenAI, model: str, request: SpeechRequest, *, voice: str, provider: str,
                translate: Translate, timeouts: Timeouts) -> Speech:
    """`request.text` spoken by `voice`, as OGG/Opus (what sendVoice takes)."""
    from router.providers._opus import ogg_seconds

    started = time.perf_counter()
    async with one_shot(translate, provider=provider, model=model, total=timeouts.total):
        response = await client.audio.speech.create(model=model, voice=voice, input=request.text,
                                                    response_format="opus")
        data = response.content
    if not data.startswith(b"OggS"):
        # Telegram plays only OGG/Opus as a voice message; a server that sent MP3 or raw Opus cannot serve here.
        raise ProviderUnavailable(f"speech is not OGG/Opus ({len(data)} bytes)", provider=provider, model=model)
    seconds = await asyncio.to_thread(ogg_seconds, data)  # PyAV's first import is slow: off the event loop
    return Speech(data=data, seconds=seconds, provider=provider, model=model,
                  usage=Usage(latency_ms=(time.perf_counter() - started) * 1000, audio_seconds=seconds))


def _extra(result: Any, name: str) -> Any:
    """A field the SDK's model does not declare (pydantic keeps unknown fields as extras)."""
    return (getattr(result, "model_extra", None) or {}).get(name)


def _reported_language(result: Any) -> str:
    """The language code the server says it heard: `language` (a code or Whisper's full name) or `languages`."""
    value = _extra(result, "language")
    if not isinstance(value, str) or not value.strip():
        found = getattr(result, "languages", None) or ()
        value = next((getattr(lang, "code", "") for lang in found), "")
    value = value.strip().lower()
    return value if len(value) == 2 else _LANGUAGE_CODES.get(value, "")


def _reported_seconds(result: Any) -> float:
    """The audio's length the server reports: `duration`, or usage billed by duration; 0.0 when neither."""
    duration = _extra(result, "duration")
    if isinstance(duration, (int, float)) and duration > 0:
        return float(duration)
    usage = getattr(result, "usage", None)
    seconds = getattr(usage, "seconds", None) if getattr(usage, "type", None) == "duration" else None
    return float(seconds) if isinstance(seconds, (int, float)) else 0.0
