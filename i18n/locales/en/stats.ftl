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
stat_queue = ⏳ Wait for a free model slot: p50 { $p50 }, p95 { $p95 }
stat_overflow = ↪️ Passed on to the next model, slots full: { $count ->
        [one] { $count } request
       *[other] { $count } requests
    } ({ $reasons })
stat_overflow_busy = no slot freed in time: { $count }
stat_overflow_queue_full = waiting line full: { $count }
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
## /admin stats as a chart: the 📈 button (bot/handlers/admin/stats.py), drawn by ops/chart_render.py
chart_btn = 📈 Chart
chart_title = DAGI: { $first } – { $last } ({ $tz })
chart_days_title = Messages a day and the share of local answers
chart_messages_axis = Messages
chart_local_axis = Local, % of answers
chart_messages_legend = users' messages
chart_local_legend = share of answers by local models
chart_providers_title = Tokens and cost per provider over { $days ->
        [one] { $days } day
       *[other] { $days } days
    }
chart_tokens_axis = Tokens (in + out)
chart_local_provider = local
chart_cloud_provider = cloud
chart_no_calls = No model calls
chart_day = { $day } { $month ->
        [1] Jan
        [2] Feb
        [3] Mar
        [4] Apr
        [5] May
        [6] Jun
        [7] Jul
        [8] Aug
        [9] Sep
        [10] Oct
        [11] Nov
       *[12] Dec
    }
chart_caption = 📈 { $first } – { $last }: { $messages ->
        [one] { $messages } message
       *[other] { $messages } messages
    }, { $answers ->
        [one] { $answers } model answer
       *[other] { $answers } model answers
    }, { $share } of them local; cost { $cost }
chart_unavailable = 📈 Charts are not installed: the matplotlib library is missing. Install the charts extra and restart the bot:
    pip install -c constraints.txt -e '.[charts]'
    (in Docker: build with EXTRAS including charts). The text stats work without it.
