"""RouterLLM: CrewAI's model is our router, so every crew call keeps our rules, failover, quotas and usage rows."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from crewai import BaseLLM
from pydantic import PrivateAttr

from agents.search.run import SearchRun, Stopped, UnusableOutput
from agents.search.types import Stage
from router.think import strip_think
from router.types import ChatMessage, Role, Tool, ToolCall

CONTEXT_TOKENS = 32768  # what CrewAI budgets with; above 25% of it a tool result would be written to a file


class RouterLLM(BaseLLM):
    """A CrewAI LLM whose calls are `search` requests to our ModelRouter, made on the bot's event loop.

    CrewAI runs in a worker thread; `call` hands each request to the loop and waits. Native tool calls go to the
    router as `Tool`s and come back as OpenAI-style dicts, which is what CrewAI's executor runs.
    """

    llm_type: str = "dagi-router"
    _run: SearchRun = PrivateAttr()
    _stage: Stage | None = PrivateAttr(default=None)

    @classmethod
    def over(cls, run: SearchRun, *, temperature: float, max_tokens: int | None = None,
             stage: Stage | None = None) -> RouterLLM:
        """An LLM for one search; `stage` is reported (once) when its first call starts."""
        llm = cls(model="dagi-router", provider="dagi", temperature=temperature, max_tokens=max_tokens)
        llm._run, llm._stage = run, stage
        return llm

    def call(
        self,
        messages: str | list[Any],
        tools: list[dict[str, Any]] | None = None,
        callbacks: list[Any] | None = None,
        available_functions: dict[str, Any] | None = None,
        from_task: Any | None = None,
        from_agent: Any | None = None,
        response_model: Any | None = None,
    ) -> str | Any:
        """One model call through the router: text, or tool calls for CrewAI to run (or their result)."""
        run = self._run
        if run.cancelled.is_set() or run.fatal is not None:
            raise Stopped("search called off")
        chat = to_messages([{"role": "user", "content": messages}] if isinstance(messages, str) else messages)
        max_tokens = int(self.max_tokens) if self.max_tokens else None
        request = run.request(chat, tools=to_tools(tools or ()), temperature=self.temperature or 0.0,
                              max_tokens=max_tokens)
        try:
            reply = run.bridge(run.complete(request, stage=self._stage))
        except Stopped:
            raise
        except Exception as exc:  # noqa: BLE001  # any router error: fatal ones are kept in run.fatal
            if run.fatal is not None:
                # Neutral, without a cause: CrewAI would retry a quota or "429" message for seconds on end.
                raise Stopped(f"model call failed: {type(exc).__name__}") from None
            raise UnusableOutput(f"model output unusable: {type(exc).__name__}") from None
        self._track_token_usage_internal({"prompt_tokens": reply.tokens_in, "completion_tokens": reply.tokens_out})
        if reply.tool_calls:
            calls = [to_openai(c, i) for i, c in enumerate(reply.tool_calls)]
            if not available_functions:
                return calls  # as CrewAI's own providers do, whether or not tools were offered this time
            first = reply.tool_calls[0]
            result = self._handle_tool_execution(first.name, dict(first.arguments), available_functions,
                                                 from_task, from_agent)
            if result is not None:
                return result
        return self._apply_stop_words(strip_think(reply.text))

    def supports_function_calling(self) -> bool:
        """Native tool calls: the router sends `tools` and returns complete calls."""
        return True

    def get_context_window_size(self) -> int:
        """A window large enough that page excerpts stay in the conversation instead of going to files."""
        return CONTEXT_TOKENS

    def get_input_tokens_count(self, messages: str | list[Any], tools: Any = None,
                               response_model: Any = None) -> int:
        """CrewAI's 4-characters-a-token estimate, without its warning on every call."""
        if isinstance(messages, str):
            return (len(messages) + 3) // 4
        return sum(len(_text(m.get("content"))) for m in messages) // 4


def to_messages(messages: Sequence[Mapping[str, Any]]) -> list[ChatMessage]:
    """CrewAI's OpenAI-style messages as ours: assistant tool calls and tool results included."""
    out: list[ChatMessage] = []
    for m in messages:
        role = str(m.get("role") or "user")
        calls = tuple(_call(c) for c in m.get("tool_calls") or ())
        out.append(ChatMessage(_role(role), _text(m.get("content")), tool_calls=calls,
                               tool_call_id=str(m.get("tool_call_id") or "")))
    return out


def _role(role: str) -> Role:
    """A role our router knows; anything else (developer, function) speaks as the user."""
    if role == "system":
        return "system"
    if role == "assistant":
        return "assistant"
    return "tool" if role == "tool" else "user"


def _text(content: Any) -> str:
    """Message content as text: None (a turn of tool calls) is "", content blocks are joined."""
    if content is None:
        return ""
    if isinstance(content, list):
        return "\n".join(str(b.get("text", "")) for b in content if isinstance(b, Mapping))
    return str(content)


def _call(call: Mapping[str, Any]) -> ToolCall:
    """An assistant turn's call, as CrewAI recorded it ({"id", "function": {"name", "arguments": JSON text}})."""
    function = call.get("function") or {}
    arguments = function.get("arguments") or {}
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            arguments = {}
    return ToolCall(str(call.get("id") or ""), str(function.get("name") or ""),
                    arguments if isinstance(arguments, Mapping) else {})


def to_tools(tools: Sequence[Mapping[str, Any]]) -> tuple[Tool, ...]:
    """CrewAI's OpenAI tool schemas as router Tools."""
    out = []
    for spec in tools:
        function = spec.get("function") or spec
        out.append(Tool(str(function.get("name")), str(function.get("description") or ""),
                        dict(function.get("parameters") or {"type": "object", "properties": {}})))
    return tuple(out)


def to_openai(call: ToolCall, index: int) -> dict[str, Any]:
    """A router ToolCall in the shape CrewAI's executor takes from its OpenAI provider."""
    return {"id": call.id or f"call_{index}", "type": "function", "index": index,
            "function": {"name": call.name, "arguments": json.dumps(dict(call.arguments), ensure_ascii=False)}}
