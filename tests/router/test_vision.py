"""Images reach vision models in each protocol's own form, never a text-only model; the fake checks like a server."""
from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from PIL import Image as PILImage

from router.core import ModelRouter
from router.errors import AllTargetsFailed, MissingCapability, ProviderError
from router.providers.embedded import EmbeddedProvider
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.testing import FakeLLM
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Delta, Image, Target

FAST = Timeouts(connect=0.5, first_token=1.0, total=3.0)
API_KEY = "sk-test-secret-4711"
BOT_TOKEN = "123456:AAH-bot-token-never-leaves"  # what a Telegram file URL would carry
VISION_API = {"gpt-4o-mini": frozenset({"completion", "vision"})}


def picture(fmt: str = "JPEG", color: str = "red") -> bytes:
    """A small real image encoded in `fmt`."""
    out = io.BytesIO()
    PILImage.new("RGB", (32, 32), color).save(out, fmt)
    return out.getvalue()


JPEG = picture()
PNG = picture("PNG", "blue")


def ask(text: str, *images: Image) -> ChatRequest:
    """A system turn and one user turn carrying `images`."""
    return ChatRequest(
        messages=(ChatMessage("system", "Describe pictures."), ChatMessage("user", text, images)),
        has_image=bool(images),
    )


async def collect(stream: AsyncIterator[Delta]) -> tuple[str, list[Delta]]:
    deltas = [d async for d in stream]
    return "".join(d.text for d in deltas), deltas


@pytest.fixture
async def fake() -> AsyncIterator[FakeLLM]:
    async with FakeLLM() as server:
        yield server


def openai(fake: FakeLLM, capabilities: dict[str, frozenset[str]] | None = None) -> OpenAICompatProvider:
    return OpenAICompatProvider("api", fake.openai_url, API_KEY, timeouts=FAST, capabilities=capabilities)


# -- each protocol's wire form ------------------------------------------------


async def test_ollama_sends_plain_base64_in_the_user_turns_images(fake: FakeLLM) -> None:
    provider = OllamaProvider("ollama", fake.url, timeouts=FAST)
    text, _ = await collect(provider.stream("llava:7b", ask("what is this?", Image(JPEG), Image(PNG, "image/png"))))
    await provider.aclose()
    assert text == "echo: what is this? [images: 2]"
    [record] = fake.chat_requests()
    system, user = record.json["messages"]
    assert "images" not in system, "a turn without images is sent as before"
    assert user["images"] == [base64.b64encode(JPEG).decode(), base64.b64encode(PNG).decode()]
    assert fake.images_of(record) == [JPEG, PNG]
    assert b"data:" not in record.raw


