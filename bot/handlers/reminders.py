"""/remind WHEN TEXT, /reminders (with ❌ buttons that delete) and /tz: a user's reminders and time zone."""
from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters.message import from_human, is_command
from bot.texts import lang_of, t
from bot.turn.context import BotProfile, language, scope_of
from ops import reminders
from ops.reminder_time import resolve_zone, zone_or
from ops.reminders import Created, when_text
from ops.services import Ops

log = logging.getLogger(__name__)
PREFIX = "rem:del:"  # callback data of a ❌ button: rem:del:<reminder id>
_LIST_CHARS = 3800  # a list longer than this ends with "… and N more" (a message holds 4096)


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


async def remind(message: Message, command: CommandObject, ops: Ops, profile: BotProfile) -> None:
    """Store a reminder for this chat (and topic) and say when it will come."""
    lang, scope = language(message), scope_of(message, profile)
    args = (command.args or "").strip()
    if not args or message.from_user is None:
        await message.answer(t(lang, "rem_usage"))
        return
    made = await reminders.create(ops, bot=scope.bot, chat_id=scope.chat_id, thread_id=scope.thread_id,
                                  user_id=message.from_user.id, args=args, language=lang)
    if isinstance(made, Created):
        when = when_text(t, lang, made.when.due, made.tz, ops.now())
        key = "rem_set" if made.scheduled else "rem_saved"
        await message.answer(t(lang, key, when=when, tz=made.tz, text=_short(made.when.text, 300)))
        return
    limit = reminders.MAX_TEXT if made == reminders.TOO_LONG else reminders.MAX_PENDING
    await message.answer(t(lang, f"rem_err_{made}", limit=limit))


async def _listing(ops: Ops, user_id: int, chat: Chat, lang: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """The user's pending reminders here (everywhere, in private) with a ❌ button each."""
    rows = await reminders.pending(ops, user_id, None if chat.type == "private" else chat.id)
    if not rows:
        return t(lang, "rem_none"), None
    tz, now = await reminders.user_zone(ops, user_id), ops.now()
    lines, buttons = [t(lang, "rem_list", tz=tz)], []
    size = len(lines[0])
    for n, row in enumerate(rows, 1):
        line = t(lang, "rem_list_line", n=n, when=when_text(t, lang, row.due_at, tz, now), text=_short(row.text, 60))
        line += t(lang, "rem_elsewhere") if row.chat_id != chat.id else ""
        if size + len(line) > _LIST_CHARS:
            lines.append(t(lang, "rem_more", n=len(rows) - n + 1))
            break
        lines.append(line)
        size += len(line) + 1
        buttons.append(InlineKeyboardButton(text=f"❌ {n}", callback_data=f"{PREFIX}{row.id}"))
    markup = InlineKeyboardMarkup(inline_keyboard=[buttons[i:i + 5] for i in range(0, len(buttons), 5)])
    return "\n".join(lines), markup


async def list_reminders(message: Message, ops: Ops) -> None:
    """`/reminders`: soonest first."""
    if message.from_user is None:
        return
    text, markup = await _listing(ops, message.from_user.id, message.chat, language(message))
    await message.answer(text, reply_markup=markup)


async def delete_button(query: CallbackQuery, ops: Ops) -> None:
    """A ❌ button: its owner deletes the reminder and the list is redrawn; anyone else is refused."""
    lang = lang_of(query.from_user.language_code)
    rid = (query.data or "")[len(PREFIX):]
    outcome = await reminders.delete(ops, int(rid), query.from_user.id) if rid.isdigit() else "gone"
    if outcome == "not_yours":
        await query.answer(t(lang, "rem_not_yours"), show_alert=True)
        return
    await query.answer(t(lang, "rem_deleted" if outcome == "deleted" else "rem_gone"))
    if isinstance(query.message, Message):
        text, markup = await _listing(ops, query.from_user.id, query.message.chat, lang)
        with contextlib.suppress(TelegramAPIError):  # an unchanged or very old list: leave it
            await query.message.edit_text(text, reply_markup=markup)


async def time_zone(message: Message, command: CommandObject, ops: Ops) -> None:
    """`/tz` shows the user's zone, `/tz Europe/Warsaw` (or Kyiv, Київ…) sets it."""
    lang = language(message)
    if message.from_user is None:
        return
    name = (command.args or "").strip()
    if not name:
        tz = await reminders.user_zone(ops, message.from_user.id)
        await message.answer(t(lang, "tz_show", tz=tz, now=_clock(ops, tz)))
        return
    tz = resolve_zone(name)
    if tz is None:
        await message.answer(t(lang, "tz_bad", name=_short(name, 40)))
        return
    await ops.people.set_tz(message.from_user.id, tz)
    await message.answer(t(lang, "tz_set", tz=tz, now=_clock(ops, tz)))


def _clock(ops: Ops, tz: str) -> str:
    return ops.now().astimezone(zone_or(tz, ops.settings.timezone)).strftime("%H:%M")


async def on_startup(ops: Ops | None = None) -> None:
    """Re-create reminder jobs a wiped job table lost, and start the sweep (the scheduler runs by now)."""
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
    r.message.filter(is_command, from_human)
    r.message.register(remind, Command("remind"))
    r.message.register(list_reminders, Command("reminders"))
    r.message.register(time_zone, Command("tz"))
    r.callback_query.register(delete_button, _is_delete)
    r.startup.register(on_startup)
    return r


async def _is_delete(query: CallbackQuery) -> bool:
    return (query.data or "").startswith(PREFIX)
