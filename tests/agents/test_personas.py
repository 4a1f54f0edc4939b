"""Personas: the real config/agents.yaml, loader error messages and alias matching."""
import copy
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from agents.persona import AgentsConfig, LocalizedText, Persona, load_personas
from base import ConfigError

REAL = Path(__file__).resolve().parents[2] / "config" / "agents.yaml"
HANDOFFS = {"daarwizz": ["Helion", "GREENFOOD"], "helion": ["DAARWIZZ", "GREENFOOD"],
            "greenfood": ["DAARWIZZ", "Helion"]}


def _persona(name: str, *aliases: str) -> dict[str, Any]:
    text = {"uk": f"{name} укр", "en": f"{name} en"}
    return {"name": name, "aliases": list(aliases), "emoji": "🤖", "title": dict(text),
            "description": dict(text), "greeting": dict(text), "system_prompt": f"Ти — {name}.",
            "temperature": 0.5}


BASE: dict[str, Any] = {
    "default_agent": "helion",
    "agents": {"helion": _persona("Helion", "Геліон", "Хеліон"),
               "greenfood": _persona("GREENFOOD", "Грінфуд")},
}


@pytest.fixture(scope="module")
def real() -> AgentsConfig:
    return load_personas(REAL)


@pytest.fixture(scope="module")
def small() -> AgentsConfig:
    return AgentsConfig.model_validate(BASE)


def _error_for(tmp_path: Path, data: Any = None, *, text: str | None = None) -> str:
    path = tmp_path / "agents.yaml"
    if text is None:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_personas(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    return message


def _changed(edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


# --- the real file -----------------------------------------------------------------------------

def test_real_config_has_three_personas(real: AgentsConfig) -> None:
    assert list(real.agents) == ["daarwizz", "helion", "greenfood"]
    assert real.default_agent == "daarwizz" and real.default.name == "DAARWIZZ"
    assert [p.name for p in real.agents.values()] == ["DAARWIZZ", "Helion", "GREENFOOD"]
    for key, persona in real.agents.items():
        assert persona.key == key
        assert persona.emoji and persona.title.uk and persona.title.en and persona.greeting.en
        assert persona.route == "chat" and persona.local_only is False
        # Issue 13: the front door and the energy agent search the web on their own; GREENFOOD works from its base.
        assert persona.tools == (("web_search",) if key in ("daarwizz", "helion") else ())
        assert persona.language.default == "uk" and persona.language.follow_user
        assert persona.history_tokens == 3000 and persona.max_tokens is None
        assert persona.knowledge
    assert [p.temperature for p in real.agents.values()] == [0.6, 0.3, 0.5]


@pytest.mark.parametrize("key", HANDOFFS)
def test_real_prompts(real: AgentsConfig, key: str) -> None:
    prompt = real.agents[key].system_prompt
    first_line = prompt.splitlines()[0]
    assert first_line.startswith("English summary:") and first_line.isascii()
    assert 150 <= len(prompt.split()) <= 350
    for target in HANDOFFS[key]:
        assert target in prompt, f"{key} should hand questions to {target}"
    assert "мовою, якою пише користувач" in prompt and "українською" in prompt
    assert "не вигадуєш" in prompt and "інструкції" in prompt


def test_real_aliases_include_cyrillic(real: AgentsConfig) -> None:
    assert real.match_alias("Даарвіз, що таке microDAO?")[0].key == "daarwizz"
    assert real.match_alias("Хеліон: що таке kWt?")[0].key == "helion"
    assert real.match_alias("Грінфуд, як додати партію?")[0].key == "greenfood"


# --- models ------------------------------------------------------------------------------------

def test_localized_text_falls_back_to_ukrainian() -> None:
    text = LocalizedText(uk="привіт", en="hello")
    assert text.get("en") == text.get("en-US") == text.get("EN_gb") == "hello"
    assert text.get("uk") == text.get("ru") == text.get(None) == "привіт"  # i18n's resolver: ru reads Ukrainian
    assert text.get("fr") == "hello"  # ... and any other code English, as the bot's own notices
    assert LocalizedText(uk="привіт").get("en") == "привіт"


def test_models_are_frozen_and_keys_filled(small: AgentsConfig) -> None:
    helion = small.agents["helion"]
    assert helion.key == "helion" and helion.route == "chat" and helion.history_tokens == 3000
    with pytest.raises(pydantic.ValidationError):
        helion.temperature = 1.0


def test_get_by_id_name_or_alias(small: AgentsConfig) -> None:
    assert small.get("helion") is small.agents["helion"]
    assert small.get("Геліон") is small.get("HELION") is small.agents["helion"]
    assert small.get("nobody") is None


def test_persona_key_must_match_its_id() -> None:
    data = _changed(lambda d: d["agents"]["helion"].update(key="greenfood"))
    with pytest.raises(pydantic.ValidationError, match="must equal the persona id 'helion'") as info:
        AgentsConfig.model_validate(data)
    assert info.value.errors()[0]["ctx"]["path"] == "agents.helion.key"
    assert isinstance(AgentsConfig.model_validate(BASE).agents["greenfood"], Persona)


# --- loader errors name the file and the key ---------------------------------------------------

def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["helion"].update(temprature=0.3)))
    assert "agents.helion.temprature: Extra inputs are not permitted; did you mean 'temperature'?" in message


