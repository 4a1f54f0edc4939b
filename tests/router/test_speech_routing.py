"""Speech routing (modes stt and tts): fallback, breakers, hybrid by load, privacy, switches, quotas, usage rows."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest
from sqlalchemy import select

from router.breaker import BreakerPolicy, CircuitBreakers
from router.core import ModelRouter
from router.errors import (
    AllTargetsFailed,
    AudioTooLarge,
    BadAudio,
    LocalOnlyUnavailable,
    MissingCapability,
    OverQuota,
    ProviderBusy,
    ProviderUnavailable,
)
from router.provider import SPEECH, TRANSCRIPTION, Provider
from router.quotas import ProviderLimits, UsageGuard
from router.rules import Rule
from router.testing import ScriptedProvider
from router.testing.scripted_speech import ScriptedSpeech
from router.types import Audio, SpeechRequest, Target, TranscribeRequest, Transcript
from storage.models import Usage as UsageModel
from storage.usage import UsageLedger

CLIP = Audio(b"OggS voice note", "ogg", 6.2)
LOCAL, CLOUD = Target("local", "whisper-base"), Target("cloud", "whisper-1")
PIPER, ESPEAK = Target("piper", "joe"), Target("espeak", "uk")


WHO = {"agent": "helion", "user_id": 7, "chat_id": 7, "bot": "main"}


def heard(**kw: object) -> TranscribeRequest:
    return TranscribeRequest(CLIP, language="uk", **{**WHO, **kw})


def said(text: str = "Сонячно і тепло.", language: str = "uk", **kw: object) -> SpeechRequest:
    return SpeechRequest(text, language, **{**WHO, **kw})


def routed(providers: dict[str, Provider], *, stt: Sequence[Target] = (), tts: Sequence[Target] = (),
           failures: int = 3, usage: UsageGuard | None = None) -> ModelRouter:
    """A router with an `stt` and a `tts` rule beside a chat catch-all."""
    rules = [Rule(stt, mode=frozenset({"stt"}), index=0, name="stt"),
             Rule(tts, mode=frozenset({"tts"}), index=1, name="tts"),
             Rule((Target("chat", "m"),), index=2, name="chat")]
    return ModelRouter({**providers, "chat": ScriptedProvider("chat")}, rules=rules, usage=usage,
                       breakers=CircuitBreakers(BreakerPolicy(failures=failures)))


def speech(name: str, **kw: object) -> ScriptedSpeech:
    return ScriptedSpeech(name, **kw)


async def rows(ledger: UsageLedger) -> list[tuple[str, str, str, str, float]]:
    """(mode, provider, model, outcome, audio seconds) of every usage row, oldest first."""
    found = await ledger.db.run(lambda c: c.execute(
        select(UsageModel.mode, UsageModel.provider, UsageModel.model, UsageModel.outcome, UsageModel.audio_seconds)
        .order_by(UsageModel.id)).all())
    return [tuple(r) for r in found]


async def until(holds: Callable[[], bool], *, while_running: asyncio.Task[Transcript] | None = None) -> None:
    """Let other tasks run until `holds()`; fail if `while_running` ends first or it never holds."""
    for _ in range(1000):  # loop turns, not seconds: the fakes need a handful
        if holds():
            return
        if while_running is not None and while_running.done():
            while_running.result()  # its error, if it failed
            pytest.fail("the request finished before the expected state was reached")
        await asyncio.sleep(0)
    pytest.fail("the expected state was never reached")


async def occupied(provider: ScriptedSpeech) -> asyncio.Task[Transcript]:
    """A transcription that holds `provider`'s only slot until the test sets its gate."""
    provider.gate.clear()
    holder = asyncio.create_task(provider.transcribe("whisper-base", heard(agent="holder")))
    await until(lambda: provider.busy("whisper-base"))
    return holder


def routed_here(provider: ScriptedSpeech) -> list[TranscribeRequest]:
    """The routed requests (not the slot holder's) that reached `provider`."""
    return [request for _, request in provider.heard if request.agent != "holder"]


# -- stt: order, fallback, breakers ---------------------------------------------


async def test_the_local_transcriber_answers_and_its_seconds_reach_the_usage_row(ledger: UsageLedger) -> None:
    local, cloud = speech("local", transcripts=["Привіт, як справи?"]), speech("cloud", local=False)
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD], usage=UsageGuard(ledger))
    got = await router.transcribe(heard())
    assert (got.text, got.provider, got.model) == ("Привіт, як справи?", "local", "whisper-base")
    assert [m for m, _ in local.heard] == ["whisper-base"] and cloud.heard == []
    assert await rows(ledger) == [("stt", "local", "whisper-base", "ok", 6.2)]


