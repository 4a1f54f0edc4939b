"""reminders commands."""
from __future__ import annotations

from aiogram import Router


def router() -> Router:
    r = Router(name="reminders")
    return r
