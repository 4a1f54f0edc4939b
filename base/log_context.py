"""Ids that structured logs carry (chat, user, agent, provider, update), bound per update and per turn.

A ContextVar: aiogram handles each update in its own task, and tasks copy the context they start in, so ids
bound for one update never show up in another's log lines.
"""
from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from types import MappingProxyType

FIELDS = ("update_id", "chat_id", "user_id", "agent", "provider")  # what JSON log lines may carry
_EMPTY: Mapping[str, object] = MappingProxyType({})
_IDS: ContextVar[Mapping[str, object]] = ContextVar("dagi_log_ids", default=_EMPTY)


def bind(**ids: object) -> None:
    """Add ids to the current context (None values are skipped); later log lines of this task carry them."""
    given = {k: v for k, v in ids.items() if v is not None}
    if given:
        _IDS.set({**_IDS.get(), **given})


def bound() -> Mapping[str, object]:
    """The ids bound in the current context."""
    return _IDS.get()
