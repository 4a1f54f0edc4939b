"""Routing rules: every condition, priority and file order, profiles, the routes shorthand, load errors
with line numbers, ModelRouter end-to-end, and `python -m router explain / check`."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from base import ConfigError
from router.config import load_router_config
from router.core import ModelRouter
from router.errors import ProviderUnavailable
from router.rules import NoRuleMatched, RouteContext, Rule, RuleSpec, match, ordered
from router.testing import FakeLLM, ScriptedProvider
from router.types import ChatMessage, ChatRequest, Target

REPO = Path(__file__).resolve().parents[2]

PROVIDERS = """\
providers:
  a: {kind: ollama, base_url: http://127.0.0.1:1}
  b: {kind: ollama, base_url: http://127.0.0.1:1}
  c: {kind: ollama, base_url: http://127.0.0.1:1}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "router.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, text: str):
    return load_router_config(write(tmp_path, text), {})


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_router_config(path, {})
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    return message


def chosen(tmp_path: Path, when: str, ctx: RouteContext) -> str:
    """The provider of the first target for `ctx` when rule `when` (→ a) precedes a catch-all (→ b)."""
    config = load(tmp_path, PROVIDERS + f"rules:\n  - when: {when}\n    use: [a:m]\n  - use: [b:m]\n")
    return match(config.compiled_rules(), ctx).targets[0].provider


C = RouteContext


@pytest.mark.parametrize(
    "when, yes, no",
    [
        ("{agent: helion}", [C(agent="helion")], [C(agent="greenfood"), C()]),
        ("{agent: [helion, greenfood]}", [C(agent="helion"), C(agent="greenfood")], [C(agent="daarwizz")]),
        ("{mode: vision}", [C(mode="vision")], [C(mode="chat")]),
        ("{mode: [vision, ocr]}", [C(mode="vision"), C(mode="ocr")], [C(mode="stt"), C(mode="embed")]),
        ("{chat: group}", [C(chat="group"), C(chat="supergroup")], [C(chat="private")]),
        ("{chat: private}", [C(chat="private")], [C(chat="group"), C(chat="supergroup")]),
        ("{role: admin}", [C(role="admin")], [C(role="user")]),
        ("{role: [user, admin]}", [C(role="admin"), C(role="user")], []),
        ("{has_image: true}", [C(has_image=True)], [C(has_image=False)]),
        ("{has_image: false}", [C(has_image=False)], [C(has_image=True)]),
        ("{language: uk}", [C(language="uk"), C(language="uk-UA"), C(language="UK")], [C(language="en"), C()]),
        ("{language: [uk, en]}", [C(language="uk"), C(language="en-US")], [C(language="ru")]),
        ("{min_length: 100}", [C(length=100), C(length=5000)], [C(length=99), C()]),
        ("{max_length: 50}", [C(length=50), C()], [C(length=51)]),
        ("{min_length: 10, max_length: 20}", [C(length=10), C(length=20)], [C(length=9), C(length=21)]),
        ("{agent: helion, chat: group, language: uk}", [C(agent="helion", chat="supergroup", language="uk")],
         [C(agent="helion", chat="group", language="en"), C(agent="helion", language="uk"),
          C(chat="group", language="uk")]),
    ],
)
def test_every_condition_can_match_and_not_match(
    tmp_path: Path, when: str, yes: list[RouteContext], no: list[RouteContext]
) -> None:
    for ctx in yes:
        assert chosen(tmp_path, when, ctx) == "a", ctx
    for ctx in no:
        assert chosen(tmp_path, when, ctx) == "b", ctx


def test_priority_wins_and_equal_priority_keeps_file_order(tmp_path: Path) -> None:
    config = load(tmp_path, PROVIDERS + """\
rules:
  - when: {agent: helion}
    use: [a:first]
  - when: {agent: helion}
    use: [b:second]
  - when: {min_length: 100}
    priority: 5
    use: [c:long]
  - when: {agent: helion}
    use: [a:third]
  - use: [b:default]
    priority: -1
""")
    rules = config.compiled_rules()
    assert [r.name for r in rules] == ["rules[2]", "rules[0]", "rules[1]", "rules[3]", "rules[4]"]
    assert match(rules, C(agent="helion")).targets == (Target("a", "first"),)
    assert match(rules, C(agent="helion", length=100)).targets == (Target("c", "long"),)
    assert match(rules, C(agent="greenfood")).targets == (Target("b", "default"),)
    # Priorities above the catch-all's are still tried first; a negative catch-all stays last.
    assert rules[-1].catch_all and rules[-1].priority == -1


def test_rule_records_its_line_and_conditions(tmp_path: Path) -> None:
    config = load(tmp_path, PROVIDERS + "rules:\n  - when: {agent: helion, chat: group}\n"
                                        "    use: [a:m]\n  - use: [b:m]\n")
    first, last = config.compiled_rules()
    assert (first.line, last.line) == (6, 8)
    assert first.when == {"agent": "helion", "chat": "group"} and last.when == {} and last.catch_all
    assert "rules[0] (line 6)" in first.describe() and "catch-all" in last.describe()


def test_catch_all_is_required(tmp_path: Path) -> None:
    message = load_error(tmp_path, PROVIDERS + "rules:\n  - when: {agent: helion}\n    use: [a:m]\n")
    assert "rules" in message and "catch-all" in message and "(line 5)" in message
    message = load_error(tmp_path, PROVIDERS)  # neither rules nor routes
    assert "catch-all" in message


def test_unknown_condition_names_file_key_and_line(tmp_path: Path) -> None:
    text = PROVIDERS + ("rules:\n  - when: {agent: helion}\n    use: [a:m]\n"
                        "  - when:\n      colour: blue\n    use: [b:m]\n")
    message = load_error(tmp_path, text)
    assert "rules[1].when.colour" in message
    assert "unknown condition 'colour'" in message and "(line 9)" in message


@pytest.mark.parametrize(
    "rules, where, what",
    [
        ("  - when: {mode: chatt}\n    use: [a:m]\n  - use: [b:m]\n", "rules[0].when.mode[0]", "(line 6)"),
        ("  - when: {chat: channel}\n    use: [a:m]\n  - use: [b:m]\n", "rules[0].when.chat", "'private' or 'group'"),
        ("  - when: {role: root}\n    use: [a:m]\n  - use: [b:m]\n", "rules[0].when.role", "'user' or 'admin'"),
        ("  - when: {has_image: maybe}\n    use: [a:m]\n  - use: [b:m]\n", "rules[0].when.has_image", "bool"),
        ("  - when: {min_length: 50, max_length: 10}\n    use: [a:m]\n  - use: [b:m]\n", "rules[0].when",
         "above max_length"),
        ("  - when: {min_length: -1}\n    use: [a:m]\n  - use: [b:m]\n", "rules[0].when.min_length",
         "greater than or equal to 0"),
        ("  - use: []\n", "rules[0].use", "at least one target"),
        ("  - use: [a:m, qwen3]\n", "rules[0].use", "[1]: target 'qwen3'"),
        ("  - use: [a:m, ghost:m]\n", "rules[0].use[1]", "unknown provider 'ghost' (defined: a, b, c) (line 6)"),
        ("  - use: nosuch\n", "rules[0].use", "no profile named 'nosuch'"),
        ("  - use: [a:m]\n    prio: 3\n", "rules[0].prio", "Extra inputs"),
        ("  - use: [a:m]\n    priority: high\n", "rules[0].priority", "integer"),
    ],
)
def test_rule_errors_name_file_key_and_line(tmp_path: Path, rules: str, where: str, what: str) -> None:
    message = load_error(tmp_path, PROVIDERS + "rules:\n" + rules)
    assert where in message and what in message and "(line " in message


def test_profiles_are_named_target_lists(tmp_path: Path) -> None:
    config = load(tmp_path, PROVIDERS + """\
profiles:
  fast: [b:small, a:big]
  local: [c:m]
rules:
  - when: {agent: helion}
    use: fast
  - use: local
""")
    first, last = config.compiled_rules()
    assert first.targets == (Target("b", "small"), Target("a", "big")) and first.profile == "fast"
    assert last.targets == (Target("c", "m"),) and last.profile == "local"
    message = load_error(tmp_path, PROVIDERS + "profiles:\n  p: [a:m, ghost:m]\nrules:\n  - use: p\n")
    assert "profiles.p[1]" in message and "unknown provider 'ghost'" in message and "(line 6)" in message
    assert "profiles.p" in load_error(tmp_path, PROVIDERS + "profiles:\n  p: []\nrules:\n  - use: p\n")


def test_routes_shorthand_still_works(tmp_path: Path) -> None:
    config = load(tmp_path, PROVIDERS + "routes:\n  chat: [a:m, b:m]\n  vision: [c:v]\n")
    rules = config.compiled_rules()
    assert match(rules, C()).targets == (Target("a", "m"), Target("b", "m"))
    assert match(rules, C(mode="vision")).targets == (Target("c", "v"),)
    assert match(rules, C(mode="summarize")).targets == (Target("a", "m"), Target("b", "m"))  # chat route
    # With rules as well, routes come after every rule, whatever its priority.
    config = load(tmp_path, PROVIDERS + "rules:\n  - when: {agent: helion}\n    priority: -5\n    use: [b:h]\n"
                                       "routes:\n  chat: [a:m]\n")
    rules = config.compiled_rules()
    assert match(rules, C(agent="helion")).targets == (Target("b", "h"),)
    assert match(rules, C(agent="greenfood")).targets == (Target("a", "m"),)


def test_match_without_catch_all_raises_and_order_is_stable() -> None:
    rule = Rule((Target("a", "m"),), agent=frozenset({"helion"}))
    with pytest.raises(NoRuleMatched):
        match([rule], C(agent="greenfood"))
    rules = [Rule((Target("a", str(i)),), index=i, priority=p) for i, p in enumerate([0, 2, 0, 2])]
    assert [r.targets[0].model for r in ordered(rules)] == ["1", "3", "0", "2"]
    spec = RuleSpec.model_validate({"when": {"agent": "helion"}, "use": "a:m"})  # one target may stand alone
    assert spec.use == (Target("a", "m"),)


def test_default_config_uses_rules_and_profiles() -> None:
    config = load_router_config(REPO / "config" / "router.yaml", {})
    rules = config.compiled_rules()
    assert rules[-1].catch_all
    assert match(rules, C(agent="helion")).targets == (Target("ollama", "qwen3:8b"), Target("embedded", "default"))


# -- ModelRouter end-to-end ---------------------------------------------------------------------------

E2E = """\
providers:
  ollama: {kind: ollama, base_url: http://127.0.0.1:1}
  groq:   {kind: openai, base_url: http://127.0.0.1:1/v1}
  small:  {kind: openai, base_url: http://127.0.0.1:1/v1}
  big:    {kind: openai, base_url: http://127.0.0.1:1/v1}
profiles:
  local: [ollama:qwen3:8b]
rules:
  - when: {agent: helion}
    use: [groq:llama-3.3-70b-versatile, ollama:qwen3:8b]
  - when: {chat: group}
    use: [small:tiny]
  - when: {min_length: 500}
    priority: 10
    use: [big:long-context]
  - use: local
"""


def request(text: str = "hi", **fields: object) -> ChatRequest:
    return ChatRequest(messages=(ChatMessage("system", "x" * 1000), ChatMessage("user", text)), **fields)


async def test_model_router_picks_targets_per_rule(tmp_path: Path) -> None:
    config = load(tmp_path, E2E)
    providers = {name: ScriptedProvider(name) for name in config.providers}
    router = ModelRouter(providers, rules=config.compiled_rules())

    async def who(req: ChatRequest) -> str:
        deltas = [d async for d in router.stream(req)]
        return f"{deltas[-1].provider}:{deltas[-1].model}"

    assert router.targets_for(request(agent="helion"))[0] == Target("groq", "llama-3.3-70b-versatile")
    assert await who(request(agent="helion")) == "groq:llama-3.3-70b-versatile"
    assert await who(request(agent="greenfood", chat="supergroup")) == "small:tiny"
    assert await who(request(agent="greenfood")) == "ollama:qwen3:8b"
    # The length is the last user message's (not the system prompt's); priority 10 beats the agent rule.
    assert await who(request("y" * 499, agent="greenfood")) == "ollama:qwen3:8b"
    assert await who(request("y" * 500, agent="helion")) == "big:long-context"
    assert router.targets("chat") == (Target("ollama", "qwen3:8b"),)
    # Fallback inside the chosen rule still works: groq down → ollama answers.
    providers["groq"].replies.append(ProviderUnavailable("down"))
    assert await who(request(agent="helion")) == "ollama:qwen3:8b"


def test_model_router_rejects_rules_without_catch_all_or_with_unknown_provider() -> None:
    with pytest.raises(ConfigError, match="catch-all"):
        ModelRouter({"a": ScriptedProvider("a")}, rules=[Rule((Target("a", "m"),), agent=frozenset({"x"}))])
    with pytest.raises(ConfigError, match="unknown provider 'ghost'"):
        ModelRouter({"a": ScriptedProvider("a")}, rules=[Rule((Target("ghost", "m"),))])


def test_agent_fills_chat_and_language() -> None:
    from agents.agent import Agent, AgentInput
    from agents.persona import load_personas

    personas = load_personas(REPO / "config" / "agents.yaml")
    persona = personas.get("helion")
    assert persona is not None
    req = Agent(router=None).build_request(persona, AgentInput("hi", language="en", chat="group"))
    assert (req.chat, req.language, req.agent, req.role, req.has_image) == ("group", "en", "helion", "user", False)
    assert RouteContext.of(req) == C(agent="helion", mode=persona.route, chat="group", language="en", length=2)


# -- python -m router ---------------------------------------------------------------------------------


async def run_cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    full_env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    full_env.update(PYTHONPATH=str(REPO), **(env or {}))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "router", *args, cwd=tmp_path, env=full_env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


CLI = """\
providers:
  ollama: {kind: ollama, base_url: "${FAKE_URL}"}
  groq:   {kind: openai, base_url: "${FAKE_OPENAI_URL}", api_key_env: GROQ_API_KEY}
  cloud:  {kind: openai, base_url: "${FAKE_OPENAI_URL}", api_key_env: CLOUD_KEY}
profiles:
  local: [ollama:qwen3:8b]
rules:
  - when: {agent: helion, chat: private}
    use: [groq:llama-3.3-70b-versatile, ollama:qwen3:8b]
  - when: {language: uk, min_length: 100}
    use: [cloud:gpt-4o-mini, ollama:qwen3:8b]
  - use: local
"""


async def test_cli_explain_shows_rule_and_target_states(tmp_path: Path, llm: FakeLLM) -> None:
    config = write(tmp_path, CLI)
    env = {"FAKE_URL": llm.url, "FAKE_OPENAI_URL": llm.openai_url, "CLOUD_KEY": "k"}
    code, out, err = await run_cli(tmp_path, "explain", "--agent", "helion", "--mode", "chat", "--chat", "private",
                                   "--config", str(config), env=env)
    assert code == 0, err
    assert "rules[0] (line 8)" in out and "agent: helion" in out and "chat: private" in out
    assert "1. groq:llama-3.3-70b-versatile  unavailable: GROQ_API_KEY is not set" in out
    assert "2. ollama:qwen3:8b  closed" in out
    code, out, err = await run_cli(tmp_path, "explain", "--agent", "helion", "--chat", "group", "--language", "uk",
                                   "--length", "120", "--has-image", "--role", "admin", "--config", str(config),
                                   env=env)
    assert code == 0, err
    assert "rules[1] (line 10)" in out and "1. cloud:gpt-4o-mini  closed" in out
    code, out, err = await run_cli(tmp_path, "explain", "--agent", "greenfood", "--config", str(config), env=env)
    assert "rules[2] (line 12)" in out and "catch-all" in out and "profile local" in out
    assert {r.path for r in llm.requests} <= {"/api/ps"}  # explain never calls a model, it reads what is loaded


async def test_cli_check_probes_providers(tmp_path: Path, llm: FakeLLM) -> None:
    config = write(tmp_path, CLI)
    env = {"FAKE_URL": llm.url, "FAKE_OPENAI_URL": llm.openai_url, "CLOUD_KEY": "k", "GROQ_API_KEY": "g"}
    code, out, err = await run_cli(tmp_path, "check", "--config", str(config), env=env)
    lines = out.splitlines()
    assert lines[0].split() == ["provider", "model", "reachable", "capabilities", "/", "error"]
    qwen = next(line for line in lines if line.startswith("ollama"))
    assert "qwen3:8b" in qwen and "yes" in qwen and "completion, tools, thinking" in qwen
    assert any(line.startswith("cloud") and "gpt-4o-mini" in line and "yes" in line for line in lines)
    # groq's model is not on the fake's list: reachable, noted, not a failure.
    assert any(line.startswith("groq") and "not listed" in line for line in lines)
    assert code == 0, out + err
    paths = {r.path for r in llm.requests}
    assert {"/api/tags", "/api/show", "/v1/models"} <= paths and "/api/chat" not in paths

    env["FAKE_URL"] = FakeLLM.refusing_url()
    code, out, err = await run_cli(tmp_path, "check", "--config", str(config), env=env)
    assert code == 1, out + err
    row = next(line for line in out.splitlines() if line.startswith("ollama"))
    assert " no " in row and "cannot connect" in row


async def test_cli_config_error_exits_2_without_traceback(tmp_path: Path) -> None:
    config = write(tmp_path, PROVIDERS + "rules:\n  - when: {colour: blue}\n    use: [a:m]\n  - use: [b:m]\n")
    for command in ("explain", "check"):
        code, _, err = await run_cli(tmp_path, command, "--config", str(config))
        assert code == 2
        assert "Traceback" not in err and "rules[0].when.colour" in err and "(line 6)" in err
