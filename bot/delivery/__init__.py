"""Delivery: streamed drafts and paced edits, Markdown rendering, Telegram pacing, the ops notifier."""
