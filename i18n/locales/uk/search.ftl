## Web search: /search, its status line, sources, limits and refusals (bot/handlers/search.py, bot/turn/search.py)
search_usage = Напишіть питання після команди, наприклад: /search який курс гривні сьогодні. Вебпошук у цьому чаті { $state ->
        [on] увімкнено; вимкнути — /search off.
       *[off] вимкнено; увімкнути — /search on.
    }
search_on = 🔎 Вебпошук у цьому чаті увімкнено: /search питання — відповідь із джерелами, а агенти з пошуком і самі шукають, коли питання про свіже. Вимкнути: /search off
search_off = Вебпошук у цьому чаті вимкнено: пошуковим сервісам нічого не надсилається. Увімкнути: /search on
search_off_here = Вебпошук у цьому чаті вимкнено, тож я нічого не шукав. Увімкнути: /search on (у групі — адміністратор).
admins_search = Лише адміністратори групи можуть увімкнути вебпошук. Попросіть когось із них.
search_too_long = Питання для пошуку задовге ({ $length ->
        [one] { $length } символ
        [few] { $length } символи
        [many] { $length } символів
       *[other] { $length } символу
    }, максимум { $limit }). Сформулюйте його коротше — одним-двома реченнями.
search_no_extra = Вебпошук на цьому сервері не встановлено. Адміністраторові: pip install -e '.[search]' і перезапустити бота.
search_local_only = У цьому чаті працюють лише локальні моделі, а власного пошуковика (SearXNG) не налаштовано, тож вебпошук тут вимкнено. Нічого не надіслано.
search_down = Пошукові сервіси зараз не відповідають. Спробуйте за кілька хвилин.
search_timeout = Пошук не вклався в { $seconds } с і нічого не встиг знайти. Спробуйте пізніше або сформулюйте питання коротше.
search_nothing = Я не знайшов у мережі нічого певного про це. Спробуйте сформулювати питання інакше.
search_quota_user = Ваш денний ліміт вебпошуку вичерпано: { $used } з { $limit ->
        [one] { $limit } пошуку
        [few] { $limit } пошуків
        [many] { $limit } пошуків
       *[other] { $limit } пошуку
    }. Ліміт оновиться о { $at } ({ $tz }), через { $wait }.
search_quota_chat = Денний ліміт вебпошуку цієї групи вичерпано: { $used } з { $limit ->
        [one] { $limit } пошуку
        [few] { $limit } пошуків
        [many] { $limit } пошуків
       *[other] { $limit } пошуку
    }. Ліміт оновиться о { $at } ({ $tz }), через { $wait }.
search_status_searching = 🔎 Шукаю…
search_status_reading = 📖 Читаю { $n ->
        [one] { $n } сторінку
        [few] { $n } сторінки
        [many] { $n } сторінок
       *[other] { $n } сторінки
    }…
search_status_writing = ✍️ Пишу відповідь…
search_partial = ⚠️ Часткова відповідь: пошук не вклався в { $seconds } с, тут те, що встиг знайти.
search_sources_only = ⚠️ Не вдалося написати відповідь за цими сторінками; ось вони — можна прочитати самостійно.
# /usage: today's web searches against the daily limit, and the pages read for them.
search_usage_line = 🔎 Вебпошук: { $used ->
        [one] { $used } пошук
        [few] { $used } пошуки
        [many] { $used } пошуків
       *[other] { $used } пошуку
    } (ліміт — { $limit }), { $reads ->
        [one] { $reads } сторінку прочитано
        [few] { $reads } сторінки прочитано
        [many] { $reads } сторінок прочитано
       *[other] { $reads } сторінки прочитано
    }
n_searches = { $n ->
        [one] { $n } пошук
        [few] { $n } пошуки
        [many] { $n } пошуків
       *[other] { $n } пошуку
    } на день
# /admin quota search user|chat ID N|reset
adm_quota_search_set = Ліміт вебпошуку для { $who }: { $limit }. Діє з наступного пошуку.
adm_quota_search_reset = Для { $who } знову діє ліміт вебпошуку за замовчуванням.
# /admin stats: the day's web searches
stat_web = 🔎 Вебпошук: { $questions ->
        [one] { $questions } питання
        [few] { $questions } питання
        [many] { $questions } питань
       *[other] { $questions } питання
    }, { $searches ->
        [one] { $searches } запит до пошуковиків
        [few] { $searches } запити до пошуковиків
        [many] { $searches } запитів до пошуковиків
       *[other] { $searches } запиту до пошуковиків
    } ({ $failed ->
        [one] { $failed } невдалий
        [few] { $failed } невдалі
        [many] { $failed } невдалих
       *[other] { $failed } невдалого
    }), { $reads ->
        [one] { $reads } сторінка
        [few] { $reads } сторінки
        [many] { $reads } сторінок
       *[other] { $reads } сторінки
    } ({ $refused ->
        [one] { $refused } відмова
        [few] { $refused } відмови
        [many] { $refused } відмов
       *[other] { $refused } відмови
    })
stat_web_backend = {"  "}• { $backend }: { $ok } / { $failed }