def test_unknown_nested_and_top_level_keys(tmp_path: Path) -> None:
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["helion"]["title"].update(ukr="x")))
    assert message.endswith("agents.helion.title.ukr: Extra inputs are not permitted; did you mean 'uk'?")
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["helion"].update(language={"fr": 1})))
    assert message.endswith("agents.helion.language.fr: Extra inputs are not permitted; "
                            "allowed keys: default, follow_user")
    message = _error_for(tmp_path, _changed(lambda d: d.update(zzz=1)))
    assert "zzz: Extra inputs are not permitted; allowed keys: agents, default_agent" in message


def test_wrong_type(tmp_path: Path) -> None:
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["helion"].update(temperature="hot")))
    assert "agents.helion.temperature: Input should be a valid number" in message and "(got 'hot')" in message
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["greenfood"].update(title="GREENFOOD")))
    assert "agents.greenfood.title: Input should be a valid dictionary" in message


def test_temperature_out_of_range(tmp_path: Path) -> None:
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["helion"].update(temperature=2.5)))
    path = tmp_path / "agents.yaml"
    assert f"{path}: agents.helion.temperature: Input should be less than or equal to 2" in message


def test_an_unknown_tool_is_named_with_the_known_ones(tmp_path: Path) -> None:
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["helion"].update(tools=["web_serch"])))
    assert "agents.helion.tools" in message and "'web_serch' is not a tool" in message
    assert "did you mean 'web_search'?" in message


def test_tools_are_kept_once_and_say_whether_the_persona_searches() -> None:
    config = AgentsConfig.model_validate(_changed(
        lambda d: d["agents"]["helion"].update(tools=["web_search", "web_search"])))
    assert config.agents["helion"].tools == ("web_search",) and config.agents["helion"].searches_web
    assert not config.agents["greenfood"].searches_web


def test_missing_required_and_empty_prompt(tmp_path: Path) -> None:
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["helion"].pop("system_prompt")))
    assert "agents.helion.system_prompt: Field required; add `system_prompt:`" in message
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["helion"].update(system_prompt="  \n")))
    assert "agents.helion.system_prompt: String should have at least 1 character" in message


def test_default_agent_must_exist(tmp_path: Path) -> None:
    message = _error_for(tmp_path, _changed(lambda d: d.update(default_agent="daarwizz")))
    assert "default_agent: 'daarwizz' is not a persona id; use one of: helion, greenfood" in message
    message = _error_for(tmp_path, _changed(lambda d: d.pop("default_agent")))
    assert "default_agent: Field required; add `default_agent:`" in message


def test_duplicate_alias_across_personas(tmp_path: Path) -> None:
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["greenfood"]["aliases"].append("геліон")))
    assert "agents.greenfood.aliases: 'геліон' is already a name or alias of 'helion'" in message
    message = _error_for(tmp_path, _changed(lambda d: d["agents"]["greenfood"].update(name="HELION")))
    assert "agents.greenfood.name: 'HELION' is already a name or alias of 'helion'" in message


def test_persona_id_must_be_a_slug(tmp_path: Path) -> None:
    message = _error_for(tmp_path, _changed(lambda d: d["agents"].update(Eco=_persona("Eco"))))
    assert "agents.Eco.key: String should match pattern" in message and "lowercase slugs" in message


