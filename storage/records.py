"""Small frozen records passed between the bot and the store."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a conversation lives: one bot, one chat, one forum topic (0 = none)."""

    bot: str
    chat_id: int
    thread_id: int = 0


@dataclass(frozen=True, slots=True)
class ChatState:
    """The chat's active agent (None = default), current conversation number and settings."""

    agent: str | None
    conversation: int
    handoff: bool = True  # the front-door agent may pass questions to a specialist
    local_only: bool = False  # only local models may see this chat
    kb_files: bool = False  # files sent here go to the chat's knowledge base
    web_search: bool = True  # /search and personas' own web searches are allowed here
    voice: bool = False  # answers here also come as voice messages (/voice on)


@dataclass(frozen=True, slots=True)
class Inbound:
    """A user message as received, before any model is called."""

    scope: Scope
    user_id: int
    text: str
    agent: str
    conversation: int
    tg_message_id: int | None = None
    language: str = "uk"
    chat_type: str = "private"
    pinned: bool = False  # the user named the persona (or the bot is locked to it): no hand-off; not stored
    attachments: tuple[str, ...] = ()  # image references (Telegram file ids; file paths in the console)
    mode: str = "chat"  # chat | ocr (extract a document's text and fields) | search (/search: answer from the web)
    # | voice (a voice note not yet transcribed; `attachments` holds its file id)


@dataclass(frozen=True, slots=True)
class Pending:
    """A stored user message that was never answered (e.g. the process was killed)."""

    id: int
    inbound: Inbound
    tries: int = 1  # how many replicas have held it (a takeover adds one)


@dataclass(frozen=True, slots=True)
class Turn:
    """One history entry, oldest first."""

    role: str
    text: str
    agent: str | None
    attachments: tuple[str, ...] = ()
    key: int = 0  # the exchange's question id (an answer's reply_to): what a conversation summary covers up to


@dataclass(frozen=True, slots=True)
class Answer:
    """A delivered answer and how it was produced."""

    text: str
    agent: str
    provider: str = ""
    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    error: str | None = None


BUSY = "busy"  # a usage row's outcome when the provider's slots were full and the request moved on (no call made)


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One model call as the usage table keeps it."""

    at: datetime
    day: str  # YYYY-MM-DD in the quota time zone: daily quotas sum by it
    provider: str
    model: str
    outcome: str  # ok | cut | unavailable | timeout | rate_limited | not_found | error | busy (see BUSY)
    bot: str = ""
    chat_id: int = 0
    user_id: int = 0
    agent: str = ""
    mode: str = "chat"
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    latency_ms: float = 0.0
    error: str | None = None
    audio_seconds: float = 0.0  # speech heard (mode "stt") or spoken (mode "tts")
    queue_ms: float | None = None  # the wait for a slot of the provider; None: the provider counts no slots


@dataclass(frozen=True, slots=True)
class Totals:
    """A subject's (user's or chat's) use on one day, and its quota override if an admin set one."""

    tokens: int = 0
    requests: int = 0
    limit_tokens: int | None = None  # override from the database; None = the configured default
    limit_requests: int | None = None


@dataclass(frozen=True, slots=True)
class AgentUse:
    """One line of /usage: what one agent cost a user today."""

    agent: str
    requests: int
    tokens_in: int
    tokens_out: int
    cost: float


@dataclass(frozen=True, slots=True)
class Audit:
    """One line of the audit log: an admin action or a refused attempt at one."""

    at: datetime
    user_id: int
    action: str
    allowed: bool
    detail: str | None
