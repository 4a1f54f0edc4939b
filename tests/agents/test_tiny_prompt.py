"""A persona's `embedded_prompt`: validated by the loader, carried by every chat request, and sent (over the wire)
only to the targets router.yaml marks tiny."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.agent import Agent, AgentInput
from agents.persona import SHORT_PROMPT_CHARS, AgentsConfig, load_personas
from base import ConfigError
from rag.types import Passage
from router.config import build_router, load_router_config
from router.testing import FakeLLM

REAL = Path(__file__).resolve().parents[2] / "config" / "agents.yaml"
TEXT = {"uk": "Helion укр", "en": "Helion en"}
BASE: dict[str, Any] = {"default_agent": "helion", "agents": {"helion": {
    "name": "Helion", "title": dict(TEXT), "description": {"uk": "Пояснює енергетику.", "en": "Explains energy."},
    "greeting": dict(TEXT), "system_prompt": "Ти — Helion. Довгі правила."}}}


@pytest.fixture(scope="module")
def real() -> AgentsConfig:
    return load_personas(REAL)


def _load(tmp_path: Path, **persona: Any) -> AgentsConfig:
    data = copy.deepcopy(BASE)
    data["agents"]["helion"].update(persona)
    path = tmp_path / "agents.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_personas(path)


def test_every_real_persona_has_a_short_prompt_in_both_languages(real: AgentsConfig) -> None:
    for persona in real.agents.values():
        assert persona.embedded_prompt is not None, persona.key
        uk, en = persona.short_prompt("uk"), persona.short_prompt("en")
        assert persona.name in uk and persona.name in en and uk != en
        assert "English summary" not in uk + en and len(uk) < len(persona.system_prompt) / 4


def test_the_loader_refuses_a_long_or_one_language_short_prompt(tmp_path: Path) -> None:
    long = "Helion пояснює енергетику. " * 20
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, embedded_prompt={"uk": long, "en": "Helion explains energy."})
    assert f"agents.helion.embedded_prompt.uk: Value error, is {len(long.strip())} characters" in str(info.value)
    assert f"at most {SHORT_PROMPT_CHARS}" in str(info.value)
    with pytest.raises(ConfigError, match=r"agents\.helion\.embedded_prompt\.en: Field required"):
        _load(tmp_path, embedded_prompt={"uk": "Helion пояснює енергетику."})
    with pytest.raises(ConfigError, match=r"embedded_prompt\.de: Extra inputs are not permitted; allowed keys: uk, en"):
        _load(tmp_path, embedded_prompt={"uk": "Helion пояснює.", "en": "Helion explains.", "de": "Helion erklärt."})


def test_without_embedded_prompt_the_short_prompt_is_built_from_the_persona(tmp_path: Path) -> None:
    persona = _load(tmp_path).agents["helion"]
    assert persona.short_prompt("en") == "Helion — Helion en. Explains energy."
    assert persona.short_prompt("uk-UA") == "Helion — Helion укр. Пояснює енергетику."


def test_a_chat_request_carries_the_short_prompt_and_the_speaker(real: AgentsConfig) -> None:
    helion = real.agents["helion"]
    passage = Passage(text="EcoMiner дає 100 кВт." * 100, file_name="spec.pdf", page=1, doc_id="d", chunk_index=0,
                      scope="agent:helion", score=1.0)
    data = AgentInput("What is EcoMiner?", language="en", passages=(passage,))
    request = Agent(router=None).build_request(helion, data)
    assert request.messages[0].content.startswith(helion.system_prompt.strip())
    assert request.tiny_system.startswith(helion.short_prompt("en")) and "[1] EcoMiner" in request.tiny_system
    assert len(request.tiny_system) < len(helion.short_prompt("en")) + 700  # passages trimmed for a tiny context
    assert request.speaker == "Helion"


async def test_only_the_tiny_target_receives_the_short_prompt(tmp_path: Path, real: AgentsConfig) -> None:
    async with FakeLLM() as llm:
        (tmp_path / "router.yaml").write_text(f"""
providers:
  big: {{kind: ollama, base_url: "{llm.url}"}}
  small: {{kind: ollama, base_url: "{llm.url}", models: {{"qwen3:8b": {{tiny: true}}}}}}
rules:
  - {{when: {{agent: helion}}, use: ["small:qwen3:8b"]}}
  - use: ["big:qwen3:8b"]
""")
        router = build_router(load_router_config(tmp_path / "router.yaml", {}), {}, data_dir=tmp_path)
        agent = Agent(router)
        llm.reply("Коротко.", "Повно.")
        for key in ("helion", "daarwizz"):
            async for _ in agent.stream(real.agents[key], AgentInput("Привіт! Хто ти?", language="uk")):
                pass
        await router.aclose()
    tiny, full = ((r.json or {})["messages"] for r in llm.chat_requests())
    assert tiny[0] == {"role": "system", "content": real.agents["helion"].short_prompt("uk")}
    assert tiny[1]["content"] == "Привіт! Хто ти?"
    assert full[0]["content"].startswith(real.agents["daarwizz"].system_prompt.strip())
