"""What the voice end-to-end tests share: router.yaml with speech routes, recordings in other formats, checks."""
from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import av
import numpy as np

from i18n import translator
from router.testing.speech import long_silence, spoken_ogg
from router.types import Audio
from tests.e2e.processes import stored

PRIVATE = 1001
GROUP = -100_777
UK = translator("uk")
EN = translator("en")

OLLAMA = ('ollama: {kind: ollama, base_url: "${OLLAMA_URL}", local: true,\n'
          '           timeouts: {connect: 1, first_token: 3, total: 20}}')
SPEECH = ('speech: {kind: openai, base_url: "${BACKUP_URL}", api_key_env: BACKUP_KEY,\n'
          '           models: {whisper-1: {capabilities: [transcription]}, tts-1: {capabilities: [speech]}}}')
# Speech through the fake's OpenAI endpoint (/v1/audio/transcriptions and /v1/audio/speech), chat on its Ollama side.
SPEECH_YAML = f"""
providers:
  {OLLAMA}
  {SPEECH}
rules:
  - when: {{mode: stt}}
    use: [speech:whisper-1]
  - when: {{mode: tts}}
    use: [speech:tts-1]
  - use: [ollama:qwen3:8b]
"""


@cache
def note() -> Audio:
    """A short English voice note (what it says does not matter where the fake API transcribes it)."""
    return spoken_ogg("Hello there.")


def heard(text: str, tr=UK) -> str:
    """The quote above an answer to a voice note."""
    return tr("voice_heard", text=text)


def too_long(seconds: float, tr=UK) -> str:
    return tr("voice_too_long", limit=tr.wait(seconds))


def encoded(fmt: str, codec: str, seconds: float = 2.0, *, rate: int = 16_000, video: bool = False) -> bytes:
    """`seconds` of a tone as FFmpeg's `fmt` muxer writes it with `codec` (with a small video track if asked)."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout="mono")
        picture = None
        if video:  # a round video note: video beside the sound (every stream exists before the first mux)
            picture = container.add_stream("mpeg4", rate=25)
            picture.width = picture.height = 64
            picture.pix_fmt = "yuv420p"
        t = np.arange(int(seconds * rate)) / rate
        samples = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = rate
        target = stream.codec_context.format.name if stream.codec_context.format else "s16"
        resampler = av.AudioResampler(format=target, layout="mono", rate=rate)
        for piece in (*resampler.resample(frame), *resampler.resample(None)):
            container.mux(stream.encode(piece))
        container.mux(stream.encode(None))
        if picture is not None:
            for i in range(int(seconds * 25)):
                still = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
                still.pts = i
                container.mux(picture.encode(still))
            container.mux(picture.encode(None))
    return out.getvalue()


def long_opus(seconds: float) -> bytes:
    """A real `seconds`-long OGG/Opus recording of silence, made in a blink."""
    return long_silence(seconds)


def user_rows(tmp: Path, database_url: str | None = None) -> list[tuple[str, str, str]]:
    """(text, status, mode) of every stored user message, oldest first (default: the SQLite file in `tmp`)."""
    return stored(database_url or f"sqlite:///{tmp}/dagi.db",
                  "select text, status, mode from messages where role = 'user' order by id")


def last_user_text(request) -> str:
    """What the chat model was asked last in a recorded request."""
    return request.json["messages"][-1]["content"]
