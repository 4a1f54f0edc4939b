## /admin broadcast: the preview, its buttons, progress and the summary
bc_help =
    Розсилка: одне повідомлення багатьом чатам, не швидше за { $rate } на секунду.
    /admin broadcast all ТЕКСТ — усім користувачам і дозволеним групам
    /admin broadcast users ТЕКСТ — усім користувачам (приватні чати)
    /admin broadcast groups ТЕКСТ — дозволеним групам
    /admin broadcast agent:helion ТЕКСТ — тим, хто говорить з агентом ({ $agents })
    Спершу я покажу, скільки людей її отримає, і попрошу підтвердити. Тих, хто заблокував бота, пропускаю.
bc_bad_audience = Не знаю, кому це: «{ $word }». Оберіть all, users, groups або agent:<агент> ({ $agents }).
bc_no_text = Додайте текст після адресатів, наприклад: /admin broadcast users Завтра оновлення о 10:00.
bc_too_long = Текст задовгий ({ $length ->
        [one] { $length } символ
        [few] { $length } символи
        [many] { $length } символів
       *[other] { $length } символу
    }, максимум 4096). Скоротіть його.
bc_nobody = Немає кому надсилати: серед адресатів «{ $audience }» нікого немає. Спробуйте інших адресатів.
bc_preview = Розсилка — { $audience }: { $n ->
        [one] { $n } чат
        [few] { $n } чати
        [many] { $n } чатів
       *[other] { $n } чату
    }.
    Текст:

    { $text }

    Надіслати?
bc_send = ✅ Надіслати { $n }
bc_cancel = ✖️ Скасувати
bc_stop = ⏹ Стоп
bc_expired = Ця розсилка вже неактуальна. Підготуйте її ще раз: /admin broadcast.
bc_not_yours = Надіслати може лише адміністратор, який її підготував.
bc_busy = Розсилка вже триває. Дочекайтеся її завершення або зупиніть її кнопкою «⏹ Стоп».
bc_dropped = Розсилку скасовано, нічого не надіслано.
bc_progress = Розсилка: { $done }/{ $total } · доставлено { $delivered } · заблокували { $blocked } · { $failed ->
        [one] { $failed } помилка
        [few] { $failed } помилки
        [many] { $failed } помилок
       *[other] { $failed } помилки
    }
bc_done = Розсилку завершено за { $seconds } с: доставлено { $delivered } з { $total } · заблокували { $blocked } · { $failed ->
        [one] { $failed } помилка
        [few] { $failed } помилки
        [many] { $failed } помилок
       *[other] { $failed } помилки
    }. Тих, хто заблокував бота, наступні розсилки пропустять.
bc_stopped = Розсилку зупинено: оброблено { $done } з { $total } · доставлено { $delivered } · заблокували { $blocked } · { $failed ->
        [one] { $failed } помилка
        [few] { $failed } помилки
        [many] { $failed } помилок
       *[other] { $failed } помилки
    }. Решта не отримала повідомлення.
bc_stopping = Зупиняю розсилку…
bc_not_running = Зараз жодна розсилка не триває.
bc_aud_all = усім користувачам і групам
bc_aud_users = усім користувачам
bc_aud_groups = дозволеним групам
bc_aud_agent = користувачам агента { $agent }
