"""Query expansion: when a search finds nothing relevant, the local model rewrites the question as search queries."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import TYPE_CHECKING, cast

from router.errors import ProviderError, QuotaExceeded
from router.types import ChatMessage, ChatRequest, Delta

if TYPE_CHECKING:
    from rag.knowledge import Asker
    from router.core import ModelRouter

log = logging.getLogger(__name__)
SECONDS = 20.0  # a CPU model that has not answered by then costs the user more than the passages are worth
MAX_TOKENS = 48
MAX_QUERIES = 2

# Instructions to the model, not text a user reads. Few-shot turns, so a tiny base model (prompted as a
# dialogue) follows them as well as an instruction-tuned one: a question in, "Ukrainian | English" out.
SYSTEM = ("You turn a question into search queries for a document search. Reply with one line: the question's key "
          "words in Ukrainian, then ' | ', then the same key words in English. No other text.")
EXAMPLES = (
    ("Who was the first president of Ukraine?", "перший президент України | first president of Ukraine"),
    ("Коли відкрили бібліотеку університету?", "відкриття бібліотеки університету | university library opening"),
    ("How much does a ticket to the museum cost?", "ціна квитка до музею | museum ticket price"),
)


def request(query: str, asker: Asker) -> ChatRequest:
    """The model call: the chat route, local targets only (never a cloud model, whatever the chat's settings)."""
    turns = [ChatMessage("system", SYSTEM)]
    for question, answer in EXAMPLES:
        turns += [ChatMessage("user", question), ChatMessage("assistant", answer)]
    turns.append(ChatMessage("user", query.strip()[:500]))
    return ChatRequest(messages=tuple(turns), task="chat", agent=asker.agent, local_only=True, temperature=0.0,
                       max_tokens=MAX_TOKENS, user_id=asker.user_id, chat_id=asker.chat_id, bot=asker.bot,
                       speaker="Search")


def queries(reply: str, original: str) -> list[str]:
    """The reply's first line split on '|': distinct queries other than the question itself, at most two."""
    line = reply.strip().splitlines()[0] if reply.strip() else ""
    seen = {original.strip().lower()}
    found = []
    for part in line.split("|"):
        text = part.strip().strip("\"'«»").strip()
        if text and text.lower() not in seen:
            seen.add(text.lower())
            found.append(text)
    return found[:MAX_QUERIES]


async def rewrite(router: ModelRouter, query: str, asker: Asker) -> list[str]:
    """Search queries the local model makes of `query`; none when no local model answers in time or all are busy."""
    text: list[str] = []
    try:
        async with asyncio.timeout(SECONDS):
            # ModelRouter.stream is an async generator: closing it at once frees the provider's connection.
            stream = cast(AsyncGenerator[Delta, None], router.stream(request(query, asker)))
            async with aclosing(stream) as deltas:
                async for delta in deltas:
                    if delta.queued:  # every local slot is busy with answers: not worth a wait
                        return []
                    text.append(delta.text)
    except (ProviderError, QuotaExceeded, TimeoutError) as exc:
        log.info("query expansion skipped: %s", exc or "no answer in time")
        return []
    return queries("".join(text), query)
