"""The knowledge base's sentences, in Ukrainian and English (merged into bot.texts.TEXTS)."""
from __future__ import annotations

KB_TEXTS: dict[str, dict[str, str]] = {
    "uk": {
        "kb_off": "База знань вимкнена на цьому сервері.",
        "kb_hint": "Щоб додати файл до бази знань цього чату, надішліть /kb add, а потім файл. Список — /kb.",
        "kb_send_file": "Надішліть файл (PDF, DOCX, TXT, MD, HTML або CSV, до 20 МБ) — я додам його до бази знань цього чату.",
        "kb_usage": "Команди бази знань: /kb — список, /kb add — додати файл, /kb delete N — видалити, "
                    "/kb search запит — пошук, /kb files on|off — чи йдуть усі файли чату до бази.",
        "kb_files_on": "Тепер усі файли, надіслані в цей чат, додаються до його бази знань.",
        "kb_files_off": "Файли в цьому чаті додаються до бази знань лише після /kb add.",
        "kb_admins_only": "Лише адміністратори групи можуть змінити це налаштування.",
        "kb_no_such": "У базі знань цього чату немає документа №{n}. Список — /kb.",
        "kb_not_yours": "Видалити документ може лише той, хто його додав, або адміністратор групи.",
        "kb_deleted": "Видалено документ №{n} {name} разом з усіма його фрагментами.",
        "kb_empty": "Файл порожній — у ньому немає тексту. Надішліть інший файл.",
        "kb_too_large": "Файл більший за 20 МБ — боти Telegram не можуть його завантажити. Стисніть або розділіть його.",
        "kb_unsupported": "Такий тип файлу я не читаю. Надішліть PDF, DOCX, TXT, MD, HTML або CSV.",
        "kb_encrypted": "PDF захищений паролем. Зніміть захист і надішліть файл ще раз.",
        "kb_corrupt": "Файл пошкоджений, я не можу його прочитати. Збережіть його ще раз і надішліть.",
        "kb_no_text": "У цьому PDF немає тексту — схоже, це скан. Надішліть версію з текстом або сторінки як фото з /ocr.",
        "kb_bomb": "Файл розпаковується в надто великий обсяг — схоже на архівну бомбу. Я його не відкриватиму.",
        "kb_encoding": "Не вдалося визначити кодування тексту. Збережіть файл у UTF-8 і надішліть ще раз.",
        "kb_download_failed": "Не вдалося завантажити файл з Telegram. Надішліть його ще раз.",
    },
    "en": {
        "kb_off": "The knowledge base is switched off on this server.",
        "kb_hint": "To add a file to this chat's knowledge base, send /kb add and then the file. List: /kb.",
        "kb_send_file": "Send the file (PDF, DOCX, TXT, MD, HTML or CSV, up to 20 MB) and I'll add it to this chat's knowledge base.",
        "kb_usage": "Knowledge base: /kb — list, /kb add — add a file, /kb delete N — delete, /kb search query — search, "
                    "/kb files on|off — whether every file sent here goes to the base.",
        "kb_files_on": "Every file sent to this chat now goes to its knowledge base.",
        "kb_files_off": "Files in this chat go to the knowledge base only after /kb add.",
        "kb_admins_only": "Only group admins can change this setting.",
        "kb_no_such": "There is no document #{n} in this chat's knowledge base. List: /kb.",
        "kb_not_yours": "Only whoever added a document, or a group admin, can delete it.",
        "kb_deleted": "Deleted document #{n} {name} with all its chunks.",
        "kb_empty": "The file is empty — there is no text in it. Please send another file.",
        "kb_too_large": "The file is over 20 MB, which Telegram bots cannot download. Compress or split it.",
        "kb_unsupported": "I can't read this type of file. Send a PDF, DOCX, TXT, MD, HTML or CSV.",
        "kb_encrypted": "The PDF is password-protected. Remove the protection and send it again.",
        "kb_corrupt": "The file is damaged and I can't read it. Save it again and resend.",
        "kb_no_text": "This PDF has no text — it looks like a scan. Send a version with text, or the pages as photos with /ocr.",
        "kb_bomb": "The file unpacks to an enormous size — it looks like an archive bomb. I won't open it.",
        "kb_encoding": "I couldn't tell the text's encoding. Save the file as UTF-8 and send it again.",
        "kb_download_failed": "I could not download the file from Telegram. Please send it again.",
    },
}
