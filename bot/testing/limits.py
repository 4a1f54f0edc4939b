"""Telegram's refusals the fake can play: users who blocked the bot, and the per-bot rate limit."""
from __future__ import annotations

import math
from collections import deque

from bot.testing.state import Call, _ApiError, _FakeState

_SENDING = ("send", "edit", "copy", "forward")  # calls that put a message in a chat or change one
_NOT_COUNTED = ("sendchataction", "sendmessagedraft")  # typing and drafts: not messages


class _Limits(_FakeState):
    """`block(chat_id)`, `rate_limit(per_second)` and `chat_limit(...)`; all off by default: the fake answers all."""

    def block(self, chat_id: int) -> None:
        """The user blocked the bot (or the group removed it): sends to the chat answer 403 from now on."""
        self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """The user unblocked the bot."""
        self._blocked.discard(chat_id)

    def rate_limit(self, per_second: int | None = 30) -> None:
        """At most `per_second` messages sent or edited per token in any sliding second; more get 429 (None: off).

        Every 429 the limit answers is kept in `rate_limited`, so a test can check that none happened.
        """
        self._per_second = per_second
        self._windows.clear()

    def chat_limit(self, per_second: int | None = 1, *, group_per_minute: int | None = 20,
                   drafts: bool = False) -> None:
        """The strict model: past `per_second` sends/edits in one chat in any sliding second, 429 (None: off).

        Groups also get at most `group_per_minute` in any sliding minute; `drafts=True` counts
        sendMessageDraft too. Like `rate_limit`, every 429 is kept in `rate_limited`.
        """
        self._chat_limits = (per_second, group_per_minute, drafts) if per_second is not None else None
        self._chat_windows.clear()

    def _check_limits(self, call: Call) -> None:
        method = call.method.lower()
        if self._chat_limits is not None and method == "sendmessagedraft" and self._chat_limits[2]:
            self._check_chat(call)
        if not method.startswith(_SENDING) or method in _NOT_COUNTED:
            return
        if self._per_second is not None:
            self._take(self._windows.setdefault(call.token, deque()), call, 1.0, self._per_second)
        if self._chat_limits is not None:
            self._check_chat(call)
        chat_id = call.params.get("chat_id")
        if chat_id in self._blocked:
            kind = self._chats.get(chat_id, {}).get("type", "private" if isinstance(chat_id, int) and chat_id > 0
                                                   else "supergroup")
            what = "blocked by the user" if kind == "private" else f"kicked from the {kind} chat"
            raise _ApiError(403, f"Forbidden: bot was {what}")


    def _check_chat(self, call: Call) -> None:
        assert self._chat_limits is not None
        per_second, per_minute, _ = self._chat_limits
        chat_id = call.params.get("chat_id")
        key = (call.token, chat_id)
        group = not (isinstance(chat_id, int) and chat_id > 0)
        second, minute = self._chat_windows.setdefault(key, (deque(), deque()))
        if group and per_minute is not None:
            self._peek(minute, call, 60.0, per_minute)
        self._take(second, call, 1.0, per_second or 1)
        if group and per_minute is not None:
            minute.append(call.at)

    def _peek(self, window: deque[float], call: Call, span: float, limit: int) -> None:
        """Raise a 429 if `window` already holds `limit` calls in the last `span` seconds."""
        while window and window[0] <= call.at - span:
            window.popleft()
        if len(window) >= limit:
            self.rate_limited.append(call)
            wait = max(1, math.ceil(window[0] + span - call.at))
            raise _ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    def _take(self, window: deque[float], call: Call, span: float, limit: int) -> None:
        """Count the call in `window`, or raise a 429 if the window is full."""
        self._peek(window, call, span, limit)
        window.append(call.at)
