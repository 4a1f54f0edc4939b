"""espeak-ng as the last-resort voice: Ukrainian and English voice notes, text never taken for options, bounded."""
from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from router.errors import MissingCapability, ProviderTimeout, ProviderUnavailable
from router.provider import SPEECH, Synthesizer
from router.providers import espeak_tts
from router.providers.espeak_tts import EspeakProvider
from router.testing.speech import voice_note_info
from router.timeouts import Timeouts
from router.types import SpeechRequest

if shutil.which("espeak-ng") is None:
    pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)", allow_module_level=True)


@pytest.mark.parametrize(("language", "text"), [("uk", "Доброго ранку! Тренування починається о сьомій."),
                                                ("en", "Good morning! Your training starts at seven.")])
async def test_ukrainian_and_english_are_spoken_as_opus_voice_notes(language: str, text: str) -> None:
    speech = await EspeakProvider("espeak").speak("default", SpeechRequest(text, language=language))
    container, codec, seconds = voice_note_info(speech.data)
    assert (container, codec) == ("ogg", "opus")
    assert seconds > 1.5 and speech.seconds == pytest.approx(seconds, abs=0.1)
    assert (speech.provider, speech.model) == ("espeak", "default")
    assert speech.usage is not None and speech.usage.audio_seconds == speech.seconds


async def test_text_that_looks_like_options_is_spoken() -> None:
    # As argv words these would print the help (no WAV at all) or switch the voice and write a file.
    text = "--help -w /tmp/x.wav -v de minus one is less than zero"
    speech = await EspeakProvider("espeak").speak("default", SpeechRequest(text, language="en"))
    assert voice_note_info(speech.data)[:2] == ("ogg", "opus")
    assert speech.seconds > 2.5  # every word read out, not one option swallowed quietly


async def test_a_language_espeak_lists_is_spoken_without_configuration() -> None:
    espeak = EspeakProvider("espeak", voices={})
    assert espeak.speaks("default", "de") and espeak.speaks("default", "en-GB")
    speech = await espeak.speak("default", SpeechRequest("Guten Morgen", language="de"))
    assert voice_note_info(speech.data)[2] > 0.5


async def test_an_unknown_language_is_missing_capability() -> None:
    espeak = EspeakProvider("espeak")
    assert not espeak.speaks("default", "xx") and await espeak.capabilities("default") == frozenset({SPEECH})
    assert isinstance(espeak, Synthesizer)
    with pytest.raises(MissingCapability, match="no voice for language 'xx'") as info:
        await espeak.speak("default", SpeechRequest("hello", language="xx"))
    assert (info.value.provider, info.value.model) == ("espeak", "default")


async def test_a_missing_binary_is_unavailable_with_the_fix() -> None:
    espeak = EspeakProvider("espeak", binary="espeak-ng-not-installed")
    assert espeak.speaks("default", "uk")  # configured: it would, if it were installed
    with pytest.raises(ProviderUnavailable, match="espeak-ng-not-installed not found; install it with: apt-get"):
        await espeak.speak("default", SpeechRequest("Привіт", language="uk"))
    with pytest.raises(ProviderUnavailable):
        await espeak.ping()


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-espeak"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return str(path)


async def test_a_hanging_binary_times_out_and_is_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pid"
    espeak = EspeakProvider("espeak", binary=script(tmp_path, f"echo $$ > {pids}; exec sleep 60"),
                            timeouts=Timeouts(total=0.5))
    with pytest.raises(ProviderTimeout):
        await espeak.speak("default", SpeechRequest("hello", language="en"))
    pid = int(pids.read_text())
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


async def test_a_failing_binary_is_unavailable_with_its_words(tmp_path: Path) -> None:
    espeak = EspeakProvider("espeak", binary=script(tmp_path, "echo 'voice data missing' >&2; exit 1"))
    with pytest.raises(ProviderUnavailable, match="failed \\(1\\): voice data missing"):
        await espeak.speak("default", SpeechRequest("hello", language="en"))


async def test_output_that_is_not_wav_is_unavailable(tmp_path: Path) -> None:
    espeak = EspeakProvider("espeak", binary=script(tmp_path, "echo 'not a wav'"))
    with pytest.raises(ProviderUnavailable, match="no usable WAV"):
        await espeak.speak("default", SpeechRequest("hello", language="en"))


async def test_the_wav_is_read_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    # wav_pcm imports numpy on its first call (a tenth of a second): never on the loop every chat shares.
    threads = []
    real = espeak_tts.wav_pcm

    def spy(data: bytes) -> Any:
        threads.append(threading.current_thread())
        return real(data)

    monkeypatch.setattr(espeak_tts, "wav_pcm", spy)
    await EspeakProvider("espeak").speak("default", SpeechRequest("Привіт", language="uk"))
    assert threads and threading.main_thread() not in threads
