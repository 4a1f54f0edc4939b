"""Text-to-speech with Debian's espeak-ng: robotic, but every language it knows, Ukrainian too; the last resort."""
from __future__ import annotations

import asyncio
import io
import logging
import re
import shutil
import subprocess
import time
import wave
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING

from router.errors import MissingCapability, ProviderError, ProviderTimeout, ProviderUnavailable
from router.provider import SPEECH
from router.providers._speech import labelled, no_chat, voice_for
from router.timeouts import Timeouts
from router.types import ChatRequest, Delta, Speech, SpeechRequest, Usage

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

_OTHER = re.compile(r"\((\S+) \d+\)")  # the "Other Languages" column: (en 2)(zh 5)
_FIX = "install it with: apt-get install espeak-ng (or set `binary:` to its path)"


def wav_pcm(data: bytes) -> tuple[np.ndarray, int]:
    """The int16 samples of a mono 16-bit WAV file, and its rate; ValueError when it is not one."""
    import numpy as np

    try:
        with wave.open(io.BytesIO(data)) as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise ValueError(f"expected mono 16-bit WAV, got {wav.getnchannels()} channel(s) of "
                                 f"{wav.getsampwidth()} byte(s)")
            rate = wav.getframerate()
            # espeak-ng --stdout writes a streaming header (sizes 0x7fff…): read frames until the data ends.
            frames = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ValueError(f"not a WAV file: {exc}") from None
    return np.frombuffer(frames[: len(frames) // 2 * 2], dtype="<i2").astype(np.int16), rate


def _as_opus(wav: bytes, chars: int) -> tuple[bytes, float]:
    """Worker thread: espeak-ng's WAV as OGG/Opus and its seconds; MissingCapability when it said nothing."""
    from router.providers._opus import encode_ogg_opus

    samples, rate = wav_pcm(wav)
    if not samples.size:
        raise MissingCapability(f"espeak-ng said nothing for {chars} characters")
    return encode_ogg_opus(samples, rate)


def listed_languages(binary: str = "espeak-ng") -> frozenset[str]:
    """Every language code `espeak-ng --voices` names, its voices' own and their other languages ("(en 2)")."""
    path = shutil.which(binary)
    if path is None:
        return frozenset()
    try:
        listing = subprocess.run([path, "--voices"], capture_output=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("%s --voices failed: %s", binary, exc)
        return frozenset()
    codes: set[str] = set()
    for line in listing.decode(errors="replace").splitlines()[1:]:  # the first line is the column header
        fields = line.split()
        if len(fields) > 1:
            codes.add(fields[1].lower())
            codes.update(code.lower() for code in _OTHER.findall(line))
    return frozenset(codes)


class EspeakProvider:
    """Runs espeak-ng once per answer; `voices` maps a language code to an espeak-ng voice."""

    def __init__(self, name: str = "espeak", *, local: bool = True, binary: str = "espeak-ng",
                 voices: Mapping[str, str] | None = None, rate: int | None = None,
                 timeouts: Timeouts = Timeouts()) -> None:
        self.name = name
        self.local = local
        self.binary = binary
        self.voices = {k.lower(): v for k, v in (voices if voices is not None else {"uk": "uk", "en": "en-us"}).items()}
        self.rate = rate  # words per minute; None = espeak-ng's default (175)
        self.timeouts = timeouts
        self._languages: frozenset[str] | None = None

    async def capabilities(self, model: str) -> frozenset[str]:
        """Text to speech only."""
        return frozenset({SPEECH})

    def stream(self, model: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        """Raises MissingCapability: a speech model does not chat."""
        return no_chat(self.name, model)

    async def speak(self, model: str, request: SpeechRequest) -> Speech:
        """`request.text` spoken in `request.language`, as OGG/Opus."""
        began = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeouts.total):
                if self._languages is None and request.language not in self.voices:
                    await asyncio.to_thread(self.languages)  # asked once, and not on the event loop
                voice = self._voice(request.language)
                if voice is None:
                    raise MissingCapability(f"espeak-ng has no voice for language {request.language!r}")
                wav = await self._run(voice, request.text)
                # numpy's first import and the WAV parsing are off the event loop too, not only the encoding
                data, seconds = await asyncio.to_thread(_as_opus, wav, len(request.text))
        except TimeoutError:
            raise ProviderTimeout(f"espeak-ng gave no speech within {self.timeouts.total:g}s",
                                  provider=self.name, model=model) from None
        except ValueError as exc:
            raise ProviderUnavailable(f"espeak-ng wrote no usable WAV: {exc}", provider=self.name,
                                      model=model) from None
        except ProviderError as exc:
            raise labelled(exc, self.name, model) from None
        latency = (time.perf_counter() - began) * 1000
        return Speech(data, seconds, self.name, model, Usage(latency_ms=latency, audio_seconds=seconds))

    def speaks(self, model: str, language: str) -> bool:
        """True for a configured language, or one `espeak-ng --voices` lists."""
        return self._voice(language) is not None

    def _voice(self, language: str) -> str | None:
        """The configured voice; else espeak-ng's own for the code (en-gb); else the configured one for en."""
        code = language.strip().lower().replace("_", "-")
        if code in self.voices:
            return self.voices[code]
        if code and code in self.languages():
            return code
        return voice_for(self.voices, code)

    def languages(self) -> frozenset[str]:
        """The language codes `espeak-ng --voices` lists; asked once (a few milliseconds), empty without it."""
        if self._languages is None:
            self._languages = listed_languages(self.binary)
        return self._languages

    async def _run(self, voice: str, text: str) -> bytes:
        speed = ("-s", str(self.rate)) if self.rate else ()
        # The text goes on stdin, never into argv: a sentence starting with "-" must not become an option.
        return await self._exec("-v", voice, *speed, "--stdout", stdin=text.encode())

    async def _exec(self, *args: str, stdin: bytes | None = None) -> bytes:
        binary = shutil.which(self.binary)
        if binary is None:
            raise ProviderUnavailable(f"{self.binary} not found; {_FIX}")
        proc = await asyncio.create_subprocess_exec(
            binary, *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        try:
            out, err = await proc.communicate(stdin)
        except BaseException:  # a timeout or cancellation: no orphaned espeak-ng left speaking
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            raise
        if proc.returncode != 0:
            problem = " ".join(err.decode(errors="replace").split())[:300]
            raise ProviderUnavailable(f"{self.binary} {' '.join(args[:2])} failed ({proc.returncode}): {problem}")
        return out

    async def ping(self) -> None:
        """Cheap: the binary is on PATH."""
        if shutil.which(self.binary) is None:
            raise ProviderUnavailable(f"{self.binary} not found; {_FIX}", provider=self.name)

    async def aclose(self) -> None:
        """Nothing held between calls."""
