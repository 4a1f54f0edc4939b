"""Timeout settings of one provider and the stream guard that enforces them."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from router.errors import ProviderTimeout

if TYPE_CHECKING:
    import httpx

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds allowed to connect, to get the first chunk, and for the whole stream."""

    connect: float = 3.0
    first_token: float = 60.0
    total: float = 300.0

    def for_httpx(self) -> httpx.Timeout:
        """HTTP-level timeouts; first-token and total are enforced by `guard` above them."""
        import httpx  # only clients built on httpx ask, and they have imported it

        return httpx.Timeout(self.total, connect=self.connect)


async def guard(source: AsyncIterator[T], timeouts: Timeouts) -> AsyncIterator[T]:
    """Re-yield `source`, raising ProviderTimeout if the first item or the whole stream is late."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = start + timeouts.total
    first_deadline = min(deadline, start + timeouts.first_token)
    first = True
    try:
        while True:
            # asyncio.timeout (not wait_for) keeps __anext__ in this task, so no extra task per chunk.
            try:
                async with asyncio.timeout_at(first_deadline if first else deadline):
                    item = await anext(source)
            except StopAsyncIteration:
                return
            except TimeoutError:
                which = "first token" if first else "total"
                limit = timeouts.first_token if first and first_deadline < deadline else timeouts.total
                raise ProviderTimeout(f"{which} timeout after {limit:g}s") from None
            first = False
            yield item
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
