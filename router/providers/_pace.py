"""How often streamed text goes downstream: the first text at once, then at most one piece per window."""
from __future__ import annotations

from dataclasses import dataclass

# Seconds between two text deltas of one answer. Every delta wakes the whole chain above the provider (router,
# agent, conversation, sink); a token each was ~0.2 ms of CPU apiece. Telegram shows at most about one update a
# second, so merging what arrives within this window costs the reader nothing it could see.
WINDOW = 0.05


@dataclass(slots=True)
class Pace:
    """When text last went downstream (loop time); shared by run_stream and a reader that can hold the socket."""

    window: float = WINDOW
    first: float | None = None  # when the first text went out
    last: float | None = None  # when the latest text went out

    def due(self, now: float) -> bool:
        """True when text may go out now: nothing has been shown yet, or the window since the last text is over."""
        return self.last is None or now >= self.last + self.window

    def sent(self, now: float) -> None:
        """Text went out at `now`."""
        if self.first is None:
            self.first = now
        self.last = now

    def hold_until(self, now: float) -> float | None:
        """Until when a reader may leave the socket unread, or None to read at once.

        Not while nothing has been shown (the first text goes out at once) nor in the first window after it: a
        fast answer is usually whole by then, and its end must not wait. Later, text arriving before the window
        is over would only be held, so a reader need not wake for it.
        """
        if self.first is None or self.last is None or self.last == self.first:
            return None
        until = self.last + self.window
        return until if until > now else None
