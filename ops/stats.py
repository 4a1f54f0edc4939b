"""One day's stats in the quota time zone: people, messages per agent, model calls, cost, local share, latency.

Model calls are generation calls (chat, vision, OCR). Embedding calls (mode "embed": documents and searches of
the knowledge bases) are listed on their own lines and are left out of the answered/failed counts, the error
rate, the local share and the latency percentiles: they are not answers a person waits for. Speech calls (modes
"stt", "tts": hearing and speaking voice messages) are apart for the same reason, under the seconds of speech
heard and spoken. Calls the caller abandoned ("cancelled") count as neither answered nor failed; nor do requests
that found a provider's slots full and went on to their next target ("busy" rows): those are the overflow, by
reason, next to the wait for a slot of the calls that got one (p50/p95 over every kind of call).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from i18n import Grouped, Translator, translator
from ops.services import Ops
from ops.voice_use import span
from storage.stats import CallSums, StatsStore
from storage.web_usage import WebLine, WebUsage


@dataclass(frozen=True, slots=True)
class ModelLine:
    """One provider:model's calls on the day."""

    target: str
    local: bool
    tokens_in: int
    tokens_out: int
    cost: float
    answered: int
    errors: int


@dataclass(frozen=True, slots=True)
class Stats:
    """Everything /admin stats and the daily report show for one day."""

    day: date
    tz: str
    users_total: int
    users_active: int
    chats_total: int
    chats_active: int
    agents: tuple[tuple[str, int, int], ...]  # (agent, messages on the day, in the 7 days ending it), busiest first
    models: tuple[ModelLine, ...]  # generation calls
    embeddings: tuple[ModelLine, ...]
    p50_ms: float | None
    p95_ms: float | None
    web: tuple[WebLine, ...] = ()  # web-search questions, backend queries (per backend) and page reads
    speech: tuple[ModelLine, ...] = ()  # calls hearing (stt) or speaking (tts) voice messages
    heard: float = 0.0  # seconds of speech transcribed (answered stt calls)
    spoken: float = 0.0  # seconds of speech synthesised (answered tts calls)
    overflows: tuple[tuple[str, int], ...] = ()  # (reason: busy | queue_full, requests passed on), most first
    queue_p50_ms: float | None = None  # the wait for a slot of the calls to providers with slots
    queue_p95_ms: float | None = None

    @property
    def overflowed(self) -> int:
        return sum(n for _, n in self.overflows)

    @property
    def messages_day(self) -> int:
        return sum(a[1] for a in self.agents)

    @property
    def messages_week(self) -> int:
        return sum(a[2] for a in self.agents)

    @property
    def answered(self) -> int:
        return sum(m.answered for m in self.models)

    @property
    def errors(self) -> int:
        return sum(m.errors for m in self.models)

    @property
    def local_answered(self) -> int:
        return sum(m.answered for m in self.models if m.local)

    @property
    def cost(self) -> float:
        return sum(m.cost for m in (*self.models, *self.embeddings, *self.speech))


def today(ops: Ops) -> date:
    """Today in the quota time zone."""
    return ops.now().astimezone(ZoneInfo(ops.settings.timezone)).date()


def bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The day's first instant and the next day's, in UTC."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation between the closest ranks; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _line(ops: Ops, c: CallSums) -> ModelLine:
    provider = ops.router.providers.get(c.provider)  # one no longer configured counts as not local
    return ModelLine(f"{c.provider}:{c.model}", bool(provider is not None and provider.local), c.tokens_in,
                     c.tokens_out, c.cost, c.answered, c.errors)


async def compute(ops: Ops, day: date | None = None) -> Stats:
    """Stats of `day` (default today) in the quota time zone."""
    tz = ops.settings.timezone
    day = day or today(ops)
    start, end = bounds(day, tz)
    store = StatsStore(ops.store.db)
    activity = await store.activity(start, end, bounds(day - timedelta(days=6), tz)[0])
    calls = await store.calls(day.isoformat())
    latencies = await store.latencies(day.isoformat())
    web = await WebUsage(ops.store.db).of_day(day.isoformat())
    heard, spoken = await ops.ledger.audio_totals(day.isoformat())
    overflows = sorted((await store.overflows(day.isoformat())).items(), key=lambda r: (-r[1], r[0]))
    waits = await store.queue_waits(day.isoformat())
    agents = sorted(((a, d, w) for a, (d, w) in activity.by_agent.items()), key=lambda a: (-a[2], -a[1], a[0]))
    return Stats(day, tz, activity.users_total, activity.users_active, activity.chats_total, activity.chats_active,
                 tuple(agents), tuple(_line(ops, c) for c in calls if not (c.embed or c.speech)),
                 tuple(_line(ops, c) for c in calls if c.embed), percentile(latencies, 0.5),
                 percentile(latencies, 0.95), tuple(web), speech=tuple(_line(ops, c) for c in calls if c.speech),
                 heard=heard, spoken=spoken, overflows=tuple(overflows), queue_p50_ms=percentile(waits, 0.5),
                 queue_p95_ms=percentile(waits, 0.95))


