"""Shared pieces of the admin routers: replies, the panel keyboard."""
from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.flows.buttons import SECTIONS, AdminSection
from i18n import Translator


async def reply(event: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer a command with a message, or a button by editing the panel message in place."""
    if isinstance(event, CallbackQuery):
        await event.answer()
        if isinstance(event.message, Message):
            try:
                await event.message.edit_text(text, reply_markup=markup)
                return
            except TelegramBadRequest as exc:
                if "not modified" in exc.message:
                    return  # the panel already shows exactly this
            except Exception:  # noqa: BLE001 - an old or deleted message: send a new one instead
                pass
            await event.message.answer(text, reply_markup=markup)
        return
    await event.answer(text, reply_markup=markup)


def panel(tr: Translator) -> InlineKeyboardMarkup:
    """The /admin menu: one button per section."""
    buttons = [InlineKeyboardButton(text=tr(f"adm_btn_{s}"), callback_data=AdminSection(section=s).pack())
               for s in SECTIONS]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def back(tr: Translator) -> InlineKeyboardMarkup:
    """A single "back to the panel" button."""
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text=tr("adm_btn_back"), callback_data=AdminSection(section="menu").pack())]])