async def test_a_failing_local_transcriber_falls_back_and_its_breaker_opens(ledger: UsageLedger) -> None:
    local = speech("local", transcripts=[ProviderUnavailable("connection refused")])
    cloud = speech("cloud", local=False, transcripts=["перше", "друге"])
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD], failures=1, usage=UsageGuard(ledger))
    first = await router.transcribe(heard())
    assert (first.text, first.provider, first.model) == ("перше", "cloud", "whisper-1")
    assert router.breakers.state(LOCAL).status == "open"
    second = await router.transcribe(heard())
    assert (second.text, second.provider) == ("друге", "cloud")
    assert len(local.heard) == 1  # the open circuit kept the second request away from the local model
    assert await rows(ledger) == [("stt", "local", "whisper-base", "unavailable", 0.0),
                                  ("stt", "cloud", "whisper-1", "ok", 6.2),
                                  ("stt", "cloud", "whisper-1", "ok", 6.2)]


async def test_the_breaker_opens_only_after_the_policys_count_of_failures() -> None:
    local = speech("local", transcripts=[ProviderUnavailable("down"), ProviderUnavailable("down"), "вже працює"])
    cloud = speech("cloud", local=False)
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD], failures=2)
    await router.transcribe(heard())
    assert router.breakers.state(LOCAL).status == "closed"
    await router.transcribe(heard())  # the second failure in a row opens it
    assert router.breakers.state(LOCAL).status == "open"
    third = await router.transcribe(heard())
    assert third.provider == "cloud" and len(local.heard) == 2 and len(cloud.heard) == 3


# -- stt: hybrid by load --------------------------------------------------------


async def test_a_busy_local_transcriber_is_passed_over_without_waiting() -> None:
    local, cloud = speech("local"), speech("cloud", local=False, transcripts=["з хмари"])
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD])
    holder = await occupied(local)
    # Returns while the local slot is still held (the timeout only turns a wait for the slot into a failure).
    got = await asyncio.wait_for(router.transcribe(heard()), 10)
    assert (got.text, got.provider) == ("з хмари", "cloud")
    assert routed_here(local) == []
    local.gate.set()
    await holder


async def test_a_busy_local_transcriber_is_waited_for_when_the_cloud_fails() -> None:
    local = speech("local", transcripts=["тримач", "дочекався"])
    cloud = speech("cloud", local=False, transcripts=[ProviderUnavailable("HTTP 503")])
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD])
    holder = await occupied(local)
    waiting = asyncio.create_task(router.transcribe(heard()))
    await until(lambda: bool(routed_here(local)), while_running=waiting)
    assert len(cloud.heard) == 1 and not waiting.done()  # cloud tried first; now queued for the local slot
    local.gate.set()
    got = await waiting
    assert (got.text, got.provider, got.model) == ("дочекався", "local", "whisper-base")
    assert len(routed_here(local)) == 1
    await holder


async def test_a_busy_local_transcriber_alone_in_its_rule_is_waited_for(ledger: UsageLedger) -> None:
    local = speech("local", transcripts=["тримач", "своєю чергою"])
    router = routed({"local": local}, stt=[LOCAL], usage=UsageGuard(ledger))
    holder = await occupied(local)
    waiting = asyncio.create_task(router.transcribe(heard()))
    await until(lambda: bool(routed_here(local)), while_running=waiting)
    assert not waiting.done()
    local.gate.set()
    assert (await waiting).text == "своєю чергою"
    await holder
    assert await rows(ledger) == [("stt", "local", "whisper-base", "ok", 6.2)]  # the busy skip is no call


async def test_a_transcriber_answering_busy_is_passed_over_without_a_breaker_verdict() -> None:
    local = speech("local", transcripts=[ProviderBusy("every slot stayed taken"), "знову вільний"])
    cloud = speech("cloud", local=False, transcripts=["з хмари"])
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD], failures=1)
    assert (await router.transcribe(heard())).provider == "cloud"
    assert router.breakers.state(LOCAL).failures == 0
    assert (await router.transcribe(heard())).provider == "local"


# -- stt: privacy and the admin switch --------------------------------------------


