## /admin stats and the owners' daily report (worded by ops/stats.py and ops/report.py)
stat_head = 📊 Статистика за { $day } ({ $tz })
stat_people = 👥 Користувачі: { $total }, активних за день: { $active }
stat_chats = 💬 Чати: { $total }, активних за день: { $active }
stat_messages = ✉️ Повідомлення: { $day } за день, { $week } за 7 днів
stat_agent = {"  "}• { $agent }: { $day } / { $week }
stat_calls = 🧠 Виклики моделей: { $answered ->
        [one] { $answered } відповідь
        [few] { $answered } відповіді
        [many] { $answered } відповідей
       *[other] { $answered } відповіді
    }, { $errors ->
        [one] { $errors } помилка
        [few] { $errors } помилки
        [many] { $errors } помилок
       *[other] { $errors } помилки
    } ({ $rate })
stat_no_calls = 🧠 Викликів моделей не було.
stat_model = {"  "}• { $target }{ $local }: { $answered ->
        [one] { $answered } відповідь
        [few] { $answered } відповіді
        [many] { $answered } відповідей
       *[other] { $answered } відповіді
    }, { $errors ->
        [one] { $errors } помилка
        [few] { $errors } помилки
        [many] { $errors } помилок
       *[other] { $errors } помилки
    }, токени { $tin } → { $tout }, { $cost }
stat_local_mark = {" "}🏠
stat_local = 🏠 Локально: { $share } відповідей
stat_latency = ⏱ Час відповіді моделі: p50 { $p50 }, p95 { $p95 }
stat_queue = ⏳ Очікування вільного слота моделі: p50 { $p50 }, p95 { $p95 }
stat_overflow = ↪️ Передано наступній моделі, слоти зайняті: { $count ->
        [one] { $count } запит
        [few] { $count } запити
        [many] { $count } запитів
       *[other] { $count } запиту
    } ({ $reasons })
stat_overflow_busy = слот не звільнився вчасно: { $count }
stat_overflow_queue_full = черга переповнена: { $count }
stat_cost = 💰 Вартість: { $cost }
stat_embed = 🔢 Ембединги { $target }: { $calls ->
        [one] { $calls } виклик
        [few] { $calls } виклики
        [many] { $calls } викликів
       *[other] { $calls } виклику
    }, { $errors ->
        [one] { $errors } помилка
        [few] { $errors } помилки
        [many] { $errors } помилок
       *[other] { $errors } помилки
    }, { $tokens ->
        [one] { $tokens } токен
        [few] { $tokens } токени
        [many] { $tokens } токенів
       *[other] { $tokens } токена
    }
stat_report_head = 🗓 Щоденний звіт DAGI
stat_down = ⚠️ Були недоступні:
stat_down_line = {"  "}• { $provider }: { $events ->
        [one] { $events } падіння
        [few] { $events } падіння
        [many] { $events } падінь
       *[other] { $events } падіння
    }, { $calls ->
        [one] { $calls } невдалий виклик
        [few] { $calls } невдалі виклики
        [many] { $calls } невдалих викликів
       *[other] { $calls } невдалого виклику
    }
stat_all_up = ✅ Усі моделі працювали без збоїв.
stat_ms = { $n } мс
adm_stats_bad_date = Не розумію дату «{ $arg }». Напишіть її як РРРР-ММ-ДД, наприклад: /admin stats { $example }
## /admin stats as a chart: the 📈 button (bot/handlers/admin/stats.py), drawn by ops/chart_render.py
chart_btn = 📈 Графік
chart_title = DAGI: { $first } – { $last } ({ $tz })
chart_days_title = Повідомлення за день і частка локальних відповідей
chart_messages_axis = Повідомлення
chart_local_axis = Локально, % відповідей
chart_messages_legend = повідомлення користувачів
chart_local_legend = частка відповідей локальних моделей
chart_providers_title = Токени і вартість за провайдерами за { $days ->
        [one] { $days } день
        [few] { $days } дні
        [many] { $days } днів
       *[other] { $days } дня
    }
chart_tokens_axis = Токени (вхід + вихід)
chart_local_provider = локальний
chart_cloud_provider = хмарний
chart_no_calls = Викликів моделей не було
chart_day = { NUMBER($day, minimumIntegerDigits: 2) }.{ NUMBER($month, minimumIntegerDigits: 2) }
chart_caption = 📈 { $first } – { $last }: { $messages ->
        [one] { $messages } повідомлення
        [few] { $messages } повідомлення
        [many] { $messages } повідомлень
       *[other] { $messages } повідомлення
    }, { $answers ->
        [one] { $answers } відповідь моделі
        [few] { $answers } відповіді моделей
        [many] { $answers } відповідей моделей
       *[other] { $answers } відповіді моделей
    }, з них локально { $share }; вартість { $cost }
chart_unavailable = 📈 Графіки не встановлено: бракує бібліотеки matplotlib. Встановіть додаток charts і перезапустіть бота:
    pip install -c constraints.txt -e '.[charts]'
    (у Docker — збірка з EXTRAS, що містить charts). Текстова статистика працює й без нього.
