"""A fake Telegram Bot API server for tests; point aiogram at it with `TelegramAPIServer.from_base(fake.url)`.

`fake_telegram` holds the server and its scripting/inspection API, `state` the in-memory state,
`updates` the realistic incoming Updates, `methods` the Bot API method handlers, `files` getFile (as the
cloud or a local server answers it), `voice` voice notes in and sendVoice out, `photos` sendPhoto out, `webhook`
setWebhook and updates POSTed to the bot, `limits` the refusals it can play (a user who blocked the bot, the
per-bot rate limit).
"""
from __future__ import annotations

from bot.testing.fake_telegram import FakeTelegram
from bot.testing.state import Call
from bot.testing.updates import utf16_len

__all__ = ["Call", "FakeTelegram", "utf16_len"]
