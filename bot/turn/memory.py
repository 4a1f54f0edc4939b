"""A turn's side of long-dialog memory: the summary read before the answer, a fold started after it."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agents.agent import language_name
from agents.memory import Who
from i18n import Translator
from ops.memory import Memory
from storage.store import ChatState, Inbound, Scope, Store, Turn
from storage.summaries import Summary

if TYPE_CHECKING:
    from agents.persona import Persona


async def new_conversation(store: Store, memory: Memory | None, scope: Scope, chat_type: str = "private") -> None:
    """/reset: a new conversation, and it starts clean: nothing summarised before carries over."""
    await store.reset(scope, chat_type)
    if memory is not None:
        await memory.clear(scope)


async def shown(memory: Memory | None, scope: Scope, conversation: int, tr: Translator) -> str:
    """/memory's reply (in Telegram and the console): the conversation's summary, or why there is none."""
    if memory is None or not memory.settings.enabled:
        return tr("memory_off")
    summary = await memory.show(scope, conversation)
    return tr("memory_empty") if summary is None else tr("memory_show", turns=summary.turns, summary=summary.text)


async def recall(memory: Memory | None, inbound: Inbound, turns: Sequence[Turn],
                 persona: Persona) -> tuple[Summary | None, list[Turn]]:
    """The conversation's summary and the turns it does not cover yet (the ones the model sees word for word)."""
    summary = None if memory is None else await memory.recall(inbound.scope, inbound.conversation,
                                                              persona.history_tokens)
    return summary, [t for t in turns if t.key > summary.covered] if summary is not None else list(turns)


def remember(memory: Memory | None, inbound_id: int, inbound: Inbound, answer: str, persona: Persona,
             state: ChatState, turns: Sequence[Turn], summary: Summary | None) -> None:
    """After the answer went out: fold what no longer fits into the summary, in the background (never awaited)."""
    if memory is None:
        return
    private = inbound.chat_type == "private"
    exchange = [*turns, Turn("user", inbound.text, inbound.agent, key=inbound_id),
                Turn("assistant", answer, persona.key, key=inbound_id)]
    # A group's summary is the group's, not one member's: no user id on its usage rows.
    who = Who(agent=persona.key, local_only=persona.local_only or state.local_only,
              chat="private" if private else "group", user_id=inbound.user_id if private else 0,
              chat_id=inbound.scope.chat_id, bot=inbound.scope.bot)
    memory.after_answer(inbound.scope, inbound.conversation, exchange, summary, history_tokens=persona.history_tokens,
                        language=language_name(inbound.language), who=who)
