## /admin stats and the owners' daily report (worded by ops/stats.py and ops/report.py)
stat_head = 📊 Stats for { $day } ({ $tz })
stat_people = 👥 Users: { $total }, active that day: { $active }
stat_chats = 💬 Chats: { $total }, active that day: { $active }
stat_messages = ✉️ Messages: { $day } that day, { $week } in 7 days
stat_agent = {"  "}• { $agent }: { $day } / { $week }
stat_calls = 🧠 Model calls: { $answered } answered, { $errors } failed ({ $rate })
stat_no_calls = 🧠 No model calls.
stat_model = {"  "}• { $target }{ $local }: { $answered } answered, { $errors } failed, tokens { $tin } → { $tout }, { $cost }
stat_local_mark = {" "}🏠
stat_local = 🏠 Served locally: { $share } of answers
stat_latency = ⏱ Model response time: p50 { $p50 }, p95 { $p95 }
stat_cost = 💰 Cost: { $cost }
stat_embed = 🔢 Embeddings { $target }: { $calls ->
        [one] { $calls } call
       *[other] { $calls } calls
    }, { $errors } failed, { $tokens ->
        [one] { $tokens } token
       *[other] { $tokens } tokens
    }
stat_report_head = 🗓 DAGI daily report
stat_down = ⚠️ Unavailable at times:
stat_down_line = {"  "}• { $provider }: { $events ->
        [one] { $events } outage
       *[other] { $events } outages
    }, { $calls ->
        [one] { $calls } failed call
       *[other] { $calls } failed calls
    }
stat_all_up = ✅ Every model worked without failures.
stat_ms = { $n } ms
adm_stats_bad_date = I can't read the date "{ $arg }". Write it as YYYY-MM-DD, e.g. /admin stats { $example }
