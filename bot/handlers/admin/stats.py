"""Admin: stats (`/admin stats [YYYY-MM-DD]` and the panel's `adm:stats` buttons)."""
from __future__ import annotations

from datetime import date, timedelta

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters.admin import AdminCommand
from bot.flows.buttons import AdminSection, StatsDay
from bot.handlers.admin.common import back, reply
from i18n import Translator
from ops.services import Ops
from ops.stats import agent_names, compute, render, today


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _keyboard(tr: Translator, day: date, now: date, *, from_panel: bool) -> InlineKeyboardMarkup:
    """The previous and next day (never past today), and the way back to the panel when opened from it."""
    days = [day - timedelta(days=1)] + ([day + timedelta(days=1)] if day < now else [])
    row = [InlineKeyboardButton(text=("◀ " if d < day else "") + d.isoformat() + (" ▶" if d > day else ""),
                                callback_data=StatsDay(day=d).pack()) for d in days]
    rows = [row] + (back(tr).inline_keyboard if from_panel else [])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _show(event: Message | CallbackQuery, ops: Ops, day: date | None, tr: Translator) -> None:
    stats = await compute(ops, day)
    markup = _keyboard(tr, stats.day, today(ops), from_panel=isinstance(event, CallbackQuery))
    await reply(event, render(stats, tr.lang, agent_names(ops))[:4000], markup)  # within one Telegram message


async def command(message: Message, ops: Ops, args: list[str], tr: Translator) -> None:
    """`/admin stats` (today in the quota time zone) or `/admin stats 2026-11-30`."""
    day = _day(args[0]) if args else None
    if args and day is None:
        await message.answer(tr("adm_stats_bad_date", arg=args[0][:40], example=today(ops).isoformat()))
        return
    await _show(message, ops, day, tr)


async def button(query: CallbackQuery, ops: Ops, tr: Translator) -> None:
    """The panel's 📊 button (`adm:stats`): today."""
    await _show(query, ops, None, tr)


async def day_button(query: CallbackQuery, callback_data: StatsDay, ops: Ops, tr: Translator) -> None:
    """A day button under the stats (`adm:stats:YYYY-MM-DD`)."""
    await _show(query, ops, callback_data.day, tr)


def router() -> Router:
    r = Router(name="admin-stats")
    r.message(AdminCommand("stats"))(command)
    r.callback_query(AdminSection.filter(F.section == "stats"))(button)
    r.callback_query(StatsDay.filter())(day_button)
    return r