async def test_openai_sends_a_data_uri_image_url_part(fake: FakeLLM) -> None:
    provider = openai(fake, VISION_API)
    text, _ = await collect(provider.stream("gpt-4o-mini", ask("what is this?", Image(JPEG))))
    await provider.aclose()
    assert text == "echo: what is this? [images: 1]"
    [record] = fake.chat_requests()
    system, user = record.json["messages"]
    assert system == {"role": "system", "content": "Describe pictures."}
    assert user["content"] == [
        {"type": "text", "text": "what is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()}},
    ]
    assert fake.images_of(record) == [JPEG]


async def test_openai_image_without_text_sends_no_empty_text_part(fake: FakeLLM) -> None:
    provider = openai(fake, VISION_API)
    text, _ = await collect(provider.stream("gpt-4o-mini", ask("", Image(PNG, "image/png"))))
    await provider.aclose()
    assert text == "echo: [images: 1]"
    parts = fake.chat_requests()[0].json["messages"][1]["content"]
    assert [p["type"] for p in parts] == ["image_url"]
    assert fake.images_of(fake.chat_requests()[0]) == [PNG]


@pytest.mark.parametrize("protocol", ["ollama", "openai"])
async def test_no_secret_reaches_the_model(fake: FakeLLM, protocol: str) -> None:
    provider = (OllamaProvider("ollama", fake.url, timeouts=FAST) if protocol == "ollama"
                else openai(fake, VISION_API))
    model = "llava:7b" if protocol == "ollama" else "gpt-4o-mini"
    await collect(provider.stream(model, ask("look", Image(JPEG))))
    await provider.aclose()
    assert fake.raw_bodies() and all(BOT_TOKEN.encode() not in raw for raw in fake.raw_bodies())
    assert all(b"api.telegram.org" not in raw and API_KEY.encode() not in raw for raw in fake.raw_bodies())


# -- routing: a text-only model never gets the image --------------------------


async def test_router_skips_a_text_only_model_before_sending(fake: FakeLLM) -> None:
    ollama = OllamaProvider("ollama", fake.url, timeouts=FAST)
    router = ModelRouter({"ollama": ollama}, {"chat": [Target("ollama", "qwen3:8b"), Target("ollama", "llava:7b")]})
    text, deltas = await collect(router.stream(ask("what is this?", Image(JPEG))))
    await router.aclose()
    assert text == "echo: what is this? [images: 1]"
    assert {d.model for d in deltas} == {"llava:7b"}
    assert [r.json["model"] for r in fake.chat_requests()] == ["llava:7b"], "qwen3:8b got no chat request"


async def test_route_of_text_only_models_refuses_an_image_without_sending(fake: FakeLLM) -> None:
    ollama = OllamaProvider("ollama", fake.url, timeouts=FAST)
    api = openai(fake)  # no capabilities configured: text only
    router = ModelRouter({"ollama": ollama, "api": api},
                         {"chat": [Target("ollama", "qwen3:8b"), Target("api", "gemma2-9b-it")]})
    with pytest.raises(AllTargetsFailed, match="lacks vision") as failed:
        await collect(router.stream(ask("what is this?", Image(JPEG))))
    await router.aclose()
    assert [type(e) for e in failed.value.errors] == [MissingCapability, MissingCapability]
    assert {e.kind for e in failed.value.errors} == {"capability"}
    assert fake.chat_requests() == []


async def test_embedded_model_is_text_only_and_never_loaded_for_an_image(tmp_path: Any) -> None:
    embedded = EmbeddedProvider("embedded", tmp_path / "missing.gguf")
    assert "vision" not in await embedded.capabilities("default")
    router = ModelRouter({"embedded": embedded}, {"chat": [Target("embedded", "default")]})
    with pytest.raises(AllTargetsFailed, match="lacks vision"):
        await collect(router.stream(ask("what is this?", Image(JPEG))))
    assert embedded._loading is None, "the model was not even loaded"


async def test_embedded_model_drops_images_that_slip_through(tmp_path: Any) -> None:
    seen: list[list[dict]] = []

    class StubLlama:
        """Stands in for llama_cpp.Llama: records the messages, answers one chunk."""

        n_tokens = 3

        def create_chat_completion(self, messages: list[dict], **_: object) -> Any:
            seen.append(messages)
            yield {"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]}

    embedded = EmbeddedProvider("embedded", tmp_path / "stub.gguf")

    async def load() -> StubLlama:
        return StubLlama()

    embedded._load = load
    text, _ = await collect(embedded.stream("default", ask("what is this?", Image(JPEG))))
    assert text == "ok"
    assert seen == [[{"role": "system", "content": "Describe pictures."}, {"role": "user", "content": "what is this?"}]]


# -- the fake refuses what a real server would --------------------------------


async def test_the_fake_refuses_images_for_a_text_only_model(fake: FakeLLM) -> None:
    """Proves the router tests above mean something: had it sent the image, the call would fail."""
    ollama = OllamaProvider("ollama", fake.url, timeouts=FAST)
    with pytest.raises(ProviderError, match="model does not support images"):
        await collect(ollama.stream("qwen3:8b", ask("what is this?", Image(JPEG))))
    await ollama.aclose()
    api = openai(fake, {"gemma2-9b-it": frozenset({"completion", "vision"})})  # misconfigured
    with pytest.raises(ProviderError, match="HTTP 400.*only supported by certain models"):
        await collect(api.stream("gemma2-9b-it", ask("what is this?", Image(JPEG))))
    await api.aclose()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


OLLAMA_BAD: dict[str, Any] = {
    "data: prefix": "data:image/jpeg;base64," + _b64(JPEG),
    "not base64": "not base64 at all!",
    "not an image": _b64(b"plain text, no magic number"),
    "bytes as a list": list(JPEG[:8]),
}


@pytest.mark.parametrize("image", OLLAMA_BAD.values(), ids=OLLAMA_BAD.keys())
async def test_the_fake_ollama_refuses_malformed_images(fake: FakeLLM, image: Any) -> None:
    body = {"model": "llava:7b", "stream": False, "messages": [{"role": "user", "content": "hi", "images": [image]}]}
    status, answer = await _post(fake.url + "/api/chat", body)
    assert status == 400 and isinstance(answer["error"], str) and answer["error"]


async def test_the_fake_ollama_refuses_openai_content_parts(fake: FakeLLM) -> None:
    parts = [{"type": "text", "text": "hi"}]
    status, answer = await _post(fake.url + "/api/chat", {"model": "llava:7b", "stream": False,
                                                          "messages": [{"role": "user", "content": parts}]})
    assert status == 400 and "unmarshal" in answer["error"]


async def test_the_fake_ollama_accepts_plain_base64(fake: FakeLLM) -> None:
    body = {"model": "llava:7b", "stream": False,
            "messages": [{"role": "user", "content": "hi", "images": [_b64(JPEG), _b64(PNG)]}]}
    status, answer = await _post(fake.url + "/api/chat", body)
    assert status == 200 and answer["message"]["content"] == "echo: hi [images: 2]"


OPENAI_BAD: dict[str, str] = {
    "http url": f"https://api.telegram.org/file/bot{BOT_TOKEN}/photos/file_1.jpg",
    "bare base64": _b64(JPEG),
    "bad base64": "data:image/jpeg;base64,***",
    "not an image": "data:image/jpeg;base64," + _b64(b"plain text, no magic number"),
    "wrong mime": "data:image/png;base64," + _b64(JPEG),
}


@pytest.mark.parametrize("url", OPENAI_BAD.values(), ids=OPENAI_BAD.keys())
async def test_the_fake_openai_refuses_bad_image_urls(fake: FakeLLM, url: str) -> None:
    parts = [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": url}}]
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": parts}]}
    status, answer = await _post(fake.openai_url + "/chat/completions", body)
    assert status == 400 and answer["error"]["type"] == "invalid_request_error"


async def test_the_fake_openai_accepts_a_data_uri(fake: FakeLLM) -> None:
    parts = [{"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + _b64(JPEG), "detail": "low"}}]
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": parts}]}
    status, answer = await _post(fake.openai_url + "/chat/completions", body)
    assert status == 200 and answer["choices"][0]["message"]["content"] == "echo: [images: 1]"


async def test_a_refused_request_consumes_no_scripted_reply(fake: FakeLLM) -> None:
    fake.reply("scripted")
    turn = {"role": "user", "content": "hi", "images": [_b64(JPEG)]}
    body = {"model": "qwen3:8b", "stream": False, "messages": [turn]}
    assert (await _post(fake.url + "/api/chat", body)) == (400, {"error": "model does not support images"})
    body = {"model": "qwen3:8b", "stream": False, "messages": [{"role": "user", "content": "hi"}]}
    status, answer = await _post(fake.url + "/api/chat", body)
    assert status == 200 and answer["message"]["content"] == "scripted"


async def _post(url: str, body: dict) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.post(url, json=body) as resp:
        return resp.status, await resp.json()
