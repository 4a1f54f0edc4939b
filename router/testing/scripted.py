"""ScriptedProvider: an in-memory provider for router tests that need no HTTP at all."""
from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncGenerator, Sequence

from router.providers._tools import parse_arguments
from router.testing.text import EMBED_DIM, fake_embedding, tokenize
from router.testing.tools import Reply
from router.types import TEXT_ONLY, ChatRequest, Delta, ToolCall, Usage


class ScriptedProvider:
    """An in-memory `router.provider.Provider` that plays back scripted replies or raises scripted errors.

    A reply is a str, a `Reply` (text and tool calls: the calls leave with the last delta, as from the real
    providers; a str `arguments` that is not a JSON object raises BadToolCall) or an exception to raise.
    Give `capabilities` with "tools" for a provider the router may send tool requests to.
    """

    def __init__(
        self,
        name: str = "scripted",
        *,
        replies: list[str | Reply | Exception] | None = None,
        local: bool = True,
        token_delay: float = 0.0,
        capabilities: frozenset[str] = TEXT_ONLY,
        dim: int = EMBED_DIM,
    ) -> None:
        self.name = name
        self.local = local
        self.caps = capabilities
        self.token_delay = token_delay
        self.replies: list[str | Reply | Exception] = list(replies or [])
        self.calls: list[tuple[str, ChatRequest]] = []
        self._call_ids = itertools.count(1)  # call_1, call_2, … for scripted tool calls without an id
        self.dim = dim
        # The router embeds here only when `capabilities` include "embedding"; these errors come first, in order.
        self.embed_errors: list[Exception] = []
        self.embeds: list[tuple[str, tuple[str, ...]]] = []
        self.closed = False
        self.ping_error: Exception | None = None  # what ping() raises; None = healthy
        self.pings = 0

    async def capabilities(self, model: str) -> frozenset[str]:
        """The capabilities given at construction (text only by default)."""
        return self.caps

    async def stream(self, model: str, request: ChatRequest) -> AsyncGenerator[Delta, None]:
        """Yield the next scripted reply word by word; the last delta carries usage."""
        self.calls.append((model, request))
        item = self.replies.pop(0) if self.replies else None
        if item is None:
            last = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
            item = "echo: " + last
        reply = Reply(item) if isinstance(item, str) else item
        started = time.perf_counter()
        partial = getattr(item, "partial", "") if isinstance(item, Exception) else ""
        # A StreamCut-like error first yields its partial text, as a real broken stream would.
        tokens = tokenize(partial if isinstance(reply, Exception) else reply.text)
        first_ms: float | None = None
        for tok in tokens:
            if self.token_delay > 0:
                await asyncio.sleep(self.token_delay)
            if first_ms is None:
                first_ms = (time.perf_counter() - started) * 1000
            yield Delta(text=tok, provider=self.name, model=model)
        if isinstance(reply, Exception):
            raise reply
        calls = tuple(ToolCall(c.id or f"call_{next(self._call_ids)}", c.name,
                               parse_arguments(c.arguments_json(), c.name)) for c in reply.tool_calls)
        tokens_in = sum(len(m.content.split()) for m in request.messages)
        usage = Usage(
            tokens_in=tokens_in,
            tokens_out=reply.tokens_out(),
            latency_ms=(time.perf_counter() - started) * 1000,
            first_token_ms=first_ms,
        )
        yield Delta(usage=usage, provider=self.name, model=model, tool_calls=calls)

    async def embed(self, model: str, texts: Sequence[str]) -> tuple[list[list[float]], Usage]:
        """fake_embedding of each text (or the next scripted embed error)."""
        self.embeds.append((model, tuple(texts)))
        if self.embed_errors:
            raise self.embed_errors.pop(0)
        return [fake_embedding(t, self.dim) for t in texts], Usage(tokens_in=sum(len(t.split()) for t in texts))

    async def ping(self) -> None:
        """The health check: raise `ping_error` when one is set."""
        self.pings += 1
        if self.ping_error is not None:
            raise self.ping_error

    async def aclose(self) -> None:
        """Mark the provider closed."""
        self.closed = True
