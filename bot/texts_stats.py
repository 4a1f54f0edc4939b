"""The stats and /forget sentences, in Ukrainian and English (merged into bot.texts.TEXTS).

The stats are rendered by ops.stats through `Ops.say` (bot.texts.t), so /admin stats and the owners'
daily report word them the same way.
"""
from __future__ import annotations

STATS_TEXTS: dict[str, dict[str, str]] = {
    "uk": {
        "stat_head": "📊 Статистика за {day} ({tz})",
        "stat_people": "👥 Користувачі: {total}, активних за день: {active}",
        "stat_chats": "💬 Чати: {total}, активних за день: {active}",
        "stat_messages": "✉️ Повідомлення: {day} за день, {week} за 7 днів",
        "stat_agent": "  • {agent}: {day} / {week}",
        "stat_calls": "🧠 Виклики моделей: відповідей {answered}, помилок {errors} ({rate})",
        "stat_no_calls": "🧠 Викликів моделей не було.",
        "stat_model": "  • {target}{local}: відповідей {answered}, помилок {errors}, токени {tin} → {tout}, {cost}",
        "stat_local_mark": " 🏠",
        "stat_local": "🏠 Локально: {share} відповідей",
        "stat_latency": "⏱ Час відповіді моделі: p50 {p50}, p95 {p95}",
        "stat_cost": "💰 Вартість: {cost}",
        "stat_embed": "🔢 Ембединги {target}: викликів {calls}, помилок {errors}, токенів {tokens}",
        "stat_report_head": "🗓 Щоденний звіт DAGI",
        "stat_down": "⚠️ Були недоступні:",
        "stat_down_line": "  • {provider}: падінь {events}, невдалих викликів {calls}",
        "stat_all_up": "✅ Усі моделі працювали без збоїв.",
        "stat_ms": "{n} мс",
        "adm_stats_bad_date": "Не розумію дату «{arg}». Напишіть її як РРРР-ММ-ДД, наприклад: /admin stats {example}",
        "forget_preview": "Буде видалено все, що бот зберігає про вас:\n"
                          "• повідомлень (ваших, відповідей на них і всієї історії особистих чатів): {messages}\n"
                          "• документів, які ви додали до баз знань: {documents}\n"
                          "• нагадувань: {reminders}\n"
                          "• налаштування особистого чату (агент, /privacy, /handoff) — стануть типовими\n"
                          "Записи про використання моделей ({usage}) залишаться лише як анонімні лічильники — "
                          "без тексту й без вашого id; сьогоднішній ліміт від цього не скинеться.\n"
                          "Видалити назавжди?",
        "forget_yes": "🗑 Так, видалити все",
        "forget_no": "Скасувати",
        "forget_done": "Готово. Видалено повідомлень: {messages}, документів: {documents}, нагадувань: {reminders}. "
                       "Лишилися тільки анонімні лічильники використання ({usage}) — без тексту й без вашого id.{kept}{left}\n"
                       "Налаштування чату тепер типові: якщо потрібен /privacy local, увімкніть його знову. "
                       "Повідомлення в самому Telegram можна видалити в застосунку. Можете писати далі — "
                       "почнемо з чистого аркуша.",
        "forget_kept": " Ваш id збережено лише з роллю доступу до бота.",
        "forget_left": " Не вдалося видалити документів: {n} — надішліть /forget ще раз трохи згодом.",
        "forget_cancelled": "Скасовано — нічого не видалено.",
        "forget_not_yours": "Ця кнопка — для того, хто надіслав /forget.",
        "forget_private": "Щоб видалити свої дані, напишіть /forget мені в особисті повідомлення.",
        "forget_off": "Видалення даних на цьому сервері зараз недоступне. Напишіть адміністраторові бота.",
    },
    "en": {
        "stat_head": "📊 Stats for {day} ({tz})",
        "stat_people": "👥 Users: {total}, active that day: {active}",
        "stat_chats": "💬 Chats: {total}, active that day: {active}",
        "stat_messages": "✉️ Messages: {day} that day, {week} in 7 days",
        "stat_agent": "  • {agent}: {day} / {week}",
        "stat_calls": "🧠 Model calls: {answered} answered, {errors} failed ({rate})",
        "stat_no_calls": "🧠 No model calls.",
        "stat_model": "  • {target}{local}: {answered} answered, {errors} failed, tokens {tin} → {tout}, {cost}",
        "stat_local_mark": " 🏠",
        "stat_local": "🏠 Served locally: {share} of answers",
        "stat_latency": "⏱ Model response time: p50 {p50}, p95 {p95}",
        "stat_cost": "💰 Cost: {cost}",
        "stat_embed": "🔢 Embeddings {target}: {calls} calls, {errors} failed, {tokens} tokens",
        "stat_report_head": "🗓 DAGI daily report",
        "stat_down": "⚠️ Unavailable at times:",
        "stat_down_line": "  • {provider}: outages {events}, failed calls {calls}",
        "stat_all_up": "✅ Every model worked without failures.",
        "stat_ms": "{n} ms",
        "adm_stats_bad_date": "I can't read the date \"{arg}\". Write it as YYYY-MM-DD, e.g. /admin stats {example}",
        "forget_preview": "Everything the bot keeps about you will be deleted:\n"
                          "• messages (yours, the answers to them and the whole history of your private chats): "
                          "{messages}\n"
                          "• documents you added to knowledge bases: {documents}\n"
                          "• reminders: {reminders}\n"
                          "• your private chat's settings (agent, /privacy, /handoff) — back to the defaults\n"
                          "Model usage records ({usage}) stay only as anonymous counts — no text and no id of yours; "
                          "today's limit is not reset by this.\n"
                          "Delete for good?",
        "forget_yes": "🗑 Yes, delete everything",
        "forget_no": "Cancel",
        "forget_done": "Done. Deleted messages: {messages}, documents: {documents}, reminders: {reminders}. "
                       "Only anonymous usage counts remain ({usage}) — no text and no id of yours.{kept}{left}\n"
                       "The chat's settings are the defaults now: if you need /privacy local, turn it on again. "
                       "Messages in Telegram itself can be deleted in the app. You can keep writing — "
                       "we start from a clean slate.",
        "forget_kept": " Your id is kept only with your access role.",
        "forget_left": " {n} documents could not be deleted — send /forget again a little later.",
        "forget_cancelled": "Cancelled — nothing was deleted.",
        "forget_not_yours": "This button is for whoever sent /forget.",
        "forget_private": "To delete your data, send /forget to me in a private chat.",
        "forget_off": "Deleting data is not available on this server right now. Please write to the bot's admin.",
    },
}
