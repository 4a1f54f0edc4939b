## Web search: /search, its status line, sources, limits and refusals (bot/handlers/search.py, bot/turn/search.py)
search_usage = Write the question after the command, e.g. /search hryvnia exchange rate today. Web search in this chat is { $state ->
        [on] on; turn it off with /search off.
       *[off] off; turn it on with /search on.
    }
search_on = 🔎 Web search is on in this chat: /search question gives an answer with sources, and agents that can search do so on their own when a question is about something recent. Turn it off: /search off
search_off = Web search is off in this chat: nothing is sent to search services. Turn it on: /search on
search_off_here = Web search is off in this chat, so I didn't search. Turn it on: /search on (in a group, an admin).
admins_search = Only group admins can turn web search on. Please ask one of them.
search_too_long = The search question is too long ({ $length ->
        [one] { $length } character
       *[other] { $length } characters
    }, the limit is { $limit }). Please ask it in a sentence or two.
search_no_extra = Web search is not installed on this server. For the administrator: pip install -e '.[search]' and restart the bot.
search_local_only = This chat uses local models only, and no self-hosted search engine (SearXNG) is configured, so web search is off here. Nothing was sent.
search_down = The search services are not answering right now. Please try again in a few minutes.
search_timeout = The search ran out of its { $seconds } s before finding anything. Please try later or ask a shorter question.
search_nothing = I found nothing definite about this on the web. Please try asking differently.
search_quota_user = You have used your daily web searches: { $used } of { $limit ->
        [one] { $limit } search
       *[other] { $limit } searches
    }. The limit resets at { $at } ({ $tz }), in { $wait }.
search_quota_chat = This group has used its daily web searches: { $used } of { $limit ->
        [one] { $limit } search
       *[other] { $limit } searches
    }. The limit resets at { $at } ({ $tz }), in { $wait }.
search_status_searching = 🔎 Searching…
search_status_reading = 📖 Reading { $n ->
        [one] { $n } page
       *[other] { $n } pages
    }…
search_status_writing = ✍️ Writing the answer…
search_partial = ⚠️ Partial answer: the search ran out of its { $seconds } s; here is what it found so far.
search_sources_only = ⚠️ I couldn't write an answer from these pages; here they are, so you can read them yourself.
# /usage: today's web searches against the daily limit, and the pages read for them.
search_usage_line = 🔎 Web search: { $used ->
        [one] { $used } search
       *[other] { $used } searches
    } (limit: { $limit }), { $reads ->
        [one] { $reads } page read
       *[other] { $reads } pages read
    }
n_searches = { $n ->
        [one] { $n } search
       *[other] { $n } searches
    } a day
# /admin quota search user|chat ID N|reset
adm_quota_search_set = Web-search limit for { $who }: { $limit }. It applies from the next search.
adm_quota_search_reset = { $who } is back on the default web-search limit.
# /admin stats: the day's web searches
stat_web = 🔎 Web search: { $questions ->
        [one] { $questions } question
       *[other] { $questions } questions
    }, { $searches ->
        [one] { $searches } search-engine query
       *[other] { $searches } search-engine queries
    } ({ $failed } failed), { $reads ->
        [one] { $reads } page
       *[other] { $reads } pages
    } ({ $refused } refused)
stat_web_backend = {"  "}• { $backend }: { $ok } / { $failed }