async def test_a_local_only_request_waits_for_a_busy_local_model_instead_of_the_cloud() -> None:
    local, cloud = speech("local", transcripts=["тримач", "приватне"]), speech("cloud", local=False)
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD])
    holder = await occupied(local)
    waiting = asyncio.create_task(router.transcribe(heard(local_only=True)))
    await until(lambda: bool(routed_here(local)), while_running=waiting)
    local.gate.set()
    assert (await waiting).text == "приватне"
    assert cloud.heard == []
    await holder


async def test_a_local_only_request_fails_without_the_cloud_when_the_local_model_fails() -> None:
    local = speech("local", transcripts=[ProviderUnavailable("model crashed")])
    cloud = speech("cloud", local=False)
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD])
    with pytest.raises(LocalOnlyUnavailable) as caught:
        await router.transcribe(heard(local_only=True))
    assert cloud.heard == []
    assert [(e.provider, e.kind) for e in caught.value.errors] == [("local", "unavailable")]


async def test_an_admin_switching_the_local_provider_off_sends_speech_to_the_cloud() -> None:
    local, cloud = speech("local", transcripts=["локально"]), speech("cloud", local=False, transcripts=["хмара"])
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD])
    router.switch("local", False)
    assert (await router.transcribe(heard())).provider == "cloud"
    assert local.heard == []
    router.switch("local", True)
    assert (await router.transcribe(heard())).provider == "local"


# -- stt: the recording's faults and the targets' limits ----------------------------


async def test_bad_audio_is_raised_at_once_and_charges_no_breaker(ledger: UsageLedger) -> None:
    local = speech("local", transcripts=[BadAudio("not an audio file"), "тепер розібрав"])
    cloud = speech("cloud", local=False)
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD], failures=1, usage=UsageGuard(ledger))
    with pytest.raises(BadAudio):
        await router.transcribe(heard())
    assert cloud.heard == []  # another model would not decode the same file either
    assert router.breakers.state(LOCAL).failures == 0
    assert (await router.transcribe(heard())).provider == "local"
    assert [r[3] for r in await rows(ledger)] == ["bad_audio", "ok"]


async def test_audio_too_large_for_one_target_tries_the_next_without_a_breaker_verdict() -> None:
    api = speech("cloud", local=False, transcripts=[AudioTooLarge("30 MB is over 25 MB", limit=25 * 2**20)])
    local = speech("local", transcripts=["довгий запис", "ще один"])
    router = routed({"cloud": api, "local": local}, stt=[CLOUD, LOCAL], failures=1)
    got = await router.transcribe(heard())
    assert (got.text, got.provider) == ("довгий запис", "local")
    assert router.breakers.state(CLOUD).failures == 0
    await router.transcribe(heard())
    assert len(api.heard) == 2  # its circuit stayed closed: a smaller clip may still go there


async def test_a_target_without_transcription_is_skipped_before_anything_is_sent() -> None:
    tts_only = speech("piper", capabilities=frozenset({SPEECH}))
    local = speech("local", transcripts=[ProviderUnavailable("down")])
    router = routed({"piper": tts_only, "local": local, "chatty": ScriptedProvider("chatty")},
                    stt=[Target("chatty", "qwen3:8b"), PIPER, LOCAL])
    with pytest.raises(AllTargetsFailed) as caught:
        await router.transcribe(heard())
    assert tts_only.heard == [] and len(local.heard) == 1
    errors = caught.value.errors
    assert [(e.provider, type(e)) for e in errors] == [("chatty", MissingCapability), ("piper", MissingCapability),
                                                       ("local", ProviderUnavailable)]


async def test_a_speech_target_over_its_provider_quota_is_skipped(ledger: UsageLedger) -> None:
    local = speech("local", transcripts=[ProviderUnavailable("down"), ProviderUnavailable("down")])
    cloud = speech("cloud", local=False, transcripts=["раз"])
    guard = UsageGuard(ledger, limits={"cloud": ProviderLimits(rpm=1)})
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD], failures=0, usage=guard)
    assert (await router.transcribe(heard())).provider == "cloud"
    with pytest.raises(AllTargetsFailed) as caught:
        await router.transcribe(heard())
    assert len(cloud.heard) == 1
    assert [(e.provider, type(e)) for e in caught.value.errors] == [("local", ProviderUnavailable),
                                                                   ("cloud", OverQuota)]


