"""One attempt at one target inside ModelRouter: what it showed, and its verdict for the breaker and the usage table."""
from __future__ import annotations

import time
from dataclasses import dataclass

from base.metrics import metrics
from router.breaker import PROBE, Admission, CircuitBreakers
from router.errors import ProviderError, StreamCut
from router.provider import Provider
from router.quotas import UsageGuard
from router.retire import Retirement
from router.types import ChatRequest, Delta, Target, Usage


@dataclass(frozen=True, slots=True)
class Books:
    """Where a call reports: the circuit breakers, the usage guard (None: no rows, no quotas), the busy providers."""

    breakers: CircuitBreakers
    retirement: Retirement
    guard: UsageGuard | None


class Call:
    """One attempt at one target: its text so far, and its verdict for the breaker and the usage table."""

    __slots__ = ("admission", "books", "error", "first", "outcome", "provider", "queued", "request", "shown",
                 "started", "target", "usage")

    def __init__(self, books: Books, request: ChatRequest, target: Target, admission: Admission,
                 provider: Provider, *, queued: float | None = None) -> None:
        # `books` is taken when the call starts: the guard that counted the start records the end, even across a reload.
        self.books, self.request, self.target, self.admission = books, request, target, admission
        self.shown: list[str] = []
        self.usage: Usage | None = None
        self.outcome = "cancelled"  # stays so if the caller stops reading early
        self.error: ProviderError | None = None
        self.started = time.perf_counter()
        self.first: float | None = None  # when the first text came (perf_counter)
        self.provider = provider
        self.queued = queued  # seconds the request waited for the provider's slot (None: it counts no slots)
        books.retirement.enter(provider)
        if books.guard is not None:
            books.guard.started(target)
        metrics().call_started(target.provider, target.model)

    def seen(self, delta: Delta) -> None:
        if delta.text:
            if not self.shown:
                self.first = time.perf_counter()
            self.shown.append(delta.text)
        if delta.usage is not None:
            self.usage = delta.usage

    def failed(self, exc: ProviderError) -> None:
        self.error = exc
        self.outcome = "cut" if self.shown or isinstance(exc, StreamCut) else exc.kind

    async def close(self) -> None:
        """Tell the breaker and the metrics, and write the usage row."""
        ended = time.perf_counter()
        self.books.retirement.leave(self.provider)
        breakers = self.books.breakers
        if self.outcome == "ok":
            breakers.succeeded(self.target, self.admission)
        elif self.error is not None:
            breakers.failed(self.target, self.admission, self.error)
        elif self.admission == PROBE:
            breakers.release(self.target, self.admission)  # cancelled: no verdict, but free the probe slot
        target, usage = self.target, self.usage
        first = None if self.first is None else self.first - self.started
        metrics().call_ended(target.provider, target.model, task=self.request.task, outcome=self.outcome,
                             local=bool(self.provider.local), first_token=first, total=ended - self.started,
                             audio_seconds=usage.audio_seconds if usage else 0.0)
        guard = self.books.guard
        if guard is None:
            return
        if usage is None and self.shown:  # a cut stream has no final counts: estimate what was produced
            usage = Usage(tokens_out=max(1, len("".join(self.shown)) // 3))
        await guard.finished(
            self.request, self.target, outcome=self.outcome, usage=usage,
            latency_ms=(ended - self.started) * 1000, queue_ms=None if self.queued is None else self.queued * 1000,
            error=str(self.error)[:500] if self.error is not None else None)
