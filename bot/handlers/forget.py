"""/forget: a user sees what the bot keeps about them and deletes it all after one confirmation."""
from __future__ import annotations

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.filters.message import FromHuman, IsCommand
from bot.flows.buttons import ForgetAction
from bot.turn.context import BotProfile
from i18n import Translator
from ops.forget import forget_user, holdings
from ops.services import Ops


def _confirm(user_id: int, tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=tr("forget_yes"), callback_data=ForgetAction(verb="yes", user=user_id).pack()),
        InlineKeyboardButton(text=tr("forget_no"), callback_data=ForgetAction(verb="no", user=user_id).pack())]])


async def forget_command(message: Message, ops: Ops | None, tr: Translator) -> None:
    """`/forget`: the counts of what would go, and the confirm button (in private chats only)."""
    if message.chat.type != "private":  # the counts are the user's own business, not the group's
        await message.answer(tr("forget_private"))
        return
    if ops is None or message.from_user is None:
        await message.answer(tr("forget_off"))
        return
    held = await holdings(ops, message.from_user.id)
    await message.answer(tr("forget_preview", messages=held.messages, documents=held.documents,
                            reminders=held.reminders, usage=held.usage_rows),
                         reply_markup=_confirm(message.from_user.id, tr))


async def forget_button(query: CallbackQuery, callback_data: ForgetAction, ops: Ops | None,
                        profile: BotProfile, tr: Translator) -> None:
    """Confirm or cancel; only the user who asked may press it."""
    if query.from_user.id != callback_data.user:
        await query.answer(tr("forget_not_yours"), show_alert=True)
        return
    await query.answer()
    if callback_data.verb != "yes":
        text = tr("forget_cancelled")
    elif ops is None:
        text = tr("forget_off")
    else:
        done = await forget_user(ops, callback_data.user)
        profile.seen_users.discard(callback_data.user)  # their next message stores a fresh profile, as for anyone new
        text = tr("forget_done", messages=done.messages, documents=done.documents, reminders=done.reminders,
                  usage=done.usage_rows, kept=tr("forget_kept") if done.profile_kept else "",
                  left=tr("forget_left", n=done.documents_left) if done.documents_left else "")
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
    r.message.filter(IsCommand(), FromHuman())
    r.message(Command("forget"))(forget_command)
    r.callback_query(ForgetAction.filter())(forget_button)
    return r
