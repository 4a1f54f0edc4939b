"""Speech through an OpenAI-compatible API (the real openai SDK against FakeLLM): transcription, speech, errors."""
from __future__ import annotations

import io
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import av
import numpy as np
import pytest
from aiohttp import web

from router.config import build_router, load_router_config
from router.errors import (
    AudioTooLarge,
    MissingCapability,
    ModelNotFound,
    ProviderError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from router.provider import Synthesizer, Transcriber
from router.providers._opus import encode_ogg_opus
from router.providers.openai_audio import MAX_UPLOAD_BYTES
from router.providers.openai_compat import OpenAICompatProvider
from router.testing import FakeLLM
from router.testing.audio_wire import SPOKEN_CHARS_PER_SECOND
from router.timeouts import Timeouts
from router.types import Audio, SpeechRequest, TranscribeRequest

SECRET = "gsk-audio-secret-0815"
STT, TTS = "whisper-large-v3-turbo", "tts-1"
FAST = Timeouts(connect=0.5, first_token=0.5, total=2.0)


def voice_note(seconds: float = 1.5) -> Audio:
    """A real OGG/Opus recording (a tone), as Telegram sends voice notes."""
    t = np.arange(int(16_000 * seconds)) / 16_000
    data, length = encode_ogg_opus((6000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16), 16_000)
    return Audio(data, "ogg", length)


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


@pytest.fixture
async def api(fake: FakeLLM) -> AsyncIterator[OpenAICompatProvider]:
    provider = OpenAICompatProvider("groq", fake.openai_url, SECRET, timeouts=FAST, voice="nova")
    yield provider
    await provider.aclose()


@asynccontextmanager
async def serve(path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> AsyncIterator[str]:
    """A one-route server for answers the FakeLLM never gives; yields its /v1 base URL."""
    app = web.Application()
    app.router.add_post(path, handler)
    runner = web.AppRunner(app, shutdown_timeout=0.2)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # started: it has sockets
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


def test_the_openai_provider_is_a_transcriber_and_a_synthesizer(api: OpenAICompatProvider) -> None:
    assert isinstance(api, Transcriber) and isinstance(api, Synthesizer)
    assert api.busy(STT) is False  # an API queues on its own side


async def test_transcription_returns_the_text_and_sends_the_recording(
    fake: FakeLLM, api: OpenAICompatProvider
) -> None:
    fake.transcripts("  Привіт, як справи?  ")
    audio = voice_note()
    heard = await api.transcribe(STT, TranscribeRequest(audio, language="uk"))
    assert heard.text == "Привіт, як справи?"
    assert heard.language == "uk"  # the hint, since the json answer names no language
    assert heard.seconds == pytest.approx(audio.seconds)
    assert heard.usage is not None and heard.usage.audio_seconds == pytest.approx(audio.seconds)
    assert (heard.provider, heard.model) == ("groq", STT)
    [sent] = fake.transcription_requests()
    assert sent.json == {"model": STT, "language": "uk", "response_format": "json"}
    assert sent.files["file"] == ("voice.ogg", audio.data)
    assert sent.headers["Authorization"] == f"Bearer {SECRET}"


async def test_without_a_hint_no_language_is_sent_and_the_servers_is_taken(
    fake: FakeLLM, api: OpenAICompatProvider
) -> None:
    fake.transcripts("Hello there", language="english", duration=1.5)
    # Seconds unknown (not probed): the server's duration counts instead.
    heard = await api.transcribe(STT, TranscribeRequest(Audio(voice_note().data, "ogg", 0.0)))
    assert (heard.text, heard.language, heard.seconds) == ("Hello there", "en", 1.5)
    assert heard.usage is not None and heard.usage.audio_seconds == 1.5
    assert "language" not in (fake.transcription_requests()[0].json or {})


async def test_queued_transcripts_answer_in_order_then_the_default(fake: FakeLLM, api: OpenAICompatProvider) -> None:
    fake.transcripts("one", "two")
    audio = voice_note(0.5)
    texts = [(await api.transcribe(STT, TranscribeRequest(audio))).text for _ in range(3)]
    assert texts == ["one", "two", fake.default_transcript]


async def test_speech_is_decodable_ogg_opus_in_the_configured_voice(fake: FakeLLM, api: OpenAICompatProvider) -> None:
    text = "Добрий день! Сьогодні сонячно, і курс гривні не змінився."
    speech = await api.speak(TTS, SpeechRequest(text, language="uk"))
    with av.open(io.BytesIO(speech.data)) as container:
        assert container.format.name == "ogg"
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        samples = sum(frame.samples for frame in container.decode(stream))
    assert samples / 48_000 == pytest.approx(len(text) / SPOKEN_CHARS_PER_SECOND, abs=0.1)
    assert speech.seconds == pytest.approx(len(text) / SPOKEN_CHARS_PER_SECOND, abs=0.1)
    assert speech.usage is not None and speech.usage.audio_seconds == speech.seconds
    assert (speech.provider, speech.model) == ("groq", TTS)
    [sent] = fake.speech_requests()
    assert sent.json == {"model": TTS, "voice": "nova", "input": text, "response_format": "opus"}


async def test_speech_that_is_not_ogg_is_refused() -> None:
    async def mp3(request: web.Request) -> web.Response:
        return web.Response(body=b"ID3\x04\x00" + b"\x00" * 500, content_type="audio/mpeg")

    async with serve("/v1/audio/speech", mp3) as url:
        provider = OpenAICompatProvider("mp3-only", url, SECRET, timeouts=FAST)
        with pytest.raises(ProviderUnavailable, match="not OGG/Opus") as info:
            await provider.speak(TTS, SpeechRequest("hello"))
        await provider.aclose()
    assert (info.value.provider, info.value.model) == ("mp3-only", TTS)


@pytest.mark.parametrize(
    ("mode", "error", "kind"),
    [("500", ProviderUnavailable, "unavailable"), ("429", RateLimited, "rate_limited"),
     ("not_found", ModelNotFound, "not_found"), ("cut", ProviderUnavailable, "unavailable"),
     ("error_line", ProviderUnavailable, "unavailable")],
)
@pytest.mark.parametrize("call", ["transcribe", "speak"])
async def test_server_failures_become_the_routers_errors(
    fake: FakeLLM, api: OpenAICompatProvider, mode: str, error: type[ProviderError], kind: str, call: str
) -> None:
    fake.fail(mode, retry_after=7)
    model = STT if call == "transcribe" else TTS
    with pytest.raises(error) as info:
        if call == "transcribe":
            await api.transcribe(model, TranscribeRequest(voice_note(0.5)))
        else:
            await api.speak(model, SpeechRequest("hello"))
    err = info.value
    assert err.kind == kind and (err.provider, err.model) == ("groq", model)
    assert SECRET not in str(err)
    if isinstance(err, RateLimited):
        assert err.retry_after == 7  # the server's Retry-After reaches the breaker
    # The failure was used up: the next request is answered.
    if call == "transcribe":
        assert (await api.transcribe(model, TranscribeRequest(voice_note(0.5)))).text == fake.default_transcript
    else:
        assert (await api.speak(model, SpeechRequest("hello"))).seconds > 0


@pytest.mark.parametrize("call", ["transcribe", "speak"])
async def test_a_refused_connection_is_unavailable(call: str) -> None:
    provider = OpenAICompatProvider("down", FakeLLM.refusing_url() + "/v1", SECRET, timeouts=FAST)
    with pytest.raises(ProviderUnavailable) as info:
        if call == "transcribe":
            await provider.transcribe(STT, TranscribeRequest(voice_note(0.5)))
        else:
            await provider.speak(TTS, SpeechRequest("hello"))
    await provider.aclose()
    assert info.value.provider == "down" and SECRET not in str(info.value)


async def test_a_slow_or_hanging_api_times_out_within_the_total(fake: FakeLLM) -> None:
    provider = OpenAICompatProvider("slow", fake.openai_url, SECRET, timeouts=Timeouts(0.5, 0.5, 0.3))
    fake.audio_delay = 5.0
    with pytest.raises(ProviderTimeout, match="total timeout") as info:
        await provider.transcribe(STT, TranscribeRequest(voice_note(0.5)))
    assert info.value.provider == "slow"
    fake.audio_delay = 0.0
    fake.fail("hang")
    with pytest.raises(ProviderTimeout):
        await provider.speak(TTS, SpeechRequest("hello"))
    await provider.aclose()


async def test_over_25_mb_is_refused_without_a_request(fake: FakeLLM, api: OpenAICompatProvider) -> None:
    big = Audio(b"OggS" + b"\x00" * MAX_UPLOAD_BYTES, "ogg", 1800.0)
    with pytest.raises(AudioTooLarge) as info:
        await api.transcribe(STT, TranscribeRequest(big))
    # A capability miss to the router: found before sending, so the next target may take it.
    assert isinstance(info.value, MissingCapability) and info.value.limit == MAX_UPLOAD_BYTES
    assert (info.value.provider, info.value.model) == ("groq", STT)
    assert fake.requests == []
    # Exactly at the limit is still sent (here refused by the server as not audio, a plain 400).
    with pytest.raises(ProviderError) as at_limit:
        await api.transcribe(STT, TranscribeRequest(Audio(b"\x00" * MAX_UPLOAD_BYTES, "ogg", 0.0)))
    assert at_limit.value.kind == "error" and "could not decode" in str(at_limit.value)
    assert len(fake.transcription_requests()) == 1


async def test_a_key_the_server_echoes_never_reaches_the_message() -> None:
    async def bad_key(request: web.Request) -> web.Response:
        key = request.headers["Authorization"].removeprefix("Bearer ")
        body = {"error": {"message": f"Incorrect API key provided: {key}", "type": "invalid_request_error",
                          "code": "invalid_api_key"}}
        return web.json_response(body, status=401)

    for path in ("/v1/audio/transcriptions", "/v1/audio/speech"):
        async with serve(path, bad_key) as url:
            provider = OpenAICompatProvider("groq", url, SECRET, timeouts=FAST)
            with pytest.raises(ProviderError) as info:
                if path.endswith("transcriptions"):
                    await provider.transcribe(STT, TranscribeRequest(voice_note(0.5)))
                else:
                    await provider.speak(TTS, SpeechRequest("hello"))
            await provider.aclose()
        assert "HTTP 401" in str(info.value) and "***" in str(info.value)
        assert SECRET not in str(info.value) and SECRET not in repr(info.value.args)


async def test_the_fake_refuses_what_a_real_api_would(fake: FakeLLM, api: OpenAICompatProvider) -> None:
    png = Audio(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "ogg", 1.0)  # claims to be OGG
    with pytest.raises(ProviderError, match="HTTP 400.*could not decode"):
        await api.transcribe(STT, TranscribeRequest(png))
    with pytest.raises(ProviderError, match="HTTP 400.*ISO-639-1"):
        await api.transcribe(STT, TranscribeRequest(voice_note(0.5), language="ukrainian"))
    with pytest.raises(ProviderError, match="does not support transcription"):
        await api.transcribe("gpt-4o-mini", TranscribeRequest(voice_note(0.5)))  # a chat model
    with pytest.raises(ProviderError, match="does not support speech"):
        await api.speak("gemma2-9b-it", SpeechRequest("hello"))
    with pytest.raises(ProviderError, match="longer than 4096"):
        await api.speak(TTS, SpeechRequest("a" * 4097))
    fake.transcripts("kept")  # no refusal consumed a scripted answer or failure
    assert (await api.transcribe(STT, TranscribeRequest(voice_note(0.5)))).text == "kept"


async def test_router_yaml_voice_and_speech_capabilities_reach_the_provider(tmp_path: Path, fake: FakeLLM) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(f"""
providers:
  groq: {{kind: openai, base_url: "{fake.openai_url}", api_key_env: GROQ_API_KEY, voice: shimmer,
          models: {{{STT}: {{capabilities: [transcription]}}, {TTS}: {{capabilities: [speech]}}}}}}
routes:
  chat: [groq:llama-3.3-70b-versatile]
""", encoding="utf-8")
    env = {"GROQ_API_KEY": SECRET}
    router = build_router(load_router_config(path, env), env, data_dir=tmp_path)
    groq = router.providers["groq"]
    assert isinstance(groq, OpenAICompatProvider)
    assert "transcription" in await groq.capabilities(STT) and "speech" in await groq.capabilities(TTS)
    await groq.speak(TTS, SpeechRequest("hello"))
    assert (fake.speech_requests()[0].json or {})["voice"] == "shimmer"
    await router.aclose()
