"""One attempt at one target inside ModelRouter: what it showed, and its verdict for the breaker and the usage table."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from router.breaker import PROBE
from router.errors import ProviderError, StreamCut
from router.provider import Provider
from router.types import ChatRequest, Delta, Target, Usage

if TYPE_CHECKING:
    from router.core import ModelRouter


class Call:
    """One attempt at one target: its text so far, and its verdict for the breaker and the usage table."""

    __slots__ = ("router", "request", "target", "admission", "shown", "usage", "outcome", "error", "started",
                 "guard", "provider")

    def __init__(self, router: ModelRouter, request: ChatRequest, target: Target, admission: str,
                 provider: Provider) -> None:
        self.router, self.request, self.target, self.admission = router, request, target, admission
        self.shown: list[str] = []
        self.usage: Usage | None = None
        self.outcome = "cancelled"  # stays so if the caller stops reading early
        self.error: ProviderError | None = None
        self.started = time.perf_counter()
        self.guard = router.usage  # the guard that counted the start records the end, even across a reload
        self.provider = provider
        router.retirement.enter(provider)
        if self.guard is not None:
            self.guard.started(target)

    def seen(self, delta: Delta) -> None:
        if delta.text:
            self.shown.append(delta.text)
        if delta.usage is not None:
            self.usage = delta.usage

    def failed(self, exc: ProviderError) -> None:
        self.error = exc
        self.outcome = "cut" if self.shown or isinstance(exc, StreamCut) else exc.kind

    async def close(self) -> None:
        """Tell the breaker and write the usage row."""
        self.router.retirement.leave(self.provider)
        breakers = self.router.breakers
        if self.outcome == "ok":
            breakers.succeeded(self.target, self.admission)
        elif self.error is not None:
            breakers.failed(self.target, self.admission, self.error)
        elif self.admission == PROBE:
            breakers.release(self.target, self.admission)  # cancelled: no verdict, but free the probe slot
        if self.guard is None:
            return
        usage = self.usage
        if usage is None and self.shown:  # a cut stream has no final counts: estimate what was produced
            usage = Usage(tokens_out=max(1, len("".join(self.shown)) // 3))
        await self.guard.finished(
            self.request, self.target, outcome=self.outcome, usage=usage,
            latency_ms=(time.perf_counter() - self.started) * 1000,
            error=str(self.error)[:500] if self.error is not None else None)
