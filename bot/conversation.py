"""One conversation turn, shared by Telegram and the console: store → agent → sink → store."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Protocol

from agents.agent import Agent, AgentInput, Turn
from bot.texts import t
from router.errors import AllTargetsFailed, ProviderError, StreamCut
from storage.store import Answer, Inbound, Store

if TYPE_CHECKING:
    from agents.persona import AgentsConfig

log = logging.getLogger(__name__)


class ReplySink(Protocol):
    """Where an answer goes: a Telegram chat or the terminal."""

    async def update(self, text: str) -> None:
        """The answer so far; the sink decides when to show it."""

    async def finish(self, text: str) -> None:
        """The whole answer: show it in full."""

    async def notify(self, text: str) -> None:
        """A short notice instead of (or after) an answer."""

    async def close(self) -> None:
        """Stop any background activity (typing indicator, timers)."""


class Conversations:
    """Answers user messages exactly once, in order per chat, and records everything."""

    def __init__(self, store: Store, agent: Agent, personas: "AgentsConfig", *, history_limit: int = 40) -> None:
        self.store = store
        self.agent = agent
        self.personas = personas
        self.history_limit = history_limit
        self._locks: dict[object, asyncio.Lock] = {}

    async def handle(self, inbound: Inbound, sink: ReplySink) -> bool:
        """Store the message, then answer it; False when it was a duplicate delivery."""
        inbound_id = await self.store.record_inbound(inbound)
        if inbound_id is None:
            await sink.close()
            log.info("duplicate message %s in chat %s ignored", inbound.tg_message_id, inbound.scope.chat_id)
            return False
        await self.answer(inbound_id, inbound, sink)
        return True

    async def answer(self, inbound_id: int, inbound: Inbound, sink: ReplySink) -> None:
        """Answer a stored message (fresh or recovered after a restart) and record the outcome."""
        lock = self._locks.setdefault(inbound.scope, asyncio.Lock())
        try:
            async with lock:
                await self._answer(inbound_id, inbound, sink)
        finally:
            await sink.close()
            if not lock.locked() and self._locks.get(inbound.scope) is lock:
                del self._locks[inbound.scope]

    async def _answer(self, inbound_id: int, inbound: Inbound, sink: ReplySink) -> None:
        persona = self.personas.get(inbound.agent) or self.personas.get(self.personas.default_agent)
        lang = inbound.language
        started = time.perf_counter()
        text, provider, model, usage = "", "", "", None
        try:
            turns = await self.store.history(inbound.scope, inbound.conversation, before=inbound_id,
                                             limit=self.history_limit)
            data = AgentInput(text=inbound.text, history=[Turn(x.role, x.text) for x in turns], language=lang)
            async for delta in self.agent.stream(persona, data):
                if delta.text:
                    text += delta.text
                    await sink.update(text)
                if delta.usage is not None:
                    usage, provider, model = delta.usage, delta.provider, delta.model
            if not text.strip():
                raise StreamCut("the model returned an empty answer", partial="")
            await sink.finish(text)
            await self.store.record_answer(inbound_id, inbound.scope, inbound.conversation, Answer(
                text=text, agent=persona.key, provider=provider, model=model,
                tokens_in=usage.tokens_in if usage else 0, tokens_out=usage.tokens_out if usage else 0,
                latency_ms=(time.perf_counter() - started) * 1000))
        except StreamCut as exc:
            partial = exc.partial or text
            log.warning("stream cut in chat %s: %s", inbound.scope.chat_id, exc)
            if partial.strip():
                await sink.finish(f"{partial}\n\n{t(lang, 'cut')}")
                await self.store.record_answer(inbound_id, inbound.scope, inbound.conversation, Answer(
                    text=partial, agent=persona.key, provider=exc.provider, model=exc.model, error=str(exc),
                    latency_ms=(time.perf_counter() - started) * 1000))
            else:
                await self._fail(inbound_id, sink, t(lang, "unavailable"), str(exc))
        except AllTargetsFailed as exc:
            log.warning("no model answered in chat %s: %s", inbound.scope.chat_id,
                        "; ".join(f"{e.provider}:{e.model} {e.kind}" for e in exc.errors))
            await self._fail(inbound_id, sink, t(lang, "unavailable"), str(exc))
        except ProviderError as exc:
            log.warning("model error in chat %s: %s", inbound.scope.chat_id, exc)
            await self._fail(inbound_id, sink, t(lang, "unavailable"), str(exc))
        except Exception as exc:  # noqa: BLE001 - the user must hear back whatever broke
            log.exception("failed to answer message %s", inbound_id)
            await self._fail(inbound_id, sink, t(lang, "internal"), repr(exc))

    async def _fail(self, inbound_id: int, sink: ReplySink, notice: str, error: str) -> None:
        try:
            await sink.notify(notice)
        except Exception:  # noqa: BLE001 - Telegram itself failed; the log is all that is left
            log.exception("could not deliver a notice for message %s", inbound_id)
        # Marked failed even if the notice was lost, so a restart never loops on it.
        await self.store.record_failure(inbound_id, error)

    async def recover(self, sinks: "SinkFactory", bots: list[str]) -> int:
        """Answer every message left pending by a crash; returns how many."""
        pending = await self.store.pending(bots)
        if pending:
            log.info("recovering %d unanswered message(s)", len(pending))
        await asyncio.gather(*(self.answer(p.id, p.inbound, sinks(p.inbound)) for p in pending))
        return len(pending)


class SinkFactory(Protocol):
    """Builds a sink for a stored inbound message (used after a restart)."""

    def __call__(self, inbound: Inbound) -> ReplySink: ...
