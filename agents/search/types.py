"""What a web search hands back to the bot, and the errors it raises; no CrewAI here (this loads at bot start)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

Stage = Literal["searching", "reading", "writing"]
# progress(stage, n): n is the number of pages being read for "reading", 0 otherwise.
Progress = Callable[[Stage, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Source:
    """A page that was fetched and read; `n` is the number the answer cites it by ([n])."""

    n: int
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """The persona's answer (without a sources list: the bot renders `sources`) and what it cost.

    `text` is "" when no answer could be written in time or in shape: the bot shows the sources alone.
    `partial` marks an answer cut short by the deadline (an empty `text` without it: the model's output was unusable).
    `path` is "crew" (CrewAI's researcher and writer) or "plain" (search → read → one model call).
    """

    text: str
    sources: tuple[Source, ...]
    partial: bool
    path: str
    model_calls: int
    tokens_in: int
    tokens_out: int
    elapsed_ms: float = 0.0  # the whole answer
    crew_ms: float = 0.0  # CrewAI's own orchestration: kickoff time minus the time spent in our router and web calls


class SearchError(Exception):
    """A web search that produced nothing to show; the bot words each subclass."""


class SearchTimeout(SearchError):
    """The deadline passed before any page was read."""


class NothingFound(SearchError):
    """The search found no result, or none of the results could be read."""
