"""Admin: stats (`/admin stats` and the panel's `adm:stats` buttons)."""
from __future__ import annotations

from aiogram import Router


def router() -> Router:
    r = Router(name="admin-stats")
    return r
