"""Scripted tool-call replies for the fakes, and the checks a real server makes on tools and tool turns."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from router.testing.text import tokenize

TOOLS = "tools"


@dataclass(frozen=True, slots=True)
class ScriptedCall:
    """One tool call a fake model makes. `arguments` as a str goes out verbatim: bad JSON for failure tests."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    id: str = ""  # "" → the fake numbers it: call_1, call_2, … in the order calls are sent

    def arguments_json(self) -> str:
        """The arguments as OpenAI sends them: JSON text."""
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False, default=dict)  # default: any Mapping inside

    def arguments_object(self) -> Any:
        """The arguments as Ollama sends them: a JSON object (or the scripted str, as a broken server would)."""
        return self.arguments if isinstance(self.arguments, str) else json.loads(self.arguments_json())


CallLike = ScriptedCall | tuple[str, Mapping[str, Any] | str] | tuple[str, Mapping[str, Any] | str, str]


@dataclass(frozen=True, slots=True)
class Reply:
    """A scripted answer: text (may be empty), then tool calls (may be none)."""

    text: str = ""
    tool_calls: tuple[ScriptedCall, ...] = ()

    @classmethod
    def of(cls, text: str = "", tool_calls: Iterable[CallLike] = ()) -> Reply:
        """A reply from calls written as ScriptedCall or `(name, arguments)` / `(name, arguments, id)` tuples."""
        return cls(text, tuple(c if isinstance(c, ScriptedCall) else ScriptedCall(*c) for c in tool_calls))

    def tokens_out(self) -> int:
        """Completion tokens as the fake counts them: text words plus the calls' words."""
        return len(tokenize(self.text)) + sum(1 + len(tokenize(c.arguments_json())) for c in self.tool_calls)


def numbered(reply: Reply, next_id: Iterable[int]) -> Reply:
    """The reply with an id on every call that has none (`call_<n>`, n from `next_id`)."""
    if all(c.id for c in reply.tool_calls):
        return reply
    ids = iter(next_id)
    return replace(reply, tool_calls=tuple(c if c.id else replace(c, id=f"call_{next(ids)}")
                                           for c in reply.tool_calls))


def has_tools(models: dict[str, dict[str, Any]], model: str) -> bool:
    """Whether the fake's model table gives `model` native tool calls; unknown models have none."""
    return TOOLS in (models.get(model) or {}).get("capabilities", ())


def _tools_problem(tools: Any) -> str | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        return "tools must be a list"
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or tool.get("type", "function") != "function":
            return f"tools[{i}] must be {{type: function, function: {{...}}}}"
        if not isinstance(fn.get("name"), str) or not fn["name"]:
            return f"tools[{i}].function.name must be a non-empty string"
        if "parameters" in fn and not isinstance(fn["parameters"], dict):
            return f"tools[{i}].function.parameters must be an object"
    return None


def ollama_problem(body: dict[str, Any]) -> str | None:
    """Why real Ollama would refuse the tools or tool turns of this /api/chat body; None if it would not."""
    if problem := _tools_problem(body.get("tools")):
        return problem
    called: set[str] = set()
    for i, m in enumerate(body.get("messages") or []):
        for j, call in enumerate((m.get("tool_calls") or []) if isinstance(m, dict) else []):
            fn = call.get("function") if isinstance(call, dict) else None
            if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                return f"messages[{i}].tool_calls[{j}].function must have a name"
            if not isinstance(fn.get("arguments", {}), dict):
                # Go unmarshals arguments into a map: JSON text (the OpenAI form) fails.
                return f"json: cannot unmarshal string into messages[{i}].tool_calls[{j}].function.arguments"
            called.add(fn["name"])
        if isinstance(m, dict) and m.get("role") == "tool" and m.get("tool_name") not in (None, *called):
            return f"messages[{i}]: tool_name {m['tool_name']!r} was never called"
    return None


def openai_problem(body: dict[str, Any]) -> str | None:
    """Why an OpenAI server would refuse the tools or tool turns of this body; None if it would not."""
    if problem := _tools_problem(body.get("tools")):
        return problem
    ids: set[str] = set()
    for i, m in enumerate(body.get("messages") or []):
        if not isinstance(m, dict):
            continue
        for j, call in enumerate(m.get("tool_calls") or []):
            fn = call.get("function") if isinstance(call, dict) else None
            if not isinstance(call.get("id"), str) or not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                return f"messages[{i}].tool_calls[{j}] needs an id and a function name"
            if not isinstance(fn.get("arguments"), str):
                return f"messages[{i}].tool_calls[{j}].function.arguments must be a string"
            ids.add(call["id"])
        if m.get("role") == "tool" and m.get("tool_call_id") not in ids:
            return (f"messages[{i}]: messages with role 'tool' must be a response to a preceding message with "
                    "'tool_calls' (unknown tool_call_id)")
    return None


def tool_names(body: dict[str, Any] | None) -> list[str]:
    """The names of the tools a recorded chat body offered (both wires declare them alike)."""
    tools = (body or {}).get("tools") or []
    return [t["function"]["name"] for t in tools if isinstance(t, dict) and isinstance(t.get("function"), dict)]


def tool_results(body: dict[str, Any] | None) -> list[str]:
    """The contents of a recorded chat body's tool turns, in order."""
    return [str(m.get("content") or "") for m in (body or {}).get("messages") or []
            if isinstance(m, dict) and m.get("role") == "tool"]
