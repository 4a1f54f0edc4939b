"""Admin: stats (`/admin stats [YYYY-MM-DD]` and the panel's `adm:stats` buttons)."""
from __future__ import annotations

import contextlib
from datetime import date, timedelta

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters.admin import AdminCommand
from bot.flows.buttons import AdminSection, StatsChart, StatsDay
from bot.handlers.admin.common import back, reply
from i18n import Translator
from ops.chart import chart_data
from ops.chart_render import available, caption, chart_png
from ops.services import Ops
from ops.stats import agent_names, compute, render, today


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def _keyboard(tr: Translator, day: date, now: date, *, from_panel: bool) -> InlineKeyboardMarkup:
    """The previous and next day (never past today), the chart, and the way back to the panel when opened from it."""
    days = [day - timedelta(days=1)] + ([day + timedelta(days=1)] if day < now else [])
    row = [InlineKeyboardButton(text=("◀ " if d < day else "") + d.isoformat() + (" ▶" if d > day else ""),
                                callback_data=StatsDay(day=d).pack()) for d in days]
    chart = [InlineKeyboardButton(text=tr("chart_btn"), callback_data=StatsChart(day=day).pack())]
    rows = [row, chart] + (back(tr).inline_keyboard if from_panel else [])
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


async def chart_button(query: CallbackQuery, callback_data: StatsChart, ops: Ops, tr: Translator) -> None:
    """📈 under the stats (`adm:stats:chart:YYYY-MM-DD`): the 14 days ending on that day as one PNG."""
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return  # too old for Telegram to say where it was: nowhere to send the picture
    if not available():
        await message.answer(tr("chart_unavailable"))
        return
    if message.bot is not None:  # the picture takes a moment: Telegram shows "sending a photo…" meanwhile
        with contextlib.suppress(TelegramAPIError):  # a hint only: the photo is what matters
            await message.bot.send_chat_action(message.chat.id, "upload_photo",
                                               message_thread_id=message.message_thread_id
                                               if message.is_topic_message else None)
    data = await chart_data(ops, min(callback_data.day, today(ops)))
    png = await chart_png(data, tr.lang)  # drawn in a thread: other chats are served meanwhile
    name = f"dagi-stats-{data.days[-1].day.isoformat()}.png"
    await message.answer_photo(BufferedInputFile(png, name), caption=caption(data, tr.lang))


def router() -> Router:
    r = Router(name="admin-stats")
    r.message(AdminCommand("stats"))(command)
    r.callback_query(AdminSection.filter(F.section == "stats"))(button)
    r.callback_query(StatsDay.filter())(day_button)
    r.callback_query(StatsChart.filter())(chart_button)
    return r
