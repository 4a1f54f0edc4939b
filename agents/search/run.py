"""One search's shared state: who asked, pages read, model calls counted, and the bridge from CrewAI's thread."""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import AsyncGenerator, Coroutine, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from agents.search.prompts import ReadPage
from agents.search.types import Progress, Source, Stage
from router.errors import AllTargetsFailed, BadToolCall
from router.types import ChatMessage, ChatRequest, Delta, Tool, ToolCall
from web.types import Hit, Page, SearchResult

if TYPE_CHECKING:
    from agents.persona import Persona
    from router.core import ModelRouter

log = logging.getLogger(__name__)
T = TypeVar("T")


class Searcher(Protocol):
    """What a search needs of web.WebSearch."""

    @property
    def has_local(self) -> bool: ...

    async def search(self, query: str, *, limit: int = ..., language: str = ...,
                     local_only: bool = ...) -> SearchResult: ...


class Reader(Protocol):
    """What a search needs of web.PageReader."""

    async def read(self, url: str) -> Page: ...


class UnusableOutput(ValueError):
    """The model's reply could not be used (a malformed tool call); a ValueError, as CrewAI expects of an LLM."""


class Stopped(Exception):
    """The search was called off (deadline, or a fatal error kept in `SearchRun.fatal`): CrewAI's thread ends here."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One model call's whole answer: text and complete tool calls."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(slots=True)
class SearchRun:
    """State of one `WebResearch.answer` call, shared by the crew's thread, its tools and the plain path."""

    router: ModelRouter
    web: Searcher
    reader: Reader
    persona: Persona
    question: str
    language: str  # the code the answer is written in (uk, en)
    local_only: bool  # the chat's or the persona's: only local models and local search backends
    user_id: int
    chat_id: int
    bot: str
    max_pages: int
    crew_ends_at: float  # time.monotonic() when CrewAI's calls stop waiting
    chat: str = "private"  # private | group | supergroup: routing rules may tell them apart
    progress: Progress | None = None
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)
    pages: list[ReadPage] = field(default_factory=list)
    reading: int = 0  # page reads in flight
    hits: list[Hit] = field(default_factory=list)  # every search result so far; read_page takes their numbers too
    tool_calls: list[str] = field(default_factory=list)  # "name(arguments)" in call order: repeats show here
    model_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    waited: float = 0.0  # seconds CrewAI's thread spent waiting on our router and web calls
    crew_time: float = 0.0  # seconds of kickoff not spent waiting on them: CrewAI's own orchestration
    fatal: BaseException | None = None  # an error no retry or fallback can mend (quota, no model, no backend)
    cancelled: threading.Event = field(default_factory=threading.Event)
    _futures: set[concurrent.futures.Future[Any]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reported: set[str] = field(default_factory=set)

    def request(self, messages: Sequence[ChatMessage], *, tools: Sequence[Tool] = (), temperature: float = 0.3,
                max_tokens: int | None = None) -> ChatRequest:
        """A `search` request on behalf of the user: the router applies its rules, quotas and usage rows to it."""
        return ChatRequest(
            messages=tuple(messages), tools=tuple(tools), temperature=temperature, max_tokens=max_tokens,
            task="search", agent=self.persona.key, local_only=self.local_only, chat=self.chat,
            language=self.language, user_id=self.user_id, chat_id=self.chat_id, bot=self.bot,
            speaker=self.persona.name)

    async def complete(self, request: ChatRequest, *, stage: Stage | None = None) -> Reply:
        """The router's whole answer to `request`, counted; errors other than a malformed call are fatal."""
        if stage is not None:
            await self.report(stage)
        text: list[str] = []
        calls: list[ToolCall] = []
        tokens_in = tokens_out = 0
        try:
            # ModelRouter.stream is an async generator: closing it at once frees the provider's connection.
            async with aclosing(cast(AsyncGenerator[Delta, None], self.router.stream(request))) as deltas:
                async for delta in deltas:
                    text.append(delta.text)
                    calls.extend(delta.tool_calls)
                    if delta.usage is not None:
                        tokens_in, tokens_out = delta.usage.tokens_in, delta.usage.tokens_out
        except Exception as exc:
            if not malformed_call(exc):
                self.fatal = self.fatal or exc
            raise
        finally:
            with self._lock:
                self.model_calls += 1
                self.tokens_in += tokens_in
                self.tokens_out += tokens_out
        return Reply("".join(text), tuple(calls), tokens_in, tokens_out)

    async def report(self, stage: Stage, n: int = 0) -> None:
        """Tell the caller what is happening; a failing progress callback never stops the search."""
        key = f"{stage}:{n}"
        if self.progress is None or key in self._reported:
            return
        self._reported.add(key)
        try:
            await self.progress(stage, n)
        except Exception:  # a status message that failed to edit must not cost the answer
            log.warning("search progress callback failed at %s", key, exc_info=True)

    def bridge(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the bot's event loop from CrewAI's worker thread and wait for it, until the deadline."""
        if self.cancelled.is_set():
            coro.close()
            raise Stopped("search called off")
        if threading.get_ident() == getattr(self.loop, "_thread_id", None):
            coro.close()
            raise RuntimeError("SearchRun.bridge called on the event loop's own thread; it would deadlock")
        started = time.monotonic()
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        with self._lock:
            self._futures.add(future)
        try:
            return future.result(timeout=max(0.0, self.crew_ends_at - started))
        except (concurrent.futures.CancelledError, concurrent.futures.TimeoutError):
            future.cancel()
            raise Stopped("search called off") from None
        finally:
            with self._lock:
                self._futures.discard(future)
                self.waited += time.monotonic() - started

    def cancel(self) -> None:
        """Call the crew off: its waiting calls end now and its next one raises Stopped."""
        self.cancelled.set()
        with self._lock:
            futures = list(self._futures)
        for future in futures:
            future.cancel()

    def sources(self) -> tuple[Source, ...]:
        """The pages read so far, as the answer cites them."""
        return tuple(Source(p.n, p.title or p.url, p.url) for p in self.pages)


def malformed_call(exc: BaseException) -> bool:
    """True when the model's output was unusable (a broken tool call): a retry or the plain path may still work."""
    if isinstance(exc, BadToolCall):
        return True
    return isinstance(exc, AllTargetsFailed) and bool(exc.errors) and all(
        isinstance(e, BadToolCall) for e in exc.errors)
