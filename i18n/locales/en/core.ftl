## What every chat hears: /start, /help, settings, errors, quotas and /usage
# This language's name in English: model prompts say "answer in English".
language_name = English
start =
    Hello, { $name }! I'm DAGI — the agents of DAARION.city answer here. You are talking to { $agent }.
    Pick an agent below or just ask a question. Commands: /help.
help =
    What I can do:
    /agent — choose an agent (or /agent helion)
    /reset — start a new conversation
    /memory — what I remember from earlier in a long conversation
    /whoami — you, this chat and the active agent
    /handoff on|off — whether DAARWIZZ passes questions to specialist agents
    /privacy local|cloud — local models only, or cloud models too
    /usage — your model usage today and your limit
    /ocr — read the text and fields of a document in the next photo (or caption a photo "ocr")
    /voice on|off — answers also as voice messages; I always listen to voice notes and audio
    /transcribe — as a reply to a voice note: just its text
    /kb — this chat's knowledge base: /kb add and a file (PDF, DOCX, TXT…), /kb search, /kb delete
    /search question — search the web, an answer with sources; /search off|on — web search in this chat
    /remind 18:30 text — a reminder (also "in 2h", "tomorrow 9:00", "31.12 18:00")
    /reminders — your reminders; ❌ deletes one · /tz Europe/Kyiv — your time zone
    /forget — delete everything the bot keeps about you
    Send photos with a question in the caption or without one; then ask more about them.
    /help — this help

    Agents: { $agents }
    In a group I answer when mentioned (@{ $bot }), when you reply to my message, or when you address an agent by name: "Helion, …".
pick = Choose an agent. Now: { $agent }.
switched = You are now talking to { $agent } — { $title }
unknown_agent = There is no agent "{ $name }". Available: { $agents }.
locked = This bot is { $agent } only. Other agents live in the main DAGI bot.
reset = Starting over: the previous conversation in this chat is forgotten.
memory_empty = So far I see this whole conversation, so there is no summary. When it gets long, I will keep short notes of what falls out of view (facts, names, numbers, your goals) and show them here. /reset starts the conversation over.
memory_show =
    🧠 What I remember from earlier in this conversation (a summary of { $turns ->
        [one] { $turns } message
       *[other] { $turns } messages
    }):

    { $summary }

    /reset starts a new conversation and clears this summary; /forget deletes all your data.
memory_off = Summaries of long conversations are switched off on this server: I only see the latest messages of a conversation.
whoami =
    You: { $user } (id { $user_id })
    Chat: { $chat_id } ({ $chat_type }){ $thread }
    Agent: { $agent }
handoff_on = Hand-off is on: { $front } passes questions to the specialists ({ $targets }), and the answer shows who replies. Turn it off: /handoff off
handoff_off = Hand-off is off: the active agent answers everything. Turn it on: /handoff on
handoff_usage = Write /handoff on to let questions go to specialist agents, or /handoff off to stop it.
admins_handoff = Only group admins can turn hand-off on or off. Please ask one of them.
privacy_local = Local-only mode: this chat's messages are handled only by our own models; nothing is sent to cloud services. Allow cloud models: /privacy cloud
privacy_cloud = Normal mode: when a local model doesn't answer, a cloud model may answer instead. Local models only: /privacy local
privacy_usage = Write /privacy local (local models only) or /privacy cloud (allow cloud models).
admins_cloud = Only group admins can allow cloud models. Please ask one of them.
unknown_command = Unknown command { $command }. See /help for the list.
empty = Please write your question as text and I'll answer.
too_long = Your message is too long ({ $length ->
        [one] { $length } character
       *[other] { $length } characters
    }, the limit is { $limit }). Shorten it or send it in parts.
unsupported = I understand text, voice messages, photos and documents for the knowledge base (/kb). Please write or say your question, or send a photo.
no_vision = No model that can see photos is available right now. Please try later or ask in text.
image_not_image = This file does not look like an image. Please send a photo or a picture (JPEG, PNG, WEBP).
image_corrupt = I could not read the image: the file is damaged. Please send it again.
image_too_many_pixels = The image has too many pixels (over 50 MP). Please make it smaller and send it again.
image_too_large = The file is over { $mb } MB, more than I download. Send it as a photo (not a file) or make it smaller.
image_empty = The file is empty. Please send the image again.
image_download_failed = I could not download the image from Telegram. Please send it again.
image_missing = I can't open that image file. Please check the path.
ocr_ready = 📄 Send a photo of a document, receipt or label — I'll read its text and fields and attach result.json and result.csv.
unavailable = Sorry, the model is unavailable right now. Please try again in a minute.
cut = ⚠️ The answer was cut off: the model stopped responding. Please ask again.
internal = Something went wrong on our side. Please try again; if it repeats, tell the administrator.
flood = Too many messages in a row. Please wait { $wait }, then I'll answer again. Messages sent before then will be skipped.
seconds = { $n ->
        [one] { $n } second
       *[other] { $n } seconds
    }
minutes = { $n ->
        [one] { $n } minute
       *[other] { $n } minutes
    }
quota_user = You have reached your daily limit: { $used }. It resets at { $at } ({ $tz }), in { $wait }. Details: /usage.
quota_chat = This group has reached its daily limit: { $used }. It resets at { $at } ({ $tz }), in { $wait }.
used_of = used { $tokens ->
        [one] { $tokens } token
       *[other] { $tokens } tokens
    } and { $requests ->
        [one] { $requests } request
       *[other] { $requests } requests
    } (limit: { $limit })
n_tokens = { $n ->
        [one] { $n } token
       *[other] { $n } tokens
    }
n_requests = { $n ->
        [one] { $n } request
       *[other] { $n } requests
    }
no_limit = no limit
model_busy = ⏳ The model is busy with other questions; yours is next in line — the answer will start as soon as it is free.
local_only = This chat uses local models only, and none of them is answering right now. Nothing was sent outside. Please try again in a few minutes.
usage_title = Your usage today ({ $day }):
usage_line = • { $agent } — { $requests ->
        [one] { $requests } request
       *[other] { $requests } requests
    }, { $tokens ->
        [one] { $tokens } token
       *[other] { $tokens } tokens
    }
usage_none = • nothing yet
usage_total = Total — { $requests ->
        [one] { $requests } request
       *[other] { $requests } requests
    }, { $tokens ->
        [one] { $tokens } token
       *[other] { $tokens } tokens
    }
usage_limit = Daily limit: { $limit }. Resets at { $at } ({ $tz }).
usage_off = Usage accounting is switched off on this server.
