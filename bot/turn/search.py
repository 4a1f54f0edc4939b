"""Web search inside a turn: `/search` (an Inbound of mode "search") and personas that search on their own.

The answer is the persona's, written from pages actually read, with numbered sources under it; a status line
says what is happening meanwhile. A question that may not or cannot search the web — the switch is off here,
the `search` extra is missing, the quota is used up, a local-only chat has no local search engine — is told
so after /search, and answered as a normal chat question when the search was the persona's own idea.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from agents.search.decide import needs_web
from agents.search.types import NothingFound, SearchTimeout
from bot.turn.sink import ReplySink
from bot.views.search import Found, answer_text, quota_text, status_text
from i18n import translator
from ops.search_use import ASKER, Asker, SearchUse
from storage.store import Answer, ChatState, Inbound, Store
from web.errors import NoLocalBackend, SearchUnavailable

if TYPE_CHECKING:
    from agents.persona import Persona

log = logging.getLogger(__name__)
GRACE = 15.0  # seconds past SEARCH_DEADLINE before the turn stops waiting for a research that overran it


class Researched(Found, Protocol):
    """agents.search.SearchAnswer as this turn reads it."""

    @property
    def path(self) -> str: ...
    @property
    def tokens_in(self) -> int: ...
    @property
    def tokens_out(self) -> int: ...


class Research(Protocol):
    """agents.search.WebResearch: the crew (or its plain fallback) that searches, reads and answers."""

    async def answer(self, question: str, persona: Persona, *, language: str, user_id: int, chat_id: int, bot: str,
                     local_only: bool, progress: Callable[[str, int], Awaitable[None]] | None = None,
                     crew: bool = True) -> Researched: ...


@dataclass(frozen=True, slots=True)
class SearchStack:
    """What a search needs once the `search` extra is loaded."""

    research: Research
    has_local: bool  # a self-hosted search engine marked local exists: local-only chats may search through it


@dataclass(frozen=True, slots=True)
class _Run:
    """One message about to be answered from the web."""

    inbound_id: int
    inbound: Inbound
    persona: Persona
    local_only: bool
    sink: ReplySink


class WebTurn:
    """Answers a message from the web, or says why not; built once by the composition root."""

    def __init__(self, store: Store, use: SearchUse, build: Callable[[], Awaitable[SearchStack]], *,
                 available: Callable[[], bool], deadline: float = 60.0, auto: bool = True) -> None:
        self.store, self.use, self.build, self.available = store, use, build, available
        self.deadline, self.auto_search = deadline, auto

    async def command(self, inbound_id: int, inbound: Inbound, persona: Persona, state: ChatState,
                      sink: ReplySink, started: float) -> None:
        """/search: the answer with sources, or one clear notice; model errors propagate to the caller's handlers."""
        tr = translator(inbound.language)
        local_only = state.local_only or persona.local_only
        stack, refusal = await self._gate(inbound, state, local_only)
        if stack is None:
            await self._refuse(inbound_id, sink, refusal)
            return
        run = _Run(inbound_id, inbound, persona, local_only, sink)
        error: BaseException
        try:
            found = await self._research(stack, run, "command")
        except (TimeoutError, SearchTimeout) as exc:
            notice, error = tr("search_timeout", seconds=round(self.deadline)), exc
        except NothingFound as exc:
            notice, error = tr("search_nothing"), exc
        except SearchUnavailable as exc:  # every backend down: nothing to read
            notice, error = tr("search_down"), exc
        except NoLocalBackend as exc:
            notice, error = tr("search_local_only"), exc
        else:
            if found.text.strip() or found.sources:
                await self._deliver(run, found, started, "command")
                return
            notice, error = tr("search_nothing"), NothingFound("an empty answer without sources")
        log.info("web search gave no answer in chat %s: %r", inbound.scope.chat_id, error)
        await self._refuse(inbound_id, sink, notice)

    async def auto(self, inbound_id: int, inbound: Inbound, persona: Persona, state: ChatState,
                   sink: ReplySink, started: float) -> bool:
        """A chat question the persona answers from the web when it needs fresh facts; False: answer it as chat."""
        if not (self.auto_search and persona.searches_web and inbound.mode == "chat" and inbound.text
                and not inbound.attachments and needs_web(inbound.text, inbound.language)):
            return False
        local_only = state.local_only or persona.local_only
        try:
            stack, refusal = await self._gate(inbound, state, local_only)
            if stack is None:
                log.debug("no automatic web search in chat %s: %s", inbound.scope.chat_id, refusal)
                return False
            found = await self._research(stack, _Run(inbound_id, inbound, persona, local_only, sink), "auto")
        except Exception as exc:  # noqa: BLE001 - the persona answers from what it knows instead
            log.warning("automatic web search failed in chat %s: %r", inbound.scope.chat_id, exc)
            await sink.status("")
            return False
        if not found.sources:  # nothing read: a normal answer beats an unsourced "web" one
            await sink.status("")
            return False
        await self._deliver(_Run(inbound_id, inbound, persona, local_only, sink), found, started, "auto")
        return True

    async def _gate(self, inbound: Inbound, state: ChatState, local_only: bool) -> tuple[SearchStack | None, str]:
        """The search stack when this message may search now, else (None, the notice that says why not)."""
        tr = translator(inbound.language)
        if not self.available():
            return None, tr("search_no_extra")
        if not state.web_search:
            return None, tr("search_off_here")
        stack = await self.build()
        if local_only and not stack.has_local:
            return None, tr("search_local_only")  # checked before anything leaves the host
        scope = inbound.scope
        over = await self.use.check(inbound.user_id, scope.chat_id, group=inbound.chat_type != "private")
        if over is not None:
            return None, quota_text(over.scope, over.used, over.limit, over.resets_at, self.use.now(),
                                    inbound.language)
        return stack, ""

    async def _research(self, stack: SearchStack, run: _Run, how: str) -> Researched:
        """Search, read and answer under the deadline, showing each stage."""
        inbound, sink = run.inbound, run.sink
        asker = _asker(run)

        async def progress(stage: str, n: int = 0) -> None:
            await sink.status(status_text(stage, n, inbound.language))

        await progress("searching")
        token = ASKER.set(asker)  # every backend query and page read of this run is recorded for this asker
        try:
            async with asyncio.timeout(self.deadline + GRACE):
                return await stack.research.answer(
                    inbound.text, run.persona, language=inbound.language, user_id=inbound.user_id,
                    chat_id=inbound.scope.chat_id, bot=inbound.scope.bot, local_only=run.local_only,
                    progress=progress, crew=how != "auto")  # a chat turn's own search: the plain path
        finally:
            ASKER.reset(token)

    async def _deliver(self, run: _Run, found: Researched, started: float, how: str) -> None:
        # The quota counts answers (a search that found nothing is free), counted before the user sees this one.
        await self.use.question(_asker(run), how)
        text = answer_text(found, run.inbound.language, self.deadline)
        await run.sink.finish(text)
        await self.store.record_answer(run.inbound, run.inbound_id, Answer(
            text=text, agent=run.persona.key, provider="web", model=found.path, tokens_in=found.tokens_in,
            tokens_out=found.tokens_out, latency_ms=(time.perf_counter() - started) * 1000,
            error="partial" if found.partial else None))

    async def _refuse(self, inbound_id: int, sink: ReplySink, notice: str) -> None:
        try:
            await sink.notify(notice)
        except Exception:
            log.exception("could not deliver a notice for message %s", inbound_id)
        await self.store.record_failure(inbound_id, notice[:200])  # told once; never retried after a restart


def _asker(run: _Run) -> Asker:
    """Who a run's usage rows and quota belong to."""
    inbound = run.inbound
    return Asker(inbound.scope.bot, inbound.scope.chat_id, inbound.user_id, run.persona.key)
