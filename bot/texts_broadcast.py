"""The broadcast feature's sentences, in Ukrainian and English (merged into bot.texts.TEXTS)."""
from __future__ import annotations

BROADCAST_TEXTS: dict[str, dict[str, str]] = {
    "uk": {
        "bc_help": "Розсилка: одне повідомлення багатьом чатам, не швидше за {rate} на секунду.\n"
                   "/admin broadcast all ТЕКСТ — усім користувачам і дозволеним групам\n"
                   "/admin broadcast users ТЕКСТ — усім користувачам (приватні чати)\n"
                   "/admin broadcast groups ТЕКСТ — дозволеним групам\n"
                   "/admin broadcast agent:helion ТЕКСТ — тим, хто говорить з агентом ({agents})\n"
                   "Спершу я покажу, скільки людей її отримає, і попрошу підтвердити. "
                   "Тих, хто заблокував бота, пропускаю.",
        "bc_bad_audience": "Не знаю, кому це: «{word}». Оберіть all, users, groups або agent:<агент> ({agents}).",
        "bc_no_text": "Додайте текст після адресатів, наприклад: /admin broadcast users Завтра оновлення о 10:00.",
        "bc_too_long": "Текст задовгий ({length} символів, максимум 4096). Скоротіть його.",
        "bc_nobody": "Немає кому надсилати: серед адресатів «{audience}» нікого немає. Спробуйте інших адресатів.",
        "bc_preview": "Розсилка — {audience}: {n} чатів.\nТекст:\n\n{text}\n\nНадіслати?",
        "bc_send": "✅ Надіслати {n}",
        "bc_cancel": "✖️ Скасувати",
        "bc_stop": "⏹ Стоп",
        "bc_expired": "Ця розсилка вже неактуальна. Підготуйте її ще раз: /admin broadcast.",
        "bc_not_yours": "Надіслати може лише адміністратор, який її підготував.",
        "bc_busy": "Розсилка вже триває. Дочекайтеся її завершення або зупиніть її кнопкою «⏹ Стоп».",
        "bc_dropped": "Розсилку скасовано, нічого не надіслано.",
        "bc_progress": "Розсилка: {done}/{total} · доставлено {delivered} · заблокували {blocked} · помилок {failed}",
        "bc_done": "Розсилку завершено за {seconds} с: доставлено {delivered} з {total} · заблокували {blocked} · "
                   "помилок {failed}. Тих, хто заблокував бота, наступні розсилки пропустять.",
        "bc_stopped": "Розсилку зупинено: оброблено {done} з {total} · доставлено {delivered} · "
                      "заблокували {blocked} · помилок {failed}. Решта не отримала повідомлення.",
        "bc_stopping": "Зупиняю розсилку…",
        "bc_not_running": "Зараз жодна розсилка не триває.",
        "bc_aud_all": "усім користувачам і групам",
        "bc_aud_users": "усім користувачам",
        "bc_aud_groups": "дозволеним групам",
        "bc_aud_agent": "користувачам агента {agent}",
    },
    "en": {
        "bc_help": "Broadcast: one message to many chats, at most {rate} a second.\n"
                   "/admin broadcast all TEXT — every user and every allowed group\n"
                   "/admin broadcast users TEXT — every user (private chats)\n"
                   "/admin broadcast groups TEXT — allowed groups\n"
                   "/admin broadcast agent:helion TEXT — people talking to one agent ({agents})\n"
                   "First I show how many chats will get it and ask you to confirm. "
                   "People who blocked the bot are skipped.",
        "bc_bad_audience": "I don't know who \"{word}\" is. Choose all, users, groups or agent:<agent> ({agents}).",
        "bc_no_text": "Add the text after the audience, e.g.: /admin broadcast users Update tomorrow at 10:00.",
        "bc_too_long": "The text is too long ({length} characters, the limit is 4096). Please shorten it.",
        "bc_nobody": "Nobody to send to: the audience \"{audience}\" is empty. Try another audience.",
        "bc_preview": "Broadcast — {audience}: {n} chats.\nText:\n\n{text}\n\nSend it?",
        "bc_send": "✅ Send {n}",
        "bc_cancel": "✖️ Cancel",
        "bc_stop": "⏹ Stop",
        "bc_expired": "This broadcast is no longer pending. Prepare it again: /admin broadcast.",
        "bc_not_yours": "Only the admin who prepared it can send it.",
        "bc_busy": "A broadcast is already running. Wait for it to finish or stop it with \"⏹ Stop\".",
        "bc_dropped": "Broadcast cancelled; nothing was sent.",
        "bc_progress": "Broadcast: {done}/{total} · delivered {delivered} · blocked {blocked} · failed {failed}",
        "bc_done": "Broadcast finished in {seconds} s: delivered {delivered} of {total} · blocked {blocked} · "
                   "failed {failed}. Chats that blocked the bot will be skipped next time.",
        "bc_stopped": "Broadcast stopped: {done} of {total} handled · delivered {delivered} · blocked {blocked} · "
                      "failed {failed}. The rest did not get the message.",
        "bc_stopping": "Stopping the broadcast…",
        "bc_not_running": "No broadcast is running right now.",
        "bc_aud_all": "every user and group",
        "bc_aud_users": "every user",
        "bc_aud_groups": "allowed groups",
        "bc_aud_agent": "users of {agent}",
    },
}
