"""One conversation turn, shared by Telegram and the console: store → agent → sink → store."""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.agent import Agent, AgentInput
from agents.handoff import HandoffRules
from base.log_context import bind
from base.metrics import metrics
from bot.turn.handoff import hand_off
from bot.turn.media import MediaError, MediaSource
from bot.turn.memory import recall, remember
from bot.turn.photos import agent_turns, deliver_ocr, images_for, only_capability_failures, read_locally
from bot.turn.search import WebTurn
from bot.turn.sink import ReplySink, SinkFactory
from bot.turn.takeover import ReplicaTurns
from bot.turn.voice import VoiceRefused, VoiceTurn
from bot.views.knowledge import with_sources
from bot.views.usage import quota_notice
from i18n import translator
from rag.knowledge import Asker, KnowledgeBase, chat_scope, persona_scopes
from rag.types import Passage
from router.errors import AllTargetsFailed, LocalOnlyUnavailable, ProviderError, QuotaExceeded, StreamCut
from router.types import Usage
from storage.leases import MessageLeases, Taken
from storage.store import Answer, ChatState, Inbound, Pending, Store

if TYPE_CHECKING:
    from agents.persona import AgentsConfig, Persona
    from ops.memory import Memory

log = logging.getLogger(__name__)
BUSY_NOTICE = 2.0  # seconds a request waits for a busy model before the user is told it is in line


@dataclass
class _Reply:
    """What the model has said so far, and who said it (kept for a partial answer when the stream breaks)."""

    text: str = ""
    provider: str = ""
    model: str = ""
    usage: Usage | None = None


