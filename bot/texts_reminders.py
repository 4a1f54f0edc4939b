"""The reminders feature's sentences, in Ukrainian and English (merged into bot.texts.TEXTS)."""
from __future__ import annotations

REMINDERS_TEXTS: dict[str, dict[str, str]] = {
    "uk": {
        "rem_usage": "Про що і коли нагадати? Наприклад:\n/remind 18:30 подзвонити постачальнику\n"
                     "/remind через 2 год перевірити замовлення\n/remind завтра 9:00 нарада\n"
                     "/remind 31.12 18:00 привітати команду\nСписок — /reminders, часовий пояс — /tz.",
        "rem_err_when": "Не зрозумів, коли нагадати. Час пишіть першим: /remind 18:30 текст, /remind через 30 хв "
                        "текст, /remind завтра 9:00 текст або /remind 31.12 18:00 текст.",
        "rem_err_date": "Такої дати чи часу немає. Перевірте число, місяць і годину, наприклад: "
                        "/remind 31.12 18:00 привітати команду",
        "rem_err_past": "Цей час уже минув. Вкажіть майбутній, наприклад: /remind завтра 9:00 нарада",
        "rem_err_far": "Нагадати можна не пізніше ніж через рік. Наприклад: /remind 31.12 18:00 привітати команду",
        "rem_err_empty": "Про що нагадати? Допишіть текст після часу: /remind 18:30 подзвонити постачальнику",
        "rem_err_long": "Текст нагадування задовгий: максимум {limit} символів. Скоротіть його.",
        "rem_err_limit": "У вас уже {limit} нагадувань, що чекають. Видаліть зайві в /reminders і спробуйте знову.",
        "rem_set": "⏰ Нагадаю {when} ({tz}): {text}",
        "rem_saved": "✅ Нагадування збережено — прийде {when} ({tz}): {text}",
        "rem_fire": "⏰ Нагадування: {text}",
        "rem_late": "(із запізненням: мало прийти {when} — бот був недоступний)",
        "rem_at_today": "сьогодні о {time}",
        "rem_at_tomorrow": "завтра о {time}",
        "rem_at_yesterday": "вчора о {time}",
        "rem_at_date": "{date} о {time}",
        "rem_list": "Ваші нагадування ({tz}). Натисніть ❌ N, щоб видалити:",
        "rem_list_line": "{n}. {when} — {text}",
        "rem_elsewhere": " (в іншому чаті)",
        "rem_more": "… і ще {n}",
        "rem_none": "Нагадувань немає. Створити: /remind 18:30 подзвонити постачальнику",
        "rem_deleted": "Видалено.",
        "rem_gone": "Цього нагадування вже немає: його надіслано або видалено.",
        "rem_not_yours": "Це не ваше нагадування: видалити його може лише той, хто його створив.",
        "tz_show": "Ваш часовий пояс: {tz} (зараз там {now}). Змінити: /tz Europe/Warsaw",
        "tz_set": "Часовий пояс тепер {tz} (зараз там {now}). Нові нагадування рахуються в ньому, "
                  "а вже створені прийдуть у той самий момент, що й раніше.",
        "tz_bad": "Не знаю часового поясу «{name}». Напишіть назву IANA, наприклад: /tz Europe/Kyiv, "
                  "/tz Europe/Warsaw, /tz America/New_York або /tz UTC.",
    },
    "en": {
        "rem_usage": "What and when should I remind you? For example:\n/remind 18:30 call the supplier\n"
                     "/remind in 2h check the order\n/remind tomorrow 9:00 meeting\n"
                     "/remind 31.12 18:00 congratulate the team\nList: /reminders, time zone: /tz.",
        "rem_err_when": "I didn't understand when to remind you. Put the time first: /remind 18:30 text, "
                        "/remind in 30m text, /remind tomorrow 9:00 text or /remind 31.12 18:00 text.",
        "rem_err_date": "There is no such date or time. Check the day, month and hour, for example: "
                        "/remind 31.12 18:00 congratulate the team",
        "rem_err_past": "That time has already passed. Give a future one, for example: /remind tomorrow 9:00 meeting",
        "rem_err_far": "Reminders can be at most a year ahead. For example: /remind 31.12 18:00 congratulate the team",
        "rem_err_empty": "What should I remind you about? Add the text after the time: /remind 18:30 call the supplier",
        "rem_err_long": "The reminder is too long: at most {limit} characters. Please shorten it.",
        "rem_err_limit": "You already have {limit} pending reminders. Delete some in /reminders and try again.",
        "rem_set": "⏰ I'll remind you {when} ({tz}): {text}",
        "rem_saved": "✅ Reminder saved — it will come {when} ({tz}): {text}",
        "rem_fire": "⏰ Reminder: {text}",
        "rem_late": "(late: it was due {when} — the bot was unavailable)",
        "rem_at_today": "today at {time}",
        "rem_at_tomorrow": "tomorrow at {time}",
        "rem_at_yesterday": "yesterday at {time}",
        "rem_at_date": "on {date} at {time}",
        "rem_list": "Your reminders ({tz}). Press ❌ N to delete one:",
        "rem_list_line": "{n}. {when} — {text}",
        "rem_elsewhere": " (in another chat)",
        "rem_more": "… and {n} more",
        "rem_none": "No reminders. Create one: /remind 18:30 call the supplier",
        "rem_deleted": "Deleted.",
        "rem_gone": "This reminder no longer exists: it was sent or deleted.",
        "rem_not_yours": "This is not your reminder: only the person who set it can delete it.",
        "tz_show": "Your time zone: {tz} (it is {now} there now). Change it: /tz Europe/Warsaw",
        "tz_set": "Your time zone is now {tz} (it is {now} there now). New reminders use it; "
                  "existing ones still come at the same moment as before.",
        "tz_bad": "I don't know the time zone \"{name}\". Use an IANA name, for example: /tz Europe/Kyiv, "
                  "/tz Europe/Warsaw, /tz America/New_York or /tz UTC.",
    },
}