def _ms(tr: Translator, value: float | None) -> str:
    return "—" if value is None else tr("stat_ms", n=num(value))


def render(stats: Stats, lang: str | None, names: Mapping[str, str] | None = None) -> str:
    """The stats as plain text in `lang` (i18n's stats.ftl); `names` maps agent keys to what people call them."""
    names, tr = names or {}, translator(lang)
    lines = [tr("stat_head", day=stats.day.isoformat(), tz=stats.tz),
             tr("stat_people", total=num(stats.users_total), active=num(stats.users_active)),
             tr("stat_chats", total=num(stats.chats_total), active=num(stats.chats_active)),
             tr("stat_messages", day=num(stats.messages_day), week=num(stats.messages_week))]
    lines += [tr("stat_agent", agent=names.get(a, a or "—"), day=num(d), week=num(w)) for a, d, w in stats.agents]
    lines += web_lines(stats.web, tr)
    lines += voice_lines(stats, tr)
    if not stats.models and not stats.embeddings:
        lines.append(tr("stat_no_calls"))
        return "\n".join(lines)
    answered, errors = stats.answered, stats.errors
    lines.append(tr("stat_calls", answered=num(answered), errors=num(errors), rate=percent(errors, answered + errors)))
    lines += [tr("stat_model", target=m.target, local=tr("stat_local_mark") if m.local else "",
                 answered=num(m.answered), errors=num(m.errors), tin=num(m.tokens_in), tout=num(m.tokens_out),
                 cost=money(m.cost)) for m in stats.models]
    lines.append(tr("stat_local", share=percent(stats.local_answered, answered)))
    lines.append(tr("stat_latency", p50=_ms(tr, stats.p50_ms), p95=_ms(tr, stats.p95_ms)))
    lines += load_lines(stats, tr)
    lines.append(tr("stat_cost", cost=money(stats.cost)))
    lines += [tr("stat_embed", target=m.target, calls=num(m.answered + m.errors), errors=num(m.errors),
                 tokens=num(m.tokens_in + m.tokens_out)) for m in stats.embeddings]
    return "\n".join(lines)


def load_lines(stats: Stats, tr: Translator) -> list[str]:
    """"⏳ Wait for a free slot: p50 0 ms, p95 180 ms" and "↪️ Passed on …: 5 requests (…)"; none on a day without
    providers with slots or overflow."""
    lines = []
    if stats.queue_p50_ms is not None:
        lines.append(tr("stat_queue", p50=_ms(tr, stats.queue_p50_ms), p95=_ms(tr, stats.queue_p95_ms)))
    if stats.overflows:
        reasons = ", ".join(tr("stat_overflow_queue_full", count=num(n)) if reason == "queue_full"
                            else tr("stat_overflow_busy", count=num(n)) for reason, n in stats.overflows)
        lines.append(tr("stat_overflow", count=num(stats.overflowed), reasons=reasons))
    return lines


def web_lines(web: Sequence[WebLine], tr: Translator) -> list[str]:
    """"🔎 Вебпошук: 3 питання, 4 запити до пошуковиків (1 невдалий), 6 сторінок (2 відмови)" and a line per backend."""
    if not web:
        return []

    def count(kind: str, *fields: str) -> Grouped:
        return num(sum(getattr(w, f) for w in web if w.kind == kind for f in fields))
    head = tr("stat_web", questions=count("question", "ok", "failed"), searches=count("search", "ok", "failed"),
              failed=count("search", "failed"), reads=count("read", "ok", "failed"), refused=count("read", "failed"))
    backends = [tr("stat_web_backend", backend=w.backend or "—", ok=num(w.ok), failed=num(w.failed))
                for w in sorted(web, key=lambda w: w.backend) if w.kind == "search"]
    return [head, *backends]


def voice_lines(stats: Stats, tr: Translator) -> list[str]:
    """"🎙 Голос: розпізнано — 12 хвилин 5 секунд, озвучено — 3 хвилини" and a line per speech model; none on a day
    without voice."""
    if not (stats.speech or stats.heard or stats.spoken):
        return []
    head = tr("stat_voice", heard=span(tr, stats.heard), spoken=span(tr, stats.spoken))
    return [head, *(tr("stat_speech", target=m.target, local=tr("stat_local_mark") if m.local else "",
                       calls=num(m.answered + m.errors), errors=num(m.errors)) for m in stats.speech)]


def agent_names(ops: Ops) -> dict[str, str]:
    """Agent key → "⚡ Helion", for render."""
    return {p.key: f"{p.emoji} {p.name}".strip() for p in ops.personas.agents.values()}


def num(n: float) -> Grouped:
    """1 234 567 once worded: thousands apart by spaces, as the bot's other notices; a number for plural forms."""
    return Grouped(round(n))


def money(usd: float) -> str:
    """$0, $0.0012, $12.50."""
    if not usd:
        return "$0"
    return f"${usd:.4f}" if usd < 1 else f"${usd:,.2f}".replace(",", " ")


def percent(part: int, whole: int) -> str:
    """12.5 % (— when there is nothing to divide)."""
    return f"{100 * part / whole:.1f} %" if whole else "—"
