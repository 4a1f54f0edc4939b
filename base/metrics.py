"""The metrics facade every layer reports to: a Protocol, a no-op default, and the one the composition root installs.

Router and storage cannot import the Prometheus code (it lives in ops/), so they report here; with metrics off
each report is one call of an empty method, which keeps the hot path as cheap as it was.
"""
from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    """What the bot reports; names are `dagi_*` metrics in ops.metrics.PrometheusMetrics."""

    def update(self, kind: str, outcome: str) -> None:
        """A Telegram update of `kind` (message, callback_query…) ended: handled, unhandled or error."""

    def stage(self, stage: str, seconds: float) -> None:
        """A reply's stage took `seconds`: queue (stored → its turn) or delivery (model done → answer visible)."""

    def call_started(self, provider: str, model: str) -> None:
        """One model attempt begins (in flight until call_ended)."""

    def call_ended(self, provider: str, model: str, *, task: str, outcome: str, local: bool,
                   first_token: float | None, total: float, audio_seconds: float) -> None:
        """One model attempt ended; `first_token` and `total` are seconds from its start (None: no text came)."""

    def tokens(self, provider: str, model: str, tokens_in: int, tokens_out: int, cost: float) -> None:
        """A recorded model call's tokens and its cost in USD."""

    def telegram_429(self, method: str) -> None:
        """Telegram answered a Bot API call of `method` with 429 (retried or not)."""

    def queue_wait(self, provider: str, seconds: float) -> None:
        """A request waited `seconds` for a slot of `provider` (0: one was free)."""

    def overflow(self, provider: str, reason: str) -> None:
        """A request passed `provider` over for the next target: busy (no slot in time) or queue_full."""


class NoMetrics:
    """Metrics off: every report is dropped."""

    def update(self, kind: str, outcome: str) -> None:
        pass

    def stage(self, stage: str, seconds: float) -> None:
        pass

    def call_started(self, provider: str, model: str) -> None:
        pass

    def call_ended(self, provider: str, model: str, *, task: str, outcome: str, local: bool,
                   first_token: float | None, total: float, audio_seconds: float) -> None:
        pass

    def tokens(self, provider: str, model: str, tokens_in: int, tokens_out: int, cost: float) -> None:
        pass

    def telegram_429(self, method: str) -> None:
        pass

    def queue_wait(self, provider: str, seconds: float) -> None:
        pass

    def overflow(self, provider: str, reason: str) -> None:
        pass


OFF: Metrics = NoMetrics()
_current: list[Metrics] = [OFF]  # a one-slot box: `install` swaps what every `metrics()` caller gets


def metrics() -> Metrics:
    """Where to report now (NoMetrics until the composition root installs a real sink)."""
    return _current[0]


def install(sink: Metrics | None) -> None:
    """Make `sink` the process's metrics (None: back to no metrics)."""
    _current[0] = sink if sink is not None else OFF
