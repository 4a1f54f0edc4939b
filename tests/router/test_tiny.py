"""Targets marked tiny get the persona's short prompt, every other target the full one; the embedded provider
prompts a base model as a dialogue; llama.cpp's native notices go into logging."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from router.config import build_router, load_router_config
from router.core import ModelRouter
from router.errors import ProviderUnavailable
from router.providers import llama_log
from router.providers.embedded import transcript
from router.testing import ScriptedProvider
from router.types import ChatMessage, ChatRequest, Delta, Target

FULL = ChatMessage("system", "The persona's long prompt, with every rule.")
REQUEST = ChatRequest(messages=(FULL, ChatMessage("user", "hi")), tiny_system="Helion explains energy.",
                      speaker="Helion")


async def text_of(stream: AsyncIterator[Delta]) -> str:
    return "".join([d.text async for d in stream])


async def test_a_tiny_fallback_gets_the_short_prompt_and_the_big_model_the_full_one() -> None:
    big = ScriptedProvider("big", replies=[ProviderUnavailable("down")])
    small = ScriptedProvider("small", replies=["hello"])
    router = ModelRouter({"big": big, "small": small}, {"chat": [Target("big", "m"), Target("small", "m")]},
                         tiny={"small"})
    assert await text_of(router.stream(REQUEST)) == "hello"
    assert big.calls[0][1].messages == REQUEST.messages
    sent = small.calls[0][1]
    assert [(m.role, m.content) for m in sent.messages] == [("system", "Helion explains energy."), ("user", "hi")]
    assert sent.speaker == "Helion"


async def test_without_a_short_prompt_a_tiny_target_gets_the_request_as_it_is() -> None:
    small = ScriptedProvider("small", replies=["ok"])
    router = ModelRouter({"small": small}, {"chat": [Target("small", "m")]}, tiny={"small:m"})
    ocr_like = ChatRequest(messages=(ChatMessage("system", "Return JSON."), ChatMessage("user", "read")))
    await text_of(router.stream(ocr_like))
    assert small.calls[0][1] is ocr_like


async def test_router_yaml_marks_providers_and_models_tiny(tmp_path: Path) -> None:
    (tmp_path / "router.yaml").write_text("""
providers:
  ollama: {kind: ollama, base_url: "http://127.0.0.1:9", models: {"qwen3:0.6b": {tiny: true}}}
  lan: {kind: ollama, base_url: "http://127.0.0.1:9", tiny: true}
  embedded: {kind: embedded, model_path: /nowhere/model.gguf}
  big_embedded: {kind: embedded, model_path: /nowhere/big.gguf, tiny: false}
routes:
  chat: [ollama:qwen3:8b, ollama:qwen3:0.6b, lan:any, embedded:default, big_embedded:default]
""")
    router = build_router(load_router_config(tmp_path / "router.yaml", {}), {}, data_dir=tmp_path)
    tiny = [str(t) for t in router.targets("chat") if router.is_tiny(t)]
    assert tiny == ["ollama:qwen3:0.6b", "lan:any", "embedded:default"]

    reloaded = ModelRouter({"lan": ScriptedProvider("lan")}, {"chat": [Target("lan", "any")]}, tiny={"lan"})
    router.replace_with(reloaded, grace=0)  # /admin reload: the new file's tiny marks apply
    assert router.is_tiny(Target("lan", "any")) and not router.is_tiny(Target("embedded", "default"))
    await router.aclose()


def test_a_base_model_is_prompted_as_a_dialogue_with_the_persona() -> None:
    messages = [{"role": "system", "content": "Helion explains energy."}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "What is EcoMiner?"}]
    prompt, stops = transcript(messages, "Helion")
    assert prompt == "Helion explains energy.\n\nUser: Hi\nHelion: Hello.\nUser: What is EcoMiner?\nHelion:"
    # Line-led stops first, so the newline before the model's next "User:" is cut with it.
    assert stops[:3] == ["\nUser:", "\nUSER:", "\nHelion:"] and "User:" in stops and "Helion:" in stops


def test_llama_cpp_notices_go_to_logging_not_stderr(monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture,
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    installed: list[Any] = []

    class FakeLlamaCpp:
        llama_log_callback = staticmethod(lambda f: f)

        @staticmethod
        def llama_log_set(callback: Any, user_data: Any) -> None:
            installed.append(callback)

    monkeypatch.setattr(llama_log, "_installed", [])  # the real callback (if any) stays as it is
    llama_log.route_native_logs(FakeLlamaCpp)
    llama_log.route_native_logs(FakeLlamaCpp)
    assert len(installed) == 1
    with caplog.at_level(logging.DEBUG, logger="llama_cpp"):
        installed[0](3, b"llama_kv_cache_iswa: using full-size SWA cache\n", None)
        installed[0](4, b"failed to decode\n", None)
        installed[0](2, b"llama_context: n_ctx = 2048\n", None)
    levels = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "llama_cpp"]
    assert levels == [("INFO", "llama_kv_cache_iswa: using full-size SWA cache"),
                      ("WARNING", "failed to decode"), ("DEBUG", "llama_context: n_ctx = 2048")]
    assert capfd.readouterr().err == ""
