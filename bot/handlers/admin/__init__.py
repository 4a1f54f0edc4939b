"""The admin routers: `/admin …` commands and `adm:` buttons, behind one role check (RequireAdmin)."""
from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.handlers.admin import broadcast, kb, panel, providers, stats, users
from bot.handlers.admin.common import PREFIX
from bot.middlewares.access import RequireAdmin, Throttle
from storage.people import PeopleStore


async def _admin_command(message: Message) -> bool:
    return (message.text or "").split(None, 1)[0].split("@")[0].lower() == "/admin" if message.text else False


async def _admin_button(query: CallbackQuery) -> bool:
    return (query.data or "").startswith(PREFIX)


def router(people: PeopleStore, refusals: Throttle) -> Router:
    """Every admin feature as one router; the role is checked once here, for commands and buttons alike."""
    r = Router(name="admin")
    r.message.filter(_admin_command)
    r.callback_query.filter(_admin_button)
    guard = RequireAdmin(people, refusals)
    r.message.middleware(guard)
    r.callback_query.middleware(guard)
    r.include_routers(stats.router(), providers.router(), users.router(), kb.router(), broadcast.router(),
                      panel.router())  # the panel last: it answers `/admin` and unknown sub-commands
    return r
