## /admin broadcast: the preview, its buttons, progress and the summary
bc_help =
    Broadcast: one message to many chats, at most { $rate } a second.
    /admin broadcast all TEXT — every user and every allowed group
    /admin broadcast users TEXT — every user (private chats)
    /admin broadcast groups TEXT — allowed groups
    /admin broadcast agent:helion TEXT — people talking to one agent ({ $agents })
    First I show how many chats will get it and ask you to confirm. People who blocked the bot are skipped.
bc_bad_audience = I don't know who "{ $word }" is. Choose all, users, groups or agent:<agent> ({ $agents }).
bc_no_text = Add the text after the audience, e.g.: /admin broadcast users Update tomorrow at 10:00.
bc_too_long = The text is too long ({ $length ->
        [one] { $length } character
       *[other] { $length } characters
    }, the limit is 4096). Please shorten it.
bc_nobody = Nobody to send to: the audience "{ $audience }" is empty. Try another audience.
bc_preview = Broadcast — { $audience }: { $n ->
        [one] { $n } chat
       *[other] { $n } chats
    }.
    Text:

    { $text }

    Send it?
bc_send = ✅ Send { $n }
bc_cancel = ✖️ Cancel
bc_stop = ⏹ Stop
bc_expired = This broadcast is no longer pending. Prepare it again: /admin broadcast.
bc_not_yours = Only the admin who prepared it can send it.
bc_busy = A broadcast is already running. Wait for it to finish or stop it with "⏹ Stop".
bc_dropped = Broadcast cancelled; nothing was sent.
bc_progress = Broadcast: { $done }/{ $total } · delivered { $delivered } · blocked { $blocked } · failed { $failed }
bc_done = Broadcast finished in { $seconds } s: delivered { $delivered } of { $total } · blocked { $blocked } · failed { $failed }. Chats that blocked the bot will be skipped next time.
bc_stopped = Broadcast stopped: { $done } of { $total } handled · delivered { $delivered } · blocked { $blocked } · failed { $failed }. The rest did not get the message.
bc_stopping = Stopping the broadcast…
bc_not_running = No broadcast is running right now.
bc_aud_all = every user and group
bc_aud_users = every user
bc_aud_groups = allowed groups
bc_aud_agent = users of { $agent }
