"""The numbers behind `/admin stats`' chart: messages and the local share per quota day, tokens and cost per provider.

Counted as the text stats count them (ops/stats.py): messages are user messages, the local share is the share of
answered generation calls (chat, vision, OCR) a local provider served; tokens and cost cover every kind of call.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ops.services import Ops
from ops.stats import bounds, today
from storage.stats import DayUsage, StatsStore

DAYS = 14  # two weeks: a week is seen against the one before it


@dataclass(frozen=True, slots=True)
class ChartDay:
    """One quota day: user messages and answered generation calls, of them served locally."""

    day: date
    messages: int
    answered: int
    local: int

    @property
    def local_share(self) -> float | None:
        """Percent of the day's answers served locally; None on a day without answers (nothing to divide)."""
        return 100 * self.local / self.answered if self.answered else None


@dataclass(frozen=True, slots=True)
class ProviderTotal:
    """One provider's tokens (in + out) and cost over the chart's days."""

    provider: str
    local: bool
    tokens: int
    cost: float


@dataclass(frozen=True, slots=True)
class ChartData:
    """Everything the chart draws: consecutive days, oldest first, and providers with the most tokens first."""

    tz: str
    days: tuple[ChartDay, ...]
    providers: tuple[ProviderTotal, ...]

    @property
    def messages(self) -> int:
        return sum(d.messages for d in self.days)

    @property
    def answered(self) -> int:
        return sum(d.answered for d in self.days)

    @property
    def local(self) -> int:
        return sum(d.local for d in self.days)

    @property
    def cost(self) -> float:
        return sum(p.cost for p in self.providers)


def assemble(tz: str, days: Sequence[date], messages: Sequence[int], usage: Iterable[DayUsage],
             is_local: Callable[[str], bool]) -> ChartData:
    """Days (with their message counts, zeros included) and usage rows into the chart's numbers."""
    answered = dict.fromkeys(days, 0)
    local = dict.fromkeys(days, 0)
    totals: dict[str, list[float]] = {}
    for u in usage:
        day = date.fromisoformat(u.day)
        if day in answered:
            answered[day] += u.answered
            local[day] += u.answered if is_local(u.provider) else 0
        into = totals.setdefault(u.provider, [0, 0.0])
        into[0] += u.tokens
        into[1] += u.cost
    providers = sorted((ProviderTotal(p, is_local(p), int(t), c) for p, (t, c) in totals.items()),
                       key=lambda p: (-p.tokens, -p.cost, p.provider))
    return ChartData(tz, tuple(ChartDay(d, m, answered[d], local[d]) for d, m in zip(days, messages, strict=True)),
                     tuple(providers))


async def chart_data(ops: Ops, last: date | None = None, days: int = DAYS) -> ChartData:
    """The `days` quota days ending on `last` (default today): two grouped reads, one of messages, one of usage."""
    tz = ops.settings.timezone
    last = last or today(ops)
    span = [last - timedelta(days=n) for n in range(days - 1, -1, -1)]
    store = StatsStore(ops.store.db)
    messages = await store.messages_per_day([bounds(d, tz) for d in span])
    usage = await store.usage_per_day(span[0].isoformat(), last.isoformat())

    def is_local(name: str) -> bool:  # a provider no longer configured counts as not local, as in the text stats
        provider = ops.router.providers.get(name)
        return bool(provider is not None and provider.local)
    return assemble(tz, span, messages, usage, is_local)
