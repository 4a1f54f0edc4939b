"""/forget: a user sees what the bot keeps about them and deletes it all after one confirmation."""
from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters.message import from_human, is_command
from bot.texts import lang_of, t
from bot.turn.context import BotProfile, language
from ops.forget import forget_user, holdings
from ops.services import Ops


class ForgetAction(CallbackData, prefix="forget"):
    """A confirm/cancel button; `user` is who asked, the only one who may press it."""

    verb: str  # yes | no
    user: int


def _confirm(lang: str, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=t(lang, "forget_yes"), callback_data=ForgetAction(verb="yes", user=user_id).pack()),
        InlineKeyboardButton(text=t(lang, "forget_no"), callback_data=ForgetAction(verb="no", user=user_id).pack())]])


async def forget_command(message: Message, ops: Ops | None) -> None:
    """`/forget`: the counts of what would go, and the confirm button (in private chats only)."""
    lang = language(message)
    if message.chat.type != "private":  # the counts are the user's own business, not the group's
        await message.answer(t(lang, "forget_private"))
        return
    if ops is None or message.from_user is None:
        await message.answer(t(lang, "forget_off"))
        return
    held = await holdings(ops, message.from_user.id)
    await message.answer(t(lang, "forget_preview", messages=held.messages, documents=held.documents,
                           reminders=held.reminders, usage=held.usage_rows),
                         reply_markup=_confirm(lang, message.from_user.id))


async def forget_button(query: CallbackQuery, callback_data: ForgetAction, ops: Ops | None,
                        profile: BotProfile) -> None:
    """Confirm or cancel; only the user who asked may press it."""
    lang = lang_of(query.from_user.language_code)
    if query.from_user.id != callback_data.user:
        await query.answer(t(lang, "forget_not_yours"), show_alert=True)
        return
    await query.answer()
    if callback_data.verb != "yes":
        text = t(lang, "forget_cancelled")
    elif ops is None:
        text = t(lang, "forget_off")
    else:
        done = await forget_user(ops, callback_data.user)
        profile.seen_users.discard(callback_data.user)  # their next message stores a fresh profile, as for anyone new
        text = t(lang, "forget_done", messages=done.messages, documents=done.documents, reminders=done.reminders,
                 usage=done.usage_rows, kept=t(lang, "forget_kept") if done.profile_kept else "",
                 left=t(lang, "forget_left", n=done.documents_left) if done.documents_left else "")
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text)  # the buttons go with the question
            return
        except TelegramBadRequest:
            pass
        await query.message.answer(text)


def router() -> Router:
    """/forget and its confirmation buttons."""
    r = Router(name="forget")
    # Chat messages skip this router after one cheap check; anonymous group admins and other bots are not people
    # with their own reminders or data (they all share one id).
    r.message.filter(is_command, from_human)
    r.message(Command("forget"))(forget_command)
    r.callback_query(ForgetAction.filter())(forget_button)
    return r
