"""What the user reads about quotas and usage: the over-quota notices and the /usage report."""
from __future__ import annotations

from i18n import Grouped, Translator, translator
from ops.search_use import SearchUse
from ops.voice_use import VoiceOverQuota, VoiceUse, span
from router.errors import QuotaExceeded
from router.quotas import UsageGuard
from storage.usage import UsageLedger


def number(n: int) -> Grouped:
    """12 345 once worded — a space between thousands, as Ukrainian and English readers both accept."""
    return Grouped(n)


def limits(tr: Translator, tokens: int | None, requests: int | None) -> str:
    """"100 000 токенів, 50 запитів", or "без обмежень"."""
    parts = [tr("n_tokens", n=number(tokens))] if tokens else []
    parts += [tr("n_requests", n=number(requests))] if requests else []
    return ", ".join(parts) or tr("no_limit")


def quota_notice(exc: QuotaExceeded, lang: str, guard: UsageGuard) -> str:
    """"You have used … of … today; the limit resets at 00:00 (Europe/Kyiv), in 3 h"."""
    tr = translator(lang)
    used = tr("used_of", tokens=number(exc.tokens), requests=number(exc.requests),
              limit=limits(tr, exc.limit_tokens, exc.limit_requests))
    wait = tr.wait((exc.resets_at - guard.now()).total_seconds())
    at = exc.resets_at.strftime("%H:%M")
    if exc.scope == "chat":
        return tr("quota_chat", used=used, at=at, tz=guard.tz.key, wait=wait)
    return tr("quota_user", used=used, at=at, tz=guard.tz.key, wait=wait)


def voice_quota_notice(over: VoiceOverQuota, lang: str, voice: VoiceUse) -> str:
    """"Your daily voice limit is 30 minutes; 29 minutes 40 seconds used today, … resets at 00:00 (…), in 3 hours"."""
    tr = translator(lang)
    args = dict(used=span(tr, over.used), limit=span(tr, over.limit), at=over.resets_at.strftime("%H:%M"),
                tz=voice.tz.key, wait=tr.wait((over.resets_at - voice.now()).total_seconds()))
    return tr("voice_quota_chat" if over.scope == "chat" else "voice_quota_user", **args)


async def usage_report(guard: UsageGuard, ledger: UsageLedger, user_id: int, lang: str, names: dict[str, str],
                       search: SearchUse | None = None, voice: VoiceUse | None = None) -> str:
    """/usage: today's requests, tokens and cost per agent, the quota and when it resets; web searches and voice
    messages too (when the bot has them)."""
    day, tr = guard.day(), translator(lang)
    lines = [tr("usage_title", day=day)]
    rows = await ledger.by_agent(user_id, day)
    for row in rows:
        lines.append(tr("usage_line", agent=names.get(row.agent, row.agent or "—"), requests=number(row.requests),
                        tokens=number(row.tokens_in + row.tokens_out)))
    if not rows:
        lines.append(tr("usage_none"))
    totals = await ledger.totals("user", user_id, day)
    tokens = guard.user.tokens if totals.limit_tokens is None else (totals.limit_tokens or None)
    requests = guard.user.requests if totals.limit_requests is None else (totals.limit_requests or None)
    cost = sum(r.cost for r in rows)
    lines.append(tr("usage_total", requests=number(totals.requests), tokens=number(totals.tokens))
                 + (f", ${cost:.4f}" if cost else ""))
    lines.append(tr("usage_limit", limit=limits(tr, tokens, requests), at=guard.resets_at().strftime("%H:%M"),
                    tz=guard.tz.key))
    if search is not None:
        lines.append(await search_line(search, user_id, tr))
    if voice is not None:
        lines.append(await voice_line(voice, user_id, tr))
    return "\n".join(lines)


async def search_line(search: SearchUse, user_id: int, tr: Translator) -> str:
    """"🔎 Вебпошук: 3 пошуки (ліміт — 20 пошуків на день), 7 сторінок прочитано"."""
    used, limit = await search.used("user", user_id)
    reads = (await search.usage.of_user(user_id, search.day())).reads
    return tr("search_usage_line", used=number(used), reads=number(reads),
              limit=tr("n_searches", n=number(limit)) if limit else tr("no_limit"))


async def voice_line(voice: VoiceUse, user_id: int, tr: Translator) -> str:
    """"🎙 Голосові сьогодні: 2 хвилини 5 секунд (ліміт — 30 хвилин на день)"."""
    used, limit = await voice.used("user", user_id)
    return tr("voice_usage_line", used=span(tr, used),
              limit=tr("voice_limit", span=span(tr, limit)) if limit else tr("no_limit"))
