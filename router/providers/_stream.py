"""The part every provider shares: timeouts, think filtering, tool calls, usage and error translation."""
from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass

from router.errors import ProviderError, ProviderUnavailable, StreamCut
from router.providers._pace import Pace
from router.think import ThinkFilter
from router.timeouts import Timeouts, guard
from router.types import ChatRequest, Delta, ToolCall, Usage


@dataclass(frozen=True, slots=True)
class Final:
    """End-of-stream marker from a raw stream with the server's token counts, if it gave any."""

    tokens_in: int | None = None
    tokens_out: int | None = None


Piece = str | Final | ToolCall  # text, the end, or one complete tool call


def estimate_tokens(chars: int) -> int:
    """Rough token count (~4 characters a token) for servers that report no usage."""
    return (chars + 3) // 4


def call_chars(call: ToolCall) -> int:
    """How long a tool call is as the model wrote it (name and JSON arguments): its share of an estimate."""
    return len(call.name) + len(json.dumps(call.arguments, ensure_ascii=False, default=str))


def prompt_chars(request: ChatRequest) -> int:
    """Characters of everything a request sends the model: turns, their tool calls and the tools' schemas."""
    turns = sum(len(m.content) + sum(call_chars(c) for c in m.tool_calls) for m in request.messages)
    tools = sum(len(t.name) + len(t.description) + len(json.dumps(t.parameters, default=str)) for t in request.tools)
    return turns + tools


async def run_stream(
    raw: AsyncIterator[Piece],
    *,
    request: ChatRequest,
    provider: str,
    model: str,
    timeouts: Timeouts,
    translate: Callable[[BaseException], ProviderError],
    pace: Pace | None = None,
) -> AsyncGenerator[Delta, None]:
    """Turn a provider's raw pieces into Deltas; every failure leaves as a ProviderError.

    Text is coalesced (see `Pace`): the first visible text leaves at once, later text at most once a window, and
    the end flushes whatever is held. Text held when the stream breaks is part of StreamCut's `partial`.
    Tool calls are held back and leave with the last delta (the one carrying usage): a call is acted on only
    once the answer is whole, and an answer that breaks off before its end never half-runs a tool.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    pace = pace if pace is not None else Pace()
    first_ms: float | None = None
    shown: list[str] = []  # all visible text so far, sent or held
    held = 0  # how many of the last `shown` pieces have not gone out yet
    raw_chars = 0
    final: Final | None = None
    calls: list[ToolCall] = []
    think = ThinkFilter()
    try:
        async for piece in guard(raw, timeouts):
            if isinstance(piece, Final):
                final = piece
                continue
            if isinstance(piece, ToolCall):
                first_ms = first_ms if first_ms is not None else (loop.time() - start) * 1000
                raw_chars += call_chars(piece)
                calls.append(piece)
                continue
            raw_chars += len(piece)
            text = think.feed(piece)
            if text:
                now = loop.time()
                if first_ms is None:
                    first_ms = (now - start) * 1000
                shown.append(text)
                held += 1
                if pace.due(now):
                    pace.sent(now)
                    out, held = _joined(shown, held), 0
                    yield Delta(out, provider=provider, model=model)
        if final is None:
            raise ProviderUnavailable("stream ended without its final chunk")
        tail = think.flush()
        if tail:
            first_ms = first_ms if first_ms is not None else (loop.time() - start) * 1000
            shown.append(tail)
            held += 1
        if held:
            out, held = _joined(shown, held), 0
            yield Delta(out, provider=provider, model=model)
    except Exception as exc:  # noqa: BLE001 - translated and raised; BaseException (cancel, aclose) passes untouched
        err = translate(exc)
        err.provider, err.model = provider, model
        if shown:
            partial = "".join(shown)
            raise StreamCut(
                f"stream cut after {len(partial)} chars: {err}", partial=partial, provider=provider, model=model
            ) from None
        raise err from None
    usage = Usage(
        tokens_in=final.tokens_in if final.tokens_in is not None else estimate_tokens(prompt_chars(request)),
        tokens_out=final.tokens_out if final.tokens_out is not None else estimate_tokens(raw_chars),
        latency_ms=(loop.time() - start) * 1000,
        first_token_ms=first_ms,
    )
    yield Delta(usage=usage, provider=provider, model=model, tool_calls=tuple(calls))


def _joined(shown: list[str], held: int) -> str:
    """The last `held` pieces as one text."""
    return shown[-1] if held == 1 else "".join(shown[-held:])
