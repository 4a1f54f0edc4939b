"""Whose knowledge: the scopes that name a chat's, a persona's and a collection's base, and who a search is for."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

COLLECTION = "collection:"


def agent_scope(agent: str) -> str:
    """The knowledge base admins curate for a persona."""
    return f"agent:{agent}"


def collection_scope(name: str) -> str:
    """A named collection several personas may read (agents.yaml `knowledge:`), filled by `python -m rag ingest
    --collection NAME`."""
    return f"{COLLECTION}{name}"


def persona_scopes(agent: str, collections: Sequence[str]) -> list[str]:
    """What a persona reads besides the chat's documents: its own base, then its named collections."""
    return [agent_scope(agent), *(collection_scope(name) for name in collections)]


def collection_of(scope: str) -> str | None:
    """The collection a scope names (None for a chat's or an agent's base)."""
    return scope.removeprefix(COLLECTION) if scope.startswith(COLLECTION) else None


def chat_scope(bot: str, chat_id: int, thread_id: int = 0) -> str:
    """The knowledge base of one chat (or forum topic): what its members sent."""
    return f"chat:{bot}:{chat_id}:{thread_id}"


@dataclass(frozen=True, slots=True)
class Asker:
    """Who a search or an ingest is for: usage rows and local-only privacy of the embedding calls."""

    agent: str = ""
    user_id: int = 0
    chat_id: int = 0
    bot: str = ""
    local_only: bool = False
