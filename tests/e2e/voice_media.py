"""What the voice end-to-end tests share: router.yaml with speech routes, recordings in other formats, checks."""
from __future__ import annotations

from functools import cache
from pathlib import Path

from i18n import translator
from router.testing.speech import long_silence, spoken_ogg, tone_file
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
    return tone_file(fmt, codec, seconds, rate=rate, video=video)


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
