"""The admin routers: `/admin …` commands and `adm:` buttons, behind one role check (RequireAdmin)."""
from __future__ import annotations

from aiogram import Router

from bot.filters.admin import AdminCommand
from bot.filters.buttons import ButtonOf
from bot.flows.buttons import AdminSection
from bot.handlers.admin import broadcast, kb, panel, providers, stats, users
from bot.middlewares.access import RequireAdmin, Throttle
from storage.people import PeopleStore


def router(people: PeopleStore, refusals: Throttle) -> Router:
    """Every admin feature as one router; the role is checked once here, for commands and buttons alike."""
    r = Router(name="admin")
    r.message.filter(AdminCommand())
    r.callback_query.filter(ButtonOf(AdminSection))  # every `adm:` button, even one no factory parses
    guard = RequireAdmin(people, refusals)
    r.message.middleware(guard)
    r.callback_query.middleware(guard)
    r.include_routers(stats.router(), providers.router(), users.router(), kb.router(), broadcast.router(),
                      panel.router())  # the panel last: it answers `/admin`, unknown sub-commands and stale buttons
    return r
