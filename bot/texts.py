"""Every sentence the bot says on its own, in Ukrainian and English."""
from __future__ import annotations

import math

_UK_LANGS = {"uk", "ru", "be"}

TEXTS: dict[str, dict[str, str]] = {
    "uk": {
        "start": "Вітаю, {name}! Я DAGI — тут відповідають агенти DAARION.city. Зараз з вами говорить {agent}.\n"
                 "Оберіть агента нижче або просто напишіть питання. Команди — /help.",
        "help": "Що я вмію:\n"
                "/agent — обрати агента (або /agent helion)\n"
                "/reset — почати нову розмову\n"
                "/whoami — хто ви, цей чат і активний агент\n"
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
        "unknown_command": "Невідома команда {command}. Список команд — /help.",
        "empty": "Напишіть питання текстом — я відповім.",
        "too_long": "Повідомлення задовге ({length} символів, максимум {limit}). Скоротіть його або надішліть частинами.",
        "unsupported": "Поки що я розумію лише текст. Напишіть питання словами.",
        "unavailable": "Вибачте, модель зараз недоступна. Спробуйте ще раз за хвилину.",
        "cut": "⚠️ Відповідь обірвалася: модель перестала відповідати. Спробуйте запитати ще раз.",
        "internal": "Щось пішло не так з нашого боку. Спробуйте ще раз; якщо повториться — повідомте адміністратора.",
        "flood": "Забагато повідомлень поспіль. Зачекайте, будь ласка, {wait} — тоді я відповім знову. "
                 "Повідомлення, надіслані до того, я пропущу.",
        "seconds": "{n} с",
        "minutes": "{n} хв",
    },
    "en": {
        "start": "Hello, {name}! I'm DAGI — the agents of DAARION.city answer here. You are talking to {agent}.\n"
                 "Pick an agent below or just ask a question. Commands: /help.",
        "help": "What I can do:\n"
                "/agent — choose an agent (or /agent helion)\n"
                "/reset — start a new conversation\n"
                "/whoami — you, this chat and the active agent\n"
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
        "unknown_command": "Unknown command {command}. See /help for the list.",
        "empty": "Please write your question as text and I'll answer.",
        "too_long": "Your message is too long ({length} characters, the limit is {limit}). Shorten it or send it in parts.",
        "unsupported": "For now I only understand text. Please write your question in words.",
        "unavailable": "Sorry, the model is unavailable right now. Please try again in a minute.",
        "cut": "⚠️ The answer was cut off: the model stopped responding. Please ask again.",
        "internal": "Something went wrong on our side. Please try again; if it repeats, tell the administrator.",
        "flood": "Too many messages in a row. Please wait {wait}, then I'll answer again. "
                 "Messages sent before then will be skipped.",
        "seconds": "{n} s",
        "minutes": "{n} min",
    },
}


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
