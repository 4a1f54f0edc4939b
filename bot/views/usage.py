"""What the user reads about quotas and usage: the over-quota notice and the /usage report."""
from __future__ import annotations

from bot.texts import t, wait_text
from router.errors import QuotaExceeded
from router.quotas import UsageGuard
from storage.usage import UsageLedger


def number(n: int) -> str:
    """12 345 — a thin space between thousands, as Ukrainian and English readers both accept."""
    return f"{n:,}".replace(",", " ")


def _limits(lang: str, tokens: int | None, requests: int | None) -> str:
    parts = [t(lang, "n_tokens", n=number(tokens))] if tokens else []
    parts += [t(lang, "n_requests", n=number(requests))] if requests else []
    return ", ".join(parts) or t(lang, "no_limit")


def quota_notice(exc: QuotaExceeded, lang: str, guard: UsageGuard) -> str:
    """"You have used … of … today; the limit resets at 00:00 (Europe/Kyiv), in 3 h"."""
    used = t(lang, "used_of", tokens=number(exc.tokens), requests=number(exc.requests),
             limit=_limits(lang, exc.limit_tokens, exc.limit_requests))
    wait = wait_text(lang, (exc.resets_at - guard.now()).total_seconds())
    key = "quota_chat" if exc.scope == "chat" else "quota_user"
    return t(lang, key, used=used, at=exc.resets_at.strftime("%H:%M"), tz=guard.tz.key, wait=wait)


async def usage_report(guard: UsageGuard, ledger: UsageLedger, user_id: int, lang: str, names: dict[str, str]) -> str:
    """/usage: today's requests, tokens and cost per agent, the quota and when it resets."""
    day = guard.day()
    lines = [t(lang, "usage_title", day=day)]
    rows = await ledger.by_agent(user_id, day)
    for row in rows:
        lines.append(t(lang, "usage_line", agent=names.get(row.agent, row.agent or "—"), requests=number(row.requests),
                       tokens=number(row.tokens_in + row.tokens_out)))
    if not rows:
        lines.append(t(lang, "usage_none"))
    totals = await ledger.totals("user", user_id, day)
    tokens = guard.user.tokens if totals.limit_tokens is None else (totals.limit_tokens or None)
    requests = guard.user.requests if totals.limit_requests is None else (totals.limit_requests or None)
    cost = sum(r.cost for r in rows)
    lines.append(t(lang, "usage_total", requests=number(totals.requests), tokens=number(totals.tokens))
                 + (f", ${cost:.4f}" if cost else ""))
    lines.append(t(lang, "usage_limit", limit=_limits(lang, tokens, requests),
                   at=guard.resets_at().strftime("%H:%M"), tz=guard.tz.key))
    return "\n".join(lines)
