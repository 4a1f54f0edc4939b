"""Tool calls on the wire, shared by the providers: plain JSON of a schema, parsed arguments, streamed fragments."""
from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from router.errors import BadToolCall
from router.types import ChatMessage, Tool, ToolCall


def plain(value: object) -> object:
    """`value` as plain JSON types: SDKs and json.dumps take dicts and lists, not any Mapping or tuple."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def function_spec(tool: Tool) -> dict[str, object]:
    """A tool as both wires declare it: `{"type": "function", "function": {name, description, parameters}}`."""
    parameters = plain(tool.parameters) or {"type": "object", "properties": {}}
    return {"type": "function",
            "function": {"name": tool.name, "description": tool.description, "parameters": parameters}}


def new_call_id() -> str:
    """An id for a call whose server gave none (Ollama): unique, so a tool turn finds its call in a long history."""
    return f"call_{uuid.uuid4().hex[:16]}"


def parse_arguments(text: str, name: str) -> dict[str, object]:
    """A call's JSON arguments text as an object; "" (a call without arguments) is {}; anything else → BadToolCall."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadToolCall(f"tool call {name!r}: arguments are not valid JSON ({exc.msg} at {exc.pos}): "
                          f"{text[:80]!r}") from None
    if not isinstance(value, dict):
        raise BadToolCall(f"tool call {name!r}: arguments must be a JSON object, got {type(value).__name__}")
    return value


def call_names(messages: tuple[ChatMessage, ...]) -> dict[str, str]:
    """Tool call id → function name over a conversation's assistant turns (Ollama names a tool turn's tool)."""
    return {call.id: call.name for m in messages for call in m.tool_calls}


@dataclass(slots=True)
class _Fragment:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class CallAssembler:
    """Streamed tool-call fragments (OpenAI's `delta.tool_calls`) gathered by index into complete calls."""

    def __init__(self) -> None:
        self._parts: dict[int, _Fragment] = {}

    def feed(self, index: int | None, *, id: str | None = None, name: str | None = None,
             arguments: object = None) -> None:
        """One fragment: the first of a call carries its id and name, the rest pieces of the arguments' JSON.

        Lenient where servers differ: a fragment without an index (Gemini) starts a new call when it has an id
        and continues the last one otherwise; arguments sent as an object instead of JSON text are taken too.
        """
        if index is None:
            last = max(self._parts, default=-1)
            index = last + 1 if id or last < 0 else last
        part = self._parts.setdefault(index, _Fragment())
        if id:
            part.id = id
        if name and name != part.name:
            part.name += name  # sent whole once (OpenAI), repeated on every fragment, or split: each comes out right
        if isinstance(arguments, str):
            part.arguments.append(arguments)
        elif arguments is not None:
            part.arguments.append(json.dumps(arguments, ensure_ascii=False))

    def calls(self) -> list[ToolCall]:
        """The complete calls in index order, arguments parsed; BadToolCall for a nameless call or bad JSON."""
        out = []
        for index in sorted(self._parts):
            part = self._parts[index]
            if not part.name:
                raise BadToolCall(f"tool call #{index} names no function")
            out.append(ToolCall(part.id or new_call_id(), part.name, parse_arguments("".join(part.arguments),
                                                                                       part.name)))
        return out