async def test_every_target_failing_names_each_reason() -> None:
    local = speech("local", transcripts=[ProviderUnavailable("down")])
    cloud = speech("cloud", local=False, transcripts=[ProviderUnavailable("HTTP 502")])
    router = routed({"local": local, "cloud": cloud}, stt=[LOCAL, CLOUD])
    with pytest.raises(AllTargetsFailed) as caught:
        await router.transcribe(heard())
    assert not isinstance(caught.value, LocalOnlyUnavailable)
    assert [(e.provider, e.model, e.kind) for e in caught.value.errors] == [
        ("local", "whisper-base", "unavailable"), ("cloud", "whisper-1", "unavailable")]
    assert not any(isinstance(e, ProviderBusy) for e in caught.value.errors)


# -- tts ----------------------------------------------------------------------------


def voices() -> tuple[ScriptedSpeech, ScriptedSpeech]:
    """A piper-like voice that speaks English only and an espeak-like one that speaks Ukrainian and English."""
    return (speech("piper", languages=("en",), speeches=[b"OggS piper"]),
            speech("espeak", languages=("uk", "en"), speeches=[b"OggS espeak"]))


async def test_ukrainian_speech_skips_the_english_only_voice(ledger: UsageLedger) -> None:
    piper, espeak = voices()
    router = routed({"piper": piper, "espeak": espeak}, tts=[PIPER, ESPEAK], usage=UsageGuard(ledger))
    got = await router.speak(said("Сонячно і тепло.", "uk"))
    assert (got.data, got.provider, got.model) == (b"OggS espeak", "espeak", "uk")
    assert piper.spoken == []
    assert await rows(ledger) == [("tts", "espeak", "uk", "ok", got.seconds)]
    assert got.seconds > 0


async def test_english_speech_goes_to_the_first_voice() -> None:
    piper, espeak = voices()
    router = routed({"piper": piper, "espeak": espeak}, tts=[PIPER, ESPEAK])
    got = await router.speak(said("Sunny and warm.", "en-US"))
    assert (got.data, got.provider, got.model) == (b"OggS piper", "piper", "joe")
    assert espeak.spoken == []


async def test_a_target_without_speech_is_skipped() -> None:
    whisper = speech("local", capabilities=frozenset({TRANSCRIPTION}))  # speaks() says yes; capabilities say no
    _, espeak = voices()
    router = routed({"local": whisper, "espeak": espeak}, tts=[LOCAL, ESPEAK])
    assert (await router.speak(said())).provider == "espeak"
    assert whisper.spoken == []


async def test_speech_falls_back_when_a_voice_fails() -> None:
    piper = speech("piper", languages=("en",), speeches=[ProviderUnavailable("voice file missing")])
    _, espeak = voices()
    router = routed({"piper": piper, "espeak": espeak}, tts=[PIPER, ESPEAK])
    assert (await router.speak(said("Hello.", "en"))).provider == "espeak"
    assert len(piper.spoken) == 1


async def test_no_voice_speaking_the_language_or_every_voice_failing_is_all_targets_failed() -> None:
    piper, espeak = voices()
    router = routed({"piper": piper, "espeak": espeak}, tts=[PIPER, ESPEAK])
    with pytest.raises(AllTargetsFailed) as caught:
        await router.speak(said("Guten Tag.", "de"))
    assert piper.spoken == [] and espeak.spoken == []
    assert [(e.provider, e.kind) for e in caught.value.errors] == [("piper", "capability"), ("espeak", "capability")]

    piper.speeches[:] = [ProviderUnavailable("crashed")]
    espeak.speeches[:] = [ProviderUnavailable("crashed")]
    with pytest.raises(AllTargetsFailed) as caught:
        await router.speak(said("Hello.", "en"))
    assert [(e.provider, e.kind) for e in caught.value.errors] == [("piper", "unavailable"), ("espeak", "unavailable")]


async def test_local_only_speech_never_reaches_a_cloud_voice() -> None:
    espeak = speech("espeak", speeches=[ProviderUnavailable("crashed"), ProviderUnavailable("crashed")])
    cloud = speech("cloud", local=False)
    router = routed({"espeak": espeak, "cloud": cloud}, tts=[ESPEAK, Target("cloud", "tts-1")])
    with pytest.raises(LocalOnlyUnavailable):
        await router.speak(said(local_only=True))
    assert cloud.spoken == []
    assert (await router.speak(said())).provider == "cloud"  # the same failure, not local-only: the cloud speaks
