"""Long dialogs remembered: each conversation's rolling summary, folded in the background off the reply's path."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from agents.agent import estimate_tokens
from agents.memory import Who, cleaned, remembers, summary_request, to_fold, verbatim_budget
from router.core import ModelRouter
from router.errors import AllTargetsFailed, ProviderBusy, ProviderError, QuotaExceeded
from router.types import ChatRequest, Target
from storage.records import Scope, Turn
from storage.summaries import Said, Summary, SummaryStore

log = logging.getLogger(__name__)
READ_LIMIT = 400  # unsummarised messages read per round
FOLD_TOKENS = 3000  # at most this much fallen-out text per summariser call; a backlog takes several rounds
ROUNDS = 3  # summariser calls per fold at most; what is left waits for a later answer
RETRY_AFTER = 60.0  # seconds after a failed summary before a conversation's next answer starts another


@dataclass(frozen=True, slots=True)
class MemorySettings:
    """SUMMARY_ENABLED, SUMMARY_MAX_CHARS, the history's row limit (Conversations.history_limit), and how many
    folds may run at once in this process (the others wait their turn, off every reply's path)."""

    enabled: bool = True
    max_chars: int = 1500
    history_limit: int = 40
    folds: int = 1


@dataclass(frozen=True, slots=True)
class Fold:
    """One conversation to bring up to date: where, how much stays verbatim, in what language, for whom."""

    scope: Scope
    conversation: int
    budget: int  # tokens of history kept word for word
    language: str  # the English name of the language the summary is written in
    who: Who
    start: int = 0  # without a summary yet: the exchange just before the history window, where the first fold begins


class Memory:
    """Reads a conversation's summary for each answer; after it, folds what fell out of the window, one task at a
    time per conversation; a failure is logged and tried again at a later answer (never shown to users)."""

    def __init__(self, summaries: SummaryStore, router: ModelRouter, settings: MemorySettings = MemorySettings(),
                 *, clock: Callable[[], float] = time.monotonic) -> None:
        self.summaries = summaries
        self.router = router
        self.settings = settings
        self.clock = clock
        self._running: dict[tuple[Scope, int], asyncio.Task[None]] = {}
        self._failed: dict[tuple[Scope, int], float] = {}
        # One model call at a time per process: after an upgrade every long chat is due at once.
        self._turn = asyncio.Semaphore(settings.folds)

    async def recall(self, scope: Scope, conversation: int, history_tokens: int) -> Summary | None:
        """The summary to place in this answer's request; None when there is none (or it cannot be read now), or the
        persona's history budget has no room for one."""
        if not self.settings.enabled or not remembers(history_tokens, self._size()):
            return None
        try:
            return await self.summaries.get(scope, conversation)
        except Exception:  # an answer without the summary beats no answer
            log.exception("could not read the summary of chat %s", scope.chat_id)
            return None

    def after_answer(self, scope: Scope, conversation: int, turns: Sequence[Turn], summary: Summary | None, *,
                     history_tokens: int, language: str, who: Who) -> None:
        """Start folding in the background when the verbatim history (`turns`, the new exchange included) no longer
        fits; returns at once."""
        key = (scope, conversation)
        failed = self._failed.get(key)
        if not self.settings.enabled or key in self._running or not remembers(history_tokens, self._size()) or (
                failed is not None and self.clock() - failed < RETRY_AFTER):
            return
        budget = verbatim_budget(history_tokens, self._size())
        covered = summary.covered if summary else 0
        sizes = [(t.key, estimate_tokens(t.text)) for t in turns if t.key > covered]
        if not to_fold(sizes, budget, self.settings.history_limit):
            return
        # Without a summary when the fold runs (upgrade, /forget, retention), it starts at the window the model sees.
        start = min((k for k, _ in sizes if k > 0), default=1) - 1
        task = asyncio.create_task(self._fold(Fold(scope, conversation, budget, language, who, start)))
        self._running[key] = task
        task.add_done_callback(lambda _: self._running.pop(key, None))

    def _size(self) -> int:
        return estimate_tokens("·" * self.settings.max_chars)  # tokens a summary may take

    async def _fold(self, job: Fold) -> None:
        key = (job.scope, job.conversation)
        try:
            async with self._turn:
                await self._rounds(job)
            self._failed.pop(key, None)
        except Exception as exc:
            if len(self._failed) > 10_000:  # a long outage touched many chats: the oldest waits matter least
                self._failed.clear()
            self._failed[key] = self.clock()
            log.warning("could not summarise chat %s (tried again at a later answer): %s", job.scope.chat_id,
                        _reason(exc), exc_info=not isinstance(exc, (ProviderError, QuotaExceeded, LookupError)))

    async def _rounds(self, job: Fold) -> None:
        """Fold until what is left fits, at most ROUNDS summariser calls."""
        for _ in range(ROUNDS):
            summary = await self.summaries.get(job.scope, job.conversation)
            covered = summary.covered if summary else 0
            said = await self.summaries.unsummarised(job.scope, job.conversation, covered if summary else job.start,
                                                     READ_LIMIT)
            if len(said) == READ_LIMIT:  # the last exchange may go on past the limit: it waits for the next round
                said = [m for m in said if m.key != said[-1].key]
            n = to_fold([(m.key, estimate_tokens(m.text)) for m in said], job.budget, self.settings.history_limit)
            if not n:
                return
            batch = _batch(said[:n])
            text = await self._summarise(summary.text if summary else "", batch, job)
            if not await self.summaries.save(job.scope, job.conversation, text=text, expected=covered, folded=batch):
                log.info("summary of chat %s dropped: the conversation moved on meanwhile", job.scope.chat_id)
                return

    async def _summarise(self, previous: str, batch: Sequence[Said], job: Fold) -> str:
        """The model's new summary of `previous` plus `batch`; never from a tiny model (its notes would be noise)."""
        group = job.who.chat != "private"
        said = [("Assistant" if m.role == "assistant" else (m.name or f"User {m.user_id}") if group else "User",
                 m.text) for m in batch]
        request = summary_request(previous, said, language=job.language, max_chars=self.settings.max_chars,
                                  who=job.who)
        targets = [t for t in self.router.targets_for(request) if not self.router.is_tiny(t)]
        if not targets:
            raise LookupError("the summary route has no target but tiny models")
        text = await self._written(request, targets)
        if not (summary := cleaned(text, self.settings.max_chars)):
            raise ValueError("the model returned an empty summary")
        return summary

    async def _written(self, request: ChatRequest, targets: Sequence[Target]) -> str:
        """The first target's text; the next is tried only when one fails, never because it is busy: a summary waits
        for its share of the local slots (up to max_wait) rather than overflow to a cloud target meant as a fallback."""
        failed: AllTargetsFailed | None = None
        for target in targets:  # each alone: a busy target with nowhere else to go is waited for, not passed over
            try:
                return "".join([delta.text async for delta in self.router.stream(request, targets=[target])])
            except AllTargetsFailed as exc:
                if any(isinstance(e, ProviderBusy) for e in exc.errors):
                    raise  # still busy after max_wait: a later answer tries again
                failed = exc
        raise failed or LookupError("the summary route has no target")

    async def show(self, scope: Scope, conversation: int) -> Summary | None:
        """The summary /memory shows."""
        return await self.summaries.get(scope, conversation)

    async def clear(self, scope: Scope) -> None:
        """/reset: the chat's (or topic's) summaries go; a fold in flight finds the conversation moved on."""
        await self.summaries.clear(scope)

    async def prune(self, cutoff: datetime) -> int:
        """Summaries holding a message older than `cutoff` (history retention)."""
        return await self.summaries.prune(cutoff)

    def drop(self, chat_ids: Collection[int]) -> None:
        """Forget cached summaries of these chats (/forget deleted their rows)."""
        self.summaries.drop(chat_ids)

    async def settled(self) -> None:
        """Wait for every fold in flight (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop folds in flight (before the router closes): they are tried again after the restart."""
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)


def _batch(said: Sequence[Said]) -> list[Said]:
    """The oldest whole exchanges, up to the one that passes FOLD_TOKENS (at least one exchange)."""
    total, end = 0, 0
    for i, m in enumerate(said):
        if i and m.key != said[i - 1].key:
            end = i
            if total > FOLD_TOKENS:
                break
        total += estimate_tokens(m.text)
    else:
        end = len(said)
    return list(said[:end])


def _reason(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]
