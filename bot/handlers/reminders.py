"""/remind WHEN TEXT, /reminders (with ❌ buttons that delete) and /tz: a user's reminders and time zone."""
from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters.buttons import ButtonOf
from bot.filters.message import FromHuman, IsCommand
from bot.flows.buttons import ReminderDelete
from bot.turn.context import BotProfile, scope_of
from i18n import Translator
from ops import reminders
from ops.reminder_time import resolve_zone, zone_or
from ops.reminders import Created, when_text
from ops.services import Ops

log = logging.getLogger(__name__)
_LIST_CHARS = 3800  # a list longer than this ends with "… and N more" (a message holds 4096)


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


async def remind(message: Message, command: CommandObject, ops: Ops, profile: BotProfile, tr: Translator) -> None:
    """Store a reminder for this chat (and topic) and say when it will come."""
    scope = scope_of(message, profile)
    args = (command.args or "").strip()
    if not args or message.from_user is None:
        await message.answer(tr("rem_usage"))
        return
    made = await reminders.create(ops, bot=scope.bot, chat_id=scope.chat_id, thread_id=scope.thread_id,
                                  user_id=message.from_user.id, args=args, language=tr.lang)
    if isinstance(made, Created):
        when, text = when_text(tr.lang, made.when.due, made.tz, ops.now()), _short(made.when.text, 300)
        await message.answer(tr("rem_set", when=when, tz=made.tz, text=text) if made.scheduled
                             else tr("rem_saved", when=when, tz=made.tz, text=text))
        return
    limit = reminders.MAX_TEXT if made == reminders.TOO_LONG else reminders.MAX_PENDING
    await message.answer(tr(f"rem_err_{made}", limit=limit))


async def _listing(ops: Ops, user_id: int, chat: Chat, tr: Translator) -> tuple[str, InlineKeyboardMarkup | None]:
    """The user's pending reminders here (everywhere, in private) with a ❌ button each."""
    rows = await reminders.pending(ops, user_id, None if chat.type == "private" else chat.id)
    if not rows:
        return tr("rem_none"), None
    tz, now = await reminders.user_zone(ops, user_id), ops.now()
    lines, buttons = [tr("rem_list", tz=tz)], []
    size = len(lines[0])
    for n, row in enumerate(rows, 1):
        line = tr("rem_list_line", n=n, when=when_text(tr.lang, row.due_at, tz, now), text=_short(row.text, 60))
        line += tr("rem_elsewhere") if row.chat_id != chat.id else ""
        if size + len(line) > _LIST_CHARS:
            lines.append(tr("rem_more", n=len(rows) - n + 1))
            break
        lines.append(line)
        size += len(line) + 1
        buttons.append(InlineKeyboardButton(text=f"❌ {n}", callback_data=ReminderDelete(id=row.id).pack()))
    markup = InlineKeyboardMarkup(inline_keyboard=[buttons[i:i + 5] for i in range(0, len(buttons), 5)])
    return "\n".join(lines), markup


async def list_reminders(message: Message, ops: Ops, tr: Translator) -> None:
    """`/reminders`: soonest first."""
    if message.from_user is None:
        return
    text, markup = await _listing(ops, message.from_user.id, message.chat, tr)
    await message.answer(text, reply_markup=markup)


async def delete_button(query: CallbackQuery, ops: Ops, tr: Translator,
                        callback_data: ReminderDelete | None = None) -> None:
    """A ❌ button: its owner deletes the reminder and the list is redrawn; anyone else is refused."""
    # A ❌ whose data does not parse (forged, or drawn by an older version) points at no reminder.
    outcome = await reminders.delete(ops, callback_data.id, query.from_user.id) if callback_data else "gone"
    if outcome == "not_yours":
        await query.answer(tr("rem_not_yours"), show_alert=True)
        return
    await query.answer(tr("rem_deleted" if outcome == "deleted" else "rem_gone"))
    if isinstance(query.message, Message):
        text, markup = await _listing(ops, query.from_user.id, query.message.chat, tr)
        with contextlib.suppress(TelegramAPIError):  # an unchanged or very old list: leave it
            await query.message.edit_text(text, reply_markup=markup)


async def time_zone(message: Message, command: CommandObject, ops: Ops, tr: Translator) -> None:
    """`/tz` shows the user's zone, `/tz Europe/Warsaw` (or Kyiv, Київ…) sets it."""
    if message.from_user is None:
        return
    name = (command.args or "").strip()
    if not name:
        current = await reminders.user_zone(ops, message.from_user.id)
        await message.answer(tr("tz_show", tz=current, now=_clock(ops, current)))
        return
    tz = resolve_zone(name)
    if tz is None:
        await message.answer(tr("tz_bad", name=_short(name, 40)))
        return
    await ops.people.set_tz(message.from_user.id, tz)
    await message.answer(tr("tz_set", tz=tz, now=_clock(ops, tz)))


def _clock(ops: Ops, tz: str) -> str:
    return ops.now().astimezone(zone_or(tz, ops.settings.timezone)).strftime("%H:%M")


async def on_startup(ops: Ops | None = None) -> None:
    """Re-create reminder jobs a wiped job table lost, and start the sweep (bot.app calls it once the scheduler
    runs, after polling has begun)."""
    if ops is None:
        return
    try:
        await reminders.start(ops)
    except Exception:
        log.exception("could not reconcile reminder jobs")


def router() -> Router:
    """/remind, /reminders, /tz and the ❌ buttons."""
    r = Router(name="reminders")
    # Chat messages skip this router after one cheap check; anonymous group admins and other bots are not people
    # with their own reminders or data (they all share one id).
    r.message.filter(IsCommand(), FromHuman())
    r.message.register(remind, Command("remind"))
    r.message.register(list_reminders, Command("reminders"))
    r.message.register(time_zone, Command("tz"))
    r.callback_query.register(delete_button, ReminderDelete.filter())
    r.callback_query.register(delete_button, ButtonOf(ReminderDelete))
    return r

