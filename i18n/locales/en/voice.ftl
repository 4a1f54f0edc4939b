## Voice: seconds of speech heard a day (ops/voice_use.py) in /usage, the over-quota notice and /admin stats
# A duration ("2 minutes 5 seconds"): ops.voice_use.span joins the parts that are not zero.
span_hours = { $n ->
        [one] { $n } hour
       *[other] { $n } hours
    }
span_minutes = { $n ->
        [one] { $n } minute
       *[other] { $n } minutes
    }
span_seconds = { $n ->
        [one] { $n } second
       *[other] { $n } seconds
    }
# /usage: speech heard today; $limit is voice_limit or no_limit.
voice_usage_line = 🎙 Voice messages today: { $used } (limit: { $limit })
voice_limit = { $span } a day
# A voice message that would go over the day's limit: $used was heard today before it, $limit a duration.
voice_quota_user = 🎙 Your daily voice limit is { $limit }; { $used } used today, and this voice message doesn't fit. The limit resets at { $at } ({ $tz }), in { $wait }. Meanwhile you can type your message.
voice_quota_chat = 🎙 This group's daily voice limit is { $limit }; { $used } used today, and this voice message doesn't fit. The limit resets at { $at } ({ $tz }), in { $wait }. Meanwhile you can type your message.
# /admin stats: speech heard (transcribed) and spoken (voice answers) that day, then a line per speech model.
stat_voice = 🎙 Voice: { $heard } heard, { $spoken } spoken
stat_speech = {"  "}• { $target }{ $local }: { $calls ->
        [one] { $calls } call
       *[other] { $calls } calls
    }, { $errors } failed