def test_bad_yaml_reports_line(tmp_path: Path) -> None:
    text = "default_agent: helion\nagents:\n  helion:\n    name: Helion\n    aliases: [Helion, Геліон\n"
    message = _error_for(tmp_path, text=text)
    assert "line 6" in message and "invalid YAML" in message
    message = _error_for(tmp_path, text="default_agent: helion\nagents:\n  helion:\n name: x\n")
    assert "line 4, column 2: invalid YAML" in message


def test_duplicate_yaml_key_reports_line(tmp_path: Path) -> None:
    text = "default_agent: helion\nagents:\n  helion: {}\n  helion: {}\n"
    message = _error_for(tmp_path, text=text)
    assert message.endswith("line 4, column 3: invalid YAML: duplicate key 'helion'; "
                            "rename or delete one of them")


def test_missing_file_and_wrong_top_level(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml: file not found"):
        load_personas(tmp_path / "nowhere.yaml")
    message = _error_for(tmp_path, text="- helion\n- greenfood\n")
    assert "expected a mapping with `default_agent:` and `agents:`" in message
    assert "expected a mapping" in _error_for(tmp_path, text="")


def test_every_error_is_reported_on_its_own_line(tmp_path: Path) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["agents"]["helion"]["temperature"] = -1
        d["agents"]["greenfood"]["max_tokens"] = 0
    lines = _error_for(tmp_path, _changed(edit)).splitlines()
    assert len(lines) == 2 and all(line.startswith(str(tmp_path)) for line in lines)
    assert "agents.greenfood.max_tokens: Input should be greater than 0" in lines[1]


# --- alias matching ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "key", "rest"), [
    ("Helion, як працює EcoMiner?", "helion", "як працює EcoMiner?"),
    ("helion: що таке 1T", "helion", "що таке 1T"),
    ("HELION! привіт", "helion", "привіт"),
    ("Геліон — розкажи про BioMiner", "helion", "розкажи про BioMiner"),
    ("хеліон - біовугілля?", "helion", "біовугілля?"),
    ("  Хеліон,привіт", "helion", "привіт"),
    ("Helion", "helion", ""),
    ("Helion!", "helion", ""),
    ("Helion\nнаступний рядок", "helion", "наступний рядок"),
    ("Helion — -5°C це холодно?", "helion", "-5°C це холодно?"),
    ("greenfood, нове замовлення", "greenfood", "нове замовлення"),
    ("ГРІНФУД: склад", "greenfood", "склад"),
])
def test_match_alias(small: AgentsConfig, text: str, key: str, rest: str) -> None:
    found = small.match_alias(text)
    assert found is not None and (found[0].key, found[1]) == (key, rest)


@pytest.mark.parametrize("text", [
    "Helionix, привіт", "Геліонер: ні", "Helion's plan", "привіт, Helion", "", "Hel", "greenfoods",
])
def test_match_alias_rejects(small: AgentsConfig, text: str) -> None:
    assert small.match_alias(text) is None


def test_longer_alias_wins(tmp_path: Path) -> None:
    data = _changed(lambda d: d["agents"].update(green=_persona("Green"), gf=_persona("X", "Green Food")))
    config = AgentsConfig.model_validate(data)
    assert config.match_alias("Green Food: так")[0].key == "gf"
    assert config.match_alias("green  food так")[1] == "так"
    assert config.match_alias("Green, так")[0].key == "green"


@pytest.mark.parametrize("name", ["agents.yaml", "router.yaml"])
def test_the_config_files_parse_alike_on_libyaml_and_pure_python(name: str) -> None:
    from base.config_files import _FastLoader, _lines, _parse, _UniqueKeyLoader

    text = (Path(__file__).resolve().parents[2] / "config" / name).read_text(encoding="utf-8")
    fast_node, fast = _parse(text, _FastLoader or _UniqueKeyLoader)
    node, data = _parse(text, _UniqueKeyLoader)
    assert fast == data and _lines(fast_node) == _lines(node)  # the same data, each key at the same line


def test_a_repeated_key_is_refused_on_the_fast_parser_too(tmp_path: Path) -> None:
    path = tmp_path / "agents.yaml"
    path.write_text("default_agent: a\ndefault_agent: b\nagents: {}\n")
    with pytest.raises(ConfigError, match=r"line 2, column 1: invalid YAML: duplicate key 'default_agent'"):
        load_personas(path)
