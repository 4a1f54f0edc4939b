"""The stats and daily report's sentences, in Ukrainian and English (ops has no aiogram, so not bot.texts)."""
from __future__ import annotations

_UK_LANGS = {"uk", "ru", "be"}

LABELS: dict[str, dict[str, str]] = {
    "uk": {
        "head": "📊 Статистика за {day} ({tz})",
        "people": "👥 Користувачі: {total}, активних за день: {active}",
        "chats": "💬 Чати: {total}, активних за день: {active}",
        "messages": "✉️ Повідомлення: {day} за день, {week} за 7 днів",
        "agent": "  • {agent}: {day} / {week}",
        "calls": "🧠 Виклики моделей: відповідей {answered}, помилок {errors} ({rate})",
        "no_calls": "🧠 Викликів моделей не було.",
        "model": "  • {target}{local}: відповідей {answered}, помилок {errors}, токени {tin} → {tout}, {cost}",
        "local_mark": " 🏠",
        "local": "🏠 Локально: {share} відповідей",
        "latency": "⏱ Час відповіді моделі: p50 {p50}, p95 {p95}",
        "cost": "💰 Вартість: {cost}",
        "embed": "🔢 Ембединги {target}: викликів {calls}, помилок {errors}, токенів {tokens}",
        "report_head": "🗓 Щоденний звіт DAGI",
        "down": "⚠️ Були недоступні:",
        "down_line": "  • {provider}: падінь {events}, невдалих викликів {calls}",
        "all_up": "✅ Усі моделі працювали без збоїв.",
        "ms": "{n} мс",
    },
    "en": {
        "head": "📊 Stats for {day} ({tz})",
        "people": "👥 Users: {total}, active that day: {active}",
        "chats": "💬 Chats: {total}, active that day: {active}",
        "messages": "✉️ Messages: {day} that day, {week} in 7 days",
        "agent": "  • {agent}: {day} / {week}",
        "calls": "🧠 Model calls: {answered} answered, {errors} failed ({rate})",
        "no_calls": "🧠 No model calls.",
        "model": "  • {target}{local}: {answered} answered, {errors} failed, tokens {tin} → {tout}, {cost}",
        "local_mark": " 🏠",
        "local": "🏠 Served locally: {share} of answers",
        "latency": "⏱ Model response time: p50 {p50}, p95 {p95}",
        "cost": "💰 Cost: {cost}",
        "embed": "🔢 Embeddings {target}: {calls} calls, {errors} failed, {tokens} tokens",
        "report_head": "🗓 DAGI daily report",
        "down": "⚠️ Unavailable at times:",
        "down_line": "  • {provider}: outages {events}, failed calls {calls}",
        "all_up": "✅ Every model worked without failures.",
        "ms": "{n} ms",
    },
}


def lang_for(language_code: str | None) -> str:
    """Ukrainian for Ukrainian-speaking regions and unknown users, English otherwise (as bot.texts.lang_of)."""
    if not language_code:
        return "uk"
    return "uk" if language_code.split("-")[0].lower() in _UK_LANGS else "en"


def say(lang: str, key: str, **kw: object) -> str:
    """The label `key` in `lang` (Ukrainian when unknown), formatted."""
    return LABELS.get(lang, LABELS["uk"])[key].format(**kw)


def num(n: float) -> str:
    """1 234 567: thousands apart by spaces, as the bot's other notices."""
    return f"{round(n):,}".replace(",", " ")


def money(usd: float) -> str:
    """$0, $0.0012, $12.50."""
    if not usd:
        return "$0"
    return f"${usd:.4f}" if usd < 1 else f"${usd:,.2f}".replace(",", " ")


def percent(part: int, whole: int) -> str:
    """12.5 % (— when there is nothing to divide)."""
    return f"{100 * part / whole:.1f} %" if whole else "—"
