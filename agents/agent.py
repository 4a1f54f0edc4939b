"""The Agent: builds a persona's request and returns the router's stream."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, AsyncIterator, Sequence

from router.types import ChatMessage, ChatRequest, Delta

if TYPE_CHECKING:
    from agents.persona import Persona
    from router.core import ModelRouter

_LANG_NAMES = {"uk": "Ukrainian", "en": "English"}


def estimate_tokens(text: str) -> int:
    """A cheap upper-ish token estimate: ~3 characters per token for mixed Cyrillic/Latin."""
    return len(text) // 3 + 4


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier turn of the conversation."""

    role: str  # "user" | "assistant"
    text: str


@dataclass(frozen=True, slots=True)
class AgentInput:
    """What one answer needs: the new text, earlier turns, the user's language and the kind of chat."""

    text: str
    history: Sequence[Turn] = ()
    language: str = "uk"
    local_only: bool = False
    chat: str = "private"  # private | group (routing rules can tell them apart)
    user_id: int = 0
    chat_id: int = 0
    bot: str = ""


class Agent:
    """Stateless: persona data in, router stream out."""

    def __init__(self, router: "ModelRouter") -> None:
        self.router = router

    def build_request(self, persona: "Persona", data: AgentInput) -> ChatRequest:
        """System prompt, the newest history that fits the persona's budget, then the new message."""
        lang = _LANG_NAMES.get(data.language, "Ukrainian")
        system = (
            f"{persona.system_prompt.strip()}\n\n"
            f"Answer in the language of the user's latest message; if it is unclear, answer in "
            f"{lang if persona.language.follow_user else _LANG_NAMES.get(persona.language.default, 'Ukrainian')}."
        )
        budget = persona.history_tokens - estimate_tokens(data.text)
        window: list[ChatMessage] = []
        for turn in reversed(data.history):
            budget -= estimate_tokens(turn.text)
            if budget < 0:
                break
            window.append(ChatMessage("assistant" if turn.role == "assistant" else "user", turn.text))
        window.reverse()
        # A window must not open with an orphaned answer: models expect a user turn first.
        while window and window[0].role == "assistant":
            window.pop(0)
        messages = (ChatMessage("system", system), *window, ChatMessage("user", data.text))
        return ChatRequest(
            messages=messages, temperature=persona.temperature, max_tokens=persona.max_tokens,
            task=persona.route, agent=persona.key, local_only=persona.local_only or data.local_only,
            chat=data.chat, language=data.language, user_id=data.user_id, chat_id=data.chat_id, bot=data.bot,
        )

    def stream(self, persona: "Persona", data: AgentInput) -> AsyncIterator[Delta]:
        """The router's stream of deltas for this persona and input."""
        return self.router.stream(self.build_request(persona, data))
