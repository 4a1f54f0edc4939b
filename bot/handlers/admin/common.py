"""Shared pieces of the admin routers: the `/admin <sub>` filter, callback filters, replies, the panel keyboard."""
from __future__ import annotations

from typing import Any

from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.middlewares.access import PREFIX
from bot.texts import lang_of, t

SECTIONS = ("stats", "providers", "users", "kb", "broadcast", "reload")


class Sub(BaseFilter):
    """`/admin <name> [args]`: matches the sub-command and passes the rest as `args` (a list of words)."""

    def __init__(self, *names: str) -> None:
        self.names = {n.lower() for n in names}

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        words = (message.text or "").split()
        if not words or words[0].split("@")[0].lower() != "/admin" or len(words) < 2:
            return False
        if words[1].lower() not in self.names:
            return False
        return {"sub": words[1].lower(), "args": words[2:], "rest": (message.text or "").split(None, 2)[2:]}


class Button(BaseFilter):
    """An admin button whose callback data is `adm:<name>` or starts with `adm:<name>:`."""

    def __init__(self, name: str) -> None:
        self.exact, self.prefix = PREFIX + name, PREFIX + name + ":"

    async def __call__(self, query: CallbackQuery) -> bool | dict[str, Any]:
        data = query.data or ""
        if data == self.exact:
            return {"parts": []}
        if data.startswith(self.prefix):
            return {"parts": data[len(self.prefix):].split(":")}
        return False


def lang(event: Message | CallbackQuery) -> str:
    """The language of the admin who sent the command or pressed the button."""
    return lang_of(event.from_user.language_code if event.from_user else None)


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


def panel(lang_: str) -> InlineKeyboardMarkup:
    """The /admin menu: one button per section."""
    buttons = [InlineKeyboardButton(text=t(lang_, f"adm_btn_{s}"), callback_data=PREFIX + s) for s in SECTIONS]
    return InlineKeyboardMarkup(inline_keyboard=[buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def back(lang_: str) -> InlineKeyboardMarkup:
    """A single "back to the panel" button."""
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(
        text="⬅️ " + ("Панель" if lang_ == "uk" else "Panel"), callback_data=PREFIX + "menu")]])
