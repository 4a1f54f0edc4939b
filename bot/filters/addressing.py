"""Whether a group message is meant for the bot, and which persona it names."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.persona import AgentsConfig, Persona


@dataclass(frozen=True, slots=True)
class Mention:
    """A mention entity reduced to what matters: its text span (UTF-16) and a mentioned user id."""

    offset: int
    length: int
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class Addressed:
    """The message is for the bot; `text` has the mention or name removed."""

    text: str
    persona: Persona | None = None


def _cut_utf16(text: str, offset: int, length: int) -> tuple[str, str]:
    raw = text.encode("utf-16-le")
    a, b = raw[: offset * 2].decode("utf-16-le"), raw[offset * 2: (offset + length) * 2].decode("utf-16-le")
    return a + raw[(offset + length) * 2:].decode("utf-16-le"), b


def addressed(text: str, *, private: bool, mentions: Sequence[Mention], bot_username: str, bot_id: int,
              reply_to_user_id: int | None, personas: AgentsConfig, locked: str | None = None) -> Addressed | None:
    """None when a group message is not for us; otherwise the cleaned text and a named persona."""
    for m in mentions:
        rest, span = _cut_utf16(text, m.offset, m.length)
        if m.user_id == bot_id or span.lower() == f"@{bot_username}".lower():
            text, private = rest.strip(), True
            break
    named = personas.match_alias(text)
    if named is not None and (locked is None or named[0].key == locked):
        return Addressed(named[1], named[0])
    if private or reply_to_user_id == bot_id:
        return Addressed(text.strip())
    return None
