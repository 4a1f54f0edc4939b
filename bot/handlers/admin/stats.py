"""Admin: stats (`/admin stats [YYYY-MM-DD]` and the panel's `adm:stats` buttons)."""
from __future__ import annotations

from datetime import date, timedelta

from aiogram import Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.handlers.admin.common import PREFIX, Button, Sub, back, lang, reply
from bot.texts import t
from ops.services import Ops
from ops.stats import agent_names, compute, render, today


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _keyboard(lang_: str, day: date, now: date, *, from_panel: bool) -> InlineKeyboardMarkup:
    """The previous and next day (never past today), and the way back to the panel when opened from it."""
    days = [day - timedelta(days=1)] + ([day + timedelta(days=1)] if day < now else [])
    row = [InlineKeyboardButton(text=("◀ " if d < day else "") + d.isoformat() + (" ▶" if d > day else ""),
                                callback_data=f"{PREFIX}stats:{d.isoformat()}") for d in days]
    rows = [row] + (back(lang_).inline_keyboard if from_panel else [])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def _show(event: Message | CallbackQuery, ops: Ops, day: date | None) -> None:
    lang_ = lang(event)
    stats = await compute(ops, day)
    markup = _keyboard(lang_, stats.day, today(ops), from_panel=isinstance(event, CallbackQuery))
    await reply(event, render(stats, lang_, t, agent_names(ops))[:4000], markup)  # within one Telegram message


async def command(message: Message, ops: Ops, args: list[str]) -> None:
    """`/admin stats` (today in the quota time zone) or `/admin stats 2026-11-30`."""
    day = _day(args[0]) if args else None
    if args and day is None:
        await message.answer(t(lang(message), "adm_stats_bad_date", arg=args[0][:40], example=today(ops).isoformat()))
        return
    await _show(message, ops, day)


async def button(query: CallbackQuery, ops: Ops, parts: list[str]) -> None:
    """The panel's 📊 button (`adm:stats`) and the day buttons under the stats (`adm:stats:YYYY-MM-DD`)."""
    await _show(query, ops, _day(parts[0]) if parts else None)


def router() -> Router:
    r = Router(name="admin-stats")
    r.message(Sub("stats"))(command)
    r.callback_query(Button("stats"))(button)
    return r
