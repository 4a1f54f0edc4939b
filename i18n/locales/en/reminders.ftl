## /remind, /reminders and /tz
rem_usage =
    What and when should I remind you? For example:
    /remind 18:30 call the supplier
    /remind in 2h check the order
    /remind tomorrow 9:00 meeting
    /remind 31.12 18:00 congratulate the team
    List: /reminders, time zone: /tz.
rem_err_when = I didn't understand when to remind you. Put the time first: /remind 18:30 text, /remind in 30m text, /remind tomorrow 9:00 text or /remind 31.12 18:00 text.
rem_err_date = There is no such date or time. Check the day, month and hour, for example: /remind 31.12 18:00 congratulate the team
rem_err_past = That time has already passed. Give a future one, for example: /remind tomorrow 9:00 meeting
rem_err_far = Reminders can be at most a year ahead. For example: /remind 31.12 18:00 congratulate the team
rem_err_empty = What should I remind you about? Add the text after the time: /remind 18:30 call the supplier
rem_err_long = The reminder is too long: at most { $limit ->
        [one] { $limit } character
       *[other] { $limit } characters
    }. Please shorten it.
rem_err_limit = You already have { $limit ->
        [one] { $limit } pending reminder
       *[other] { $limit } pending reminders
    }. Delete some in /reminders and try again.
rem_set = ⏰ I'll remind you { $when } ({ $tz }): { $text }
rem_saved = ✅ Reminder saved — it will come { $when } ({ $tz }): { $text }
rem_fire = ⏰ Reminder: { $text }
rem_late = (late: it was due { $when } — the bot was unavailable)
rem_at_today = today at { $time }
rem_at_tomorrow = tomorrow at { $time }
rem_at_yesterday = yesterday at { $time }
rem_at_date = on { $date } at { $time }
rem_list = Your reminders ({ $tz }). Press ❌ N to delete one:
rem_list_line = { $n }. { $when } — { $text }
rem_elsewhere = {" "}(in another chat)
rem_more = … and { $n } more
rem_none = No reminders. Create one: /remind 18:30 call the supplier
rem_deleted = Deleted.
rem_gone = This reminder no longer exists: it was sent or deleted.
rem_not_yours = This is not your reminder: only the person who set it can delete it.
tz_show = Your time zone: { $tz } (it is { $now } there now). Change it: /tz Europe/Warsaw
tz_set = Your time zone is now { $tz } (it is { $now } there now). New reminders use it; existing ones still come at the same moment as before.
tz_bad = I don't know the time zone "{ $name }". Use an IANA name, for example: /tz Europe/Kyiv, /tz Europe/Warsaw, /tz America/New_York or /tz UTC.
