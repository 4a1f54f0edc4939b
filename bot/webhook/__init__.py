"""Webhook mode (WEBHOOK_URL): Telegram posts updates to this process instead of it polling for them.

`run` serves the webhook and is imported only in webhook mode (start-up time is measured); `release` is the
one piece polling uses: a webhook left set from webhook mode is removed, its pending updates kept.
"""
