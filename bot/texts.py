"""Every sentence the bot says on its own, in Ukrainian and English."""
from __future__ import annotations

import math

from bot.texts_admin import ADMIN_TEXTS
from bot.texts_broadcast import BROADCAST_TEXTS
from bot.texts_kb import KB_TEXTS
from bot.texts_providers import PROVIDERS_TEXTS
from bot.texts_reminders import REMINDERS_TEXTS
from bot.texts_stats import STATS_TEXTS

_UK_LANGS = {"uk", "ru", "be"}

TEXTS: dict[str, dict[str, str]] = {
    "uk": {
        "start": "Вітаю, {name}! Я DAGI — тут відповідають агенти DAARION.city. Зараз з вами говорить {agent}.\n"
                 "Оберіть агента нижче або просто напишіть питання. Команди — /help.",
        "help": "Що я вмію:\n"
                "/agent — обрати агента (або /agent helion)\n"
                "/reset — почати нову розмову\n"
                "/whoami — хто ви, цей чат і активний агент\n"
                "/handoff on|off — чи передає DAARWIZZ питання агентам-фахівцям\n"
                "/privacy local|cloud — лише локальні моделі чи й хмарні\n"
                "/usage — ваше використання моделей сьогодні і ліміт\n"
                "/ocr — розпізнати текст і поля документа з наступного фото (або підпис «ocr» до фото)\n"
                "/kb — база знань чату: /kb add і файл (PDF, DOCX, TXT…), /kb search, /kb delete\n"
                "/remind 18:30 текст — нагадування (також «через 2 год», «завтра 9:00», «31.12 18:00»)\n"
                "/reminders — ваші нагадування; ❌ видаляє · /tz Europe/Kyiv — ваш часовий пояс\n"
                "/forget — видалити все, що бот зберігає про вас\n"
                "Фото можна надсилати з питанням у підписі або без нього; потім можна питати про нього далі.\n"
                "/help — ця довідка\n\n"
                "Агенти: {agents}\n"
                "У групі я відповідаю, коли мене згадують (@{bot}), відповідають на моє повідомлення "
                "або звертаються на ім'я: «Helion, …».",
        "pick": "Оберіть агента. Зараз: {agent}.",
        "switched": "Тепер з вами говорить {agent} — {title}",
        "unknown_agent": "Немає агента «{name}». Доступні: {agents}.",
        "locked": "Цей бот — лише {agent}. Інших агентів шукайте в основному боті DAGI.",
        "reset": "Почнімо спочатку: попередню розмову з цим чатом забуто.",
        "whoami": "Ви: {user} (id {user_id})\nЧат: {chat_id} ({chat_type}){thread}\nАгент: {agent}",
        "handoff_on": "Передача питань увімкнена: {front} передає питання фахівцям ({targets}), і над відповіддю "
                      "видно, хто відповідає. Вимкнути: /handoff off",
        "handoff_off": "Передача питань вимкнена: на все відповідає активний агент. Увімкнути: /handoff on",
        "handoff_usage": "Напишіть /handoff on, щоб увімкнути передачу питань, або /handoff off, щоб вимкнути.",
        "admins_handoff": "Лише адміністратори групи можуть вмикати чи вимикати передачу питань. Попросіть когось із них.",
        "privacy_local": "Режим «лише локально»: повідомлення цього чату обробляють тільки наші власні моделі, "
                         "до хмарних сервісів нічого не надсилається. Дозволити хмарні моделі: /privacy cloud",
        "privacy_cloud": "Звичайний режим: якщо локальна модель не відповідає, відповісти може хмарна. "
                         "Лише локальні моделі: /privacy local",
        "privacy_usage": "Напишіть /privacy local (лише локальні моделі) або /privacy cloud (дозволити хмарні).",
        "admins_cloud": "Лише адміністратори групи можуть дозволити хмарні моделі. Попросіть когось із них.",
        "unknown_command": "Невідома команда {command}. Список команд — /help.",
        "empty": "Напишіть питання текстом — я відповім.",
        "too_long": "Повідомлення задовге ({length} символів, максимум {limit}). Скоротіть його або надішліть частинами.",
        "unsupported": "Я розумію текст, фото і документи для бази знань (/kb). Напишіть питання словами або надішліть фото.",
        "no_vision": "Зараз немає жодної моделі, що бачить фото. Спробуйте пізніше або опишіть питання текстом.",
        "image_not_image": "Цей файл не схожий на зображення. Надішліть фото або картинку (JPEG, PNG, WEBP).",
        "image_corrupt": "Не вдалося прочитати зображення: файл пошкоджений. Надішліть його ще раз.",
        "image_too_many_pixels": "Зображення має забагато пікселів (понад 50 Мп). Зменште його й надішліть ще раз.",
        "image_too_large": "Файл більший за 20 МБ — боти Telegram не можуть його завантажити. "
                           "Надішліть його як фото (не файлом) або зменште.",
        "image_empty": "Файл порожній. Надішліть зображення ще раз.",
        "image_download_failed": "Не вдалося завантажити зображення з Telegram. Надішліть його ще раз.",
        "image_missing": "Не можу відкрити цей файл зображення. Перевірте шлях.",
        "ocr_ready": "📄 Надішліть фото документа, чека чи етикетки — я розпізнаю текст і поля "
                     "й додам result.json і result.csv.",
        "unavailable": "Вибачте, модель зараз недоступна. Спробуйте ще раз за хвилину.",
        "cut": "⚠️ Відповідь обірвалася: модель перестала відповідати. Спробуйте запитати ще раз.",
        "internal": "Щось пішло не так з нашого боку. Спробуйте ще раз; якщо повториться — повідомте адміністратора.",
        "flood": "Забагато повідомлень поспіль. Зачекайте, будь ласка, {wait} — тоді я відповім знову. "
                 "Повідомлення, надіслані до того, я пропущу.",
        "seconds": "{n} с",
        "minutes": "{n} хв",
        "quota_user": "Ваш денний ліміт вичерпано: {used}. Ліміт оновиться о {at} ({tz}), через {wait}. "
                      "Подробиці — /usage.",
        "quota_chat": "Денний ліміт цієї групи вичерпано: {used}. Ліміт оновиться о {at} ({tz}), через {wait}.",
        "used_of": "використано токенів: {tokens}, запитів: {requests} (ліміт — {limit})",
        "n_tokens": "токенів: {n}",
        "n_requests": "запитів: {n}",
        "no_limit": "без обмежень",
        "local_only": "Цей чат працює лише з локальними моделями, а жодна з них зараз не відповідає. "
                      "Назовні нічого не надіслано. Спробуйте за кілька хвилин.",
        "usage_title": "Ваше використання сьогодні ({day}):",
        "usage_line": "• {agent} — запитів: {requests}, токенів: {tokens}",
        "usage_none": "• ще нічого",
        "usage_total": "Разом — запитів: {requests}, токенів: {tokens}",
        "usage_limit": "Денний ліміт: {limit}. Оновлюється о {at} ({tz}).",
        "usage_off": "Облік використання вимкнено на цьому сервері.",
    },
    "en": {
        "start": "Hello, {name}! I'm DAGI — the agents of DAARION.city answer here. You are talking to {agent}.\n"
                 "Pick an agent below or just ask a question. Commands: /help.",
        "help": "What I can do:\n"
                "/agent — choose an agent (or /agent helion)\n"
                "/reset — start a new conversation\n"
                "/whoami — you, this chat and the active agent\n"
                "/handoff on|off — whether DAARWIZZ passes questions to specialist agents\n"
                "/privacy local|cloud — local models only, or cloud models too\n"
                "/usage — your model usage today and your limit\n"
                "/ocr — read the text and fields of a document in the next photo (or caption a photo \"ocr\")\n"
                "/kb — this chat's knowledge base: /kb add and a file (PDF, DOCX, TXT…), /kb search, /kb delete\n"
                "/remind 18:30 text — a reminder (also \"in 2h\", \"tomorrow 9:00\", \"31.12 18:00\")\n"
                "/reminders — your reminders; ❌ deletes one · /tz Europe/Kyiv — your time zone\n"
                "/forget — delete everything the bot keeps about you\n"
                "Send photos with a question in the caption or without one; then ask more about them.\n"
                "/help — this help\n\n"
                "Agents: {agents}\n"
                "In a group I answer when mentioned (@{bot}), when you reply to my message, "
                "or when you address an agent by name: \"Helion, …\".",
        "pick": "Choose an agent. Now: {agent}.",
        "switched": "You are now talking to {agent} — {title}",
        "unknown_agent": "There is no agent \"{name}\". Available: {agents}.",
        "locked": "This bot is {agent} only. Other agents live in the main DAGI bot.",
        "reset": "Starting over: the previous conversation in this chat is forgotten.",
        "whoami": "You: {user} (id {user_id})\nChat: {chat_id} ({chat_type}){thread}\nAgent: {agent}",
        "handoff_on": "Hand-off is on: {front} passes questions to the specialists ({targets}), and the answer "
                      "shows who replies. Turn it off: /handoff off",
        "handoff_off": "Hand-off is off: the active agent answers everything. Turn it on: /handoff on",
        "handoff_usage": "Write /handoff on to let questions go to specialist agents, or /handoff off to stop it.",
        "admins_handoff": "Only group admins can turn hand-off on or off. Please ask one of them.",
        "privacy_local": "Local-only mode: this chat's messages are handled only by our own models; nothing is "
                         "sent to cloud services. Allow cloud models: /privacy cloud",
        "privacy_cloud": "Normal mode: when a local model doesn't answer, a cloud model may answer instead. "
                         "Local models only: /privacy local",
        "privacy_usage": "Write /privacy local (local models only) or /privacy cloud (allow cloud models).",
        "admins_cloud": "Only group admins can allow cloud models. Please ask one of them.",
        "unknown_command": "Unknown command {command}. See /help for the list.",
        "empty": "Please write your question as text and I'll answer.",
        "too_long": "Your message is too long ({length} characters, the limit is {limit}). Shorten it or send it in parts.",
        "unsupported": "I understand text, photos and documents for the knowledge base (/kb). Please write your question or send a photo.",
        "no_vision": "No model that can see photos is available right now. Please try later or ask in text.",
        "image_not_image": "This file does not look like an image. Please send a photo or a picture (JPEG, PNG, WEBP).",
        "image_corrupt": "I could not read the image: the file is damaged. Please send it again.",
        "image_too_many_pixels": "The image has too many pixels (over 50 MP). Please make it smaller and send it again.",
        "image_too_large": "The file is over 20 MB, which Telegram bots cannot download. "
                           "Send it as a photo (not a file) or make it smaller.",
        "image_empty": "The file is empty. Please send the image again.",
        "image_download_failed": "I could not download the image from Telegram. Please send it again.",
        "image_missing": "I can't open that image file. Please check the path.",
        "ocr_ready": "📄 Send a photo of a document, receipt or label — I'll read its text and fields "
                     "and attach result.json and result.csv.",
        "unavailable": "Sorry, the model is unavailable right now. Please try again in a minute.",
        "cut": "⚠️ The answer was cut off: the model stopped responding. Please ask again.",
        "internal": "Something went wrong on our side. Please try again; if it repeats, tell the administrator.",
        "flood": "Too many messages in a row. Please wait {wait}, then I'll answer again. "
                 "Messages sent before then will be skipped.",
        "seconds": "{n} s",
        "minutes": "{n} min",
        "quota_user": "You have reached your daily limit: {used}. It resets at {at} ({tz}), in {wait}. "
                      "Details: /usage.",
        "quota_chat": "This group has reached its daily limit: {used}. It resets at {at} ({tz}), in {wait}.",
        "used_of": "tokens used: {tokens}, requests: {requests} (limit: {limit})",
        "n_tokens": "tokens: {n}",
        "n_requests": "requests: {n}",
        "no_limit": "no limit",
        "local_only": "This chat uses local models only, and none of them is answering right now. "
                      "Nothing was sent outside. Please try again in a few minutes.",
        "usage_title": "Your usage today ({day}):",
        "usage_line": "• {agent} — requests: {requests}, tokens: {tokens}",
        "usage_none": "• nothing yet",
        "usage_total": "Total — requests: {requests}, tokens: {tokens}",
        "usage_limit": "Daily limit: {limit}. Resets at {at} ({tz}).",
        "usage_off": "Usage accounting is switched off on this server.",
    },
}


for _table in (KB_TEXTS, ADMIN_TEXTS, BROADCAST_TEXTS, PROVIDERS_TEXTS, REMINDERS_TEXTS, STATS_TEXTS):
    for _lang, _texts in _table.items():
        TEXTS[_lang].update(_texts)


def lang_of(language_code: str | None) -> str:
    """Ukrainian for Ukrainian-speaking regions and unknown users, English otherwise."""
    if not language_code:
        return "uk"
    return "uk" if language_code.split("-")[0].lower() in _UK_LANGS else "en"


def t(lang: str, key: str, **kw: object) -> str:
    """The sentence `key` in `lang` (falls back to Ukrainian), formatted with `kw`."""
    table = TEXTS.get(lang, TEXTS["uk"])
    return table.get(key, TEXTS["uk"][key]).format(**kw)


def wait_text(lang: str, seconds: float) -> str:
    """A wait as the user reads it: whole seconds rounded up (never "0 s"), minutes from two minutes on."""
    n = max(1, math.ceil(seconds))
    return t(lang, "seconds", n=n) if n < 120 else t(lang, "minutes", n=math.ceil(n / 60))
