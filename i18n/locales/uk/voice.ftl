## Voice: seconds of speech heard a day (ops/voice_use.py) in /usage, the over-quota notice and /admin stats
# A duration in the nominative ("2 хвилини 5 секунд"): ops.voice_use.span joins the parts that are not zero.
span_hours = { $n ->
        [one] { $n } година
        [few] { $n } години
        [many] { $n } годин
       *[other] { $n } години
    }
span_minutes = { $n ->
        [one] { $n } хвилина
        [few] { $n } хвилини
        [many] { $n } хвилин
       *[other] { $n } хвилини
    }
span_seconds = { $n ->
        [one] { $n } секунда
        [few] { $n } секунди
        [many] { $n } секунд
       *[other] { $n } секунди
    }
# /usage: speech heard today; $limit is voice_limit or no_limit.
voice_usage_line = 🎙 Голосові сьогодні: { $used } (ліміт — { $limit })
voice_limit = { $span } на день
# A voice message that would go over the day's limit: $used was heard today before it, $limit a duration.
voice_quota_user = 🎙 Ваш денний ліміт голосових — { $limit }; сьогодні вже { $used }, і це голосове не вміщається. Ліміт оновиться о { $at } ({ $tz }), через { $wait }. А поки можна написати текстом.
voice_quota_chat = 🎙 Денний ліміт голосових у цій групі — { $limit }; сьогодні вже { $used }, і це голосове не вміщається. Ліміт оновиться о { $at } ({ $tz }), через { $wait }. А поки можна написати текстом.
# /admin stats: speech heard (transcribed) and spoken (voice answers) that day, then a line per speech model.
stat_voice = 🎙 Голос: розпізнано — { $heard }, озвучено — { $spoken }
stat_speech = {"  "}• { $target }{ $local }: { $calls ->
        [one] { $calls } виклик
        [few] { $calls } виклики
        [many] { $calls } викликів
       *[other] { $calls } виклику
    }, { $errors ->
        [one] { $errors } помилка
        [few] { $errors } помилки
        [many] { $errors } помилок
       *[other] { $errors } помилки
    }
