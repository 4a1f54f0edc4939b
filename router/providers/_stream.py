"""The part every provider shares: timeouts, think filtering, usage and error translation."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass

from router.errors import ProviderError, ProviderUnavailable, StreamCut
from router.think import ThinkFilter
from router.timeouts import Timeouts, guard
from router.types import ChatRequest, Delta, Usage


@dataclass(frozen=True, slots=True)
class Final:
    """End-of-stream marker from a raw stream with the server's token counts, if it gave any."""

    tokens_in: int | None = None
    tokens_out: int | None = None


Piece = str | Final


def estimate_tokens(chars: int) -> int:
    """Rough token count (~4 characters a token) for servers that report no usage."""
    return (chars + 3) // 4


async def run_stream(
    raw: AsyncIterator[Piece],
    *,
    request: ChatRequest,
    provider: str,
    model: str,
    timeouts: Timeouts,
    translate: Callable[[BaseException], ProviderError],
) -> AsyncGenerator[Delta, None]:
    """Turn a provider's raw text pieces into Deltas; every failure leaves as a ProviderError."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    first_ms: float | None = None
    shown: list[str] = []
    raw_chars = 0
    final: Final | None = None
    think = ThinkFilter()
    try:
        async for piece in guard(raw, timeouts):
            if isinstance(piece, Final):
                final = piece
                continue
            raw_chars += len(piece)
            text = think.feed(piece)
            if text:
                if first_ms is None:
                    first_ms = (loop.time() - start) * 1000
                shown.append(text)
                yield Delta(text, provider=provider, model=model)
        if final is None:
            raise ProviderUnavailable("stream ended without its final chunk")
        tail = think.flush()
        if tail:
            first_ms = first_ms if first_ms is not None else (loop.time() - start) * 1000
            shown.append(tail)
            yield Delta(tail, provider=provider, model=model)
    except Exception as exc:  # noqa: BLE001 - translated and raised; BaseException (cancel, aclose) passes untouched
        err = translate(exc)
        err.provider, err.model = provider, model
        if shown:
            partial = "".join(shown)
            raise StreamCut(
                f"stream cut after {len(partial)} chars: {err}", partial=partial, provider=provider, model=model
            ) from None
        raise err from None
    prompt_chars = sum(len(m.content) for m in request.messages)
    usage = Usage(
        tokens_in=final.tokens_in if final.tokens_in is not None else estimate_tokens(prompt_chars),
        tokens_out=final.tokens_out if final.tokens_out is not None else estimate_tokens(raw_chars),
        latency_ms=(loop.time() - start) * 1000,
        first_token_ms=first_ms,
    )
    yield Delta(usage=usage, provider=provider, model=model)
