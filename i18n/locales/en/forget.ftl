## /forget: what the bot keeps about a user, and deleting it
forget_preview = Everything the bot keeps about you will be deleted:
    • { $messages ->
        [one] { $messages } message
       *[other] { $messages } messages
    } (yours, the answers to them and the whole history of your private chats)
    • { $documents ->
        [one] { $documents } document you added to knowledge bases
       *[other] { $documents } documents you added to knowledge bases
    }
    • { $reminders ->
        [one] { $reminders } reminder
       *[other] { $reminders } reminders
    }
    • your private chat's settings (agent, /privacy, /handoff) — back to the defaults
    • summaries of long conversations (/memory) that took in any message of yours, group ones too
    Model usage records ({ $usage }) stay only as anonymous counts — no text and no id of yours; today's limit is not reset by this.
    Delete for good?
forget_yes = 🗑 Yes, delete everything
forget_no = Cancel
forget_done = Done. Deleted: { $messages ->
        [one] { $messages } message
       *[other] { $messages } messages
    }, { $documents ->
        [one] { $documents } document
       *[other] { $documents } documents
    }, { $reminders ->
        [one] { $reminders } reminder
       *[other] { $reminders } reminders
    }. Only anonymous usage counts remain ({ $usage }) — no text and no id of yours.{ $kept }{ $left }
    The chat's settings are the defaults now: if you need /privacy local, turn it on again. Messages in Telegram itself can be deleted in the app. You can keep writing — we start from a clean slate.
forget_kept = {" "}Your id is kept only with your access role.
forget_left = {" "}{ $n ->
        [one] { $n } document could not be deleted
       *[other] { $n } documents could not be deleted
    } — send /forget again a little later.
forget_cancelled = Cancelled — nothing was deleted.
forget_not_yours = This button is for whoever sent /forget.
forget_private = To delete your data, send /forget to me in a private chat.
forget_off = Deleting data is not available on this server right now. Please write to the bot's admin.
