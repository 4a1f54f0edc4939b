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
