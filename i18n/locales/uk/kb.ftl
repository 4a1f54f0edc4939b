## /kb: a chat's knowledge base and the files added to it
kb_off = База знань вимкнена на цьому сервері.
kb_hint = Щоб додати файл до бази знань цього чату, надішліть /kb add, а потім файл. Список — /kb.
kb_send_file = Надішліть файл (PDF, DOCX, TXT, MD, HTML або CSV, до { $mb } МБ) — я додам його до бази знань цього чату.
kb_usage = Команди бази знань: /kb — список, /kb add — додати файл, /kb delete N — видалити, /kb search запит — пошук, /kb files on|off — чи йдуть усі файли чату до бази.
kb_files_on = Тепер усі файли, надіслані в цей чат, додаються до його бази знань.
kb_files_off = Файли в цьому чаті додаються до бази знань лише після /kb add.
kb_admins_only = Лише адміністратори групи можуть змінити це налаштування.
kb_no_such = У базі знань цього чату немає документа №{ $n }. Список — /kb.
kb_not_yours = Видалити документ може лише той, хто його додав, або адміністратор групи.
kb_deleted = Видалено документ №{ $n } { $name } разом з усіма його фрагментами.
kb_empty = Файл порожній — у ньому немає тексту. Надішліть інший файл.
kb_too_large = Файл більший за { $mb } МБ — такі я не завантажую. Стисніть або розділіть його.
kb_too_long = Документ задовгий, щоб я його розібрав: забагато сторінок або розмітки. Розділіть його на частини.
kb_unsupported = Такий тип файлу я не читаю. Надішліть PDF, DOCX, TXT, MD, HTML або CSV.
kb_encrypted = PDF захищений паролем. Зніміть захист і надішліть файл ще раз.
kb_corrupt = Файл пошкоджений, я не можу його прочитати. Збережіть його ще раз і надішліть.
kb_no_text = У цьому PDF немає тексту — схоже, це скан. Надішліть версію з текстом або сторінки як фото з /ocr.
kb_bomb = Файл розпаковується в надто великий обсяг — схоже на архівну бомбу. Я його не відкриватиму.
kb_encoding = Не вдалося визначити кодування тексту. Збережіть файл у UTF-8 і надішліть ще раз.
kb_download_failed = Не вдалося завантажити файл з Telegram. Надішліть його ще раз.

## How the knowledge base speaks under answers, while a file is added, in /kb and /kb search (bot/views/knowledge.py)
kb_sources = Джерела
kb_page = с. { $page }
kb_stage_extracting = 📄 { $name }: витягую текст…
kb_stage_chunking = ✂️ { $name }: ділю на фрагменти…
kb_stage_embedding = 🧮 { $name }: обчислюю вектори { $done }/{ $total }…
kb_stage_storing = 💾 { $name }: зберігаю { $total ->
        [one] { $total } фрагмент
        [few] { $total } фрагменти
        [many] { $total } фрагментів
       *[other] { $total } фрагмента
    }…
kb_duplicate = Цей файл уже є в базі знань: №{ $id } { $name }.
kb_sparse = {" "}Модель векторів недоступна: пошук поки лише за словами.
kb_stored = ✅ Додано до бази знань: №{ $id } { $name } — { $pages ->
        [one] { $pages } сторінка
        [few] { $pages } сторінки
        [many] { $pages } сторінок
       *[other] { $pages } сторінки
    }, { $chunks ->
        [one] { $chunks } фрагмент
        [few] { $chunks } фрагменти
        [many] { $chunks } фрагментів
       *[other] { $chunks } фрагмента
    }, { $seconds } с.{ $sparse } Видалити: /kb delete { $id }
kb_list_chat = База знань цього чату:
kb_list_agent = База знань агента { $agent }:
kb_list_collection = Колекція { $name } (спільна з іншими агентами):
kb_list_empty = • (порожньо)
kb_list_line = • №{ $id } { $name } — { $chunks ->
        [one] { $chunks } фрагмент
        [few] { $chunks } фрагменти
        [many] { $chunks } фрагментів
       *[other] { $chunks } фрагмента
    }
kb_list_tip = Додати файл: /kb add, потім надішліть файл (PDF, DOCX, TXT, MD, HTML, CSV). Видалити: /kb delete N. Пошук: /kb search запит.
kb_search_none = Нічого не знайдено в базі знань.
