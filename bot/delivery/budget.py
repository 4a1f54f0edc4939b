"""Per-chat send budgets: free bursts while Telegram is happy, strict spacing only after it says 429."""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["send", "edit", "draft"]  # a new message, an edit of one, a streaming preview (private chats)
DRAFT_BURST = 3.0  # drafts at once, then one per interval: under the 20 per 5 s and 40 per 30 s reported per peer


@dataclass(slots=True)
class _Bucket:
    """A token bucket: `capacity` at once, one more every `every` seconds."""

    tokens: float
    at: float

    def level(self, now: float, capacity: float, every: float) -> float:
        return min(capacity, self.tokens + (now - self.at) / every)

    def take(self, now: float, capacity: float, every: float) -> None:
        self.tokens, self.at = self.level(now, capacity, every) - 1.0, now

    def hold(self, until: float) -> None:
        """Nothing before `until`, then one update."""
        self.tokens, self.at = 1.0, max(self.at, until)


@dataclass(slots=True)
class _Chat:
    messages: _Bucket
    drafts: _Bucket
    sends: deque[float] = field(default_factory=deque)  # groups: times of new messages in the last minute
    flying: dict[str, int] = field(default_factory=dict)  # claimed updates still on the wire, per bucket
    strict_until: float = 0.0  # after a 429: one update per interval, no bursts
    seen: float = 0.0


class ChatPacer:
    """Decides how long a chat's next visible update must wait; costs nothing while the chat is within its budget.

    Private chats: `burst` updates at once, refilled one per `interval`; drafts have a budget of their own
    (the Bot API documents no limit for sendMessageDraft; see DRAFT_BURST), so a preview never delays a real
    message.
    Groups: one visible update per `interval` and at most `group_per_minute` new messages in any minute.
    A 429 blocks the chat for `retry_after`, then keeps it strict (no bursts) until `calm` seconds pass
    without another.
    """

    def __init__(self, interval: float = 1.0, *, burst: int = 5, group_per_minute: int = 20, calm: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.interval, self.burst, self.group_per_minute, self.calm = interval, burst, group_per_minute, calm
        self._clock = clock
        self._chats: dict[int, _Chat] = {}

    def _chat(self, chat_id: int, now: float) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) > 50_000:  # forget chats idle for long: their budgets are full again anyway
                self._chats = {k: c for k, c in self._chats.items() if now - c.seen < max(self.calm, 60.0)}
            chat = self._chats[chat_id] = _Chat(_Bucket(float(self.burst), now), _Bucket(DRAFT_BURST, now))
        chat.seen = now
        return chat

    def _capacity(self, chat_id: int, chat: _Chat, now: float, kind: Kind) -> float:
        if chat_id < 0 or now < chat.strict_until:
            return 1.0
        return DRAFT_BURST if kind == "draft" else float(self.burst)

    def wait_time(self, chat_id: int, kind: Kind = "send") -> float:
        """Seconds until the chat may see an update of this kind (0 = now), counting claimed ones still on the wire."""
        now = self._clock()
        chat = self._chat(chat_id, now)
        bucket = chat.drafts if kind == "draft" else chat.messages
        capacity = self._capacity(chat_id, chat, now, kind)
        flying = chat.flying.get(_bucket_of(kind), 0)
        wait = max(0.0, (1.0 + flying - bucket.level(now, capacity, self.interval)) * self.interval)
        if chat_id < 0 and kind == "send":
            while chat.sends and chat.sends[0] <= now - 60.0:
                chat.sends.popleft()
            if len(chat.sends) + flying >= self.group_per_minute:
                wait = max(wait, chat.sends[0] + 60.0 - now if chat.sends else self.interval / 10)
        return wait

    def mark(self, chat_id: int, kind: Kind = "send") -> None:
        """Record a visible update that Telegram has just taken (refills count from now)."""
        now = self._clock()
        chat = self._chat(chat_id, now)
        bucket = chat.drafts if kind == "draft" else chat.messages
        bucket.take(now, self._capacity(chat_id, chat, now, kind), self.interval)
        if chat_id < 0 and kind == "send":
            chat.sends.append(now)

    def take(self, chat_id: int, kind: Kind = "send") -> float:
        """Claim an update if the budget allows it now (0), else the seconds to wait (nothing claimed).

        A claim counts against the budget until `done`: two senders to one chat (forum topics, a status line
        beside a preview) never both see a free slot, and refills count from when Telegram took the update,
        so a 429's retry inside the call still leaves the next update its full interval.
        """
        wait = self.wait_time(chat_id, kind)
        if wait <= 0:
            flying = self._chat(chat_id, self._clock()).flying
            flying[_bucket_of(kind)] = flying.get(_bucket_of(kind), 0) + 1
        return wait

    def done(self, chat_id: int, kind: Kind = "send", *, sent: bool = True) -> None:
        """The claimed update came back: recorded if Telegram took it (`sent`), released if not."""
        flying = self._chat(chat_id, self._clock()).flying
        flying[_bucket_of(kind)] = max(0, flying.get(_bucket_of(kind), 0) - 1)
        if sent:
            self.mark(chat_id, kind)

    def penalize(self, chat_id: int, retry_after: float, kind: Kind = "send") -> None:
        """Telegram answered 429 for this chat: wait `retry_after`, then space updates strictly for a while."""
        now = self._clock()
        chat = self._chat(chat_id, now)
        chat.drafts.hold(now + retry_after)
        if kind != "draft":  # a refused preview says nothing about real messages
            chat.messages.hold(now + retry_after)
            chat.strict_until = now + retry_after + self.calm

    def strict(self, chat_id: int) -> bool:
        """Whether the chat is held to one update per interval after a recent 429."""
        now = self._clock()
        return now < self._chat(chat_id, now).strict_until


def _bucket_of(kind: Kind) -> str:
    return "drafts" if kind == "draft" else "messages"