class Conversations:
    """Answers user messages exactly once, in order per chat, and records everything."""

    def __init__(self, store: Store, agent: Agent, personas: AgentsConfig, *, history_limit: int = 40,
                 media: MediaSource | None = None, kb: KnowledgeBase | None = None) -> None:
        self.store = store
        self.kb = kb
        self.media = media  # set by the front end: Telegram downloads, the console reads files
        self.agent = agent
        self.personas = personas
        self.history_limit = history_limit
        self.handoffs = HandoffRules(personas)
        self.search: WebTurn | None = None  # set by the composition root: /search and personas' own searches
        self.voice: VoiceTurn | None = None  # set by the composition root: voice notes heard, answers spoken
        self.memory: Memory | None = None  # set by the composition root: long dialogs' rolling summaries
        self._tails: dict[object, asyncio.Future[None]] = {}  # per chat: the last answer in the queue
        # Set by the composition root: pending messages under a lease (storage/leases.py). `replicas` None means
        # this process is the only one (polling, the console): the queue above orders each chat. With webhook
        # replicas the stored rows order it instead, and messages a dead replica held are taken over
        # (bot/turn/takeover.py).
        self.leases: MessageLeases | None = None
        self.replicas: ReplicaTurns | None = None

    def ticket(self, scope: object) -> Ticket:
        """Take a place in the chat's queue; call before the first await so order = arrival order."""
        prev = self._tails.get(scope)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._tails[scope] = mine
        return Ticket(scope, prev, mine)

    async def handle(self, inbound: Inbound, sink: ReplySink, ticket: Ticket | None = None) -> bool:
        """Store the message at once, then answer it in turn; False when it was a duplicate delivery."""
        ticket = ticket or self.ticket(inbound.scope)
        try:
            # Stored before waiting for earlier answers: a crash now still leaves it to recover.
            inbound_id = await self.store.record_inbound(inbound)
            if inbound_id is None:
                log.info("duplicate message %s in chat %s ignored", inbound.tg_message_id, inbound.scope.chat_id)
                return False
            stored = time.perf_counter()
            try:
                if await self._turn(ticket, inbound_id, inbound):
                    metrics().stage("queue", time.perf_counter() - stored)
                    await self._answer(inbound_id, inbound, sink)
            finally:
                self._left(inbound_id, inbound)
            return True
        finally:
            self._done(ticket)
            await sink.close()

    async def answer(self, inbound_id: int, inbound: Inbound, sink: ReplySink) -> None:
        """Answer an already stored message (recovered after a restart, or taken over) in its chat's turn."""
        ticket = self.ticket(inbound.scope)
        try:
            if await self._turn(ticket, inbound_id, inbound):
                await self._answer(inbound_id, inbound, sink)
        finally:
            self._left(inbound_id, inbound)
            self._done(ticket)
            await sink.close()

    async def _turn(self, ticket: Ticket, inbound_id: int, inbound: Inbound) -> bool:
        """Wait for the message's turn; False when it is no longer this process's to answer."""
        if self.replicas is not None:  # replicas: one order for all, from the stored rows (Telegram's order)
            if await self.replicas.wait(inbound_id, inbound):
                return True
            log.warning("message %s was taken over by another replica; not answered here", inbound_id)
            return False
        if ticket.prev is not None:
            await asyncio.shield(ticket.prev)
        return True

    def _left(self, inbound_id: int, inbound: Inbound) -> None:
        if self.replicas is not None:
            self.replicas.done(inbound_id, inbound.scope)

    def release(self, ticket: Ticket) -> None:
        """Give up a place in the queue without answering."""
        self._done(ticket)

    def _done(self, ticket: Ticket) -> None:
        if ticket.mine.done():
            return
        if ticket.prev is not None and not ticket.prev.done():
            # Left the queue early: whoever waits on us must still wait for those before us.
            ticket.prev.add_done_callback(lambda _: self._done(Ticket(ticket.scope, None, ticket.mine)))
            return
        ticket.mine.set_result(None)
        if self._tails.get(ticket.scope) is ticket.mine:
            del self._tails[ticket.scope]

    async def _answer(self, inbound_id: int, inbound: Inbound, sink: ReplySink) -> None:
        await sink.start()  # only at its turn: one "typing…" per chat, not one per queued message
        persona = self.personas.get(inbound.agent) or self.personas.default
        bind(chat_id=inbound.scope.chat_id, user_id=inbound.user_id)
        lang = inbound.language
        tr = translator(lang)
        started = time.perf_counter()
        reply = _Reply()
        try:
            state = await self.store.chat_state(inbound.scope)
            inbound, sink = await self._heard(inbound_id, inbound, state, sink)
            persona, sink = hand_off(self.handoffs, persona, inbound, state, sink)  # may pass it to a specialist
            bind(agent=persona.key)
            if await self._searched(inbound_id, inbound, persona, state, sink, started):
                return
            turns = await self.store.history(inbound.scope, inbound.conversation, limit=self.history_limit)
            summary, turns = await recall(self.memory, inbound, turns, persona)  # what it covers is in it
            history = agent_turns(turns)
            images = await images_for(self.media, inbound, turns, history)
            passages = await self._passages(inbound, persona.key, state.local_only)
            data = AgentInput(text=inbound.text, history=history, images=images, mode=inbound.mode, language=lang,
                              chat="group" if inbound.chat_type != "private" else "private",
                              user_id=inbound.user_id, chat_id=inbound.scope.chat_id, bot=inbound.scope.bot,
                              local_only=state.local_only, passages=tuple(passages),
                              summary=summary.text if summary else "")
            await self._stream(persona, data, sink, reply)
            streamed = time.perf_counter()
            bind(provider=reply.provider or None)
            if not reply.text.strip():
                raise StreamCut("the model returned an empty answer", partial="")
            text = reply.text
            if inbound.mode == "ocr":
                text = await deliver_ocr(sink, text, lang)
            else:
                await sink.finish(with_sources(text, passages, lang))
            metrics().stage("delivery", time.perf_counter() - streamed)
            usage = reply.usage
            await self.store.record_answer(inbound, inbound_id, Answer(
                text=text, agent=persona.key, provider=reply.provider, model=reply.model,
                tokens_in=usage.tokens_in if usage else 0, tokens_out=usage.tokens_out if usage else 0,
                latency_ms=(time.perf_counter() - started) * 1000))
            remember(self.memory, inbound_id, inbound, text, persona, state, turns, summary)  # off the reply's path
            if state.voice and self.voice is not None and inbound.mode == "chat":  # /voice on: spoken too
                await self.voice.reply(text, inbound, state.local_only, sink)
        except VoiceRefused as exc:
            log.info("voice message %s not heard: %s", inbound_id, exc)
            await self._fail(inbound_id, sink, exc.text, str(exc))
        except MediaError as exc:
            log.info("unusable image in chat %s: %s", inbound.scope.chat_id, exc)
            await self._fail(inbound_id, sink, tr(f"image_{exc.reason}", mb=exc.mb), str(exc))
        except StreamCut as exc:
            partial = exc.partial or reply.text
            if inbound.mode == "ocr":
                partial = ""  # half a JSON object is no use to anyone: say it broke off instead
            log.warning("stream cut in chat %s: %s", inbound.scope.chat_id, exc)
            if partial.strip():
                await sink.finish(f"{partial}\n\n{tr('cut')}")
                await self.store.record_answer(inbound, inbound_id, Answer(
                    text=partial, agent=persona.key, provider=exc.provider, model=exc.model, error=str(exc),
                    latency_ms=(time.perf_counter() - started) * 1000))
            else:
                await self._fail(inbound_id, sink, tr("unavailable"), str(exc))
        except QuotaExceeded as exc:
            log.info("daily %s quota used up in chat %s", exc.scope, inbound.scope.chat_id)
            guard = self.agent.router.usage
            notice = quota_notice(exc, lang, guard) if guard is not None else tr("unavailable")
            await self._fail(inbound_id, sink, notice, str(exc))
        except LocalOnlyUnavailable as exc:
            log.warning("no local model for a local-only request in chat %s: %s", inbound.scope.chat_id, exc)
            await self._fail(inbound_id, sink, tr("local_only"), str(exc))
        except AllTargetsFailed as exc:
            log.warning("no model answered in chat %s: %s", inbound.scope.chat_id,
                        "; ".join(f"{e.provider}:{e.model} {e.kind}" for e in exc.errors))
            notice = tr("no_vision") if only_capability_failures(exc) else tr("unavailable")
            await self._fail(inbound_id, sink, notice, str(exc))
        except ProviderError as exc:
            log.warning("model error in chat %s: %s", inbound.scope.chat_id, exc)
            await self._fail(inbound_id, sink, tr("unavailable"), str(exc))
        except Exception as exc:
            log.exception("failed to answer message %s", inbound_id)
            await self._fail(inbound_id, sink, tr("internal"), repr(exc))

    async def _heard(self, inbound_id: int, inbound: Inbound, state: ChatState,
                     sink: ReplySink) -> tuple[Inbound, ReplySink]:
        """A voice message as its transcript (heard first: hand-off, search and the knowledge base read the words)."""
        if inbound.mode != "voice":
            return inbound, sink
        if self.voice is None:
            raise VoiceRefused(translator(inbound.language)("voice_stt_unavailable"), "voice is not set up")
        return await self.voice.take(self.media, inbound_id, inbound, state.local_only, sink)

    async def _searched(self, inbound_id: int, inbound: Inbound, persona: Persona, state: ChatState,
                        sink: ReplySink, started: float) -> bool:
        """True when web search took the message: /search always, a chat question when the persona looked it up."""
        if self.search is None:
            return False
        if inbound.mode == "search":
            await self.search.command(inbound_id, inbound, persona, state, sink, started)
            return True
        return await self.search.auto(inbound_id, inbound, persona, state, sink, started)

    async def _stream(self, persona: Persona, data: AgentInput, sink: ReplySink, reply: _Reply) -> None:
        """Read the model's stream into `reply`, showing it as it grows; OCR's JSON is shown only once parsed."""
        ocr = data.mode == "ocr"
        notice: asyncio.Task[None] | None = None
        try:
            async for delta in self.agent.stream(persona, data):
                if delta.queued:  # every slot busy, nowhere else to go: said if the wait lasts long enough to notice
                    if notice is None and not reply.text:
                        notice = asyncio.create_task(_busy_notice(sink, data.language))
                    continue
                if notice is not None:  # the slot is had: not said now, or taken back if it was
                    task, notice = notice, None
                    if task.done() and not task.cancelled() and task.exception() is None:
                        await sink.status("")
                    else:
                        task.cancel()
                if delta.text:
                    reply.text += delta.text
                    if not ocr:
                        await sink.update(reply.text)
                if delta.usage is not None:
                    reply.usage, reply.provider, reply.model = delta.usage, delta.provider, delta.model
        except AllTargetsFailed:
            if not ocr or (local := await read_locally(self.agent, persona, data)) is None:
                raise
            reply.text, reply.provider, reply.model, reply.usage = local
        finally:
            if notice is not None:
                notice.cancel()
                await asyncio.gather(notice, return_exceptions=True)

    async def _passages(self, inbound: Inbound, agent: str, local_only: bool) -> list[Passage]:
        """Knowledge-base passages for the question: the chat's documents and the answering agent's."""
        if self.kb is None or inbound.mode != "chat" or not inbound.text:
            return []
        scope = inbound.scope
        persona = self.personas.get(agent)
        scopes = [chat_scope(scope.bot, scope.chat_id, scope.thread_id),
                  *persona_scopes(agent, persona.knowledge if persona else ())]
        try:
            return await self.kb.search(inbound.text, scopes, Asker(
                agent=agent, user_id=inbound.user_id, chat_id=scope.chat_id, bot=scope.bot, local_only=local_only))
        except Exception:
            log.exception("knowledge-base search failed in chat %s", scope.chat_id)
            return []

    async def _fail(self, inbound_id: int, sink: ReplySink, notice: str, error: str) -> None:
        try:
            await sink.notify(notice)
        except Exception:
            log.exception("could not deliver a notice for message %s", inbound_id)
        # Marked failed even if the notice was lost, so a restart never loops on it.
        await self.store.record_failure(inbound_id, error)

    async def recover(self, sinks: SinkFactory, bots: list[str]) -> int:
        """Answer every message left pending by a crash (with replicas: this replica's own and those whose lease
        expired); returns how many."""
        if self.leases is None:
            taken = Taken(await self.store.pending(bots))
        else:
            taken = await self.leases.take(bots, self.replicas.lease if self.replicas else None, own=True)
        if taken.answer or taken.give_up:
            log.info("recovering %d unanswered message(s)", len(taken.answer) + len(taken.give_up))
        await asyncio.gather(*(self.answer(p.id, p.inbound, sinks(p.inbound)) for p in taken.answer),
                             *(self.give_up(p, sinks(p.inbound)) for p in taken.give_up))
        return len(taken.answer)

    async def give_up(self, pending: Pending, sink: ReplySink) -> None:
        """A message that wore out its holders (each died with it): failed, and the user told so once."""
        log.error("message %s given up after %d holders did not answer it", pending.id, pending.tries - 1)
        try:
            await self._fail(pending.id, sink, translator(pending.inbound.language)("internal"),
                             f"given up after {pending.tries - 1} holders")
        finally:
            await sink.close()


async def _busy_notice(sink: ReplySink, language: str) -> None:
    """Tell the user the model is busy once the wait for a slot has lasted BUSY_NOTICE seconds (not for a blink)."""
    await asyncio.sleep(BUSY_NOTICE)
    await sink.status(translator(language)("model_busy"))


@dataclass(frozen=True, slots=True)
class Ticket:
    """A place in a chat's answer queue: wait for `prev`, then resolve `mine`."""

    scope: object
    prev: asyncio.Future[None] | None
    mine: asyncio.Future[None]
