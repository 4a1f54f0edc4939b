"""Usage rows, provider quotas (daily tokens, requests per minute) and per-user / per-group daily quotas.

The usage table is the truth: every check sums rows in the database, so counts survive restarts
and every replica of the bot enforces the same quota. A provider without limits costs no query, nor does a
user or chat with no default limit and no override (overrides are re-read every storage.usage.OVERRIDE_TTL).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from base.metrics import metrics
from router.errors import OverQuota, QuotaExceeded
from router.types import ChatRequest, Target, Usage
from storage.records import BUSY, Totals, UsageRow


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Price:
    """USD per one million tokens."""

    input: float = 0.0
    output: float = 0.0

    def cost(self, tokens_in: int, tokens_out: int) -> float:
        return (tokens_in * self.input + tokens_out * self.output) / 1_000_000


@dataclass(frozen=True, slots=True)
class ProviderQuota:
    """What is left of a provider's own limits: tokens today, calls this minute (a limit of None: no such limit)."""

    daily_tokens: int | None = None
    tokens_left: int = 0
    rpm: int | None = None
    calls: int = 0


@dataclass(frozen=True, slots=True)
class ProviderLimits:
    """A provider's price and limits (None = no limit); `prices` overrides the price per model."""

    daily_tokens: int | None = None
    rpm: int | None = None
    price: Price = Price()
    prices: Mapping[str, Price] = field(default_factory=dict)

    def price_of(self, model: str) -> Price:
        return self.prices.get(model, self.price)


@dataclass(frozen=True, slots=True)
class DailyQuota:
    """Tokens and answered requests per day (None or 0 = unlimited)."""

    tokens: int | None = None
    requests: int | None = None


class Ledger(Protocol):
    """Where usage rows live (storage.usage.UsageLedger)."""

    async def record(self, row: UsageRow) -> None: ...
    async def provider_tokens(self, provider: str, day: str) -> int: ...
    async def provider_calls_since(self, provider: str, since: datetime) -> int: ...
    async def totals(self, kind: str, subject_id: int, day: str) -> Totals: ...
    async def override(self, kind: str, subject_id: int) -> tuple[int | None, int | None]: ...


