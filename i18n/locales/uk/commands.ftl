## The command menu Telegram shows beside the text field (bot/app.py)
cmd_agent = обрати агента
cmd_reset = нова розмова
cmd_memory = що я пам'ятаю з розмови
cmd_whoami = хто я і який агент
cmd_usage = використання і ліміт
cmd_handoff = передача питань агентам
cmd_privacy = лише локальні моделі
cmd_ocr = розпізнати документ з фото
cmd_voice = голосові відповіді: on / off
cmd_transcribe = текст голосового (у відповідь)
cmd_kb = база знань чату
cmd_search = пошук у мережі з джерелами
cmd_remind = нагадати
cmd_reminders = мої нагадування
cmd_tz = часовий пояс
cmd_forget = видалити мої дані
cmd_help = довідка
# Owners see /admin in their menu too.
cmd_admin = адміністрування / admin
