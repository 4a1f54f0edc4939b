"""The speech side of FakeLLM: OpenAI's /v1/audio/transcriptions (multipart upload) and /v1/audio/speech."""
from __future__ import annotations

import asyncio
import email.parser
import email.policy
import io
import math
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from router.testing.openai_wire import _OpenAIWire
from router.testing.server import _RECORD, RecordedRequest

TRANSCRIPTION, SPEECH = "transcription", "speech"  # the capabilities a listed model needs here
MAX_SPEECH_INPUT = 4096  # characters /audio/speech takes, as OpenAI's
SPOKEN_CHARS_PER_SECOND = 15  # how fast the fake "speaks": a reply's length in seconds is len(input) / 15
_SPEECH_RATE = 24_000  # OpenAI's TTS models speak at 24 kHz
_FORMATS = ("json", "text", "verbose_json")


@dataclass(frozen=True, slots=True)
class Heard:
    """A scripted transcription: the text, and the language and duration the server reports (None = not sent)."""

    text: str
    language: str | None = None
    duration: float | None = None


class _AudioWire(_OpenAIWire):
    """Handlers for OpenAI's audio API under /v1 (routes are added in FakeLLM.start)."""

    async def _openai_transcriptions(self, request: web.Request) -> web.StreamResponse:
        record = request[_RECORD]
        _parse_multipart(record, request.headers.get("Content-Type", ""))
        form = record.json or {}
        model, language = str(form.get("model", "")), str(form.get("language", ""))
        response_format = str(form.get("response_format") or "json")
        upload = record.files.get("file")
        seconds = await asyncio.to_thread(_audio_seconds, upload[1]) if upload else None
        # Checked before the scripted failures and transcripts, so a refused request consumes neither.
        problem = self._transcription_problem(upload is not None, seconds, model, language, response_format)
        if problem is not None:
            return web.json_response(self._openai_error_body(problem, "invalid_request_error", None), status=400)
        if (failed := await self._audio_failure(request, model)) is not None:
            return failed
        heard = self._transcripts.pop(0) if self._transcripts else Heard(self.default_transcript)
        self._stamp(request, done=True)
        if response_format == "text":
            return web.Response(text=heard.text + "\n")
        body: dict[str, Any] = {"text": heard.text}
        if response_format == "verbose_json":
            body = {"task": "transcribe", "language": heard.language or language or "english",
                    "duration": heard.duration if heard.duration is not None else seconds, **body, "segments": []}
        else:  # json carries language and duration only when scripted (some self-hosted servers send them)
            body |= {k: v for k, v in (("language", heard.language), ("duration", heard.duration)) if v is not None}
        return web.json_response(body)

    def _transcription_problem(self, has_file: bool, seconds: float | None, model: str, language: str,
                               response_format: str) -> str | None:
        """Why a real Whisper API would answer 400; None when it would transcribe."""
        if not has_file:
            return "file is required"
        if not model:
            return "model is required"
        if (refused := self._audio_refusal(model, TRANSCRIPTION)) is not None:
            return refused
        if language and len(language) != 2:
            return f"language {language!r} is not an ISO-639-1 code"
        if response_format not in _FORMATS:
            return f"response_format must be one of {', '.join(_FORMATS)}"
        return "could not decode the audio file" if seconds is None else None

    async def _openai_speech(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        model, text = str(body.get("model", "")), body.get("input")
        response_format = str(body.get("response_format") or "mp3")  # OpenAI's default
        problem = self._speech_problem(model, body.get("voice"), text, response_format)
        if problem is not None or not isinstance(text, str):
            return web.json_response(self._openai_error_body(problem or "input is required", "invalid_request_error",
                                                             None), status=400)
        if (failed := await self._audio_failure(request, model)) is not None:
            return failed
        seconds = max(0.2, len(text) / SPOKEN_CHARS_PER_SECOND)  # never empty: even "." is a short sound
        data, mime = await asyncio.to_thread(_tone, seconds, response_format, len(text.split()))
        self._stamp(request, done=True)
        return web.Response(body=data, content_type=mime)

    def _speech_problem(self, model: str, voice: object, text: object, response_format: str) -> str | None:
        """Why a real speech API would answer 400; None when it would speak."""
        if not isinstance(text, str) or not text:
            return "input is required"
        if len(text) > MAX_SPEECH_INPUT:
            return f"input is longer than {MAX_SPEECH_INPUT} characters"
        if not voice:
            return "voice is required"
        if not model:
            return "model is required"
        if (refused := self._audio_refusal(model, SPEECH)) is not None:
            return refused
        # Real servers also speak mp3, aac, flac and pcm; the bot asks for opus only.
        if response_format not in ("opus", "wav"):
            return f"response_format {response_format!r}: this fake speaks opus and wav only"
        return None

    def _audio_refusal(self, model: str, capability: str) -> str | None:
        """Why a listed model cannot take this audio request (a chat model, say); unlisted names are accepted."""
        info = self.models.get(model)
        if info is not None and capability not in info.get("capabilities", ()):
            return f"model `{model}` does not support {capability}"
        return None

    async def _audio_failure(self, request: web.Request, model: str) -> web.StreamResponse | None:
        """Wait the audio delay, then answer with the next scripted failure, if one is queued."""
        if self.audio_delay > 0:
            try:
                await asyncio.wait_for(self._stopping.wait(), self.audio_delay)
            except TimeoutError:
                pass
        failure = self._failures.pop(0) if self._failures else None
        if failure is None:
            return None
        if (hung := await self._fail_prelude(request, failure, "application/json")) is not None:
            return hung
        if (err := self._openai_error(failure, model)) is not None:
            return err
        # cut, error_line: an answer that is not streamed breaks off or fails whole
        return self._drop(request) if failure.mode == "cut" else web.json_response(
            self._openai_error_body("model crashed", "server_error", None), status=500)


def _parse_multipart(record: RecordedRequest, content_type: str) -> None:
    """Fill the record's `json` with the form's text fields and `files` with its uploads (the body is read once,
    by the recording middleware, so aiohttp's own form reader has nothing left to read)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + record.raw)
    fields: dict[str, Any] = {}
    if message.is_multipart():
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not isinstance(name, str) or not isinstance(payload, bytes):
                continue
            filename = part.get_filename()
            if filename is None:
                fields[name] = payload.decode("utf-8", "replace")
            else:
                record.files[name] = (filename, payload)
    record.json = fields


def _audio_seconds(data: bytes) -> float | None:
    """The length of an audio file FFmpeg can decode (0.0 when it cannot tell); None when it is not one."""
    import av

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.audio:
                return None
            next(container.decode(audio=0))  # a corrupt file fails here, as a real server's decoder would
            return container.duration / av.time_base if container.duration else 0.0
    except (av.FFmpegError, StopIteration, UnicodeDecodeError):
        return None


def _tone(seconds: float, response_format: str, words: int) -> tuple[bytes, str]:
    """A quiet tone of `seconds`, a beat per word (so it is not one flat hum), as OGG/Opus or WAV."""
    import numpy as np

    t = np.arange(int(seconds * _SPEECH_RATE)) / _SPEECH_RATE
    beat = 0.5 + 0.5 * np.sign(np.sin(2 * math.pi * t * max(1, words) / seconds))
    samples = (3000 * np.sin(2 * math.pi * 220 * t) * beat).astype(np.int16)
    if response_format == "wav":
        import wave

        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(_SPEECH_RATE)
            w.writeframes(samples.tobytes())
        return out.getvalue(), "audio/wav"
    from router.providers._opus import encode_ogg_opus

    return encode_ogg_opus(samples, _SPEECH_RATE)[0], "audio/ogg"
