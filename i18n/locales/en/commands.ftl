## The command menu Telegram shows beside the text field (bot/app.py)
cmd_agent = choose an agent
cmd_reset = new conversation
cmd_memory = what I remember of this chat
cmd_whoami = me, this chat, the agent
cmd_usage = my usage and limit
cmd_handoff = pass questions to specialists
cmd_privacy = local models only
cmd_ocr = read a document from a photo
cmd_search = web search with sources
cmd_voice = voice answers: on / off
cmd_transcribe = text of a voice note (as a reply)
cmd_kb = this chat's knowledge base
cmd_remind = set a reminder
cmd_reminders = my reminders
cmd_tz = my time zone
cmd_forget = delete my data
cmd_help = help
# Owners see /admin in their menu too.
cmd_admin = admin
