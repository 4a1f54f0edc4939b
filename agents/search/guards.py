"""Small local models break CrewAI's format: clean what they write and tell an answer from a non-answer."""
from __future__ import annotations

import json
import re

from pydantic import ValidationError

from agents.search.run import UnusableOutput
from router.think import strip_think

_TOOL_TAG = re.compile(r"</?\s*(?:tool_call|tool_calls|function_call|tools?)\b[^>]*>", re.IGNORECASE)
_REACT = re.compile(r"^\s*(?:Thought:.*\n\s*)?Action\s*:.*\n\s*Action\s*Input\s*:", re.IGNORECASE | re.DOTALL)
_FINAL = re.compile(r"^\s*(?:Thought:.*?\n\s*)?Final\s+Answer\s*:\s*", re.IGNORECASE | re.DOTALL)
# A sources list the model added although told not to: the bot renders the real one from the pages read.
_SOURCES = re.compile(r"\n\s*(?:\*\*|#+\s*)?(?:sources|references|джерела|посилання|источники)\s*(?:\*\*)?\s*:?\s*"
                      r"(?:\*\*)?\s*\n(?:\s*(?:[-*•]|\[?\d+[\].)]).*\n?)+\s*$", re.IGNORECASE)
_CITE = re.compile(r"(\s*)\[(\d+(?:\s*[,–-]\s*\d+)*)\]")
_EMPTY_REPLY = "None or empty"  # CrewAI's ValueError when a model call returned nothing


def clean(text: str, pages: int) -> str:
    """The answer as the user sees it: no thinking, no 'Final Answer:', no sources list, no [n] of unread pages."""
    text = strip_think(text).strip()
    text = _FINAL.sub("", text, count=1)
    text = _SOURCES.sub("", text + "\n").strip()
    return _CITE.sub(lambda m: _known(m.group(1), m.group(2), pages), text).strip()


def _known(space: str, group: str, pages: int) -> str:
    """Keep only the numbers of pages that were read; drop the brackets (and the space before) when none is left."""
    numbers = [int(n) for n in re.findall(r"\d+", group)]
    if "-" in group or "–" in group:  # a range like [1-3]
        numbers = list(range(numbers[0], numbers[-1] + 1)) if numbers[0] <= numbers[-1] else numbers
    kept = [n for n in dict.fromkeys(numbers) if 1 <= n <= pages]
    return space + "".join(f"[{n}]" for n in kept) if kept else ""


def non_answer(text: str) -> str | None:
    """Why `text` (already cleaned) is not an answer a user should get, or None when it is one."""
    stripped = text.strip()
    if not stripped:
        return "empty"
    if _TOOL_TAG.search(stripped):
        return "tool_call_text"
    if _REACT.search(stripped):
        return "react_action"
    if _is_call_json(stripped):
        return "tool_call_json"
    return None


def _is_call_json(text: str) -> bool:
    """A function call written out as JSON: {"name": ..., "arguments": {...}}, a list of them, or in a code fence."""
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", text).strip()
    if not body.startswith(("{", "[")):
        return False
    try:
        value = json.loads(body)
    except ValueError:
        return bool(re.search(r'"(?:name|function|tool)"\s*:', body))  # cut-off JSON of a call is no answer either
    items = value if isinstance(value, list) else [value]
    return any(isinstance(v, dict) and ({"name", "function", "tool", "tool_calls"} & set(v)) for v in items)


def failure(exc: BaseException) -> str:
    """Why a kickoff raised, as a short reason for logs and the retry decision."""
    if isinstance(exc, ValidationError):
        return "tool_calls_in_final"  # the last reply still carried tool calls: CrewAI's TaskOutput refuses a list
    if isinstance(exc, UnusableOutput):
        return "malformed_call"  # arguments that are not JSON, a call without a name
    if isinstance(exc, ValueError) and _EMPTY_REPLY in str(exc):
        return "empty"
    return f"crew_error:{type(exc).__name__}"


def looped(calls: list[str]) -> bool:
    """True when the researcher made the very same tool call more than once."""
    return len(set(calls)) < len(calls)
