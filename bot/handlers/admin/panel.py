"""`/admin`: the inline panel, and the answer to an unknown sub-command or a stale button."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.flows.buttons import AdminSection
from bot.handlers.admin.common import panel, reply
from i18n import Translator


async def menu(event: Message | CallbackQuery, tr: Translator) -> None:
    """The panel: a button per section."""
    await reply(event, tr("admin_menu"), panel(tr))


async def unknown(message: Message, tr: Translator) -> None:
    """`/admin something` we do not know: the menu's commands are the help."""
    words = (message.text or "").split()
    if len(words) < 2:
        await menu(message, tr)
        return
    await message.answer(tr("adm_unknown", sub=words[1]))


def router() -> Router:
    r = Router(name="admin-panel")
    r.callback_query(AdminSection.filter(F.section == "menu"))(menu)
    # An `adm:` button no factory parses (forged, or drawn by an older version): audited by the role check like
    # any admin action, refused for non-admins there, and an admin gets a fresh panel instead.
    r.callback_query()(menu)
    r.message()(unknown)
    return r
