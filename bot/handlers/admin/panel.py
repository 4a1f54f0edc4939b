"""`/admin`: the inline panel, and the answer to an unknown sub-command."""
from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.handlers.admin.common import Button, lang, panel, reply
from bot.texts import t


async def menu(event: Message | CallbackQuery) -> None:
    """The panel: a button per section."""
    await reply(event, t(lang(event), "admin_menu"), panel(lang(event)))


async def unknown(message: Message) -> None:
    """`/admin something` we do not know: the menu's commands are the help."""
    words = (message.text or "").split()
    if len(words) < 2:
        await menu(message)
        return
    await message.answer(t(lang(message), "adm_unknown", sub=words[1]))


def router() -> Router:
    r = Router(name="admin-panel")
    r.callback_query(Button("menu"))(menu)
    r.message()(unknown)
    return r
