"""The FakeTelegram's in-memory state: bots, chats, stored messages, queued failures, recorded calls."""
from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import ClientSession, web

if TYPE_CHECKING:
    from bot.testing.webhook import Post


@dataclass
class Call:
    """One Bot API call the fake received; `ok` is False when the fake answered with an error."""

    token: str
    method: str
    params: dict
    at: float
    ok: bool = True


@dataclass
class _Bot:
    user: dict
    updates: list[dict] = field(default_factory=list)
    commands: list = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)  # file_id → size an update claimed, when not len(bytes)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    webhook: dict | None = None  # the setWebhook in force (see webhook.py)
    history: dict[int, dict] = field(default_factory=dict)  # every update pushed, by update_id (to post again)


@dataclass
class _Failure:
    kind: str
    retry_after: int


class _ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def _shallow(message: dict) -> dict:
    """A copy fit for `reply_to_message`, which Telegram nests only one level deep."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


class _FakeState:
    """State and its helpers; the updates and methods mixins build on it, FakeTelegram serves it."""

    def __init__(self) -> None:
        self.url = ""
        self.calls: list[Call] = []
        self._bots: dict[str, _Bot] = {}
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._chats: dict[int, dict] = {}
        self._messages: dict[int, dict[int, dict]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._callback_ids = itertools.count(1)
        self._members: dict[int, dict[int, str]] = {}  # chat → user → status (creator | administrator)
        self._blocked: set[int] = set()  # chats whose user blocked the bot (or group that removed it)
        self._per_second: int | None = None  # the per-token rate limit; None = no limit
        self._windows: dict[str, deque[float]] = {}  # token → times of the calls counted in the last second
        # chat_limit(): (per second, per minute in groups, drafts counted) and per (token, chat) windows
        self._chat_limits: tuple[int | None, int | None, bool] | None = None
        self._chat_windows: dict[tuple[str, object], tuple[deque[float], deque[float]]] = {}
        self.rate_limited: list[Call] = []  # calls the rate limit answered with 429
        self._voices: dict[int, list[dict]] = {}  # chat → voice messages the bot sent there (see voices())
        self._no_voice: set[int] = set()  # chats whose user forbids voice messages
        self._photos: dict[int, list[dict]] = {}  # chat → photos the bot sent there (see photos())
        self.webhook_posts: list[Post] = []  # every webhook delivery, made by the fake or by post_update
        self.auto_deliver = True  # a set webhook gets queued updates at once; False: only through post_update
        self._open = asyncio.Event()  # cleared by hold(): Bot API calls wait, unprocessed, until resume()
        self._open.set()
        self.retry_delay = 0.1  # seconds before a failed webhook delivery is tried again
        self._deliveries: dict[str, asyncio.Task[None]] = {}  # token → its webhook delivery loop
        self._client: ClientSession | None = None
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # -- state helpers --------------------------------------------------------

    def _bot(self, token: str) -> _Bot:
        if token not in self._bots:
            raise KeyError(f"unknown bot token {token!r}; call add_bot first")
        return self._bots[token]

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _chat(self, chat_id: int, chat_type: str | None = None, *, first_name: str = "Olena",
              forum: bool = False) -> dict:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat_type = chat_type or ("private" if chat_id > 0 else "supergroup")
            chat = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = first_name
            else:
                chat["title"] = f"Test {chat_type} {abs(chat_id)}"
            self._chats[chat_id] = chat
        if forum:
            chat["is_forum"] = True
        return chat
