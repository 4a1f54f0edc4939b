"""Providers a reload replaced: counted while calls still use them, closed once idle after a grace period."""
from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable

from router.provider import Provider

log = logging.getLogger(__name__)


class Retirement:
    """Calls in flight per provider object, and the closing of the ones a reload took out of service."""

    def __init__(self) -> None:
        self._busy: Counter[int] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()

    def enter(self, provider: Provider) -> None:
        """A call starts on `provider`."""
        self._busy[id(provider)] += 1

    def leave(self, provider: Provider) -> None:
        """A call on `provider` ended."""
        key = id(provider)
        self._busy[key] -= 1
        if self._busy[key] <= 0:
            del self._busy[key]

    def retire(self, providers: list[Provider], grace: float) -> None:
        """Close `providers` once `grace` seconds have passed and no call uses them: a streaming answer is never cut."""
        if providers:
            task = asyncio.get_running_loop().create_task(self._close_when_idle(providers, grace))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _close_when_idle(self, providers: list[Provider], grace: float) -> None:
        try:
            await asyncio.sleep(grace)
            while any(self._busy[id(p)] for p in providers):
                await asyncio.sleep(0.25)
        finally:  # cancelled when the router closes: close them at once
            await close_all((getattr(p, "name", "?"), p) for p in providers)

    async def settled(self) -> None:
        """Wait until every retired provider is closed."""
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def aclose(self) -> None:
        """Close every retired provider now."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def close_all(providers: Iterable[tuple[str, Provider]]) -> None:
    """Close each provider, even if one of them fails to close."""
    for name, provider in providers:
        try:
            await provider.aclose()
        except Exception:
            log.warning("closing provider %s failed", name, exc_info=True)
