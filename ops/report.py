"""The owners' daily report (yesterday's stats and outages) and the day's close just after midnight."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from i18n import translator
from ops.services import Ops
from ops.stats import Stats, agent_names, bounds, compute, num, render, today
from storage.claims import JobClaims
from storage.retention import RetentionStore
from storage.stats import StatsStore

log = logging.getLogger(__name__)
KEEP_DAILY_DAYS = 40  # per-day usage sums older than this are pruned (quotas read only today's)
TELEGRAM_LIMIT = 4000


@dataclass(frozen=True, slots=True)
class Outage:
    """A provider that was down during the day: as the health check saw it, and as calls to it found it."""

    provider: str
    events: int  # times the health check saw it go down (0: it was already down when the day began)
    calls: int  # calls that found it unavailable or timing out


def yesterday(ops: Ops) -> date:
    """The day before today in the quota time zone."""
    return today(ops) - timedelta(days=1)


async def outages(ops: Ops, day: date) -> list[Outage]:
    """Providers that were down on `day`: health-check events and unavailable/timeout calls."""
    store = StatsStore(ops.store.db)
    events = await store.outages(*bounds(day, ops.settings.timezone))
    calls: Counter[str] = Counter()
    for c in await store.calls(day.isoformat()):
        calls[c.provider] += c.down
    names = sorted(set(events) | {p for p, n in calls.items() if n})
    return [Outage(p, events.get(p, 0), calls[p]) for p in names]


def render_report(stats: Stats, down: list[Outage], lang: str | None, names: dict[str, str]) -> str:
    """The report as plain text: a title, the stats, the outages."""
    tr = translator(lang)
    lines = [tr("stat_report_head"), render(stats, lang, names), ""]
    if down:
        lines.append(tr("stat_down"))
        lines += [tr("stat_down_line", provider=o.provider, events=num(o.events), calls=num(o.calls)) for o in down]
    else:
        lines.append(tr("stat_all_up"))
    return "\n".join(lines)[:TELEGRAM_LIMIT]


async def daily_report(ops: Ops) -> None:
    """Send yesterday's stats and outages to every owner, in the owner's language (nothing without owners)."""
    notifier = ops.notifier
    if not ops.settings.owners or notifier is None or not notifier.bots:
        return
    day = yesterday(ops)
    stats, down, names = await compute(ops, day), await outages(ops, day), agent_names(ops)
    for owner in ops.settings.owners:  # a few owners: each gets the report in their own Telegram language
        person = await ops.people.get(owner)
        text = render_report(stats, down, person.language if person else None, names)  # no language: the default
        sent = await notifier.send(notifier.bots[0], owner, text)
        if sent.status != "delivered":
            log.warning("daily report for %s not delivered to owner %s: %s", day, owner, sent.error or sent.status)
    log.info("daily report for %s sent to %d owner(s); %d provider(s) were down", day, len(ops.settings.owners),
             len(down))


async def close_day(ops: Ops) -> None:
    """Log the day that just ended and prune old per-day sums and job claims.

    Quotas are not touched here: they sum the usage rows of the current day key (in the quota time zone), so
    they reset at midnight by themselves, whether or not this job runs. The usage table stays the truth.
    """
    day = yesterday(ops)
    stats = await compute(ops, day)
    log.info("day %s closed: %d user messages from %d users, %d model answers, %d failed calls, %d tokens, "
             "cost $%.4f", day, stats.messages_day, stats.users_active, stats.answered, stats.errors,
             sum(m.tokens_in + m.tokens_out for m in (*stats.models, *stats.embeddings)), stats.cost)
    before = (today(ops) - timedelta(days=KEEP_DAILY_DAYS)).isoformat()
    daily = await RetentionStore(ops.store.db).prune_daily(before)
    claims = await JobClaims(ops.store.db, "close-day").prune()
    log.info("pruned %d per-day usage sums before %s and %d old job claims", daily, before, claims)
