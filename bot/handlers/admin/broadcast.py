"""Admin: broadcast (`/admin broadcast` and the panel's `adm:broadcast` buttons)."""
from __future__ import annotations

from aiogram import Router


def router() -> Router:
    r = Router(name="admin-broadcast")
    return r
