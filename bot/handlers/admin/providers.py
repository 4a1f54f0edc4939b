"""Admin: providers (`/admin providers` and the panel's `adm:providers` buttons)."""
from __future__ import annotations

from aiogram import Router


def router() -> Router:
    r = Router(name="admin-providers")
    return r
