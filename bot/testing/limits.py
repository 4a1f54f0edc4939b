"""Telegram's refusals the fake can play: users who blocked the bot, and the per-bot rate limit."""
from __future__ import annotations

import math
from collections import deque

from bot.testing.state import Call, _ApiError, _FakeState

_SENDING = ("send", "edit", "copy", "forward")  # calls that put a message in a chat or change one
_NOT_COUNTED = ("sendchataction", "sendmessagedraft")  # typing and drafts: not messages


class _Limits(_FakeState):
    """`block(chat_id)` and `rate_limit(per_second)`; off by default, so the fake answers everything."""

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

    def _check_limits(self, call: Call) -> None:
        method = call.method.lower()
        if not method.startswith(_SENDING) or method in _NOT_COUNTED:
            return
        if self._per_second is not None:
            window = self._windows.setdefault(call.token, deque())
            while window and window[0] <= call.at - 1.0:
                window.popleft()
            if len(window) >= self._per_second:
                self.rate_limited.append(call)
                wait = max(1, math.ceil(window[0] + 1.0 - call.at))
                raise _ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
            window.append(call.at)
        chat_id = call.params.get("chat_id")
        if chat_id in self._blocked:
            kind = self._chats.get(chat_id, {}).get("type", "private" if isinstance(chat_id, int) and chat_id > 0
                                                   else "supergroup")
            what = "blocked by the user" if kind == "private" else f"kicked from the {kind} chat"
            raise _ApiError(403, f"Forbidden: bot was {what}")

