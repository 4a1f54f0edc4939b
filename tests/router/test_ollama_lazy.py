"""The Ollama provider posts chats where the SDK would, as the SDK would, without loading the SDK until it must."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ollama
import pytest

from router.providers.ollama import OllamaProvider
from router.providers.ollama_stream import Endpoint
from router.testing import FakeLLM
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ["http://127.0.0.1:11434", "127.0.0.1", "localhost:5000", "http://example.com/path", "https://example.com",
         "https://Example.com:8443/ollama/", "[::1]:5", "http://[0001:002:003:0004::1]", "example.com:80",
         "https://example.com:443/a/b"]


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("api_key", [None, "secret-key"])
async def test_the_chat_endpoint_is_the_sdk_clients_url_and_headers(host: str, api_key: str | None,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    if api_key:
        monkeypatch.setenv("OLLAMA_API_KEY", api_key)
    else:
        monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    endpoint = Endpoint.at(host, Timeouts())
    async with ollama.AsyncClient(host=host) as sdk:
        http = sdk._client
        assert endpoint is not None
        assert endpoint.url == str(http.build_request("POST", "/api/chat").url)
        sent = {k.lower(): v for k, v in http.headers.items() if k.lower() not in ("accept-encoding", "connection")}
        assert dict(endpoint.headers) == sent


def test_a_proxy_from_the_environment_sends_chats_through_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert Endpoint.at("http://ollama.example:11434", Timeouts()) is None


PROXY_VARS = [f"{scheme}_proxy" for scheme in ("http", "https", "all", "no")]


@pytest.mark.parametrize(("env", "url", "direct"), [
    ({"NO_PROXY": "localhost"}, "http://ollama.example:11434", True),  # getproxies() lists it as "no"
    ({"HTTPS_PROXY": "http://proxy.example:3128"}, "http://ollama.example:11434", True),  # not for http://
    ({"HTTPS_PROXY": "http://proxy.example:3128"}, "https://ollama.example", False),
    ({"HTTP_PROXY": "http://proxy.example:3128"}, "http://ollama.example:11434", False),
    ({"ALL_PROXY": "http://proxy.example:3128"}, "http://ollama.example:11434", False),
    ({"HTTP_PROXY": "http://proxy.example:3128", "NO_PROXY": "ollama.example"}, "http://ollama.example:11434", True),
])
def test_chats_go_through_the_sdk_only_when_a_proxy_applies_to_the_url(
        env: dict[str, str], url: str, direct: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert (Endpoint.at(url, Timeouts()) is not None) == direct


def test_a_provider_is_built_without_the_sdk_or_httpx() -> None:
    code = ("import sys; from router.providers.ollama import OllamaProvider; OllamaProvider('o', 'http://h:1'); "
            "print(sorted({'ollama', 'httpx'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr[-2000:]


async def test_the_sdk_client_made_later_shares_the_chats_connection_pool(llm: FakeLLM) -> None:
    llm.reply("hello")
    provider = OllamaProvider("ollama", llm.url)
    request = ChatRequest(messages=(ChatMessage("user", "hi"),))
    try:
        text = "".join([d.text async for d in provider.stream("qwen3:8b", request) if d.text])
        assert text == "hello" and provider._sdk is None  # a chat needs no SDK client
        assert await provider.capabilities("qwen3:8b") is not None  # /api/show through the SDK, made now
        assert provider._client._client._transport.client is provider._session()  # type: ignore[attr-defined]
    finally:
        await provider.aclose()
    assert provider._session().closed


async def test_behind_a_proxy_chats_and_embeddings_go_through_it(llm: FakeLLM, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    # The Ollama host exists only behind the proxy (the fake model plays the proxy: it answers by path).
    monkeypatch.setenv("HTTP_PROXY", llm.url)
    llm.reply("through the proxy")
    provider = OllamaProvider("ollama", "http://ollama.behind-proxy.invalid:11434")
    request = ChatRequest(messages=(ChatMessage("user", "hi"),))
    try:
        text = "".join([d.text async for d in provider.stream("qwen3:8b", request) if d.text])
        vectors, _ = await provider.embed("bge-m3", ["a", "b"])
    finally:
        await provider.aclose()
    assert text == "through the proxy" and len(vectors) == 2
    assert llm.chat_requests()[-1].json["messages"][-1]["content"] == "hi"
