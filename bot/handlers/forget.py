"""forget commands."""
from __future__ import annotations

from aiogram import Router


def router() -> Router:
    r = Router(name="forget")
    return r