class UsageGuard:
    """Records every model call and says when a provider, a user or a group is over its quota."""

    def __init__(self, ledger: Ledger, *, limits: Mapping[str, ProviderLimits] | None = None,
                 user: DailyQuota = DailyQuota(), group: DailyQuota = DailyQuota(),
                 tz: str = "UTC", now: Callable[[], datetime] = utc_now) -> None:
        self.ledger = ledger
        self.limits = dict(limits or {})
        self.user, self.group = user, group
        self.tz = ZoneInfo(tz)
        self.now = now
        self._in_flight: Counter[str] = Counter()  # calls started here and not yet recorded

    def day(self, at: datetime | None = None) -> str:
        """The quota day of `at` (default now) in the configured time zone."""
        return (at or self.now()).astimezone(self.tz).date().isoformat()

    def resets_at(self, at: datetime | None = None) -> datetime:
        """The next midnight in the quota time zone."""
        local = (at or self.now()).astimezone(self.tz)
        return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=self.tz)

    async def check_subjects(self, request: ChatRequest) -> None:
        """Raise QuotaExceeded when the user's (or the group's) daily quota is used up."""
        day = self.day()
        checks = [("user", request.user_id, self.user)]
        if request.chat != "private" and request.chat_id:
            checks.append(("chat", request.chat_id, self.group))
        for kind, subject, default in checks:  # one query each: the sums and an admin's override together
            if not subject:
                continue
            if not (default.tokens or default.requests) and not any(await self.ledger.override(kind, subject)):
                continue  # no limit by default and none set for this subject: its sums cannot refuse it
            used = await self.ledger.totals(kind, subject, day)
            tokens = default.tokens if used.limit_tokens is None else used.limit_tokens
            requests = default.requests if used.limit_requests is None else used.limit_requests
            if (tokens and used.tokens >= tokens) or (requests and used.requests >= requests):
                raise QuotaExceeded(kind, tokens=used.tokens, requests=used.requests, limit_tokens=tokens or None,
                                    limit_requests=requests or None, resets_at=self.resets_at())

    async def over_quota(self, target: Target) -> OverQuota | None:
        """Why the target's provider must be skipped now (daily tokens or RPM used up), or None."""
        limits = self.limits.get(target.provider)
        if limits is None or (limits.daily_tokens is None and limits.rpm is None):
            return None
        now = self.now()
        if limits.daily_tokens is not None:
            used = await self.ledger.provider_tokens(target.provider, self.day(now))
            if used >= limits.daily_tokens:
                return OverQuota(f"daily token quota used ({used}/{limits.daily_tokens}); resets at "
                                 f"{self.resets_at(now):%H:%M %Z}", provider=target.provider, model=target.model)
        if limits.rpm is not None:
            calls = await self.ledger.provider_calls_since(target.provider, now - timedelta(minutes=1))
            calls += self._in_flight[target.provider]
            if calls >= limits.rpm:
                return OverQuota(f"{limits.rpm} requests per minute reached", provider=target.provider,
                                 model=target.model)
        return None

    def started(self, target: Target) -> None:
        """A call to the target begins (counts toward RPM until recorded)."""
        self._in_flight[target.provider] += 1

    async def finished(self, request: ChatRequest, target: Target, *, outcome: str, usage: Usage | None,
                       latency_ms: float, error: str | None = None, queue_ms: float | None = None) -> None:
        """Record one model call (success or failure) as a usage row; `queue_ms`: its wait for a slot."""
        self._in_flight[target.provider] -= 1
        tokens_in, tokens_out = (usage.tokens_in, usage.tokens_out) if usage else (0, 0)
        limits = self.limits.get(target.provider)
        cost = limits.price_of(target.model).cost(tokens_in, tokens_out) if limits else 0.0
        metrics().tokens(target.provider, target.model, tokens_in, tokens_out, cost)
        at = self.now()
        await self.ledger.record(UsageRow(
            at=at, day=self.day(at), provider=target.provider, model=target.model, outcome=outcome,
            bot=request.bot, chat_id=request.chat_id, user_id=request.user_id, agent=request.agent,
            mode=request.task, tokens_in=tokens_in, tokens_out=tokens_out, cost=cost, latency_ms=latency_ms,
            error=error, audio_seconds=usage.audio_seconds if usage else 0.0, queue_ms=queue_ms))

    async def overflowed(self, request: ChatRequest, target: Target, *, reason: str, why: str, waited: float) -> None:
        """Record that the request passed `target` over, its slots full (no call was made): a row of outcome "busy"
        whose error starts with the reason (busy, queue_full) and whose queue_ms is the wait before moving on."""
        at, ms = self.now(), waited * 1000
        await self.ledger.record(UsageRow(
            at=at, day=self.day(at), provider=target.provider, model=target.model, outcome=BUSY, bot=request.bot,
            chat_id=request.chat_id, user_id=request.user_id, agent=request.agent, mode=request.task,
            latency_ms=ms, queue_ms=ms, error=f"{reason}: {why}"))

    async def provider_quota(self, provider: str) -> ProviderQuota:
        """Tokens left today and calls this minute against the provider's limits (no query for a limit not set)."""
        limits = self.limits.get(provider) or ProviderLimits()
        quota = ProviderQuota(daily_tokens=limits.daily_tokens, rpm=limits.rpm)
        if limits.daily_tokens is not None:
            used = await self.ledger.provider_tokens(provider, self.day())
            quota = replace(quota, tokens_left=max(limits.daily_tokens - used, 0))
        if limits.rpm is not None:
            calls = await self.ledger.provider_calls_since(provider, self.now() - timedelta(minutes=1))
            quota = replace(quota, calls=calls)
        return quota

    async def provider_state(self, provider: str) -> str:
        """"quota left" text for `python -m router explain` (English): tokens left today and RPM, or "no limits"."""
        q = await self.provider_quota(provider)
        parts = [f"{q.tokens_left}/{q.daily_tokens} tokens left today"] if q.daily_tokens is not None else []
        parts += [f"{q.calls}/{q.rpm} requests this minute"] if q.rpm is not None else []
        return ", ".join(parts) or "no limits"
